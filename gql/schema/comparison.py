"""``comparison`` on every time series: the window and the period before it, and how each metric moved.

The work is ``resolvers.comparison``'s (one call of a longer window, cut in two); these types show
it. Each domain's periods are series of that domain (meta, rows, columns, summaries) with totals,
and its ``change(metric:)`` takes that domain's metric enum, so the types are made per domain from
the same metric table as the series.
"""

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from gql.schema import metric_types as m
from gql.schema.enums import BucketSize, Window, wire
from gql.schema.metric_types import DOCS
from gql.schema.scalars import Long
from gql.schema.series import TimeSeries
from gql.schema.summary_fields import series_latency, series_summary
from resolvers import comparison, resources, v2_fields
from resolvers.context import RequestContext
from resolvers.resources import Metric


@strawberry.enum(description="Which earlier period a window is compared with.")
class CompareTo(Enum):
    PREVIOUS_PERIOD = strawberry.enum_value(
        "previous_period",
        description="The period of the same length just before (the 24 h before the last 24 h).",
    )
    PREVIOUS_WEEK = strawberry.enum_value(
        "previous_week",
        description="The same window a week earlier (the last 24 h against the same 24 h a week ago).",
    )


@strawberry.enum(description="Which way a metric moved from the previous period to this one.")
class ChangeDirection(Enum):
    UP = strawberry.enum_value("up", description="Larger than before.")
    DOWN = strawberry.enum_value("down", description="Smaller than before.")
    FLAT = strawberry.enum_value("flat", description="The same, and not zero.")
    NEW = strawberry.enum_value("new", description="Zero before, not now: no percent can be given.")
    GONE = strawberry.enum_value("gone", description="Not zero before, zero now.")
    NONE = strawberry.enum_value("none", description="Zero in both periods.")
    UNKNOWN = strawberry.enum_value(
        "unknown", description="A period total that cannot be known from its buckets (a distinct count)."
    )


@strawberry.type(description="How one metric's total moved from the previous period to this one.")
class Change:
    current: Long | None = strawberry.field(description="The total over this period; null when UNKNOWN.")
    previous: Long | None = strawberry.field(
        description="The total over the previous period; null when UNKNOWN."
    )
    delta: Long | None = strawberry.field(description="current - previous; null when UNKNOWN.")
    percent: float | None = strawberry.field(
        description="delta as a percent of the previous total's size (+50.0 is half as much again); null"
        " when the previous total is 0 or UNKNOWN."
    )
    direction: ChangeDirection = strawberry.field(description="Which way it moved.")


@strawberry.type(description="Where a comparison's numbers come from.")
class ComparisonMeta:
    to: CompareTo = strawberry.field(description="The earlier period compared with.")
    sourceWindow: Window = strawberry.field(
        description="The one window asked of the statistics API; both periods are its last buckets."
    )
    bucketSize: BucketSize = strawberry.field(description="The bucket size of both periods.")
    offsetSeconds: int = strawberry.field(description="How far the previous period lies before this one.")
    completeBucketsOnly: bool = strawberry.field(description="Whether the bucket still filling is left out.")
    lastBucketFilling: bool = strawberry.field(
        description="Whether this period's last bucket is the one holding now, still filling (so its"
        " totals will still grow); false with completeBucketsOnly."
    )

    @classmethod
    def of(cls, shift: comparison.Shift) -> "ComparisonMeta":
        return cls(
            to=CompareTo(shift.to),
            sourceWindow=Window(shift.source_window),
            bucketSize=BucketSize(shift.bucket_size),
            offsetSeconds=shift.offset_seconds,
            completeBucketsOnly=shift.complete_only,
            lastBucketFilling=not shift.complete_only,
        )


NULL_OVER_A_PERIOD = {
    "activeConversations": " Null over a period: a distinct count per bucket does not add up (a conversation"
    " active in two buckets is in both).",
    "latencyMs": " Over a period: the buckets' latencies weighted by their requests; null without requests.",
}


def _total(name: str) -> Any:  # pragma: no mutate block (import time)
    return strawberry.field(description=DOCS[name] + NULL_OVER_A_PERIOD.get(name, ""), default=None)


_TOTALS: dict[str, type[Any]] = {}


def _totals(name: str, metrics: tuple[Metric, ...]) -> type[Any]:  # pragma: no mutate block (import time)
    """The period totals of a set of metrics, made once per name (a series and its entities share it)."""
    if name not in _TOTALS:

        @strawberry.type(
            name=f"{name}PeriodTotals", description="The metrics over one period of a comparison."
        )
        @m.metric_fields(metrics, Long, float, _total, frozenset(NULL_OVER_A_PERIOD))
        class Totals:
            pass

        _TOTALS[name] = Totals
    return _TOTALS[name]


def _change(current: dict[str, Any], previous: dict[str, Any], metric: Enum) -> Change:
    moved = comparison.change(current.get(wire(metric)), previous.get(wire(metric)))
    return Change(
        current=_long(moved.current),
        previous=_long(moved.previous),
        delta=_long(moved.delta),
        percent=moved.percent,
        direction=ChangeDirection(moved.direction),
    )


def _long(value: Any) -> Long | None:
    return None if value is None else Long(value)


META = "The source window, offset and bucket size."
CHANGE = "How `metric`'s total moved: both totals, the delta, the percent and the direction."


def _period(
    name: str, point: type[Any], columns: type[Any], metrics: tuple[Metric, ...], metric_enum: Any
) -> type[Any]:  # pragma: no mutate block (import time)
    totals_type = _totals(name, metrics)

    def totals(self: Any) -> totals_type:  # type: ignore[valid-type]
        made: Any = totals_type(**comparison.period_totals(self.payload))
        return made  # type: ignore[no-any-return]  # a type made at import time

    class Period(TimeSeries[point, columns]):  # type: ignore[valid-type]
        summary = series_summary(metric_enum)
        totals_field = strawberry.field(
            resolver=totals, name="totals", description="The metrics over the whole period."
        )

    if any(each.fractional for each in metrics):
        Period.latencySummary = series_latency()  # type: ignore[attr-defined]
    return strawberry.type(
        Period,
        name=f"{name}Period",
        description="One period of a comparison: a series of the window's length, cut from the source.",
    )


def _comparison(
    name: str, point: type[Any], columns: type[Any], metrics: tuple[Metric, ...], metric_enum: Any
) -> type[Any]:  # pragma: no mutate block (import time)
    period = _period(name, point, columns, metrics, metric_enum)

    def meta(self: Any) -> ComparisonMeta:
        return ComparisonMeta.of(self.payload.shift)

    def current(self: Any) -> period:  # type: ignore[valid-type]
        made: Any = period(payload=self.payload.current)
        return made  # type: ignore[no-any-return]  # a type made at import time

    def previous(self: Any) -> period:  # type: ignore[valid-type]
        made: Any = period(payload=self.payload.previous)
        return made  # type: ignore[no-any-return]  # a type made at import time

    def change(
        self: Any,
        metric: Annotated[metric_enum, strawberry.argument(description="The metric to compare.")],
    ) -> Change:
        payload: comparison.ComparisonPayload = self.payload
        name = wire(metric)
        current = {name: comparison.period_total(payload.current, name)}
        return _change(current, {name: comparison.period_total(payload.previous, name)}, metric)

    class Comparison:
        payload: strawberry.Private[comparison.ComparisonPayload]
        meta_field = strawberry.field(resolver=meta, name="meta", description=META)
        current_field = strawberry.field(
            resolver=current, name="current", description="This period: the window asked for."
        )
        previous_field = strawberry.field(
            resolver=previous, name="previous", description="The earlier period it is compared with."
        )
        change_field = strawberry.field(resolver=change, name="change", description=CHANGE)

    return strawberry.type(
        Comparison,
        name=f"{name}Comparison",
        description="The window and an earlier period of the same length, from one upstream call.",
    )


def _breakdown_comparison(
    name: str, totals_name: str, metrics: tuple[Metric, ...], metric_enum: Any
) -> type[Any]:  # pragma: no mutate block (import time)
    totals_type = _totals(totals_name, metrics)

    def current(self: Any) -> totals_type:  # type: ignore[valid-type]
        made: Any = totals_type(**self.payload.current)
        return made  # type: ignore[no-any-return]  # a type made at import time

    def previous(self: Any) -> totals_type:  # type: ignore[valid-type]
        made: Any = totals_type(**self.payload.previous)
        return made  # type: ignore[no-any-return]  # a type made at import time

    def change(
        self: Any,
        metric: Annotated[metric_enum, strawberry.argument(description="The metric to compare.")],
    ) -> Change:
        return _change(self.payload.current, self.payload.previous, metric)

    @strawberry.type(name=f"{name}EntityChange", description="One entity's totals in both periods.")
    class EntityChange:
        payload: strawberry.Private[comparison.EntityChange]
        entityId: strawberry.ID = strawberry.field(
            description="The entity's key in the breakdown's dimension."
        )
        name: str | None = strawberry.field(description="The entity's display name, if the upstream has one.")
        current_field = strawberry.field(
            resolver=current, name="current", description="Its totals over this period."
        )
        previous_field = strawberry.field(
            resolver=previous, name="previous", description="Its totals over the earlier period."
        )
        change_field = strawberry.field(resolver=change, name="change", description=CHANGE)

    def meta(self: Any) -> ComparisonMeta:
        return ComparisonMeta.of(self.payload.shift)

    def entities(self: Any) -> list[EntityChange]:
        return [
            EntityChange(payload=each, entityId=strawberry.ID(each.id), name=each.name)
            for each in self.payload.entities
        ]

    class BreakdownComparison:
        payload: strawberry.Private[comparison.BreakdownComparison]
        meta_field = strawberry.field(resolver=meta, name="meta", description=META)
        entities_field = strawberry.field(
            resolver=entities,
            name="entities",
            description="Every entity of the page in its order, then those with traffic in the earlier"
            " period only (GONE).",
        )

    return strawberry.type(
        BreakdownComparison,
        name=f"{name}BreakdownComparison",
        description="Each entity's totals over the window and an earlier period, from one call of the"
        " source window's breakdown with series.",
    )


To = Annotated[CompareTo, strawberry.argument(description="The earlier period.")]
CompleteBucketsOnly = Annotated[
    bool,
    strawberry.argument(
        description="Leave out the bucket still filling, and its counterpart in the previous period, so a"
        " partial bucket is not set against a whole one (a window of one bucket then has none)."
    ),
]
REFUSALS = (
    " A window and bucket size that no window reaches back from (`LAST_7D` at 5 or 10 minutes, `LAST_90D`"
    " at an hour, `LAST_365D`) is refused before any call: BAD_USER_INPUT with `extensions.reason`"
    " COMPARISON_UNAVAILABLE and `extensions.bucketSizes` that work. An answer that cannot be cut cleanly"
    " is UPSTREAM_ERROR with reason COMPARISON_MISALIGNED, never a shifted comparison."
)


def comparison_field(kind: Any) -> Any:  # pragma: no mutate block (import time)
    """A time series' ``comparison``: the series of the same selection compared with an earlier period."""

    async def resolve(
        self: Any,
        info: Info,
        to: To = CompareTo.PREVIOUS_PERIOD,
        completeBucketsOnly: CompleteBucketsOnly = False,
    ) -> kind | None:
        context: RequestContext = info.context
        asked: v2_fields.SeriesAsk = self.asked
        payload = await v2_fields.compared(
            context, asked.domain, asked.selection, asked.filters, wire(to), completeBucketsOnly
        )
        return kind(payload=payload)

    return strawberry.field(
        resolver=resolve,
        description="This window against an earlier period of the same length, with both periods' series,"
        " totals and summaries and each metric's change. One upstream call of a longer window (the"
        " shortest that reaches back far enough at this bucket size), cut in two; the plain series of"
        " this window in the same operation comes from that call too." + REFUSALS,
    )


def breakdown_comparison_field(kind: Any) -> Any:  # pragma: no mutate block (import time)
    """A breakdown's ``comparison``: each entity's totals over the window and an earlier period."""

    async def resolve(
        self: Any,
        info: Info,
        to: To = CompareTo.PREVIOUS_PERIOD,
        completeBucketsOnly: CompleteBucketsOnly = False,
    ) -> kind | None:
        context: RequestContext = info.context
        payload = await v2_fields.compared_breakdown(
            context, self.dimension, self.selection, self.filters, self.payload, wire(to), completeBucketsOnly
        )
        return kind(payload=payload)

    return strawberry.field(
        resolver=resolve,
        description="Each entity's totals over this window and an earlier period, and each metric's change."
        " One more upstream call: the breakdown of the source window (the shortest that reaches back far"
        f" enough) with series, {resources.LIMIT_MAX} entities, cut in two per entity. Needs every entity"
        " in this page (offset 0, a limit of at least `totalEntities`) and at most"
        f" {resources.LIMIT_MAX} entities over the source window; otherwise BAD_USER_INPUT with reason"
        " COMPARISON_NEEDS_EVERY_ENTITY and `extensions.totalEntities`." + REFUSALS,
    )


if TYPE_CHECKING:
    StorageComparison = Any
    AiComparison = Any
    PrivateChatComparison = Any
    PolicyComparison = Any
    PolicyTokenComparison = Any
    CreditComparison = Any
    StorageBreakdownComparison = Any
    AiBreakdownComparison = Any
    PrivateChatBreakdownComparison = Any
    PolicyBreakdownComparison = Any
    CreditBreakdownComparison = Any
else:
    StorageComparison = _comparison(
        "Storage", m.StoragePoint, m.StorageColumns, resources.STORAGE.metrics, m.StorageMetric
    )
    AiComparison = _comparison("Ai", m.AiPoint, m.AiColumns, resources.AI.metrics, m.AiMetric)
    PrivateChatComparison = _comparison(
        "PrivateChat",
        m.PrivateChatPoint,
        m.PrivateChatColumns,
        resources.PRIVATE_CHAT.metrics,
        m.PrivateChatMetric,
    )
    PolicyComparison = _comparison(
        "Policy", m.PolicyPoint, m.PolicyColumns, resources.POLICIES.metrics, m.PolicyMetric
    )
    PolicyTokenComparison = _comparison(
        "PolicyToken",
        m.PolicyTokenPoint,
        m.PolicyTokenColumns,
        resources.POLICY_TOKENS.metrics,
        m.PolicyTokenMetric,
    )
    CreditComparison = _comparison(
        "Credit", m.CreditPoint, m.CreditColumns, resources.CREDITS.metrics, m.CreditMetric
    )
    StorageBreakdownComparison = _breakdown_comparison(
        "Storage", "Storage", resources.STORAGE.entity_metrics, m.StorageMetric
    )
    AiBreakdownComparison = _breakdown_comparison("Ai", "Ai", resources.AI.entity_metrics, m.AiMetric)
    PrivateChatBreakdownComparison = _breakdown_comparison(
        "PrivateChat", "PrivateChat", resources.PRIVATE_CHAT.entity_metrics, m.PrivateChatMetric
    )
    PolicyBreakdownComparison = _breakdown_comparison(
        "Policy", "PolicyEnforcement", resources.POLICIES.entity_metrics, m.PolicyEnforcementMetric
    )
    CreditBreakdownComparison = _breakdown_comparison(
        "Credit", "Credit", resources.CREDITS.entity_metrics, m.CreditMetric
    )
