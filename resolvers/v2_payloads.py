"""V2 bodies decoded straight into typed values, checked while they are parsed.

msgspec decodes each body against a type built from the contract (``Long`` counts, epoch seconds,
numbers, strings, required and optional fields), in C, in one pass: a count beyond 64 bits, a
number where a string belongs or a missing field is refused while parsing, and the refusal names
the field (``MalformedBody``). Only the enumerations in ``meta`` are checked afterwards.

A series keeps its decoded points; ``Columns`` turns them into one list per field the first time
a field asks (the chart form and the summaries), so neither form pays for the other.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from resolvers import resources
from resolvers.dimensions import OPTIONAL_USER_TOTALS, Dimension
from resolvers.errors import MalformedBody
from resolvers.requests import Selection
from resolvers.resources import Domain, Metric
from resolvers.values import LONG_MAX, LONG_MIN, Number, one_of

Long = Annotated[int, msgspec.Meta(ge=LONG_MIN, le=LONG_MAX)]
EpochSecond = Annotated[int, msgspec.Meta(ge=0, le=LONG_MAX)]


def refusal(failure: msgspec.DecodeError) -> MalformedBody:
    """msgspec's ``Expected `int`, got `str` - at `$.series[0].violations``` as ``series[0].violations:
    expected `int`, got `str```: the field first, so an operator sees what broke."""
    if not isinstance(failure, msgspec.ValidationError):
        return MalformedBody("not JSON")
    problem, _, where = str(failure).partition(" - at `$")
    place = where.rstrip("`").lstrip(".") or "body"
    return MalformedBody(f"{place}: {problem[:1].lower()}{problem[1:]}")


_TS = operator.attrgetter("ts")


class Columns:
    """A series as one sequence per field (``ts`` first, then the metrics in contract order), made
    from the decoded points when first read and kept."""

    __slots__ = ("_columns", "names", "points")

    def __init__(self, points: Sequence[Any], names: Sequence[str]) -> None:
        self.points = points
        self.names = tuple(names)
        self._columns: dict[str, Sequence[Number]] | None = None

    def _all(self) -> dict[str, Sequence[Number]]:
        if self._columns is None:
            # One C-level pass per point (astuple) and one transposition (zip): no Python per value.
            transposed = zip(*map(msgspec.structs.astuple, self.points), strict=True)
            columns = dict(zip(self.names, transposed, strict=False))
            self._columns = {name: columns.get(name, ()) for name in self.names}
        return self._columns

    def last_ts(self, count: int) -> list[int]:
        """``ts`` of the last ``count`` buckets, read from their points: a cut from a long series
        checks its tail without making columns of the whole (resolvers.series_slices)."""
        return list(map(_TS, self.points[len(self.points) - count :])) if count else []

    def column(self, name: str) -> Sequence[Number]:
        """One field's column (``ts`` or a metric), without building the others' mapping."""
        return self._all()[name]

    @property
    def ts(self) -> Sequence[int]:
        return self._all()["ts"]  # type: ignore[return-value]  # epoch seconds, checked at decoding

    @property
    def values(self) -> dict[str, Sequence[Number]]:
        columns = self._all()
        return {name: columns[name] for name in self.names[1:]}

    def __len__(self) -> int:
        return len(self.points)


def _list_of(item: Any, most: int) -> Any:
    """``list[item]`` for a type made at run time (the decoders are built from the metric table),
    at most ``most`` long: the contract's bound, so an answer past it is refused as outside the
    contract rather than built into columns and answers of any size."""
    return Annotated[list[item], msgspec.Meta(max_length=most)]


def _wire(metric: Metric) -> Any:
    return float if metric.fractional else Long


@functools.cache
def point_type(metrics: tuple[Metric, ...]) -> type[msgspec.Struct]:
    """One bucket of a series: ``ts`` and the metrics, in contract order."""
    fields = [("ts", EpochSecond), *((m.name, _wire(m)) for m in metrics)]
    return msgspec.defstruct("Point", fields, frozen=True, gc=False)


class _WireFilter(msgspec.Struct, frozen=True, kw_only=True):
    type: str | None = None
    id: str | None = None


class _WireMeta(msgspec.Struct, frozen=True, kw_only=True):
    start: Long
    end: Long
    scope: str
    scopeId: str | None = None
    window: str | None = None
    timeBucketSize: str | None = None
    resourceFilter: _WireFilter | None = None


class _WireBreakdownMeta(_WireMeta, frozen=True, kw_only=True):
    breakdownBy: str
    includesSeries: Any = False
    limit: Long
    offset: Long
    totalEntities: Long


class _WireSummary(msgspec.Struct, frozen=True):
    total: float
    avg: float
    stdDev: float
    min: float
    max: float
    p10: float
    p50: float
    p90: float


class _WireBreakdownSummary(msgspec.Struct, frozen=True):
    total: Long


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


def _meta(wire: _WireMeta) -> Meta:
    resource = wire.resourceFilter or _WireFilter()
    scope = one_of(wire.scope, resources.SCOPES, "meta.scope")
    assert scope is not None
    return Meta(
        start=wire.start,
        end=wire.end,
        scope=scope,
        scope_id=wire.scopeId,
        window=one_of(wire.window, resources.WINDOWS, "meta.window"),
        bucket_size=one_of(wire.timeBucketSize, resources.BUCKET_SIZES, "meta.timeBucketSize"),
        filter_type=one_of(resource.type, resources.RESOURCE_FILTER_TYPES, "meta.resourceFilter.type"),
        filter_id=resource.id,
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


@dataclass(frozen=True, slots=True)
class SeriesPayload:
    meta: Meta
    summary: Summary | None  # None: a series taken from a breakdown, summarised only when asked
    columns: Columns
    # The columns the upstream's summary covers, summed (resolvers.statistics.summary_of).
    summary_metrics: tuple[str, ...] = ()


def _decode(decoder: msgspec.json.Decoder[Any], body: bytes) -> Any:
    try:
        return decoder.decode(body)
    except msgspec.DecodeError as failure:
        raise refusal(failure) from None


def _body(name: str, fields: list[Any], kw_only: bool = False) -> type[msgspec.Struct]:
    """A struct of a body's part, frozen: decoded values are never changed after the check."""
    made: type[msgspec.Struct] = msgspec.defstruct(name, fields, frozen=True, kw_only=kw_only)
    return made


@functools.cache
def _series_decoder(metrics: tuple[Metric, ...]) -> msgspec.json.Decoder[Any]:
    series = _list_of(point_type(metrics), resources.MAX_POINTS + 1)
    envelope = _body("SeriesBody", [("meta", _WireMeta), ("summary", _WireSummary), ("series", series)])
    return msgspec.json.Decoder(envelope)


def _check_length(points: int, most: int, where: str) -> None:
    if points > most:
        raise MalformedBody(f"{where} has {points:,} points; the window asked holds at most {most:,}")


def parse_series(
    body: bytes, metrics: tuple[Metric, ...], most_points: int = resources.MAX_POINTS + 1
) -> SeriesPayload:
    wire = _decode(_series_decoder(metrics), body)
    _check_length(len(wire.series), most_points, "series")
    s = wire.summary
    return SeriesPayload(
        _meta(wire.meta),
        Summary(s.total, s.avg, s.stdDev, s.min, s.max, s.p10, s.p50, s.p90),
        Columns(wire.series, ("ts", *(m.name for m in metrics))),
    )


def series_parser(domain: Domain, selection: Selection) -> Callable[[bytes], SeriesPayload]:
    """The parser of the series ``selection`` asks for: no longer than its window holds."""
    return functools.partial(
        parse_series,
        metrics=tuple(domain.metrics),
        most_points=resources.most_points(selection.window, selection.bucket_size),
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


@functools.cache
def _breakdown_decoder(
    metrics: tuple[Metric, ...], extra_totals: tuple[Metric, ...], fields: tuple[str, ...]
) -> msgspec.json.Decoder[Any]:
    """The decoder of one breakdown resource: its entities' metrics, extra totals and fields."""
    optional = ((name, Long | None | msgspec.UnsetType, msgspec.UNSET) for name in OPTIONAL_USER_TOTALS)
    totals = _body("Totals", [*((m.name, _wire(m)) for m in (*metrics, *extra_totals)), *optional], True)
    series = _list_of(point_type(metrics), resources.MAX_POINTS + 1) | None
    entity = _body(
        "Entity",
        [
            ("entityId", str),
            ("totals", totals),
            *((name, str) for name in fields),
            ("entityName", str | None, None),
            ("series", series, None),
        ],
        kw_only=True,
    )
    entities = _list_of(entity, resources.LIMIT_MAX)
    envelope = _body(
        "BreakdownBody",
        [("meta", _WireBreakdownMeta), ("summary", _WireBreakdownSummary), ("entities", entities)],
    )
    return msgspec.json.Decoder(envelope)


def breakdown_parser(
    dimension: Dimension, series: bool, selection: Selection, limit: int
) -> Callable[[bytes], BreakdownPayload]:
    """The parser of one breakdown resource: the domain's entity metrics plus the dimension's extras.

    With ``series`` every entity must carry its series: the upstream was asked for them. A page of
    more than ``limit`` entities, or a series longer than the window holds, is refused: the values
    estimate counts on both (gql.pipeline.cost), so an upstream cannot make an answer larger than it."""
    return functools.partial(
        parse_breakdown,
        metrics=tuple(resources.domain(dimension.domain).entity_metrics),
        extra_totals=tuple(dimension.extra_totals),
        fields=tuple(dimension.fields),
        series=series,
        most_entities=limit,
        most_points=resources.most_points(selection.window, selection.bucket_size),
    )


def parse_breakdown(
    body: bytes,
    metrics: tuple[Metric, ...],
    extra_totals: tuple[Metric, ...] = (),
    fields: tuple[str, ...] = (),
    series: bool = False,
    most_entities: int = resources.LIMIT_MAX,
    most_points: int = resources.MAX_POINTS + 1,
) -> BreakdownPayload:
    wire = _decode(_breakdown_decoder(metrics, extra_totals, fields), body)
    if len(wire.entities) > most_entities:
        raise MalformedBody(
            f"entities has {len(wire.entities):,} items; the page asked holds at most {most_entities:,}"
        )
    names = ("ts", *(m.name for m in metrics))
    totals_names = [m.name for m in (*metrics, *extra_totals)]
    entities = []
    for index, raw in enumerate(wire.entities):
        if raw.series is None and series:
            raise MalformedBody(f"entities[{index}] has no series")
        if raw.series is not None:
            _check_length(len(raw.series), most_points, f"entities[{index}].series")
        totals: dict[str, Number | None] = {name: getattr(raw.totals, name) for name in totals_names}
        for optional in OPTIONAL_USER_TOTALS:
            value = getattr(raw.totals, optional)
            if value is not msgspec.UNSET:
                totals[optional] = value
        entities.append(
            Entity(
                id=raw.entityId,
                name=raw.entityName,
                totals=totals,
                extra={name: getattr(raw, name) for name in fields},
                columns=None if raw.series is None else Columns(raw.series, names),
            )
        )
    meta = wire.meta
    return BreakdownPayload(
        BreakdownMeta(
            meta=_meta(meta),
            by=meta.breakdownBy,
            includes_series=bool(meta.includesSeries),
            limit=meta.limit,
            offset=meta.offset,
            total_entities=meta.totalEntities,
        ),
        total=wire.summary.total,
        entities=entities,
    )
