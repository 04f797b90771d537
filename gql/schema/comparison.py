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


NULL_OVER_A_PERIOD = {
    "activeConversations": " Null over a period: a distinct count per bucket does not add up (a conversation"
    " active in two buckets is in both).",
    "latencyMs": " Over a period: the buckets' latencies weighted by their requests; null without requests.",
}


def _total(name: str) -> Any:  # pragma: no mutate block (import time)
    return strawberry.field(description=DOCS[name] + NULL_OVER_A_PERIOD.get(name, ""), default=None)


def _totals(name: str, metrics: tuple[Metric, ...]) -> type[Any]:  # pragma: no mutate block (import time)
    @strawberry.type(name=f"{name}PeriodTotals", description="The metrics over one period of a comparison.")
    @m.metric_fields(metrics, Long, float, _total, frozenset(NULL_OVER_A_PERIOD))
    class Totals:
        pass

    return Totals


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
        payload: comparison.ComparisonPayload = self.payload
        return ComparisonMeta(
            to=CompareTo(payload.to),
            sourceWindow=Window(payload.source_window),
            bucketSize=BucketSize(payload.bucket_size),
            offsetSeconds=payload.offset_seconds,
            completeBucketsOnly=payload.complete_only,
            lastBucketFilling=not payload.complete_only,
        )

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
        moved = comparison.change(
            comparison.period_totals(payload.current).get(wire(metric)),
            comparison.period_totals(payload.previous).get(wire(metric)),
        )
        return Change(
            current=_long(moved.current),
            previous=_long(moved.previous),
            delta=_long(moved.delta),
            percent=moved.percent,
            direction=ChangeDirection(moved.direction),
        )

    class Comparison:
        payload: strawberry.Private[comparison.ComparisonPayload]
        meta_field = strawberry.field(
            resolver=meta, name="meta", description="The source window, offset and bucket size."
        )
        current_field = strawberry.field(
            resolver=current, name="current", description="This period: the window asked for."
        )
        previous_field = strawberry.field(
            resolver=previous, name="previous", description="The earlier period it is compared with."
        )
        change_field = strawberry.field(
            resolver=change,
            name="change",
            description="How `metric`'s total moved: both totals, the delta, the percent and the direction.",
        )

    return strawberry.type(
        Comparison,
        name=f"{name}Comparison",
        description="The window and an earlier period of the same length, from one upstream call.",
    )


def _long(value: Any) -> Long | None:
    return None if value is None else Long(value)


def comparison_field(kind: Any) -> Any:  # pragma: no mutate block (import time)
    """A time series' ``comparison``: the series of the same selection compared with an earlier period."""

    async def resolve(
        self: Any,
        info: Info,
        to: Annotated[
            CompareTo, strawberry.argument(description="The earlier period.")
        ] = CompareTo.PREVIOUS_PERIOD,
        completeBucketsOnly: Annotated[
            bool,
            strawberry.argument(
                description="Leave out the bucket still filling, and its counterpart in the previous"
                " period, so a partial bucket is not set against a whole one."
            ),
        ] = False,
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
        " this window in the same operation comes from that call too. A window and bucket size that no"
        " window reaches back from (`LAST_7D` at 5 or 10 minutes, `LAST_90D` at an hour, `LAST_365D`)"
        " is refused before any call: BAD_USER_INPUT with `extensions.reason` COMPARISON_UNAVAILABLE and"
        " `extensions.bucketSizes` that work. An answer that cannot be cut cleanly is UPSTREAM_ERROR with"
        " reason COMPARISON_MISALIGNED, never a shifted comparison.",
    )


if TYPE_CHECKING:
    StorageComparison = Any
    AiComparison = Any
    PrivateChatComparison = Any
    PolicyComparison = Any
    PolicyTokenComparison = Any
    CreditComparison = Any
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
