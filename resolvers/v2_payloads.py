"""V2 bodies turned into typed values once, at the boundary.

Series arrive as rows of ``{ts, metric...}`` objects; they are kept as one list per metric
(columns), checked once here, because both GraphQL forms are cheap to build from columns and
the chart form hands them out as they are. Enumerations in ``meta`` are checked here too, so the
GraphQL types above can use every value as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from resolvers import resources
from resolvers.errors import MalformedBody
from resolvers.requests import OPTIONAL_USER_TOTALS, Dimension
from resolvers.resources import Domain, Metric
from resolvers.values import (
    LONG_MAX,
    LONG_MIN,
    Number,
    float_value,
    json_list,
    json_object,
    long_value,
    one_of,
    optional_text,
    text,
)


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
    points = json_list(rows, name)
    try:
        ts = [point["ts"] for point in points]
        values = {m.name: [point[m.name] for point in points] for m in metrics}
    except KeyError as exc:
        raise MalformedBody(f"a point of {name} lacks {exc.args[0]}") from exc
    except TypeError as exc:
        raise MalformedBody(f"a point of {name} is not an object") from exc
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
    """What a series covers; every enumeration is one of the contract's wire values."""

    start: int
    end: int
    scope: str
    scope_id: str | None
    window: str | None
    bucket_size: str | None
    filter_type: str | None
    filter_id: str | None


def _meta(body: Mapping[str, Any]) -> Meta:
    meta = json_object(body.get("meta"), "meta")
    resource = meta.get("resourceFilter")
    resource = json_object(resource, "meta.resourceFilter") if resource is not None else {}
    scope = one_of(text(meta.get("scope"), "meta.scope"), resources.SCOPES, "meta.scope")
    assert scope is not None
    return Meta(
        start=long_value(meta.get("start"), "meta.start"),
        end=long_value(meta.get("end"), "meta.end"),
        scope=scope,
        scope_id=optional_text(meta.get("scopeId"), "meta.scopeId"),
        window=one_of(optional_text(meta.get("window"), "meta.window"), resources.WINDOWS, "meta.window"),
        bucket_size=one_of(
            optional_text(meta.get("timeBucketSize"), "meta.timeBucketSize"),
            resources.BUCKET_SIZES,
            "meta.timeBucketSize",
        ),
        filter_type=one_of(
            optional_text(resource.get("type"), "meta.resourceFilter.type"),
            resources.RESOURCE_FILTER_TYPES,
            "meta.resourceFilter.type",
        ),
        filter_id=optional_text(resource.get("id"), "meta.resourceFilter.id"),
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
    summary = json_object(value, "summary")
    keys = ("total", "avg", "stdDev", "min", "max", "p10", "p50", "p90")
    return Summary(*(float_value(summary.get(k), f"summary.{k}") for k in keys))


@dataclass(frozen=True, slots=True)
class SeriesPayload:
    meta: Meta
    summary: Summary
    columns: Columns


def parse_series(body: object, metrics: Sequence[Metric]) -> SeriesPayload:
    envelope = json_object(body, "body")
    return SeriesPayload(
        _meta(envelope),
        _summary(envelope.get("summary")),
        parse_columns(envelope.get("series"), metrics, "series"),
    )


def series_parser(domain: Domain) -> partial[SeriesPayload]:
    return partial(parse_series, metrics=domain.metrics)


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


def _totals(value: object, metrics: Sequence[Metric], name: str) -> dict[str, Number | None]:
    totals = json_object(value, name)
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


def breakdown_parser(dimension: Dimension, series: bool) -> partial[BreakdownPayload]:
    """The parser of one breakdown resource: the domain's entity metrics plus the dimension's extras.

    With ``series`` every entity must carry its series: the upstream was asked for them."""
    return partial(
        parse_breakdown,
        metrics=resources.domain(dimension.domain).entity_metrics,
        extra_totals=dimension.extra_totals,
        fields=dimension.fields,
        series=series,
    )


def parse_breakdown(
    body: object,
    metrics: Sequence[Metric],
    extra_totals: Sequence[Metric] = (),
    fields: Sequence[str] = (),
    series: bool = False,
) -> BreakdownPayload:
    envelope = json_object(body, "body")
    meta = json_object(envelope.get("meta"), "meta")
    entities = []
    for index, raw in enumerate(json_list(envelope.get("entities"), "entities")):
        entity = json_object(raw, f"entities[{index}]")
        rows = entity.get("series")
        if rows is None and series:
            raise MalformedBody(f"entities[{index}] has no series")
        entities.append(
            Entity(
                id=text(entity.get("entityId"), "entityId"),
                name=optional_text(entity.get("entityName"), "entityName"),
                totals=_totals(entity.get("totals"), (*metrics, *extra_totals), "totals"),
                extra={f: text(entity.get(f), f) for f in fields},
                columns=None if rows is None else parse_columns(rows, metrics, "entities.series"),
            )
        )
    summary = json_object(envelope.get("summary"), "summary")
    return BreakdownPayload(
        BreakdownMeta(
            meta=_meta(envelope),
            by=text(meta.get("breakdownBy"), "meta.breakdownBy"),
            includes_series=bool(meta.get("includesSeries")),
            limit=long_value(meta.get("limit"), "meta.limit"),
            offset=long_value(meta.get("offset"), "meta.offset"),
            total_entities=long_value(meta.get("totalEntities"), "meta.totalEntities"),
        ),
        total=long_value(summary.get("total"), "summary.total"),
        entities=entities,
    )
