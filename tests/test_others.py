"""A breakdown's Others against the same subtraction done in the test from REST answers, and its
totals against SQL over the raw facts of every entity the page does not hold.

For every dimension, the domain's series (REST) minus the page's entity series (REST, with
series), bucket by bucket, is Others' columns; their sums minus the page's totals are Others'
totals; metrics that do not subtract are null; the page and Others add up to the domain. It costs
the page and the domain's series, the second shared with a time-series panel of the same domain.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from resolvers import dimensions, resources
from tests.conftest import Api
from tests.gateway import Gateway
from tests.rewriting import RewritingTransport
from tests.test_backend_oracle import DIMENSIONS as ORACLE_DIMENSIONS
from tests.test_backend_oracle import FINE, METRICS, POLICY_ENFORCEMENT
from tests.test_cost import cost_of
from tests.test_order_by import FIELD, _call, _enum, _field

LIMIT = 3
# A distinct count and a mean: an entity's part cannot be subtracted from the domain's (docs/backend.md).
NON_ADDITIVE = {"activeConversations", "latencyMs"}


def _metrics(dimension: dimensions.Dimension) -> list[str]:
    return [m.name for m in resources.domain(dimension.domain).entity_metrics]


@pytest.mark.parametrize(
    "dimension", dimensions.DIMENSIONS, ids=[f"{d.domain}:{d.by}" for d in dimensions.DIMENSIONS]
)
def test_others_is_the_domain_minus_the_page_bucket_by_bucket(
    gateway: Gateway, api: Api, dimension: dimensions.Dimension
) -> None:
    domain = resources.domain(dimension.domain)
    metrics = _metrics(dimension)
    counted = [m for m in metrics if m not in NON_ADDITIVE]
    fields = " ".join(metrics)
    query = (
        f"{{ stats(window: LAST_7D) {{ {FIELD[dimension.domain]} {{ timeSeries {{ summary {{ total }} }}"
        f" {_call(dimension, f'limit: {LIMIT}')} {{ meta {{ totalEntities }} entities {{ entityId }}"
        f" others {{ entityCount totals {{ {fields} }} columns {{ ts {fields} }}"
        f" share(metric: {_enum(counted[0])}) }} }} }} }} }}"
    )
    result = gateway.query(query)
    assert not result.errors, result.errors
    page = result.data["stats"][FIELD[dimension.domain]][_field(dimension).split("(")[0]]
    others = page["others"]

    whole = api.ok(domain.path, scope="org", window="7d")["series"]
    rest = api.ok(
        domain.breakdown_path(dimension.by), scope="org", window="7d", limit=LIMIT, includeSeries="true"
    )
    entities = rest["entities"]
    assert [e["entityId"] for e in page["entities"]] == [e["entityId"] for e in entities]
    assert others["entityCount"] == rest["meta"]["totalEntities"] - len(entities)
    assert others["columns"]["ts"] == [point["ts"] for point in whole]
    for metric in metrics:
        if metric in NON_ADDITIVE:
            assert others["totals"][metric] is None and others["columns"][metric] is None
            continue
        expected = [
            point[metric] - sum(e["series"][index][metric] for e in entities)
            for index, point in enumerate(whole)
        ]
        assert others["columns"][metric] == expected, metric
        domain_total = sum(point[metric] for point in whole)
        assert others["totals"][metric] == domain_total - sum(e["totals"][metric] for e in entities), metric
    first_total = sum(point[counted[0]] for point in whole)
    share = others["totals"][counted[0]] / first_total if first_total else None
    assert others["share"] == pytest.approx(share)
    # The page (with its series) and the domain's series, shared with the timeSeries panel.
    assert result.upstream["count"] == 2


def test_others_totals_alone_ask_for_no_entity_series(gateway: Gateway) -> None:
    query = (
        "{ stats(window: LAST_24H) { ai { breakdown(by: MODELS, limit: 2) {"
        " entities { entityId totals { requests } } others { entityCount totals { requests } } } } } }"
    )
    result = gateway.query(query)
    assert not result.errors, result.errors
    breakdown = next(call for call in result.upstream["calls"] if "breakdown" in call["path"])
    assert "includeSeries=false" in breakdown["query"]
    assert result.upstream["count"] == 2


def test_others_beside_a_sorted_page_holds_every_entity_the_page_does_not(gateway: Gateway) -> None:
    query = (
        "{ stats(window: LAST_30D) { ai { timeSeries { columns { requests } }"
        " breakdown(by: REPOS, limit: 4, orderBy: TOKENS_OUT, direction: ASC) {"
        " meta { totalEntities } entities { totals { requests } } others { entityCount totals { requests } } } } } }"
    )
    ai = gateway.ok(query)["stats"]["ai"]
    breakdown = ai["breakdown"]
    assert breakdown["others"]["entityCount"] == breakdown["meta"]["totalEntities"] - 4
    page = sum(e["totals"]["requests"] for e in breakdown["entities"])
    assert page + breakdown["others"]["totals"]["requests"] == sum(ai["timeSeries"]["columns"]["requests"])


def test_the_estimate_counts_others_once_per_breakdown(gateway: Gateway) -> None:
    query = (
        "{ stats(window: LAST_24H) { policies { breakdown(by: RULES, limit: 50) {"
        " others { totals { violations } columns { ts violations } } } } } }"
    )
    cost = cost_of(gateway, query)
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 2
    # Others' columns count once, not once per entity of the page.
    assert cost["estimated"]["values"] < 50 * 144


def test_entity_series_out_of_step_with_the_domain_fail_others_alone(
    rewriting: tuple[RewritingTransport, Gateway],
) -> None:
    """An upstream whose entity series miss a bucket the domain's series has: Others cannot be
    subtracted, so it fails with UPSTREAM_ERROR; the page and the domain's series still arrive."""
    transport, gateway = rewriting
    transport.path = resources.domain("ai").breakdown_path("models")

    def drop_first_bucket(body: Any) -> Any:
        for entity in body["entities"]:
            entity["series"] = entity["series"][1:]
        return body

    transport.rewrite = drop_first_bucket
    try:
        result = gateway.query(
            "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } breakdown(by: MODELS, limit: 2) {"
            " entities { entityId } others { columns { requests } } } } } }"
        )
    finally:
        transport.path = None
    ai = result.data["stats"]["ai"]
    assert ai["timeSeries"]["summary"]["total"] > 0
    assert len(ai["breakdown"]["entities"]) == 2
    assert ai["breakdown"]["others"] is None
    assert result.codes() == {"stats.ai.breakdown.others": "UPSTREAM_ERROR"}


@pytest.mark.parametrize(
    ("path", "by", "column"),
    ORACLE_DIMENSIONS,
    ids=[f"{p.split('/')[-1]}-{b}" for p, b, _ in ORACLE_DIMENSIONS],
)
def test_others_totals_are_the_raw_facts_of_every_entity_not_on_the_page(
    gateway: Gateway, facts: sqlite3.Connection, org_key: int, path: str, by: str, column: str
) -> None:
    """Summed here with SQL from the raw rows whose entity is not on the page (or that have none)."""
    dimension = next(
        d for d in dimensions.DIMENSIONS if resources.domain(d.domain).path == path and d.by == by
    )
    table, metrics = METRICS[path]
    if path.endswith("policies"):
        metrics = {m: metrics[m] for m in POLICY_ENFORCEMENT}
    counted = [m for m in metrics if m not in NON_ADDITIVE]
    query = (
        f"{{ stats(window: LAST_7D) {{ {FIELD[dimension.domain]} {{ {_call(dimension, f'limit: {LIMIT}')} {{"
        f" meta {{ start end }} entities {{ entityId }} others {{ totals {{ {' '.join(counted)} }} }} }} }} }} }}"
    )
    result = gateway.query(query)
    assert not result.errors, result.errors
    page = result.data["stats"][FIELD[dimension.domain]][_field(dimension).split("(")[0]]
    keys = {entity_id: key for key, entity_id in facts.execute("SELECT key, id FROM entities")}
    shown = [keys[e["entityId"]] for e in page["entities"]]
    row = facts.execute(
        f"SELECT {', '.join(metrics[m] for m in counted)} FROM {table} WHERE grain = ? AND org_id = ?"
        f" AND ts >= ? AND ts < ? AND ({column} IS NULL OR {column} NOT IN ({', '.join('?' * len(shown))}))",
        (FINE, org_key, page["meta"]["start"], page["meta"]["end"], *shown),
    ).fetchone()
    assert page["others"]["totals"] == {m: value or 0 for m, value in zip(counted, row, strict=True)}
