"""``summary(metric:)`` fields, made per domain because each takes that domain's metric enum.

This module keeps its annotations as real objects (no postponed evaluation): the resolvers are
built inside functions, and Strawberry reads the enum of each from the closure.
"""

from enum import Enum
from typing import Annotated, Any

import strawberry

from gql.enums import wire
from gql.series import Summary
from resolvers.statistics import summarize

_METRIC = "The metric to summarise; the gateway computes it from the series it already holds."


def series_summary(metrics: type[Enum]) -> Any:
    """The upstream's own summary, or with ``metric`` the gateway's summary of any metric."""

    def summary(
        self: Any,
        metric: Annotated[metrics | None, strawberry.argument(description=_METRIC)] = None,  # type: ignore[valid-type]
    ) -> Summary:
        if metric is None:
            return Summary.of(self.payload.summary)
        return Summary.of(summarize(self.payload.columns.values[wire(metric)]))

    return strawberry.field(
        resolver=summary,
        description="Without `metric`: the upstream's summary of the domain's main metric (requests for"
        " storage, AI and private chat; violations for policies; policyTokensIn + policyTokensOut for"
        " policy tokens; creditsTotal for credits). With `metric`: the same statistics of that metric,"
        " computed by the gateway with the same method, at no extra upstream cost.",
    )


def entity_summary(metrics: type[Enum]) -> Any:
    """The gateway's summary of one metric of an entity's series (the upstream sends none)."""

    def summary(
        self: Any,
        metric: Annotated[metrics, strawberry.argument(description=_METRIC)],  # type: ignore[valid-type]
    ) -> Summary:
        return Summary.of(summarize(self.series_columns().values[wire(metric)]))

    return strawberry.field(
        resolver=summary,
        description="Statistics of one metric over the entity's series, computed by the gateway (asks the"
        " breakdown for series).",
    )
