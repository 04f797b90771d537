"""Every endpoint of the contract answers the demo token with data."""

from __future__ import annotations

import pytest

from tests.conftest import TIME_SERIES_PATHS, Api

V2 = TIME_SERIES_PATHS
BREAKDOWNS = [
    "/v2/stats/storage/breakdown/repos",
    "/v2/stats/storage/breakdown/providers",
    "/v2/stats/ai/breakdown/models",
    "/v2/stats/private-chat/breakdown/models",
    "/v2/stats/private-chat/breakdown/users",
    "/v2/stats/policies/breakdown/rules",
    "/v2/stats/credits/breakdown/workspaces",
]


@pytest.mark.parametrize("path", V2)
def test_time_series_has_a_point_per_bucket_and_traffic(api: Api, path: str) -> None:
    body = api.ok(path, scope="org", window="7d")
    assert body["success"] is True
    assert body["meta"]["timeBucketSize"] == "1h"
    assert len(body["series"]) == 7 * 24
    assert body["summary"]["total"] > 0


@pytest.mark.parametrize("path", BREAKDOWNS)
def test_breakdown_lists_named_entities_with_series(api: Api, path: str) -> None:
    body = api.ok(path, scope="org", window="30d", includeSeries="true", limit=3)
    assert body["meta"]["includesSeries"] is True
    assert 1 <= len(body["entities"]) <= 3
    for entity in body["entities"]:
        assert entity["entityId"] and entity["entityName"]
        assert len(entity["series"]) == 30


def test_storage_providers_carry_protocol_and_endpoint(api: Api) -> None:
    entity = api.ok("/v2/stats/storage/breakdown/providers", scope="org", window="30d")["entities"][0]
    assert entity["protocol"] in {"S3", "GCS", "BLOB"}
    assert entity["endpoint"].startswith("https://")
    assert entity["provider"]


def test_private_chat_users_carry_conversations_and_last_activity(api: Api) -> None:
    entity = api.ok("/v2/stats/private-chat/breakdown/users", scope="org", window="7d")["entities"][0]
    assert entity["totals"]["conversationsCount"] >= 1
    assert entity["totals"]["lastActiveAt"] > 0


@pytest.mark.parametrize("path", ["/stats/daily?", "/stats/minute?", "/aistats/daily?", "/aistats/minute?"])
def test_legacy_endpoints_accept_the_clients_empty_query(api: Api, path: str) -> None:
    body = api.ok(path)
    assert body["success"] is True
    assert body["data"], "the default range has traffic"


def test_legacy_ai_counters_are_strings(api: Api) -> None:
    row = api.ok("/aistats/daily")["data"][0]
    for name in ("tokensIn", "tokensOut", "llmTokensIn", "llmTokensOut"):
        assert isinstance(row[name], str) and row[name].isdigit()


def test_ai_llm_stats_lists_each_configuration(api: Api, org: object) -> None:
    stats = api.ok("/ai/llm/stats")["stats"]
    assert {s["aiLlmId"] for s in stats} == {c.id for c in org.ai_configs}  # type: ignore[attr-defined]
    assert all(s["totalApiCalls"].isdigit() for s in stats)


def test_monthly_credits_end_at_the_current_month(api: Api) -> None:
    body = api.ok("/credits/stats/monthly", months=3)
    assert [m["month"] for m in body["data"]] == [
        "2026-09-01T00:00:00.000Z",
        "2026-10-01T00:00:00.000Z",
        "2026-11-01T00:00:00.000Z",
    ]


def test_byte_and_token_totals_exceed_32_bits_over_long_windows(api: Api) -> None:
    storage = api.ok("/v2/stats/storage/breakdown/workspaces", scope="org", window="365d")
    ai = api.ok("/v2/stats/ai/breakdown/workspaces", scope="org", window="365d")
    assert max(e["totals"]["dwlBytes"] for e in storage["entities"]) > 2**31
    assert sum(e["totals"]["tokensIn"] for e in ai["entities"]) > 2**31


def test_openapi_document_is_served(api: Api) -> None:
    spec = api.ok("/openapi.json", token=None)
    assert spec["openapi"].startswith("3.1")
    assert len(spec["paths"]) == 19
