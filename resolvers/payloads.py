"""Upstream bodies turned into typed values once, at the boundary.

Series arrive as rows of ``{ts, metric...}`` objects; they are kept as one list per metric
(columns), checked once here, because both GraphQL forms are cheap to build from columns and
the chart form hands them out as they are. Counts are exact Python ints: legacy counts that the
upstream sends as decimal strings (they may pass 2^53) are converted without a float in between.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from resolvers.errors import MalformedBody
from resolvers.resources import Domain, Metric

Number = int | float
_INTEGER = re.compile(r"-?\d+")


LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def long_value(value: object, name: str) -> int:
    """An exact signed 64-bit integer from a JSON number or a decimal string."""
    if type(value) is int:
        parsed = value
    elif (isinstance(value, str) and _INTEGER.fullmatch(value)) or (
        isinstance(value, float) and value.is_integer()
    ):
        parsed = int(value)
    else:
        raise MalformedBody(f"{name} is not an integer")
    if not LONG_MIN <= parsed <= LONG_MAX:
        raise MalformedBody(f"{name} does not fit in 64 bits")
    return parsed


def float_value(value: object, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise MalformedBody(f"{name} is not a number")


def _text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    raise MalformedBody(f"{name} is not a string")


def _optional_text(value: object, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _object(value: object, name: str) -> Mapping[str, Any]:
    if isinstance(value, dict):
        return value
    raise MalformedBody(f"{name} is not an object")


def _list(value: object, name: str) -> Sequence[Any]:
    if isinstance(value, list):
        return value
    raise MalformedBody(f"{name} is not a list")


@dataclass(frozen=True, slots=True)
class Columns:
    """A series as one list per field: ``ts`` first, then the metrics in contract order."""

    ts: list[int]
    values: dict[str, list[Number]]

    def __len__(self) -> int:
        return len(self.ts)


_INT = {int}
_NUMBER = {int, float}


def _kinds(column: list[Any]) -> set[type]:
    # One pass in C (map + set) rather than a Python loop: this check runs over every value.
    return set(map(type, column))


def parse_columns(rows: object, metrics: Sequence[Metric], name: str) -> Columns:
    points = _list(rows, name)
    try:
        ts = [point["ts"] for point in points]
        values = {m.name: [point[m.name] for point in points] for m in metrics}
    except (KeyError, TypeError) as exc:
        raise MalformedBody(f"{name} lacks a field") from exc
    if not _kinds(ts) <= _INT or (ts and not (min(ts) >= 0 and max(ts) <= LONG_MAX)):
        raise MalformedBody(f"{name}.ts is not an epoch second")
    for metric in metrics:
        column = values[metric.name]
        kinds = _kinds(column)
        if metric.fractional:
            if not kinds <= _NUMBER:
                raise MalformedBody(f"{name}.{metric.name} is not a number")
            if int in kinds:
                values[metric.name] = [float(v) for v in column]
        elif not kinds <= _INT:
            values[metric.name] = [long_value(v, f"{name}.{metric.name}") for v in column]
        elif column and not (min(column) >= LONG_MIN and max(column) <= LONG_MAX):
            raise MalformedBody(f"{name}.{metric.name} does not fit in 64 bits")
    return Columns(ts, values)


@dataclass(frozen=True, slots=True)
class Meta:
    start: int
    end: int
    scope: str
    scope_id: str | None
    window: str | None
    bucket_size: str | None
    filter_type: str | None
    filter_id: str | None


def _meta(body: Mapping[str, Any]) -> Meta:
    meta = _object(body.get("meta"), "meta")
    resource = meta.get("resourceFilter")
    resource = _object(resource, "meta.resourceFilter") if resource is not None else {}
    return Meta(
        start=long_value(meta.get("start"), "meta.start"),
        end=long_value(meta.get("end"), "meta.end"),
        scope=_text(meta.get("scope"), "meta.scope"),
        scope_id=_optional_text(meta.get("scopeId"), "meta.scopeId"),
        window=_optional_text(meta.get("window"), "meta.window"),
        bucket_size=_optional_text(meta.get("timeBucketSize"), "meta.timeBucketSize"),
        filter_type=_optional_text(resource.get("type"), "meta.resourceFilter.type"),
        filter_id=_optional_text(resource.get("id"), "meta.resourceFilter.id"),
    )


@dataclass(frozen=True, slots=True)
class Summary:
    total: float
    avg: float
    std_dev: float
    min: float
    max: float
    p10: float
    p50: float
    p90: float


def _summary(value: object) -> Summary:
    summary = _object(value, "summary")
    keys = ("total", "avg", "stdDev", "min", "max", "p10", "p50", "p90")
    return Summary(*(float_value(summary.get(k), f"summary.{k}") for k in keys))


@dataclass(frozen=True, slots=True)
class SeriesPayload:
    meta: Meta
    summary: Summary
    columns: Columns


def parse_series(body: object, metrics: Sequence[Metric]) -> SeriesPayload:
    envelope = _object(body, "body")
    return SeriesPayload(
        _meta(envelope),
        _summary(envelope.get("summary")),
        parse_columns(envelope.get("series"), metrics, "series"),
    )


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str | None
    totals: dict[str, Number | None]
    extra: dict[str, str]
    columns: Columns | None


@dataclass(frozen=True, slots=True)
class BreakdownMeta:
    meta: Meta
    by: str
    includes_series: bool
    limit: int
    offset: int
    total_entities: int


@dataclass(frozen=True, slots=True)
class BreakdownPayload:
    meta: BreakdownMeta
    total: int
    entities: list[Entity]


# Totals some breakdowns add to the domain metrics, and entity fields beside the totals.
USER_TOTALS = (Metric("conversationsCount"),)
OPTIONAL_USER_TOTALS = ("lastActiveAt",)
PROVIDER_FIELDS = ("provider", "protocol", "endpoint")


def _totals(value: object, metrics: Sequence[Metric], name: str) -> dict[str, Number | None]:
    totals = _object(value, name)
    parsed: dict[str, Number | None] = {}
    for metric in metrics:
        raw = totals.get(metric.name)
        key = f"{name}.{metric.name}"
        parsed[metric.name] = float_value(raw, key) if metric.fractional else long_value(raw, key)
    for optional in OPTIONAL_USER_TOTALS:
        if optional in totals:
            raw = totals[optional]
            parsed[optional] = None if raw is None else long_value(raw, f"{name}.{optional}")
    return parsed


def breakdown_parser(domain: Domain, by: str) -> partial[BreakdownPayload]:
    """The parser of one breakdown resource: the domain's entity metrics plus that breakdown's extras."""
    extra_totals = USER_TOTALS if (domain.name == "privateChat" and by == "users") else ()
    fields = PROVIDER_FIELDS if (domain.name == "storage" and by == "providers") else ()
    return partial(parse_breakdown, metrics=domain.entity_metrics, extra_totals=extra_totals, fields=fields)


def parse_breakdown(
    body: object, metrics: Sequence[Metric], extra_totals: Sequence[Metric] = (), fields: Sequence[str] = ()
) -> BreakdownPayload:
    envelope = _object(body, "body")
    meta = _object(envelope.get("meta"), "meta")
    entities = []
    for index, raw in enumerate(_list(envelope.get("entities"), "entities")):
        entity = _object(raw, f"entities[{index}]")
        series = entity.get("series")
        entities.append(
            Entity(
                id=_text(entity.get("entityId"), "entityId"),
                name=_optional_text(entity.get("entityName"), "entityName"),
                totals=_totals(entity.get("totals"), (*metrics, *extra_totals), "totals"),
                extra={f: _text(entity.get(f), f) for f in fields},
                columns=None if series is None else parse_columns(series, metrics, "entities.series"),
            )
        )
    summary = _object(envelope.get("summary"), "summary")
    return BreakdownPayload(
        BreakdownMeta(
            meta=_meta(envelope),
            by=_text(meta.get("breakdownBy"), "meta.breakdownBy"),
            includes_series=bool(meta.get("includesSeries")),
            limit=long_value(meta.get("limit"), "meta.limit"),
            offset=long_value(meta.get("offset"), "meta.offset"),
            total_entities=long_value(meta.get("totalEntities"), "meta.totalEntities"),
        ),
        total=long_value(summary.get("total"), "summary.total"),
        entities=entities,
    )


# -- the older endpoints --------------------------------------------------------------------------


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
    envelope = _object(body, "body")
    return [_object(row, key) for row in _list(envelope.get(key), key)]


def parse_storage_records(body: object) -> list[StorageRecord]:
    return [
        StorageRecord(
            ts=long_value(row.get("timestamp"), "timestamp"),
            repo_id=_text(row.get("repoId"), "repoId"),
            bucket_id=_text(row.get("bucketId", row.get("unitId")), "bucketId"),
            host=_text(row.get("host"), "host"),
            upl_bytes=long_value(row.get("upl_bytes"), "upl_bytes"),
            dwl_bytes=long_value(row.get("dwl_bytes"), "dwl_bytes"),
            size_change=long_value(row.get("size_change"), "size_change"),
            latency_ms=float_value(row.get("latency_ms"), "latency_ms"),
            raw=row,
        )
        for row in _data(body)
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


def parse_ai_records(body: object) -> list[AiRecord]:
    records = []
    for row in _data(body):
        longs = {field: long_value(row.get(wire), wire) for field, wire in _AI_LONGS}
        records.append(
            AiRecord(
                ts=long_value(row.get("timestamp"), "timestamp"),
                repo_id=_text(row.get("repoId"), "repoId"),
                ai_config_id=_text(row.get("aiLlmId"), "aiLlmId"),
                api_key_id=_text(row.get("repoAiApiKeyId"), "repoAiApiKeyId"),
                latency_ms=float_value(row.get("latency_ms"), "latency_ms"),
                provider=_text(row.get("llmType"), "llmType"),
                model=_text(row.get("llmModel"), "llmModel"),
                host=_text(row.get("host"), "host"),
                user_id=_optional_text(row.get("userUuid") or None, "userUuid"),
                conversation_id=_optional_text(row.get("conversationUuid") or None, "conversationUuid"),
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


def parse_ai_config_totals(body: object) -> list[AiConfigTotals]:
    return [
        AiConfigTotals(
            ai_config_id=_text(row.get("aiLlmId"), "aiLlmId"),
            raw=row,
            **{field: long_value(row.get(wire), wire) for field, wire in _CONFIG_LONGS},
        )
        for row in _data(body, "stats")
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


def parse_credit_histogram(body: object) -> CreditHistogram:
    months = []
    for row in _data(body):
        text = _text(row.get("month"), "month")
        try:
            month = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise MalformedBody("month is not an ISO date") from exc
        months.append(_credit_month(row, month))
    totals = _object(_object(body, "body").get("totals"), "totals")
    return CreditHistogram(months, _credit_month(totals, None))
