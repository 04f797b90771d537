"""Numbers agree everywhere: series and totals, breakdowns and time series, grains, legacy and V2."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from local_backend import domains
from tests.conftest import TIME_SERIES_PATHS, Api

DIMENSIONS = (
    [("/v2/stats/storage", domains.STORAGE, by) for by in domains.STORAGE.dimensions]
    + [("/v2/stats/ai", domains.AI, by) for by in domains.AI.dimensions]
    + [("/v2/stats/private-chat", domains.PRIVATE_CHAT, by) for by in domains.PRIVATE_CHAT.dimensions]
    + [("/v2/stats/policies", domains.POLICIES, by) for by in domains.POLICIES.dimensions]
)
# Credits: each dimension covers the credits that can be attributed to it (docs/backend.md).
CREDIT_DIMENSIONS = {
    "workspaces": ("creditsAi", "creditsStorage", "creditsTotal"),
    "repos": ("creditsAi", "creditsStorage", "creditsTotal"),
    "providers": ("creditsAi", "creditsStorage", "creditsTotal"),
    "models": ("creditsAi",),
    "buckets": ("creditsStorage",),
}


def _additive(domain: domains.Domain) -> list[str]:
    return [m.name for m in domain.totals_metrics() if m.additive]


def _series_sums(series: list[dict[str, Any]], names: list[str]) -> dict[str, int]:
    return {name: sum(point[name] for point in series) for name in names}


def _selections(org: Any) -> list[dict[str, str]]:
    workspace = org.workspaces[1].id
    repo = next(r for r in org.repos if r.ai_level > 0 and r.storage_level > 0).id
    return [
        {"scope": "org", "window": "30d"},
        {"scope": "workspace", "id": workspace, "window": "7d"},
        {"scope": "repo", "id": repo, "window": "90d", "timeBucketSize": "6h"},
    ]


@pytest.mark.parametrize(
    ("base", "domain", "by"), DIMENSIONS, ids=[f"{d.name}-{b}" for _, d, b in DIMENSIONS]
)
def test_breakdown_totals_add_up_to_the_time_series(
    api: Api, org: Any, base: str, domain: domains.Domain, by: str
) -> None:
    names = _additive(domain)
    for params in _selections(org):
        series = api.ok(base, **params)["series"]
        breakdown = api.ok(f"{base}/breakdown/{by}", limit=500, **params)
        assert breakdown["meta"]["totalEntities"] == len(breakdown["entities"])
        expected = _series_sums(series, names)
        got = {name: sum(e["totals"][name] for e in breakdown["entities"]) for name in names}
        assert got == expected, params


@pytest.mark.parametrize("by", sorted(CREDIT_DIMENSIONS))
def test_credit_breakdowns_add_up_for_the_credits_they_attribute(api: Api, org: Any, by: str) -> None:
    for params in _selections(org):
        series = api.ok("/v2/stats/credits", **params)["series"]
        entities = api.ok(f"/v2/stats/credits/breakdown/{by}", limit=500, **params)["entities"]
        for name in CREDIT_DIMENSIONS[by]:
            assert sum(e["totals"][name] for e in entities) == sum(p[name] for p in series), (
                by,
                name,
                params,
            )


@pytest.mark.parametrize("path", TIME_SERIES_PATHS)
def test_summary_total_is_the_sum_of_the_series(api: Api, path: str) -> None:
    metric: Callable[[dict[str, Any]], int] = {
        "/v2/stats/policies": lambda p: p["violations"],
        "/v2/stats/policies/tokens": lambda p: p["policyTokensIn"] + p["policyTokensOut"],
        "/v2/stats/credits": lambda p: p["creditsTotal"],
    }.get(path, lambda p: p["requests"])
    for window in ("24h", "30d", "365d"):
        body = api.ok(path, scope="org", window=window)
        assert body["summary"]["total"] == sum(metric(p) for p in body["series"])


def test_entity_series_add_up_to_entity_totals(api: Api) -> None:
    body = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="7d", includeSeries="true", limit=50)
    for entity in body["entities"]:
        for name in _additive(domains.AI):
            assert sum(p[name] for p in entity["series"]) == entity["totals"][name]


def test_credits_total_is_ai_plus_storage(api: Api) -> None:
    for point in api.ok("/v2/stats/credits", scope="org", window="90d")["series"]:
        assert point["creditsTotal"] == point["creditsAi"] + point["creditsStorage"]


def test_policy_token_overhead_is_the_same_seen_from_ai_and_policies(api: Api, org: Any) -> None:
    for params in (
        {"scope": "org", "window": "24h"},
        {"scope": "workspace", "id": org.workspaces[0].id, "window": "7d"},
    ):
        ai = api.ok("/v2/stats/ai", **params)["series"]
        tokens = api.ok("/v2/stats/policies/tokens", **params)["series"]
        policies = api.ok("/v2/stats/policies", **params)["series"]
        for a, t, p in zip(ai, tokens, policies, strict=True):
            assert a["policyTokensIn"] == t["policyTokensIn"] == p["policyTokensIn"]
            assert a["policyTokensOut"] == t["policyTokensOut"] == p["policyTokensOut"]


@pytest.mark.parametrize(
    ("fine", "coarse", "window"), [("5m", "1h", "24h"), ("1h", "1d", "30d"), ("6h", "1d", "90d")]
)
def test_grains_agree_bucket_by_bucket(api: Api, fine: str, coarse: str, window: str) -> None:
    step = {"1h": 3600, "1d": 86400}[coarse]
    small = api.ok("/v2/stats/storage", scope="org", window=window, timeBucketSize=fine)["series"]
    large = api.ok("/v2/stats/storage", scope="org", window=window, timeBucketSize=coarse)["series"]
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for point in small:
        grouped[point["ts"] - point["ts"] % step].append(point)
    compared = 0
    for point in large:
        parts = grouped.get(point["ts"], [])
        if len(parts) == step // (
            small[1]["ts"] - small[0]["ts"]
        ):  # the coarse bucket is wholly in both windows
            for name in ("uplBytes", "dwlBytes", "sizeChange", "requests"):
                assert sum(p[name] for p in parts) == point[name]
            compared += 1
    assert compared >= 20


def test_legacy_storage_days_add_up_to_v2(api: Api) -> None:
    v2 = api.ok("/v2/stats/storage", scope="org", window="30d")["series"]
    rows = api.ok("/stats/daily", startDate="2026-10-22", endDate="2026-11-20")["data"]
    per_day: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        for wire, name in (
            ("upl_bytes", "uplBytes"),
            ("dwl_bytes", "dwlBytes"),
            ("size_change", "sizeChange"),
        ):
            per_day[row["timestamp"]][name] += int(row[wire])
    assert [p["ts"] for p in v2] == sorted(per_day)
    for point in v2:
        assert per_day[point["ts"]] == {k: point[k] for k in ("uplBytes", "dwlBytes", "sizeChange")}


def test_legacy_ai_days_add_up_to_v2(api: Api) -> None:
    v2 = api.ok("/v2/stats/ai", scope="org", window="7d", timeBucketSize="1d")["series"]
    policies = api.ok("/v2/stats/policies", scope="org", window="7d", timeBucketSize="1d")["series"]
    rows = api.ok("/aistats/daily", startDate="2026-11-14T00:00:00.000Z", endDate="2026-11-20T23:59:59.999Z")[
        "data"
    ]
    for point, policy in zip(v2, policies, strict=True):
        day = [r for r in rows if r["timestamp"] == point["ts"]]
        assert sum(int(r["tokensIn"]) for r in day) == point["tokensIn"]
        assert sum(int(r["llmTokensOut"]) for r in day) == point["policyTokensOut"]
        assert sum(r["apiCalls"] for r in day) == point["requests"]
        assert sum(r["policyViolations"] for r in day) == policy["violations"]
        assert sum(r["numBlocks"] for r in day) == policy["blocks"]
        assert len({r["conversationUuid"] for r in day}) == point["activeConversations"]
        weighted = sum(r["latency_ms"] * r["apiCalls"] for r in day) / point["requests"]
        assert weighted == pytest.approx(point["latencyMs"], abs=0.01)


def test_active_conversations_are_distinct_not_summed(api: Api) -> None:
    hourly = api.ok("/v2/stats/ai", scope="org", window="24h", timeBucketSize="1h")["series"]
    daily = api.ok("/v2/stats/ai", scope="org", window="24h", timeBucketSize="1d")["series"]
    assert sum(p["activeConversations"] for p in hourly) > daily[0]["activeConversations"] > 0


def test_monthly_credits_agree_with_v2_and_balance(api: Api) -> None:
    monthly = api.ok("/credits/stats/monthly", months=1)
    current = monthly["data"][0]
    v2 = api.ok("/v2/stats/credits", scope="org", window="30d")["series"]
    november = [p for p in v2 if p["ts"] >= 1793491200]  # 2026-11-01
    assert current["consumption"] == sum(p["creditsTotal"] for p in november)
    assert current["grants"] == sum(p["creditsGranted"] for p in november)
    assert current["purchases"] == sum(p["creditsPurchased"] for p in november)
    assert current["balance"] == current["grants"] + current["purchases"] - current["consumption"]
    assert monthly["totals"]["balance"] == sum(m["balance"] for m in monthly["data"])


def test_ai_llm_totals_match_the_ai_configs_breakdown_over_retention(api: Api) -> None:
    stats = {s["aiLlmId"]: s for s in api.ok("/ai/llm/stats")["stats"]}
    year = {
        e["entityId"]: e
        for e in api.ok("/v2/stats/ai/breakdown/aiConfigs", scope="org", window="365d", limit=500)["entities"]
    }
    for config_id, entity in year.items():
        assert int(stats[config_id]["totalTokensIn"]) >= entity["totals"]["tokensIn"]
