"""Row form and chart form return the same numbers; the gateway's summaries match the upstream's."""

from __future__ import annotations

import re

import pytest

from resolvers import resources
from tests.conftest import Api
from tests.gateway import Gateway

SERIES = [
    ("storage", "timeSeries", resources.STORAGE.metrics),
    ("ai", "timeSeries", resources.AI.metrics),
    ("privateChat", "timeSeries", resources.PRIVATE_CHAT.metrics),
    ("policies", "timeSeries", resources.POLICIES.metrics),
    ("policies", "tokens", resources.POLICY_TOKENS.metrics),
    ("credits", "timeSeries", resources.CREDITS.metrics),
]
BREAKDOWNS = [
    ("storage", "breakdown(by: NODES)", resources.STORAGE.metrics),
    ("storage", "providers", resources.STORAGE.metrics),
    ("ai", "breakdown(by: MODELS)", resources.AI.metrics),
    ("privateChat", "users", resources.PRIVATE_CHAT.metrics),
    ("policies", "breakdown(by: RULES)", resources.POLICY_ENFORCEMENT_METRICS),
    ("credits", "breakdown(by: WORKSPACES)", resources.CREDITS.metrics),
]


def enum_name(metric: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", metric).upper()


def rows_to_columns(rows: list[dict[str, object]]) -> dict[str, list[object]]:
    return {key: [row[key] for row in rows] for key in rows[0]}


@pytest.mark.parametrize(("domain", "field", "metrics"), SERIES)
def test_time_series_rows_and_columns_agree(
    gateway: Gateway, domain: str, field: str, metrics: tuple[resources.Metric, ...]
) -> None:
    selection = " ".join(["ts", *(m.name for m in metrics)])
    data = gateway.ok(
        f"{{ stats(window: LAST_7D) {{ {domain} {{ {field} {{ series {{ {selection} }} columns {{ {selection} }} }} }} }} }}"
    )["stats"][domain][field]
    assert len(data["series"]) == 168
    assert rows_to_columns(data["series"]) == data["columns"]


@pytest.mark.parametrize(("domain", "field", "metrics"), BREAKDOWNS)
def test_entity_rows_and_columns_agree(
    gateway: Gateway, domain: str, field: str, metrics: tuple[resources.Metric, ...]
) -> None:
    selection = " ".join(["ts", *(m.name for m in metrics)])
    entities = gateway.ok(
        f"{{ stats(window: LAST_24H) {{ {domain} {{ b: {field} {{ entities {{ series {{ {selection} }}"
        f" columns {{ {selection} }} }} }} }} }} }}"
    )["stats"][domain]["b"]["entities"]
    assert entities
    for entity in entities:
        assert rows_to_columns(entity["series"]) == entity["columns"]


@pytest.mark.parametrize(
    ("domain", "path", "metric"),
    [
        ("storage", "/v2/stats/storage", "REQUESTS"),
        ("ai", "/v2/stats/ai", "REQUESTS"),
        ("policies", "/v2/stats/policies", "VIOLATIONS"),
        ("credits", "/v2/stats/credits", "CREDITS_TOTAL"),
    ],
)
def test_gateway_summary_of_the_upstream_metric_equals_the_upstream_summary(
    gateway: Gateway, api: Api, domain: str, path: str, metric: str
) -> None:
    data = gateway.ok(
        f"{{ stats(window: LAST_30D) {{ {domain} {{ timeSeries {{"
        " upstream: summary { total avg stdDev min max p10 p50 p90 }"
        f" ours: summary(metric: {metric}) {{ total avg stdDev min max p10 p50 p90 }} }} }} }} }}"
    )["stats"][domain]["timeSeries"]
    assert data["ours"] == pytest.approx(data["upstream"])
    assert data["upstream"] == pytest.approx(api.ok(path, scope="org", window="30d")["summary"])


def test_gateway_summary_of_any_metric_matches_its_series(gateway: Gateway) -> None:
    data = gateway.ok(
        "{ stats(window: LAST_24H) { ai { timeSeries { summary(metric: TOKENS_OUT) { total min max avg }"
        " columns { tokensOut } } breakdown(by: MODELS, limit: 2) { entities {"
        " latencySummary { max avg } totals { tokensIn } columns { latencyMs tokensIn } } } } } }"
    )["stats"]["ai"]
    column = data["timeSeries"]["columns"]["tokensOut"]
    summary = data["timeSeries"]["summary"]
    assert (summary["total"], summary["min"], summary["max"]) == (sum(column), min(column), max(column))
    assert summary["avg"] == pytest.approx(sum(column) / len(column))
    for entity in data["breakdown"]["entities"]:
        assert entity["latencySummary"]["max"] == max(entity["columns"]["latencyMs"])
        assert entity["latencySummary"]["avg"] == pytest.approx(
            sum(entity["columns"]["latencyMs"]) / len(entity["columns"]["latencyMs"])
        )
        assert entity["totals"]["tokensIn"] == sum(entity["columns"]["tokensIn"])


def test_counts_are_integers_in_every_summary_and_root_errors_stay_in_their_root(gateway: Gateway) -> None:
    """A count's sum and extremes come as JSON integers (not 1359.0), from the upstream's summary
    and the gateway's; a root with an argument it cannot answer is null on its own."""
    result = gateway.query(
        "{ ok: stats(window: LAST_7D) { storage { timeSeries { summary { total min max } } }"
        " ai { timeSeries { summary(metric: TOKENS_IN) { total min max } } breakdown(by: REPOS, limit: 2) {"
        " entities { summary(metric: REQUESTS) { total min max } } } } credits { timeSeries { summary { total } } } }"
        " bad: stats(window: LAST_7D, scope: REPO) { ai { timeSeries { summary { total } } } } }"
    )
    assert result.codes() == {"bad": "BAD_USER_INPUT"}
    assert result.data["bad"] is None and result.data["ok"] is not None
    ok = result.data["ok"]
    summaries = [
        ok["storage"]["timeSeries"]["summary"],
        ok["ai"]["timeSeries"]["summary"],
        ok["credits"]["timeSeries"]["summary"],
        *(e["summary"] for e in ok["ai"]["breakdown"]["entities"]),
    ]
    for summary in summaries:
        assert all(isinstance(value, int) for value in summary.values()), summary
    assert '"total":' in result.text and ".0," not in result.text.split('"bad"')[0]


def test_metric_enums_name_every_metric(gateway: Gateway) -> None:
    names = gateway.ok('{ __type(name: "PolicyMetric") { enumValues { name } } }')["__type"]["enumValues"]
    assert [v["name"] for v in names] == [enum_name(m.name) for m in resources.POLICIES.metrics]
