"""Paging through a breakdown gives REST's pages, and every documented bound holds at its edge.

Each bound is accepted exactly at its edge and refused one step past it, before any upstream call;
the bucket-size rule is checked against the upstream's own verdict for every window and size.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest

from gql.schema import enums
from resolvers import resources
from tests.conftest import Api
from tests.gateway import Gateway

# (GraphQL domain field, REST domain, enum of its `by`), plus the breakdowns with fields of their own.
BREAKDOWNS: list[tuple[str, resources.Domain, str, str]] = [
    (field, domain, f"breakdown(by: {member.name}", str(member.value))
    for field, domain, by in (
        ("storage", resources.STORAGE, enums.StorageBreakdownBy),
        ("ai", resources.AI, enums.AiBreakdownBy),
        ("privateChat", resources.PRIVATE_CHAT, enums.PrivateChatBreakdownBy),
        ("policies", resources.POLICIES, enums.PolicyBreakdownBy),
        ("credits", resources.CREDITS, enums.CreditBreakdownBy),
    )
    for member in by
] + [
    ("storage", resources.STORAGE, "providers(", "providers"),
    ("privateChat", resources.PRIVATE_CHAT, "users(", "users"),
]
PAGE = 3  # the smallest breakdown of the demo data has 4 entities


def _page(gateway: Gateway, field: str, call: str, offset: int, limit: int = PAGE) -> Any:
    separator = "" if call.endswith("(") else ", "
    result = gateway.query(
        f"{{ stats(window: LAST_30D) {{ {field} {{ page: {call}{separator}limit: {limit}, offset: {offset}) {{"
        " meta { limit offset totalEntities } total entities { entityId } } } } }"
    )
    assert not result.errors, result.errors
    return result.data["stats"][field]["page"]


@pytest.mark.parametrize(
    ("field", "domain", "call", "by"), BREAKDOWNS, ids=[f"{f}-{by}" for f, _, _, by in BREAKDOWNS]
)
def test_every_page_of_every_breakdown_is_the_rest_page(
    gateway: Gateway, api: Api, field: str, domain: resources.Domain, call: str, by: str
) -> None:
    total = _page(gateway, field, call, 0)["total"]
    assert total > PAGE, "the demo data should need more than one page here"
    last = (total - 1) // PAGE * PAGE
    for offset in sorted({0, PAGE, last}):
        ours = _page(gateway, field, call, offset)
        rest = api.ok(domain.breakdown_path(by), scope="org", window="30d", limit=PAGE, offset=offset)
        assert [e["entityId"] for e in ours["entities"]] == [e["entityId"] for e in rest["entities"]]
        assert ours["meta"] == {k: rest["meta"][k] for k in ("limit", "offset", "totalEntities")}
        assert ours["meta"]["offset"] == offset and ours["meta"]["limit"] == PAGE
    assert len(_page(gateway, field, call, last)["entities"]) == total - last


def _refused_before_any_call(gateway: Gateway, query: str, argument: str) -> None:
    result = gateway.query(query)
    assert [e["extensions"]["code"] for e in result.errors] == ["BAD_USER_INPUT"], result.errors
    assert argument in result.errors[0]["message"]
    assert result.upstream["count"] == 0


@pytest.mark.parametrize(
    ("limit", "offset", "accepted"),
    [
        (1, 0, True),
        (resources.LIMIT_MAX, 0, True),
        (0, 0, False),
        (resources.LIMIT_MAX + 1, 0, False),
        (5, resources.OFFSET_MAX, True),
        (5, resources.OFFSET_MAX + 1, False),
        (5, -1, False),
    ],
)
def test_limit_and_offset_hold_at_their_edges(
    gateway: Gateway, limit: int, offset: int, accepted: bool
) -> None:
    query = (
        f"{{ stats(window: LAST_7D) {{ ai {{ breakdown(by: REPOS, limit: {limit}, offset: {offset})"
        " { meta { limit offset } entities { entityId } } } } }"
    )
    if not accepted:
        _refused_before_any_call(gateway, query, "limit" if offset == 0 else "offset")
        return
    result = gateway.query(query)
    assert not result.errors, result.errors
    assert result.data["stats"]["ai"]["breakdown"]["meta"] == {"limit": limit, "offset": offset}
    assert f"limit={limit}&offset={offset}" in result.upstream["calls"][0]["query"]


@pytest.mark.parametrize(
    ("months", "accepted"), [(1, True), (resources.MONTHS_MAX, True), (0, False), (25, False)]
)
def test_credit_months_hold_at_their_edges(gateway: Gateway, api: Api, months: int, accepted: bool) -> None:
    query = f"{{ legacy {{ creditsMonthly(months: {months}) {{ months {{ month }} }} }} }}"
    if not accepted:
        _refused_before_any_call(gateway, query, "months")
        return
    data = gateway.ok(query)["legacy"]["creditsMonthly"]
    assert len(data["months"]) == len(api.ok("/credits/stats/monthly", months=months)["data"]) == months


def _members(enum: type[Enum]) -> list[Enum]:
    return list(enum)


@pytest.mark.parametrize("window", _members(enums.Window), ids=lambda w: w.name)
def test_bucket_sizes_are_accepted_exactly_where_the_upstream_accepts_them(
    gateway: Gateway, api: Api, window: enums.Window
) -> None:
    upstream_sizes = [size for size in enums.BucketSize if size.value in resources.BUCKET_SIZES]  # not WEEK_1
    for size in upstream_sizes:
        rest = api.get("/v2/stats/credits", scope="org", window=window.value, timeBucketSize=size.value)
        query = (
            f"{{ stats(window: {window.name}, bucketSize: {size.name}) {{ credits {{ timeSeries {{"
            " meta { bucketSize } columns { ts } } } } }"
        )
        if rest.status_code == 400:
            assert rest.json()["error_code"] == "BUCKET_SIZE_NOT_ALLOWED"
            _refused_before_any_call(gateway, query, size.name)
            continue
        assert rest.status_code == 200, rest.text
        series = gateway.ok(query)["stats"]["credits"]["timeSeries"]
        assert series["meta"]["bucketSize"] == size.name
        assert series["columns"]["ts"] == [p["ts"] for p in rest.json()["series"]]


def test_the_finest_size_at_the_bucket_limit_is_accepted(gateway: Gateway) -> None:
    """90 days of hourly buckets is the largest series there is: exactly at the documented limit."""
    window, size = resources.WINDOWS["90d"], resources.BUCKET_SIZES["1h"]
    assert window.seconds // size.seconds == resources.MAX_POINTS
    query = f"{{ stats(window: {window.name}, bucketSize: {size.name}) {{ ai {{ timeSeries {{ columns {{ ts }} }} }} }} }}"
    points = gateway.ok(query)["stats"]["ai"]["timeSeries"]["columns"]["ts"]
    assert len(points) >= resources.MAX_POINTS
