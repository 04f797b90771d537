"""``summary(metric:)`` fields, made per domain because each takes that domain's metric enum.

This module keeps its annotations as real objects (no postponed evaluation): the resolvers are
built inside functions, and Strawberry reads the enum of each from the closure. The closures only
pass their arguments on; the work is done by ``series_summary_of`` and ``entity_summary_of``.
"""

from enum import Enum
from typing import Annotated, Any

import strawberry

from gql.schema.enums import wire
from gql.schema.series import LatencySummary, Summary
from resolvers.errors import BadInput
from resolvers.statistics import summarize, summary_of

_METRIC = "The metric to summarise; the gateway computes it from the series it already holds."


def series_summary_of(series: Any, metric: Enum | None) -> Summary:
    """The upstream's own summary, or with ``metric`` the gateway's summary of any metric."""
    if metric is None:
        return Summary.of(summary_of(series.payload))
    column = series.payload.columns.values[wire(metric)]
    if column and column[0] is None:  # a distinct count in calendar buckets (resolvers.calendars)
        raise BadInput(
            f"{wire(metric)} is unknown in calendar buckets built from finer ones (a distinct count does not"
            " add up); summarise it from a stats field without timeZone or WEEK_1."
        )
    return Summary.of(summarize(column))


def entity_summary_of(entity: Any, metric: Enum) -> Summary:
    """The gateway's summary of one metric of an entity's series (the upstream sends none)."""
    return Summary.of(summarize(entity.series_columns().values[wire(metric)]))


LATENCY = "latencyMs"


def latency_summary_of(columns: Any) -> LatencySummary:
    """The statistics of the per-bucket latency, computed by the gateway from the series it holds."""
    return LatencySummary.of(summarize(columns.values[LATENCY]))


def series_latency() -> Any:  # pragma: no mutate block (import time)
    def latency(self: Any) -> LatencySummary:
        return latency_summary_of(self.payload.columns)

    return strawberry.field(
        resolver=latency,
        description="Statistics of the per-bucket mean latency, computed by the gateway from the series"
        " (no extra upstream call).",
    )


def entity_latency() -> Any:  # pragma: no mutate block (import time)
    def latency(self: Any) -> LatencySummary:
        return latency_summary_of(self.series_columns())

    return strawberry.field(
        resolver=latency,
        description="Statistics of the entity's per-bucket mean latency, computed by the gateway (asks"
        " the breakdown for series).",
    )


def series_summary(metrics: type[Enum]) -> Any:  # pragma: no mutate block (import time)
    def summary(
        self: Any,
        metric: Annotated[metrics | None, strawberry.argument(description=_METRIC)] = None,  # type: ignore[valid-type]
    ) -> Summary:
        return series_summary_of(self, metric)

    return strawberry.field(
        resolver=summary,
        description="Without `metric`: the upstream's summary of the domain's main metric (requests for"
        " storage, AI and private chat; violations for policies; policyTokensIn + policyTokensOut for"
        " policy tokens; creditsTotal for credits). With `metric`: the same statistics of that metric,"
        " computed by the gateway with the same method, at no extra upstream cost.",
    )


def entity_summary(metrics: type[Enum]) -> Any:  # pragma: no mutate block (import time)
    def summary(
        self: Any,
        metric: Annotated[metrics, strawberry.argument(description=_METRIC)],  # type: ignore[valid-type]
    ) -> Summary:
        return entity_summary_of(self, metric)

    return strawberry.field(
        resolver=summary,
        description="Statistics of one metric over the entity's series, computed by the gateway (asks the"
        " breakdown for series).",
    )


def others_share_of(others: Any, metric: Enum) -> float | None:
    """Others' part of the domain's total of ``metric``; None where the domain total is 0 or the
    metric does not subtract."""
    part = others.payload.totals.get(wire(metric))
    whole = others.payload.domain_totals.get(wire(metric))
    return None if part is None or not whole else part / whole


def others_share(metrics: type[Enum]) -> Any:  # pragma: no mutate block (import time)
    def share(
        self: Any,
        metric: Annotated[metrics, strawberry.argument(description="The metric to take the share of.")],  # type: ignore[valid-type]
    ) -> float | None:
        return others_share_of(self, metric)

    return strawberry.field(
        resolver=share,
        description="Others' share of the domain's total of `metric`, from 0 to 1 (the page's entities hold"
        " the rest); null when the domain's total is 0.",
    )
