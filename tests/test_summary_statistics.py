"""`summary(metric:)` on short and fractional series: the gateway's own statistics agree with
Python's `statistics` module, rounded to the six decimals the upstream documents.

The every-field test covers the long series a dashboard asks for; these are the edges it cannot
reach: a series with no buckets, one bucket or two, and values whose seventh decimal matters.
"""

from __future__ import annotations

import statistics

import pytest

from resolvers.statistics import summarize
from resolvers.v2_payloads import Summary
from resolvers.values import Number


def expected(values: list[Number]) -> Summary:
    """The upstream's method, written with the standard library: population deviation and
    inclusive (linearly interpolated) percentiles, six decimals."""
    one = [float(values[0])] * 9  # statistics.quantiles needs two values; one value is every decile
    deciles = one if len(values) == 1 else statistics.quantiles(values, n=10, method="inclusive")
    return Summary(
        total=float(sum(values)),
        avg=round(statistics.fmean(values), 6),
        std_dev=round(statistics.pstdev(values), 6),
        min=float(min(values)),
        max=float(max(values)),
        p10=round(deciles[0], 6),
        p50=round(deciles[4], 6),
        p90=round(deciles[8], 6),
    )


def test_a_series_without_buckets_summarises_to_zeros() -> None:
    assert summarize([]) == Summary(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "values",
    [
        [7],
        [3, 11],
        [1.23456789, 2.98765432],
        [0.1234567, 0.7654321, 0.3333333],
        [5, 1, 4, 1, 5, 9, 2, 6],
    ],
    ids=["one bucket", "two buckets", "two fractional", "three fractional", "unordered"],
)
def test_a_short_series_summarises_like_the_standard_library(values: list[Number]) -> None:
    assert summarize(values) == expected(values)
