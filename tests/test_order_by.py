"""Breakdowns in any order (``orderBy``, ``direction``), against an order computed here from REST.

The oracle reads every page of the breakdown from the local backend's REST API and sorts the
entities by the metric in the test (ties by entityId); the gateway's page must hold the same
entities, in the same order, with the same totals, for every domain and dimension, several metrics
and both directions, at offsets inside and past the first upstream page. The upstream's own order
costs one call; any other costs the breakdown's pages, never more than the cost model estimated.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from resolvers import dimensions, ordering, resources
from tests.conftest import Api
from tests.gateway import Gateway
from tests.rewriting import RewritingTransport
from tests.test_cost import cost_of

FIELD = {
    "storage": "storage",
    "ai": "ai",
    "privateChat": "privateChat",
    "policies": "policies",
    "credits": "credits",
}


def _enum(metric: str) -> str:
    """A metric's enum member, as the schema names it (``tokensOut`` -> ``TOKENS_OUT``)."""
    return "".join(f"_{c}" if c.isupper() else c for c in metric).upper()


def _field(dimension: dimensions.Dimension) -> str:
    """The breakdown field of a dimension: ``breakdown(by: X)`` or a field of its own."""
    return f"breakdown(by: {dimension.name})" if dimension.name else f"{dimension.by}("


def _call(dimension: dimensions.Dimension, arguments: str) -> str:
    """The dimension's breakdown field called with ``arguments`` besides its ``by``."""
    field = _field(dimension)
    return field[:-1] + f", {arguments})" if field.endswith(")") else f"{field}{arguments})"


def _query(
    dimension: dimensions.Dimension, metric: str | None, direction: str, limit: int, offset: int
) -> str:
    order = (f"orderBy: {_enum(metric)}, " if metric else "") + f"direction: {direction}"
    call = _call(dimension, f"limit: {limit}, offset: {offset}, {order}")
    return (
        f"{{ stats(window: LAST_30D) {{ {FIELD[dimension.domain]} {{ {call} {{"
        f" meta {{ totalEntities limit offset }} entities {{ entityId totals {{ {metric or 'requests'} }} }} }} }} }} }}"
    )


def _every_entity(api: Api, dimension: dimensions.Dimension) -> list[dict[str, Any]]:
    path = resources.domain(dimension.domain).breakdown_path(dimension.by)
    first = api.ok(path, scope="org", window="30d", limit=resources.LIMIT_MAX)
    entities = list(first["entities"])
    for offset in range(resources.LIMIT_MAX, first["meta"]["totalEntities"], resources.LIMIT_MAX):
        entities += api.ok(path, scope="org", window="30d", limit=resources.LIMIT_MAX, offset=offset)[
            "entities"
        ]
    return entities


def _sorted(entities: list[dict[str, Any]], metric: str, descending: bool) -> list[tuple[str, Any]]:
    sign = -1 if descending else 1
    ranked = sorted(entities, key=lambda e: (sign * e["totals"][metric], e["entityId"]))
    return [(e["entityId"], e["totals"][metric]) for e in ranked]


def _metrics(dimension: dimensions.Dimension) -> list[str]:
    """The orderable metrics of a dimension's entities other than the upstream's own order."""
    domain = resources.domain(dimension.domain)
    return [m.name for m in domain.entity_metrics if not m.fractional and m.name != domain.summary_metric]


CASES = [
    (dimension, metric, direction)
    for dimension in dimensions.DIMENSIONS
    for metric in _metrics(dimension)[:2]
    for direction in ("DESC", "ASC")
]


@pytest.mark.parametrize(
    ("dimension", "metric", "direction"),
    CASES,
    ids=[f"{d.domain}:{d.by}:{m}:{o}" for d, m, o in CASES],
)
def test_a_page_in_any_order_holds_the_entities_rest_sorted_that_way_would(
    gateway: Gateway, api: Api, dimension: dimensions.Dimension, metric: str, direction: str
) -> None:
    expected = _sorted(_every_entity(api, dimension), metric, direction == "DESC")
    for limit, offset in ((5, 0), (7, 3), (10, max(0, len(expected) - 4))):
        result = gateway.query(_query(dimension, metric, direction, limit, offset))
        assert not result.errors, result.errors
        page = result.data["stats"][FIELD[dimension.domain]][_field(dimension).split("(")[0]]
        got = [(e["entityId"], e["totals"][metric]) for e in page["entities"]]
        assert got == expected[offset : offset + limit]
        assert page["meta"] == {"totalEntities": len(expected), "limit": limit, "offset": offset}
        pages = math.ceil(len(expected) / resources.LIMIT_MAX)
        assert result.upstream["count"] == pages, "one call per page of the breakdown"


def test_the_upstreams_own_order_is_one_call_for_the_page_asked(gateway: Gateway, api: Api) -> None:
    """No orderBy, or the summary metric descending, is the upstream's order: one call for the page
    asked, its entities as REST lists them."""
    dimension = dimensions.dimension("ai", "repos")
    path = resources.domain("ai").breakdown_path("repos")
    rest = api.ok(path, scope="org", window="30d", limit=6, offset=2)["entities"]
    for metric in (None, "requests"):
        result = gateway.query(_query(dimension, metric, "DESC", 6, 2))
        assert not result.errors, result.errors
        assert [e["entityId"] for e in result.data["stats"]["ai"]["breakdown"]["entities"]] == [
            e["entityId"] for e in rest
        ]
        assert result.upstream["count"] == 1
        assert "limit=6" in result.upstream["calls"][0]["query"]


def test_the_estimate_counts_the_pages_a_sorted_breakdown_may_read(gateway: Gateway) -> None:
    dimension = dimensions.dimension("ai", "models")
    cost = cost_of(gateway, _query(dimension, "tokensOut", "ASC", 3, 0))
    assert cost["estimated"]["calls"] == len(ordering.pages())
    assert cost["actual"]["calls"] <= cost["estimated"]["calls"]


def test_a_breakdown_past_the_bound_is_refused_after_its_first_page(
    rewriting: tuple[RewritingTransport, Gateway],
) -> None:
    """An upstream that reports more entities than the gateway sorts gets a coded refusal that
    says what to do, after the one call that told it so; the rest of the answer stands."""
    transport, gateway = rewriting
    dimension = dimensions.dimension("ai", "repos")
    path = resources.domain("ai").breakdown_path("repos")
    transport.path = path

    def more_entities(body: Any) -> Any:
        body["meta"]["totalEntities"] = body["summary"]["total"] = ordering.MOST_ENTITIES + 1
        return body

    transport.rewrite = more_entities
    try:
        result = gateway.query(
            "{ stats(window: LAST_30D) { ai { timeSeries { summary { total } } "
            + _query(dimension, "tokensOut", "DESC", 5, 0).split("ai { ", 1)[1]
        )
    finally:
        transport.path = None
    assert result.data["stats"]["ai"]["timeSeries"]["summary"]["total"] >= 0
    assert result.data["stats"]["ai"]["breakdown"] is None
    (error,) = result.errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"at most {ordering.MOST_ENTITIES:,} entities" in error["message"]
    assert "leave orderBy out" in error["message"]
    assert result.paths.count(path) == 1


def test_a_breakdown_of_several_upstream_pages_reads_each_page_once(
    rewriting: tuple[RewritingTransport, Gateway], api: Api
) -> None:
    """An upstream that reports 1,200 entities is read at offsets 0, 500 and 1,000 (the demo data
    has fewer than 500 per breakdown; past its end the backend answers empty pages), once each."""
    transport, gateway = rewriting
    dimension = dimensions.dimension("ai", "repos")
    path = resources.domain("ai").breakdown_path("repos")
    expected = _sorted(_every_entity(api, dimension), "tokensOut", False)

    def more_entities(body: Any) -> Any:
        body["meta"]["totalEntities"] = body["summary"]["total"] = 1_200
        return body

    transport.path, transport.rewrite = path, more_entities
    try:
        result = gateway.query(_query(dimension, "tokensOut", "ASC", 8, 4))
    finally:
        transport.path = None
    assert not result.errors, result.errors
    offsets = sorted(
        int(part.split("=")[1])
        for call in result.upstream["calls"]
        for part in call["query"].split("&")
        if part.startswith("offset=")
    )
    assert offsets == [0, 500, 1_000]
    entities = result.data["stats"]["ai"]["breakdown"]["entities"]
    assert [(e["entityId"], e["totals"]["tokensOut"]) for e in entities] == expected[4:12]


def test_counts_beyond_a_float_s_precision_are_ordered_exactly(
    rewriting: tuple[RewritingTransport, Gateway],
) -> None:
    """Two counts that differ by one past 2^53 (a float would make them equal and fall back to
    entityId) keep their order."""
    transport, gateway = rewriting
    dimension = dimensions.dimension("ai", "models")
    transport.path = resources.domain("ai").breakdown_path("models")
    huge = 2**62

    def two_huge_counts(body: Any) -> Any:
        entities = sorted(body["entities"], key=lambda e: e["entityId"])
        entities[0]["totals"]["tokensOut"] = huge
        entities[1]["totals"]["tokensOut"] = huge + 1
        return body

    transport.rewrite = two_huge_counts
    try:
        result = gateway.query(_query(dimension, "tokensOut", "DESC", 2, 0))
    finally:
        transport.path = None
    assert not result.errors, result.errors
    values = [e["totals"]["tokensOut"] for e in result.data["stats"]["ai"]["breakdown"]["entities"]]
    assert values == [huge + 1, huge]
