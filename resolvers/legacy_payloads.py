"""Bodies of the older endpoints turned into typed records once, at the boundary.

Their counts arrive as numbers or as decimal strings (docs/upstream-contract.md §1.6); both become
exact integers. Each record keeps the upstream's own object under ``raw``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from resolvers.errors import MalformedBody
from resolvers.values import (
    float_value,
    json_document,
    json_list,
    json_object,
    long_value,
    optional_text,
    text,
)


def _instant(ts: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC)


@dataclass(frozen=True, slots=True)
class StorageRecord:
    ts: int
    repo_id: str
    bucket_id: str
    host: str
    upl_bytes: int
    dwl_bytes: int
    size_change: int
    latency_ms: float
    raw: Mapping[str, Any]

    @property
    def time(self) -> datetime.datetime:
        return _instant(self.ts)


def _data(body: object, key: str = "data") -> Sequence[Mapping[str, Any]]:
    envelope = json_object(body, "body")
    return [json_object(row, key) for row in json_list(envelope.get(key), key)]


def parse_storage_records(body: bytes) -> list[StorageRecord]:
    return [
        StorageRecord(
            ts=long_value(row.get("timestamp"), "timestamp"),
            repo_id=text(row.get("repoId"), "repoId"),
            bucket_id=text(row.get("bucketId", row.get("unitId")), "bucketId"),
            host=text(row.get("host"), "host"),
            upl_bytes=long_value(row.get("upl_bytes"), "upl_bytes"),
            dwl_bytes=long_value(row.get("dwl_bytes"), "dwl_bytes"),
            size_change=long_value(row.get("size_change"), "size_change"),
            latency_ms=float_value(row.get("latency_ms"), "latency_ms"),
            raw=row,
        )
        for row in _data(json_document(body))
    ]


@dataclass(frozen=True, slots=True)
class AiRecord:
    ts: int
    repo_id: str
    ai_config_id: str
    api_key_id: str
    tokens_in: int
    tokens_out: int
    policy_tokens_in: int
    policy_tokens_out: int
    active_conversations: int
    requests: int
    violations: int
    alerts: int
    blocks: int
    severity_low: int
    severity_medium: int
    severity_high: int
    latency_ms: float
    provider: str
    model: str
    host: str
    user_id: str | None
    conversation_id: str | None
    raw: Mapping[str, Any]

    @property
    def time(self) -> datetime.datetime:
        return _instant(self.ts)


_AI_LONGS = (
    ("tokens_in", "tokensIn"),
    ("tokens_out", "tokensOut"),
    ("policy_tokens_in", "llmTokensIn"),
    ("policy_tokens_out", "llmTokensOut"),
    ("active_conversations", "activeConversations"),
    ("requests", "apiCalls"),
    ("violations", "policyViolations"),
    ("alerts", "numAlerts"),
    ("blocks", "numBlocks"),
    ("severity_low", "numSeverityLow"),
    ("severity_medium", "numSeverityMedium"),
    ("severity_high", "numSeverityHigh"),
)


def parse_ai_records(body: bytes) -> list[AiRecord]:
    records = []
    for row in _data(json_document(body)):
        longs = {field: long_value(row.get(wire), wire) for field, wire in _AI_LONGS}
        records.append(
            AiRecord(
                ts=long_value(row.get("timestamp"), "timestamp"),
                repo_id=text(row.get("repoId"), "repoId"),
                ai_config_id=text(row.get("aiLlmId"), "aiLlmId"),
                api_key_id=text(row.get("repoAiApiKeyId"), "repoAiApiKeyId"),
                latency_ms=float_value(row.get("latency_ms"), "latency_ms"),
                provider=text(row.get("llmType"), "llmType"),
                model=text(row.get("llmModel"), "llmModel"),
                host=text(row.get("host"), "host"),
                user_id=optional_text(row.get("userUuid") or None, "userUuid"),
                conversation_id=optional_text(row.get("conversationUuid") or None, "conversationUuid"),
                raw=row,
                **longs,
            )
        )
    return records


@dataclass(frozen=True, slots=True)
class AiConfigTotals:
    ai_config_id: str
    requests: int
    tokens_in: int
    tokens_out: int
    policy_tokens_in: int
    policy_tokens_out: int
    violations: int
    alerts: int
    blocks: int
    raw: Mapping[str, Any]


_CONFIG_LONGS = (
    ("requests", "totalApiCalls"),
    ("tokens_in", "totalTokensIn"),
    ("tokens_out", "totalTokensOut"),
    ("policy_tokens_in", "totalLlmTokensIn"),
    ("policy_tokens_out", "totalLlmTokensOut"),
    ("violations", "totalPolicyViolations"),
    ("alerts", "totalAlerts"),
    ("blocks", "totalBlocks"),
)


def parse_ai_config_totals(body: bytes) -> list[AiConfigTotals]:
    return [
        AiConfigTotals(
            ai_config_id=text(row.get("aiLlmId"), "aiLlmId"),
            raw=row,
            **{field: long_value(row.get(wire), wire) for field, wire in _CONFIG_LONGS},
        )
        for row in _data(json_document(body), "stats")
    ]


@dataclass(frozen=True, slots=True)
class CreditMonth:
    month: datetime.datetime | None  # None for the totals row
    consumption: int
    purchases: int
    grants: int
    balance: int
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CreditHistogram:
    months: list[CreditMonth]
    totals: CreditMonth


def _credit_month(row: Mapping[str, Any], month: datetime.datetime | None) -> CreditMonth:
    return CreditMonth(
        month=month,
        raw=row,
        **{k: long_value(row.get(k), k) for k in ("consumption", "purchases", "grants", "balance")},
    )


def parse_credit_histogram(body: bytes) -> CreditHistogram:
    document = json_document(body)
    months = []
    for row in _data(document):
        written = text(row.get("month"), "month")
        try:
            month = datetime.datetime.fromisoformat(written)  # Python 3.11 reads a trailing Z itself
        except ValueError as exc:
            raise MalformedBody("month is not an ISO date") from exc
        months.append(_credit_month(row, month))
    totals = json_object(json_object(document, "body").get("totals"), "totals")
    return CreditHistogram(months, _credit_month(totals, None))
