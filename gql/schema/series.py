"""The generic shapes every domain shares: ``TimeSeries`` and ``Breakdown`` with their entities.

A series is held as columns (see ``resolvers.v2_payloads``). The row form hands out the columns as
``Rows``, which ``gql.pipeline.row_form`` turns into one object per bucket in bulk (or, for a selection it
cannot, GraphQL executes every value as a field); the chart form (``columns``) hands each column
out as one list-valued scalar. Both read the same columns, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import typing
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar

import strawberry
from strawberry.types import Info

from gql.schema.enums import BucketSize, Scope, Window
from gql.schema.rows import Rows
from gql.schema.scalars import EpochSeconds, Long
from resolvers import v2_fields
from resolvers import v2_payloads as payloads
from resolvers.context import RequestContext
from resolvers.dimensions import Dimension
from resolvers.errors import MalformedBody
from resolvers.others import others_of
from resolvers.requests import Filters, Selection
from resolvers.resources import Domain

P = TypeVar("P")
C = TypeVar("C")
T = TypeVar("T")
E = TypeVar("E")
Rest = TypeVar("Rest")
W = TypeVar("W", bound=Enum)


def from_wire(enum: type[W], value: str | None) -> W | None:
    """The enum member of a wire value the payload boundary has already checked."""
    return None if value is None else enum(value)


@strawberry.type(
    description="Statistics over the per-bucket values of one counted metric of a series, every bucket"
    " of the window counted (empty ones as 0). Sums and extremes of counts are whole numbers."
)
class Summary:
    total: Long = strawberry.field(description="Sum of the values.")
    avg: float = strawberry.field(description="Mean per bucket.")
    stdDev: float = strawberry.field(description="Population standard deviation.")
    min: Long = strawberry.field(description="Smallest value.")
    max: Long = strawberry.field(description="Largest value.")
    p10: float = strawberry.field(description="10th percentile (linear interpolation).")
    p50: float = strawberry.field(description="Median (linear interpolation).")
    p90: float = strawberry.field(description="90th percentile (linear interpolation).")

    @classmethod
    def of(cls, summary: payloads.Summary) -> Summary:
        return cls(
            total=Long(whole(summary.total, "summary.total")),
            min=Long(whole(summary.min, "summary.min")),
            max=Long(whole(summary.max, "summary.max")),
            **_spread(summary),
        )


@strawberry.type(
    description="Statistics over the per-bucket mean latency of a series (a mean per bucket, weighted"
    " by requests): no total, since a sum of means means nothing."
)
class LatencySummary:
    avg: float = strawberry.field(description="Mean of the buckets' latencies, milliseconds.")
    stdDev: float = strawberry.field(description="Population standard deviation.")
    min: float = strawberry.field(description="Lowest bucket latency.")
    max: float = strawberry.field(description="Highest bucket latency.")
    p10: float = strawberry.field(description="10th percentile (linear interpolation).")
    p50: float = strawberry.field(description="Median (linear interpolation).")
    p90: float = strawberry.field(description="90th percentile (linear interpolation).")

    @classmethod
    def of(cls, summary: payloads.Summary) -> LatencySummary:
        return cls(min=summary.min, max=summary.max, **_spread(summary))


def _spread(summary: payloads.Summary) -> dict[str, float]:
    """The fields every summary has alike: the mean, the deviation and the percentiles."""
    return {
        "avg": summary.avg,
        "stdDev": summary.std_dev,
        "p10": summary.p10,
        "p50": summary.p50,
        "p90": summary.p90,
    }


def whole(value: float, name: str) -> int:
    """A count the upstream or the gateway summed, as the integer it is; a fraction where a count
    belongs is a body outside the contract (``UPSTREAM_ERROR`` on the field)."""
    if isinstance(value, int):
        return value
    if not value.is_integer():
        raise MalformedBody(f"{name} of a counted metric is {value}, not a whole number")
    return int(value)


@strawberry.type(description="The single resource filter the upstream applied, if any.")
class ResourceFilter:
    type: str = strawberry.field(description="bucket, model, user, node, rule, apiKey or aiLlm.")
    value: strawberry.ID = strawberry.field(description="The filter's value: the id or name it filters by.")


@strawberry.type(description="What a time series covers, as the upstream answered it.")
class SeriesMeta:
    start: EpochSeconds = strawberry.field(description="Start of the window (start of its first bucket).")
    end: EpochSeconds = strawberry.field(description="End of the window (end of its last, current bucket).")
    scope: Scope = strawberry.field(description="The scope of the statistics.")
    scopeId: strawberry.ID | None = strawberry.field(description="The scope's id, if one was given.")
    window: Window | None = strawberry.field(description="The window.")
    bucketSize: BucketSize | None = strawberry.field(description="The bucket size actually used.")
    resourceFilter: ResourceFilter | None = strawberry.field(description="The filter applied, if any.")

    @staticmethod
    def fields(meta: payloads.Meta) -> dict[str, Any]:
        resource = None
        if meta.filter_type is not None and meta.filter_id is not None:
            resource = ResourceFilter(type=meta.filter_type, value=strawberry.ID(meta.filter_id))
        return {
            "start": EpochSeconds(meta.start),
            "end": EpochSeconds(meta.end),
            "scope": from_wire(Scope, meta.scope),
            "scopeId": None if meta.scope_id is None else strawberry.ID(meta.scope_id),
            "window": from_wire(Window, meta.window),
            "bucketSize": from_wire(BucketSize, meta.bucket_size),
            "resourceFilter": resource,
        }


@strawberry.type(description="What a breakdown covers, as the upstream answered it.")
class BreakdownMeta(SeriesMeta):
    by: str = strawberry.field(
        description="The breakdown dimension, in the upstream's words (e.g. `models`)."
    )
    includesSeries: bool = strawberry.field(description="Whether the upstream sent entity series.")
    limit: int = strawberry.field(description="The page size asked for.")
    offset: int = strawberry.field(description="Entities skipped before this page.")
    totalEntities: int = strawberry.field(description="Entities in the breakdown before paging.")


def _columns(cls: type[Any], columns: payloads.Columns) -> Any:
    # A column of unknown values (a distinct count in calendar buckets: resolvers.calendars) is null.
    values = {name: None if v and v[0] is None else v for name, v in columns.values.items()}
    return cls(ts=columns.ts, **values)


def _type_arguments(cls: type[Any], generic: type[Any], names: tuple[str, ...]) -> None:
    """Set ``names`` on ``cls`` to the types it subclasses ``generic`` with, so that a class such as
    ``AiTimeSeries(TimeSeries[AiPoint, AiColumns])`` names its point and columns types once."""
    for base in cls.__dict__.get("__orig_bases__", ()):
        if typing.get_origin(base) is generic:
            for name, argument in zip(names, typing.get_args(base), strict=True):
                setattr(cls, name, argument)


@strawberry.type(description="A time series: one point per bucket of the window, plus its summary.")
class TimeSeries(Generic[P, C]):
    payload: strawberry.Private[payloads.SeriesPayload]
    asked: strawberry.Private[v2_fields.SeriesAsk | None] = None  # for its comparison
    point_type: ClassVar[type[Any]]  # the type arguments, set by __init_subclass__
    columns_type: ClassVar[type[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _type_arguments(cls, TimeSeries, ("point_type", "columns_type"))

    @strawberry.field(description="The window, scope, bucket size and filter of the series.")
    def meta(self) -> SeriesMeta:
        return SeriesMeta(**SeriesMeta.fields(self.payload.meta))

    @strawberry.field(
        description="Row form: one object per bucket. Convenient for tables and small series; every value"
        " is a GraphQL field, so prefer `columns` for charts of many points."
    )
    def series(self) -> list[P]:
        return Rows(self.payload.columns, self.point_type)  # type: ignore[return-value]  # gql.pipeline.row_form

    @strawberry.field(
        description="Chart form: one list per metric, `ts` first; the same numbers as `series`, tens of"
        " times cheaper to execute for long series."
    )
    def columns(self) -> C:
        result: C = _columns(self.columns_type, self.payload.columns)
        return result


@strawberry.type(
    description="One entity of a breakdown: its totals over the window and, on request, its series."
)
class BreakdownEntity(Generic[T, P, C]):
    payload: strawberry.Private[payloads.Entity]
    totals_type: ClassVar[type[Any]]  # the type arguments, set by __init_subclass__
    point_type: ClassVar[type[Any]]
    columns_type: ClassVar[type[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _type_arguments(cls, BreakdownEntity, ("totals_type", "point_type", "columns_type"))

    # Plain data, read as attributes (gql.pipeline.row_form completes them without a resolver call each).
    entityId: strawberry.ID = strawberry.field(
        description="The entity's key in this breakdown's dimension (a repo UUID, a model name...; see the"
        " dimension). Not a cache identity: the same entity has other numbers in another window, scope or"
        " filter, so this type has no `id`. Its link field (`repo { id }`, `model { id }`...) is the entity."
    )
    name: str | None = strawberry.field(description="The entity's display name, if the upstream has one.")

    @strawberry.field(description="The entity's metrics over the whole window.")
    def totals(self) -> T:
        # A dimension may carry more totals than this type shows (the private-chat users breakdown
        # asked for through `breakdown(by: USERS)`): the type takes the ones it declares.
        names = {f.name for f in dataclasses.fields(self.totals_type)}
        result: T = self.totals_type(**{k: v for k, v in self.payload.totals.items() if k in names})
        return result

    def series_columns(self) -> payloads.Columns:
        # The breakdown was asked for with series whenever a field below needs them
        # (gql.schema.lookahead), and its parser refuses an answer that lacks them.
        assert self.payload.columns is not None, "entity series selected but not requested"
        return self.payload.columns

    @strawberry.field(
        description="Row form of the entity's series, from the breakdown's own response (no extra call)."
    )
    def series(self) -> list[P]:
        return Rows(self.series_columns(), self.point_type)  # type: ignore[return-value]  # gql.pipeline.row_form

    @strawberry.field(description="Chart form of the entity's series: one list per metric, `ts` first.")
    def columns(self) -> C:
        result: C = _columns(self.columns_type, self.series_columns())
        return result


@strawberry.type(description="A breakdown: entities ranked by the domain's main metric, one page at a time.")
class Breakdown(Generic[E, Rest]):
    payload: strawberry.Private[payloads.BreakdownPayload]
    # What the page was asked with, for Others (the domain's series over the same selection).
    selection: strawberry.Private[Selection]
    filters: strawberry.Private[Filters]
    domain: strawberry.Private[Domain]
    dimension: strawberry.Private[Dimension]
    entity_type: ClassVar[type[Any]]  # the type arguments, set by __init_subclass__
    others_type: ClassVar[type[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _type_arguments(cls, Breakdown, ("entity_type", "others_type"))

    @strawberry.field(description="The window, dimension, paging and filter of the breakdown.")
    def meta(self) -> BreakdownMeta:
        meta = self.payload.meta
        return BreakdownMeta(
            **SeriesMeta.fields(meta.meta),
            by=meta.by,
            includesSeries=meta.includes_series,
            limit=meta.limit,
            offset=meta.offset,
            totalEntities=meta.total_entities,
        )

    @strawberry.field(description="How many entities the breakdown has before paging.")
    def total(self) -> int:
        return self.payload.total

    @strawberry.field(
        description="Everything the page does not show, as one more series: the domain's series minus"
        " the page's entities, bucket by bucket (see the type)."
    )
    async def others(self, info: Info) -> Rest | None:
        context: RequestContext = info.context
        series = await v2_fields.time_series(context, self.domain, self.selection, self.filters)
        result: Rest = self.others_type(payload=others_of(self.payload, series, self.domain.entity_metrics))
        return result

    @strawberry.field(description="This page of entities, in the order asked (largest first by default).")
    def entities(self) -> list[E]:
        by = self.payload.meta.by
        entity_type = self.entity_type
        return [
            entity_type(payload=entity, by=by, entityId=strawberry.ID(entity.id), name=entity.name)
            for entity in self.payload.entities
        ]
