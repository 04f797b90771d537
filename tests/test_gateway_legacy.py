"""The older endpoints through the gateway: every field of every record against the upstream's own
raw value, each filter on its own, and date ranges given with any UTC offset."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api
from tests.gateway import Gateway

Raw = dict[str, Any]


def _text(key: str) -> Callable[[Raw], Any]:
    return lambda raw: raw[key]


def _count(key: str) -> Callable[[Raw], Any]:
    """Legacy counts may arrive as decimal strings; the gateway gives them as exact integers."""
    return lambda raw: int(raw[key])


def _optional(key: str) -> Callable[[Raw], Any]:
    return lambda raw: raw.get(key) or None


def _time(raw: Raw) -> str:
    return datetime.datetime.fromtimestamp(raw["timestamp"], datetime.UTC).isoformat()


SHARED = {
    "ts": _text("timestamp"),
    "time": _time,
    "repoId": _text("repoId"),
    "host": _text("host"),
    "latencyMs": _text("latency_ms"),
}
# Every field of each record type, and the upstream value it must equal.
STORAGE_FIELDS = {
    **SHARED,
    "bucketId": _text("bucketId"),
    "uplBytes": _count("upl_bytes"),
    "dwlBytes": _count("dwl_bytes"),
    "sizeChange": _count("size_change"),
}
AI_FIELDS = {
    **SHARED,
    "aiLlmId": _text("aiLlmId"),
    "apiKeyId": _text("repoAiApiKeyId"),
    "tokensIn": _count("tokensIn"),
    "tokensOut": _count("tokensOut"),
    "policyTokensIn": _count("llmTokensIn"),
    "policyTokensOut": _count("llmTokensOut"),
    "activeConversations": _count("activeConversations"),
    "requests": _count("apiCalls"),
    "violations": _count("policyViolations"),
    "alerts": _count("numAlerts"),
    "blocks": _count("numBlocks"),
    "severityLow": _count("numSeverityLow"),
    "severityMedium": _count("numSeverityMedium"),
    "severityHigh": _count("numSeverityHigh"),
    "provider": _text("llmType"),
    "model": _text("llmModel"),
    "userId": _optional("userUuid"),
    "conversationId": _optional("conversationUuid"),
}
CONFIG_FIELDS = {
    "aiLlmId": _text("aiLlmId"),
    "requests": _count("totalApiCalls"),
    "tokensIn": _count("totalTokensIn"),
    "tokensOut": _count("totalTokensOut"),
    "policyTokensIn": _count("totalLlmTokensIn"),
    "policyTokensOut": _count("totalLlmTokensOut"),
    "violations": _count("totalPolicyViolations"),
    "alerts": _count("totalAlerts"),
    "blocks": _count("totalBlocks"),
}
MONTH_FIELDS = {key: _count(key) for key in ("consumption", "purchases", "grants", "balance")}
RANGE = {"startDate": "2026-11-10T00:00:00.000Z", "endDate": "2026-11-14T00:00:00.000Z"}
GQL_RANGE = 'startDate: "2026-11-10T00:00:00Z", endDate: "2026-11-14T00:00:00Z"'


def _assert_fields(
    records: list[dict[str, Any]], raws: list[Raw], fields: dict[str, Callable[[Raw], Any]]
) -> None:
    assert len(records) == len(raws) > 0
    for ours, raw in zip(records, raws, strict=True):
        assert ours["raw"] == raw
        assert {name: ours[name] for name in fields} == {name: value(raw) for name, value in fields.items()}


@pytest.mark.parametrize(("resolution", "path"), [("DAILY", "/stats/daily"), ("MINUTE", "/stats/minute")])
def test_every_storage_record_field_is_the_upstream_value(
    gateway: Gateway, api: Api, resolution: str, path: str
) -> None:
    query = f"{{ legacy {{ storage(resolution: {resolution}, {GQL_RANGE}) {{ {' '.join(STORAGE_FIELDS)} raw }} }} }}"
    params = RANGE if resolution == "DAILY" else {}
    if resolution == "MINUTE":
        query = query.replace(f", {GQL_RANGE}", "")
    _assert_fields(gateway.ok(query)["legacy"]["storage"], api.ok(path, **params)["data"], STORAGE_FIELDS)


@pytest.mark.parametrize(("resolution", "path"), [("DAILY", "/aistats/daily"), ("MINUTE", "/aistats/minute")])
def test_every_ai_record_field_is_the_upstream_value(
    gateway: Gateway, api: Api, resolution: str, path: str
) -> None:
    query = f"{{ legacy {{ ai(resolution: {resolution}) {{ {' '.join(AI_FIELDS)} raw }} }} }}"
    _assert_fields(gateway.ok(query)["legacy"]["ai"], api.ok(path)["data"], AI_FIELDS)


def test_every_ai_configuration_total_is_the_upstream_value(gateway: Gateway, api: Api) -> None:
    totals = gateway.ok(f"{{ legacy {{ aiConfigTotals {{ {' '.join(CONFIG_FIELDS)} raw }} }} }}")
    _assert_fields(totals["legacy"]["aiConfigTotals"], api.ok("/ai/llm/stats")["stats"], CONFIG_FIELDS)
    one = api.ok("/ai/llm/stats")["stats"][1]["aiLlmId"]
    only = gateway.ok(f'{{ legacy {{ aiConfigTotals(aiLlmId: "{one}") {{ aiLlmId raw }} }} }}')
    _assert_fields(
        only["legacy"]["aiConfigTotals"],
        api.ok("/ai/llm/stats", aiLlmId=one)["stats"],
        {"aiLlmId": _text("aiLlmId")},
    )
    assert [t["aiLlmId"] for t in only["legacy"]["aiConfigTotals"]] == [one]


def test_every_credit_month_is_the_upstream_value(gateway: Gateway, api: Api) -> None:
    data = gateway.ok(
        f"{{ legacy {{ creditsMonthly(months: 4) {{ months {{ month {' '.join(MONTH_FIELDS)} raw }}"
        f" totals {{ month {' '.join(MONTH_FIELDS)} raw }} }} }} }}"
    )["legacy"]["creditsMonthly"]
    rest = api.ok("/credits/stats/monthly", months=4)
    months = [{**m, "month": None} for m in data["months"]]
    _assert_fields(months, rest["data"], {**MONTH_FIELDS})
    for ours, raw in zip(data["months"], rest["data"], strict=True):
        assert datetime.datetime.fromisoformat(ours["month"]) == datetime.datetime.fromisoformat(raw["month"])
    _assert_fields([data["totals"]], [rest["totals"]], MONTH_FIELDS)
    assert data["totals"]["month"] is None
    default = gateway.ok("{ legacy { creditsMonthly { months { month } } } }")["legacy"]["creditsMonthly"]
    assert len(default["months"]) == len(api.ok("/credits/stats/monthly")["data"])


def _one_value(rows: list[Raw], key: str) -> str:
    """A value of ``key`` that some rows have and others do not, so the filter must narrow."""
    values = [str(row[key]) for row in rows if row.get(key)]
    return values[len(values) // 2]


# (GraphQL filter, upstream parameter, record field in the raw answer)
AI_FILTERS = [
    ("repoIds", "repoId", "repoId"),
    ("aiLlmIds", "aiLlmId", "aiLlmId"),
    ("apiKeyIds", "repoAiApiKeyId", "repoAiApiKeyId"),
    ("hosts", "hosts", "host"),
    ("providers", "llmType", "llmType"),
    ("models", "llmModel", "llmModel"),
    ("userIds", "userUuid", "userUuid"),
    ("conversationIds", "conversationUuid", "conversationUuid"),
]
STORAGE_FILTERS = [
    ("repoIds", "repoId", "repoId"),
    ("bucketIds", "bucketId", "bucketId"),
    ("hosts", "hosts", "host"),
]


@pytest.mark.parametrize(("name", "param", "key"), AI_FILTERS, ids=[f[0] for f in AI_FILTERS])
def test_each_ai_record_filter_narrows_to_its_records(
    gateway: Gateway, api: Api, name: str, param: str, key: str
) -> None:
    everything = api.ok("/aistats/daily")["data"]
    value = _one_value(everything, key)
    result = gateway.query(
        f"query($v: [{'String' if name in ('hosts', 'providers', 'models') else 'ID'}!]) {{ legacy {{"
        f" ai(where: {{ {name}: $v }}) {{ raw }} }} }}",
        {"v": [value]},
    )
    assert not result.errors, result.errors
    records = [r["raw"] for r in result.data["legacy"]["ai"]]
    assert records == api.ok("/aistats/daily", **{param: value})["data"]
    assert 0 < len(records) < len(everything)
    assert {r[key] for r in records} == {value}
    assert f"{param}={value}" in result.upstream["calls"][0]["query"]


@pytest.mark.parametrize(("name", "param", "key"), STORAGE_FILTERS, ids=[f[0] for f in STORAGE_FILTERS])
def test_each_storage_record_filter_narrows_to_its_records(
    gateway: Gateway, api: Api, name: str, param: str, key: str
) -> None:
    everything = api.ok("/stats/daily")["data"]
    value = _one_value(everything, key)
    kind = "String" if name == "hosts" else "ID"
    result = gateway.query(
        f"query($v: [{kind}!]) {{ legacy {{ storage({name}: $v) {{ raw }} }} }}", {"v": [value]}
    )
    assert not result.errors, result.errors
    records = [r["raw"] for r in result.data["legacy"]["storage"]]
    assert records == api.ok("/stats/daily", **{param: value})["data"]
    assert 0 < len(records) < len(everything)
    assert {r[key] for r in records} == {value}


def test_several_values_of_one_filter_are_joined_with_commas(gateway: Gateway, api: Api) -> None:
    rows = api.ok("/aistats/daily")["data"]
    models = sorted({r["llmModel"] for r in rows})[:2]
    result = gateway.query(
        "query($m: [String!]) { legacy { ai(where: { models: $m }) { model } } }", {"m": models}
    )
    assert {r["model"] for r in result.data["legacy"]["ai"]} == set(models)
    assert f"llmModel={','.join(models)}" in result.upstream["calls"][0]["query"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-11-10T02:00:00+02:00", "2026-11-13T19:00:00-05:00"),
        ("2026-11-09T21:30:00-02:30", "2026-11-14T05:30:00+05:30"),
        ("2026-11-10T00:00:00", "2026-11-14T00:00:00"),
    ],
)
def test_dates_with_any_offset_mean_the_same_instants(
    gateway: Gateway, api: Api, start: str, end: str
) -> None:
    """2026-11-10T02:00+02:00 is 2026-11-10T00:00Z: the range goes upstream in UTC, unshifted."""
    result = gateway.query(
        f'{{ legacy {{ storage(startDate: "{start}", endDate: "{end}") {{ raw }}'
        f' ai(resolution: MINUTE, startDate: "{start}", endDate: "{end}") {{ ts }} }} }}'
    )
    assert not result.errors, result.errors
    assert [r["raw"] for r in result.data["legacy"]["storage"]] == api.ok("/stats/daily", **RANGE)["data"]
    assert [call["query"] for call in result.upstream["calls"]] == [
        "startDate=2026-11-10T00:00:00.000Z&endDate=2026-11-14T00:00:00.000Z"
    ] * 2


def test_minute_instants_keep_their_milliseconds(gateway: Gateway) -> None:
    result = gateway.query(
        '{ legacy { ai(resolution: MINUTE, startDate: "2026-11-19T23:59:59.250+01:00") { ts } } }'
    )
    assert result.upstream["calls"][0]["query"] == "startDate=2026-11-19T22:59:59.250Z"
    assert not result.errors and result.data["legacy"]["ai"]


@pytest.mark.parametrize(
    ("resolution", "start", "accepted"),
    [
        ("DAILY", "2026-08-21T00:00:00Z", True),  # 92 days with the end day: the longest daily range
        ("DAILY", "2026-08-20T00:00:00Z", False),
        ("MINUTE", "2026-11-13T00:00:00Z", True),  # 7 days to the end instant
        ("MINUTE", "2026-11-12T23:55:00Z", False),
    ],
)
def test_legacy_ranges_hold_at_their_edges(
    gateway: Gateway, resolution: str, start: str, accepted: bool
) -> None:
    end = "2026-11-20T00:00:00Z"
    result = gateway.query(
        f'{{ legacy {{ storage(resolution: {resolution}, startDate: "{start}", endDate: "{end}") {{ ts }} }} }}'
    )
    if accepted:
        assert not result.errors, result.errors
        assert result.data["legacy"]["storage"]
    else:
        assert result.codes() == {"legacy.storage": "BAD_USER_INPUT"}
        assert "narrow startDate/endDate" in result.errors[0]["message"]
