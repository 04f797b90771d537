"""The backend's routing as a whole matrix: every dimension of every domain, under no filter, each
filter alone and every two together, at every grain a span can be read at (5-minute facts, hourly
facts, daily facts, and the daily roll-ups that serve unfiltered day breakdowns), recomputed from
the raw facts with SQL written here.

The combinations come from the backend's own tables (``local_backend.domains``): a new dimension,
filter or domain is in the matrix without a new test. What the oracle needs of each (the raw
column a dimension groups by or a filter compares, each metric's aggregate) is written here, apart
from the backend's tables, and a test fails when one of those is missing. The secondary rules are
checked on every breakdown of the matrix: the order (the summary metric descending, then
``entityId``) and which filter ``meta.resourceFilter`` echoes when there are two.
"""

from __future__ import annotations

import itertools
import sqlite3
from typing import Any

import pytest

from local_backend.domains import DOMAINS, FILTERS, Domain
from local_backend.settings import BackendSettings
from tests.conftest import Api, per_module
from tests.test_backend_oracle import METRICS, POLICY_ENFORCEMENT

FINE, HOUR = 300, 3_600
# The raw column each breakdown dimension groups by, and each filter compares (the contract's
# meaning, written apart from the backend's tables).
GROUP_COLUMNS = {
    ("storage", "workspaces"): "workspace_id",
    ("storage", "repos"): "repo_id",
    ("storage", "buckets"): "bucket_id",
    ("storage", "nodes"): "node_id",
    ("storage", "providers"): "provider_id",
    ("ai", "workspaces"): "workspace_id",
    ("ai", "repos"): "repo_id",
    ("ai", "models"): "model",
    ("ai", "providers"): "llm_type",
    ("ai", "nodes"): "node_id",
    ("ai", "aiConfigs"): "ai_config_id",
    ("private-chat", "models"): "model",
    ("private-chat", "users"): "user_id",
    ("policies", "rules"): "rule_id",
    ("policies", "users"): "user_id",
    ("credits", "workspaces"): "workspace_id",
    ("credits", "repos"): "repo_id",
    ("credits", "models"): "model",
    ("credits", "providers"): "provider",
    ("credits", "buckets"): "bucket_id",
}
FILTER_COLUMNS = {
    "apiKeyId": "api_key_id",
    "bucketId": "bucket_id",
    "model": "model",
    "userId": "user_id",
    "ruleId": "rule_id",
    "aiLlmId": "ai_config_id",
}
# docs/backend.md: with several filters, meta.resourceFilter echoes the first in this order.
ECHO_ORDER = ("apiKeyId", "bucketId", "model", "userId", "ruleId", "aiLlmId")
# Credits are read from their own fact table (test_backend_oracle.py derives that from usage).
CREDIT_METRICS = {
    "creditsAi": "SUM(credits_ai)",
    "creditsStorage": "SUM(credits_storage)",
    "creditsTotal": "SUM(credits_ai + credits_storage)",
}
SUMMARY = {
    "storage": "requests",
    "ai": "requests",
    "private-chat": "requests",
    "policies": "violations",
    "credits": "creditsTotal",
}
# (window, bucket size): read from 5-minute facts, hourly facts, daily facts (or a roll-up).
SPANS = [("24h", "5m"), ("7d", "1h"), ("30d", "1d")]


def _metrics(domain: Domain) -> tuple[str, dict[str, str]]:
    if domain.name == "credits":
        return "credit_facts", CREDIT_METRICS
    table, metrics = METRICS[domain.path]
    if domain.name == "policies":
        return table, {m: metrics[m] for m in POLICY_ENFORCEMENT}
    return table, metrics


def _cases() -> list[tuple[str, str, tuple[str, ...], tuple[str, str]]]:
    """(domain, dimension, filters, span) for every breakdown the backend can route."""
    cases = []
    for domain in DOMAINS:
        filter_sets = [(), *((f,) for f in domain.filters), *itertools.combinations(domain.filters, 2)]
        for by in domain.dimensions:
            for filters in filter_sets:
                for span in SPANS:
                    cases.append((domain.name, by, filters, span))
    return cases


CASES = _cases()


def test_the_oracle_knows_every_dimension_and_filter_the_backend_routes() -> None:
    assert {(d.name, by) for d in DOMAINS for by in d.dimensions} == set(GROUP_COLUMNS)
    assert set(FILTERS) == set(FILTER_COLUMNS) == set(ECHO_ORDER)
    assert {d.name for d in DOMAINS if d.dimensions} == set(SUMMARY)


@pytest.fixture(scope=per_module)
def keys(facts: sqlite3.Connection) -> dict[str, Any]:
    ids = dict(facts.execute("SELECT key, id FROM entities"))
    return {"ids": ids, "keys": {v: k for k, v in ids.items()}}


def _raw_grain(start: int, now: int) -> int:
    """The finest facts holding the whole span: 5-minute rows are kept for 8 days."""
    return FINE if start >= (now // 86_400 - 8) * 86_400 else HOUR


def _filter_values(
    facts: sqlite3.Connection, table: str, filters: tuple[str, ...], where: str, params: tuple[Any, ...]
) -> tuple[Any, ...] | None:
    """The commonest combination of values of these filters' columns in the span: the filtered
    answer then holds data (None when no row has them all)."""
    columns = [FILTER_COLUMNS[f] for f in filters]
    present = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    row = facts.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {where} AND {present}"
        f" GROUP BY {', '.join(columns)} ORDER BY COUNT(*) DESC, {', '.join(columns)} LIMIT 1",
        params,
    ).fetchone()
    return None if row is None else tuple(row)


def _wire(value: Any, ids: dict[int, str]) -> str:
    return ids.get(value, str(value)) if isinstance(value, int) else str(value)


@pytest.mark.parametrize(
    ("domain_name", "by", "filters", "span"),
    CASES,
    ids=[f"{d}-{b}-{'+'.join(f) or 'unfiltered'}-{s[0]}/{s[1]}" for d, b, f, s in CASES],
)
def test_every_routed_breakdown_is_the_aggregate_of_the_raw_facts(
    api: Api,
    facts: sqlite3.Connection,
    keys: dict[str, Any],
    org: Any,
    settings: BackendSettings,
    domain_name: str,
    by: str,
    filters: tuple[str, ...],
    span: tuple[str, str],
) -> None:
    domain = next(d for d in DOMAINS if d.name == domain_name)
    table, metrics = _metrics(domain)
    ids = keys["ids"]
    window, size = span
    probe = api.ok(f"{domain.path}/breakdown/{by}", scope="org", window=window, timeBucketSize=size, limit=1)
    start, end = probe["meta"]["start"], probe["meta"]["end"]
    grain = _raw_grain(start, settings.now())
    where = "grain = ? AND org_id = ? AND ts >= ? AND ts < ?"
    params: tuple[Any, ...] = (grain, keys["keys"][org.id], start, end)
    values = _filter_values(facts, table, filters, where, params) if filters else ()
    if values is None:
        pytest.skip("no fact carries these filters together in this span")
    for name, value in zip(filters, values, strict=True):
        where += f" AND {FILTER_COLUMNS[name]} = ?"
        params += (value,)
    query = {name: _wire(value, ids) for name, value in zip(filters, values, strict=True)}
    body = api.ok(
        f"{domain.path}/breakdown/{by}", scope="org", window=window, timeBucketSize=size, limit=500, **query
    )

    group = GROUP_COLUMNS[(domain.name, by)]
    names = list(metrics)
    rows = facts.execute(
        f"SELECT {group}, {', '.join(metrics[n] for n in names)} FROM {table} WHERE {where}"
        f" AND {group} IS NOT NULL GROUP BY 1",
        params,
    ).fetchall()
    expected = {_wire(row[0], ids): dict(zip(names, row[1:], strict=True)) for row in rows}
    assert body["meta"]["totalEntities"] == len(expected)
    assert {e["entityId"] for e in body["entities"]} == set(expected)
    for entity in body["entities"]:
        raw = expected[entity["entityId"]]
        for name in names:
            if name == "latencyMs":
                assert entity["totals"][name] == pytest.approx(raw[name], abs=1e-3), (
                    entity["entityId"],
                    name,
                )
            else:
                assert entity["totals"][name] == raw[name], (entity["entityId"], name)

    # Secondary rules: the order, and which of two filters is echoed.
    summary = SUMMARY[domain.name]
    ordered = sorted(body["entities"], key=lambda e: (-e["totals"][summary], e["entityId"]))
    assert [e["entityId"] for e in body["entities"]] == [e["entityId"] for e in ordered]
    if filters:
        echoed = min(filters, key=ECHO_ORDER.index)
        assert body["meta"]["resourceFilter"] == {"type": FILTERS[echoed].filter_type, "id": query[echoed]}
    else:
        assert body["meta"].get("resourceFilter") is None


@pytest.mark.parametrize("domain_name", [d.name for d in DOMAINS])
def test_a_filter_a_domain_does_not_take_is_refused_by_name(api: Api, domain_name: str) -> None:
    domain = next(d for d in DOMAINS if d.name == domain_name)
    for name in sorted(set(FILTERS) - set(domain.filters)):
        refused = api.get(domain.path, scope="org", window="24h", **{name: "anything"})
        assert refused.status_code == 400, (domain.path, name)
        assert refused.json()["error_code"] == "FILTER_NOT_APPLICABLE"
        assert name in refused.json()["message"]


@pytest.mark.parametrize(("window", "size"), SPANS)
def test_pages_of_a_breakdown_are_the_whole_list_cut_in_order(api: Api, window: str, size: str) -> None:
    """The tie-break makes the order total: pages of 7 at every offset give the list of 500."""
    whole = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window=window, timeBucketSize=size, limit=500)
    ids = [e["entityId"] for e in whole["entities"]]
    paged: list[str] = []
    for offset in range(0, len(ids), 7):
        page = api.ok(
            "/v2/stats/ai/breakdown/repos",
            scope="org",
            window=window,
            timeBucketSize=size,
            limit=7,
            offset=offset,
        )
        paged += [e["entityId"] for e in page["entities"]]
    assert paged == ids and len(ids) > 7
