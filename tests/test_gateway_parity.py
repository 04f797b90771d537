"""Every endpoint's data through GraphQL equals the backend's REST answer for the same parameters."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from resolvers import resources
from tests.conftest import Api
from tests.gateway import Gateway

# (GraphQL domain field, its resource, a breakdown field with its REST `by`)
DOMAINS = [
    ("storage", resources.STORAGE, "breakdown(by: BUCKETS, limit: 7)", "buckets"),
    ("storage", resources.STORAGE, "providers(limit: 7)", "providers"),
    ("ai", resources.AI, "breakdown(by: AI_CONFIGS, limit: 7)", "aiConfigs"),
    ("privateChat", resources.PRIVATE_CHAT, "breakdown(by: MODELS, limit: 7)", "models"),
    ("privateChat", resources.PRIVATE_CHAT, "users(limit: 7)", "users"),
    ("policies", resources.POLICIES, "breakdown(by: USERS, limit: 7)", "users"),
    ("credits", resources.CREDITS, "breakdown(by: PROVIDERS, limit: 7)", "providers"),
]


def rest_columns(series: list[dict[str, Any]], names: list[str]) -> dict[str, list[Any]]:
    return {name: [point[name] for point in series] for name in names}


def names(domain: resources.Domain, entity: bool = False) -> list[str]:
    metrics = domain.entity_metrics if entity else domain.metrics
    return ["ts", *(m.name for m in metrics)]


@pytest.mark.parametrize(
    ("field", "domain"),
    [
        ("storage", resources.STORAGE),
        ("ai", resources.AI),
        ("privateChat", resources.PRIVATE_CHAT),
        ("policies", resources.POLICIES),
        ("credits", resources.CREDITS),
    ],
)
@pytest.mark.parametrize(("window", "rest_window"), [("LAST_24H", "24h"), ("LAST_90D", "90d")])
def test_time_series_equal_the_rest_answer(
    gateway: Gateway, api: Api, field: str, domain: resources.Domain, window: str, rest_window: str
) -> None:
    columns = " ".join(names(domain))
    data = gateway.ok(
        f"{{ stats(window: {window}) {{ {field} {{ timeSeries {{"
        " meta { start end window bucketSize } summary { total avg stdDev min max p10 p50 p90 }"
        f" columns {{ {columns} }} }} }} }} }}"
    )["stats"][field]["timeSeries"]
    rest = api.ok(domain.path, scope="org", window=rest_window)
    assert data["columns"] == rest_columns(rest["series"], names(domain))
    assert data["summary"] == {k: pytest.approx(v) for k, v in rest["summary"].items()}
    assert (data["meta"]["start"], data["meta"]["end"]) == (rest["meta"]["start"], rest["meta"]["end"])


def test_policy_tokens_equal_the_rest_answer(gateway: Gateway, api: Api) -> None:
    data = gateway.ok(
        "{ stats(window: LAST_7D, bucketSize: HOUR_6) { policies { tokens {"
        " summary { total } series { ts policyTokensIn policyTokensOut } } } } }"
    )["stats"]["policies"]["tokens"]
    rest = api.ok("/v2/stats/policies/tokens", scope="org", window="7d", timeBucketSize="6h")
    assert data["series"] == rest["series"]
    assert data["summary"]["total"] == rest["summary"]["total"]


@pytest.mark.parametrize(("field", "domain", "breakdown", "by"), DOMAINS)
def test_breakdowns_equal_the_rest_answer(
    gateway: Gateway, api: Api, field: str, domain: resources.Domain, breakdown: str, by: str
) -> None:
    totals = " ".join(m.name for m in domain.entity_metrics)
    extra_totals = " conversationsCount lastActiveAt" if by == "users" and field == "privateChat" else ""
    extra = " provider protocol endpoint" if by == "providers" and field == "storage" else ""
    data = gateway.ok(
        f"{{ stats(scope: ORG, window: LAST_30D) {{ {field} {{ {breakdown} {{"
        " meta { by totalEntities limit offset includesSeries } total"
        f" entities {{ entityId name{extra} totals {{ {totals}{extra_totals} }}"
        f" columns {{ {' '.join(names(domain, True))} }} }}"
        " } } } }"
    )["stats"][field]
    result = next(iter(data.values()))
    rest = api.ok(domain.breakdown_path(by), scope="org", window="30d", includeSeries="true", limit=7)
    assert result["total"] == rest["meta"]["totalEntities"] == rest["summary"]["total"]
    assert result["meta"]["includesSeries"] is True
    assert len(result["entities"]) == len(rest["entities"]) == min(7, result["total"]) > 0
    for ours, theirs in zip(result["entities"], rest["entities"], strict=True):
        assert (ours["entityId"], ours["name"]) == (theirs["entityId"], theirs["entityName"])
        assert ours["totals"] == theirs["totals"]
        assert ours["columns"] == rest_columns(theirs["series"], names(domain, True))
        for key in ("provider", "protocol", "endpoint") if extra else ():
            assert ours[key] == theirs[key]


def test_workspace_scope_and_filters_reach_upstream(gateway: Gateway, api: Api, org: Any) -> None:
    workspace = org.workspaces[0].id
    model = api.ok("/v2/stats/ai/breakdown/models", scope="workspace", id=workspace, window="7d")["entities"][
        0
    ]["entityId"]
    data = gateway.ok(
        "query($id: ID, $model: String) { stats(scope: WORKSPACE, id: $id, window: LAST_7D) {"
        " ai(model: $model) { timeSeries { meta { scope scopeId resourceFilter { type value } }"
        " columns { ts requests } } } } }",
        {"id": workspace, "model": model},
    )["stats"]["ai"]["timeSeries"]
    rest = api.ok("/v2/stats/ai", scope="workspace", id=workspace, window="7d", model=model)
    assert data["meta"] == {
        "scope": "WORKSPACE",
        "scopeId": workspace,
        "resourceFilter": {"type": "model", "value": model},
    }
    assert data["columns"]["requests"] == [p["requests"] for p in rest["series"]]
    assert sum(data["columns"]["requests"]) > 0


def test_legacy_storage_records_equal_the_rest_answer(gateway: Gateway, api: Api) -> None:
    records = gateway.ok(
        '{ legacy { storage(resolution: DAILY, startDate: "2026-11-10T00:00:00Z", endDate: "2026-11-12T00:00:00Z")'
        " { ts time repoId bucketId host uplBytes dwlBytes sizeChange latencyMs raw } } }"
    )["legacy"]["storage"]
    rest = api.ok("/stats/daily", startDate="2026-11-10T00:00:00.000Z", endDate="2026-11-12T00:00:00.000Z")[
        "data"
    ]
    assert len(records) == len(rest) > 0
    for ours, theirs in zip(records, rest, strict=True):
        assert ours["raw"] == theirs
        assert ours["ts"] == theirs["timestamp"]
        assert ours["time"].startswith(
            datetime.datetime.fromtimestamp(theirs["timestamp"], datetime.UTC).date().isoformat()
        )
        assert ours["uplBytes"] == int(theirs["upl_bytes"]) and ours["sizeChange"] == int(
            theirs["size_change"]
        )
        assert (ours["repoId"], ours["bucketId"], ours["host"]) == (
            theirs["repoId"],
            theirs["bucketId"],
            theirs["host"],
        )
        assert ours["latencyMs"] == theirs["latency_ms"]


def test_legacy_storage_minute_filters_by_lists(gateway: Gateway, api: Api) -> None:
    rest_all = api.ok("/stats/minute")["data"]
    repos = sorted({r["repoId"] for r in rest_all})[:2]
    records = gateway.ok(
        "query($repos: [ID!]) { legacy { storage(resolution: MINUTE, repoIds: $repos) { repoId raw } } }",
        {"repos": repos},
    )["legacy"]["storage"]
    rest = api.ok("/stats/minute", repoId=",".join(repos))["data"]
    assert [r["raw"] for r in records] == rest
    assert {r["repoId"] for r in records} == set(repos)


@pytest.mark.parametrize(("resolution", "path"), [("DAILY", "/aistats/daily"), ("MINUTE", "/aistats/minute")])
def test_legacy_ai_records_equal_the_rest_answer(
    gateway: Gateway, api: Api, resolution: str, path: str
) -> None:
    sample = api.ok(path)["data"]
    model = sample[0]["llmModel"]
    records = gateway.ok(
        f"query($m: [String!]) {{ legacy {{ ai(resolution: {resolution}, where: {{models: $m}}) {{"
        " ts repoId aiLlmId apiKeyId tokensIn tokensOut policyTokensIn policyTokensOut activeConversations"
        " requests violations alerts blocks severityLow severityMedium severityHigh latencyMs provider model"
        " host userId conversationId raw } } }",
        {"m": [model]},
    )["legacy"]["ai"]
    rest = api.ok(path, llmModel=model)["data"]
    assert len(records) == len(rest) > 0
    for ours, theirs in zip(records, rest, strict=True):
        assert ours["raw"] == theirs
        assert ours["tokensIn"] == int(theirs["tokensIn"]) and ours["policyTokensOut"] == int(
            theirs["llmTokensOut"]
        )
        assert ours["requests"] == theirs["apiCalls"] and ours["violations"] == theirs["policyViolations"]
        assert ours["severityHigh"] == theirs["numSeverityHigh"] and ours["latencyMs"] == theirs["latency_ms"]
        assert (ours["provider"], ours["model"], ours["aiLlmId"]) == (
            theirs["llmType"],
            theirs["llmModel"],
            theirs["aiLlmId"],
        )
        assert ours["conversationId"] == (theirs["conversationUuid"] or None)


def test_legacy_ai_config_totals_equal_the_rest_answer(gateway: Gateway, api: Api) -> None:
    totals = gateway.ok(
        "{ legacy { aiConfigTotals { aiLlmId requests tokensIn tokensOut policyTokensIn policyTokensOut"
        " violations alerts blocks raw } } }"
    )["legacy"]["aiConfigTotals"]
    rest = api.ok("/ai/llm/stats")["stats"]
    assert [t["raw"] for t in totals] == rest
    for ours, theirs in zip(totals, rest, strict=True):
        assert ours["tokensIn"] == int(theirs["totalTokensIn"]) and ours["blocks"] == int(
            theirs["totalBlocks"]
        )
        assert ours["requests"] == int(theirs["totalApiCalls"])


def test_legacy_credit_histogram_equals_the_rest_answer(gateway: Gateway, api: Api) -> None:
    data = gateway.ok(
        "{ legacy { creditsMonthly(months: 6) { months { month consumption purchases grants balance }"
        " totals { month consumption purchases grants balance } } } }"
    )["legacy"]["creditsMonthly"]
    rest = api.ok("/credits/stats/monthly", months=6)
    assert len(data["months"]) == len(rest["data"]) == 6
    for ours, theirs in zip(data["months"], rest["data"], strict=True):
        assert ours["month"].startswith(theirs["month"][:10])
        assert {k: ours[k] for k in ("consumption", "purchases", "grants", "balance")} == {
            k: theirs[k] for k in ("consumption", "purchases", "grants", "balance")
        }
    assert data["totals"]["month"] is None
    assert data["totals"]["consumption"] == rest["totals"]["consumption"]
