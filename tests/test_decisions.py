"""Each answer the backend gives to the contract's open questions (docs/backend.md, decision table)."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from tests.conftest import NOW, Api

DEFAULT_BUCKETS = {"24h": "10m", "7d": "1h", "30d": "1d", "90d": "1d", "180d": "1d", "365d": "1d"}
SECONDS = {"5m": 300, "10m": 600, "1h": 3600, "6h": 21600, "12h": 43200, "1d": 86400}
WINDOWS = {"24h": 86400, "7d": 604800, "30d": 2592000, "90d": 7776000, "180d": 15552000, "365d": 31536000}


@pytest.mark.parametrize(("window", "bucket"), sorted(DEFAULT_BUCKETS.items()))
def test_default_bucket_size_per_window(api: Api, window: str, bucket: str) -> None:
    meta = api.ok("/v2/stats/ai", scope="org", window=window)["meta"]
    assert meta["timeBucketSize"] == bucket


@pytest.mark.parametrize("bucket", sorted(SECONDS))
def test_window_ends_with_the_bucket_holding_now_and_every_bucket_is_present(api: Api, bucket: str) -> None:
    window = "7d" if bucket in ("5m", "10m") else "30d" if bucket == "1h" else "90d"
    body = api.ok("/v2/stats/storage", scope="org", window=window, timeBucketSize=bucket)
    size = SECONDS[bucket]
    meta, series = body["meta"], body["series"]
    assert meta["end"] - size <= NOW < meta["end"]
    assert meta["end"] % size == 0
    assert meta["end"] - meta["start"] == WINDOWS[window]
    assert [p["ts"] for p in series] == list(range(meta["start"], meta["end"], size))


def test_buckets_with_no_traffic_are_zero_filled(api: Api, org: Any) -> None:
    idle = next(r for r in org.repos if r.ai_level == 0)
    series = api.ok("/v2/stats/ai", scope="repo", id=idle.id, window="7d")["series"]
    assert len(series) == 168
    assert all(p["requests"] == 0 and p["latencyMs"] == 0.0 for p in series)


def test_explicit_bucket_size_is_honoured_and_too_fine_ones_are_refused(api: Api) -> None:
    assert len(api.ok("/v2/stats/ai", scope="org", window="24h", timeBucketSize="5m")["series"]) == 288
    response = api.get("/v2/stats/ai", scope="org", window="30d", timeBucketSize="10m")
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "BUCKET_SIZE_NOT_ALLOWED"
    assert "1h, 6h, 12h, 1d" in body["message"]


@pytest.mark.parametrize(
    ("path", "metric"),
    [
        ("/v2/stats/storage", lambda p: p["requests"]),
        ("/v2/stats/ai", lambda p: p["requests"]),
        ("/v2/stats/private-chat", lambda p: p["requests"]),
        ("/v2/stats/policies", lambda p: p["violations"]),
        ("/v2/stats/policies/tokens", lambda p: p["policyTokensIn"] + p["policyTokensOut"]),
        ("/v2/stats/credits", lambda p: p["creditsTotal"]),
    ],
)
def test_summary_method_population_std_dev_and_linear_percentiles(api: Api, path: str, metric: Any) -> None:
    body = api.ok(path, scope="org", window="7d")
    values = [metric(p) for p in body["series"]]
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    summary = body["summary"]
    assert summary["total"] == sum(values)
    assert summary["avg"] == pytest.approx(statistics.fmean(values), rel=1e-6)
    assert summary["stdDev"] == pytest.approx(statistics.pstdev(values), rel=1e-6)
    assert (summary["min"], summary["max"]) == (min(values), max(values))
    assert summary["p10"] == pytest.approx(deciles[0], rel=1e-6)
    assert summary["p50"] == pytest.approx(deciles[4], rel=1e-6)
    assert summary["p90"] == pytest.approx(deciles[8], rel=1e-6)


def test_breakdown_limit_defaults_to_50_pages_with_offset_and_orders_by_primary_metric(api: Api) -> None:
    first = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="30d")
    assert first["meta"]["limit"] == 50 and first["meta"]["offset"] == 0
    assert len(first["entities"]) == min(50, first["meta"]["totalEntities"])
    assert first["summary"]["total"] == first["meta"]["totalEntities"]
    requests = [e["totals"]["requests"] for e in first["entities"]]
    assert requests == sorted(requests, reverse=True)
    second = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="30d", limit=10, offset=10)
    assert [e["entityId"] for e in second["entities"]] == [e["entityId"] for e in first["entities"][10:20]]


@pytest.mark.parametrize(("limit", "offset"), [("0", None), ("501", None), ("ten", None), (None, "-1")])
def test_breakdown_limit_and_offset_bounds(api: Api, limit: str | None, offset: str | None) -> None:
    response = api.get("/v2/stats/ai/breakdown/repos", scope="org", window="7d", limit=limit, offset=offset)
    assert response.status_code == 400
    assert ("limit" if limit else "offset") in response.json()["message"]


def test_breakdown_scope_defaults_to_org_and_time_series_scope_is_required(api: Api) -> None:
    assert api.ok("/v2/stats/ai/breakdown/models", window="7d")["meta"]["scope"] == "org"
    response = api.get("/v2/stats/ai", window="7d")
    assert response.status_code == 400 and response.json()["error_code"] == "MISSING_PARAMETER"


def test_breakdown_meta_echoes_window_and_bucket_size(api: Api) -> None:
    meta = api.ok("/v2/stats/ai/breakdown/models", scope="org", window="24h", includeSeries="true")["meta"]
    assert (meta["window"], meta["timeBucketSize"]) == ("24h", "10m")


def test_filter_that_does_not_apply_to_a_domain_is_refused(api: Api, org: Any) -> None:
    response = api.get("/v2/stats/ai", scope="org", window="7d", bucketId=org.buckets[0].id)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "FILTER_NOT_APPLICABLE"
    assert "model, apiKeyId, aiLlmId" in body["message"]
    assert (
        api.get(
            "/v2/stats/policies/tokens", scope="org", window="7d", apiKeyId=org.repos[0].api_key_ids[0]
        ).status_code
        == 400
    )


def test_filters_narrow_the_data_and_are_echoed(api: Api, org: Any) -> None:
    everything = api.ok("/v2/stats/private-chat", scope="org", window="30d")["summary"]["total"]
    user = api.ok("/v2/stats/private-chat/breakdown/users", scope="org", window="30d")["entities"][0]
    body = api.ok("/v2/stats/private-chat", scope="org", window="30d", userId=user["entityId"])
    assert body["meta"]["resourceFilter"] == {"type": "user", "id": user["entityId"]}
    assert body["summary"]["total"] == user["totals"]["requests"] < everything


def test_unknown_model_names_list_the_known_ones(api: Api) -> None:
    response = api.get("/v2/stats/ai", scope="org", window="7d", model="gpt-9")
    assert response.status_code == 400
    assert "gpt-4o" in response.json()["message"]


def test_policy_tokens_are_not_attributed_to_single_rules(api: Api) -> None:
    rule = api.ok("/v2/stats/policies/breakdown/rules", scope="org", window="30d")["entities"][0]
    body = api.ok("/v2/stats/policies", scope="org", window="30d", ruleId=rule["entityId"])
    assert body["summary"]["total"] == rule["totals"]["violations"] > 0
    assert sum(p["policyTokensIn"] for p in body["series"]) == 0


def test_org_id_may_be_sent_with_org_scope_but_must_be_the_callers(
    api: Api, org: Any, other_org: Any
) -> None:
    assert api.ok("/v2/stats/ai", scope="org", id=org.id, window="7d")["meta"]["scopeId"] == org.id
    assert api.get("/v2/stats/ai", scope="org", id=other_org.id, window="7d").status_code == 403


def test_workspace_and_repo_scopes_need_an_id(api: Api) -> None:
    for scope in ("workspace", "repo"):
        response = api.get("/v2/stats/storage", scope=scope, window="7d")
        assert response.status_code == 400
        assert "'id'" in response.json()["message"]


def test_credits_are_refused_where_the_credits_system_is_off(api: Api) -> None:
    for path in ("/v2/stats/credits", "/v2/stats/credits/breakdown/repos", "/credits/stats/monthly"):
        response = api.get(path, token="demo-other-org", scope="org", window="7d")
        assert response.status_code == 400
        assert response.json()["error_code"] == "CREDITS_NOT_ENABLED"


def test_unknown_paths_and_methods_answer_json(api: Api) -> None:
    response = api.get("/v2/stats/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error_code"] == "NOT_FOUND"


def test_legacy_daily_defaults_to_30_days_and_refuses_reversed_ranges(api: Api) -> None:
    days = {r["timestamp"] for r in api.ok("/stats/daily")["data"]}
    assert len(days) == 30 and max(days) == NOW - NOW % 86400
    response = api.get("/stats/daily", startDate="2026-11-10", endDate="2026-11-01")
    assert response.status_code == 400 and "startDate" in response.json()["message"]


def test_legacy_filters_or_between_ids_and_with_hosts(api: Api, org: Any) -> None:
    rows = api.ok("/aistats/daily")["data"]
    repo, config = rows[0]["repoId"], rows[-1]["aiLlmId"]
    either = api.ok("/aistats/daily", repoId=repo, aiLlmId=config)["data"]
    assert {(r["repoId"], r["aiLlmId"]) for r in either} == {
        (r["repoId"], r["aiLlmId"]) for r in rows if r["repoId"] == repo or r["aiLlmId"] == config
    }
    host = rows[0]["host"]
    both = api.ok("/aistats/daily", repoId=repo, hosts=host)["data"]
    assert both and all(r["repoId"] == repo and r["host"] == host for r in both)
    upper = api.ok("/aistats/daily", llmType=rows[0]["llmType"].upper())["data"]
    assert upper and all(r["llmType"] == rows[0]["llmType"] for r in upper)


def test_legacy_storage_emits_bucket_under_both_names_and_counts_as_strings(api: Api) -> None:
    row = api.ok("/stats/daily")["data"][0]
    assert row["unitId"] == row["bucketId"]
    assert all(isinstance(row[k], str) for k in ("upl_bytes", "dwl_bytes", "size_change"))


def test_conversation_filter_finds_one_conversation(api: Api) -> None:
    conversation = api.ok("/aistats/daily")["data"][5]["conversationUuid"]
    rows = api.ok("/aistats/daily", conversationUuid=conversation)["data"]
    assert rows and {r["conversationUuid"] for r in rows} == {conversation}
