"""The gateway's own summary of any metric of a series.

It uses the method the local backend documents for the upstream's ``summary`` (population
standard deviation, linearly interpolated percentiles, every bucket counted, six decimals), so
for the metric the upstream summarises the two agree, and for every other metric the client gets
the same statistics without fetching anything more.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from resolvers.v2_payloads import SeriesPayload, Summary
from resolvers.values import Number


def _percentile(ordered: Sequence[Number], fraction: float) -> float:
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(values: Sequence[Number]) -> Summary:
    if not values:
        return Summary(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    total = sum(values)
    mean = total / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    ordered = sorted(values)
    return Summary(
        total=float(total),
        avg=round(mean, 6),
        std_dev=round(math.sqrt(variance), 6),
        min=float(ordered[0]),
        max=float(ordered[-1]),
        p10=round(_percentile(ordered, 0.1), 6),
        p50=round(_percentile(ordered, 0.5), 6),
        p90=round(_percentile(ordered, 0.9), 6),
    )


def summary_of(payload: SeriesPayload) -> Summary:
    """The upstream's summary of a series; for one taken from a breakdown, which comes without, the
    same statistics of the same metric, computed only when a field asks for them."""
    if payload.summary is not None:
        return payload.summary
    values = payload.columns.values
    columns = [values[name] for name in payload.summary_metrics]
    return summarize(columns[0] if len(columns) == 1 else [sum(each) for each in zip(*columns, strict=True)])
