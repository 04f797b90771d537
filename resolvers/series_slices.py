"""A window's series cut from the series of a longer window asked at the same instant.

The upstream ends every window at the end of the bucket that holds "now" and reaches back by the
window's length (docs/upstream-contract.md §2.2), so two windows asked with the same bucket size
end together, and the shorter one's buckets are the last buckets of the longer one. That is what
lets one call answer a period and the period before it (``resolvers.comparison``), and a plain
series of the shorter window in the same operation (``RestRequest.stand_ins``).

A cut is made only from an answer that is provably in step: the bucket size asked for, an end on
that bucket size's grid, a span of the window's length, buckets back to back with no gap, the last
one ending at ``meta.end``, and enough of them. Anything else
would shift every value silently, so it is refused as ``MalformedBody`` with the reason
``COMPARISON_MISALIGNED``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

from resolvers import resources
from resolvers.errors import MalformedBody
from resolvers.requests import Selection
from resolvers.resources import Domain
from resolvers.v2_payloads import Columns, SeriesPayload

MISALIGNED = "COMPARISON_MISALIGNED"


def effective_bucket(window: str, bucket_size: str | None) -> str:
    """The bucket size a window is answered at: the one asked for, or the window's default."""
    return bucket_size or resources.DEFAULT_BUCKET_SIZES[window]


def checked_tail(source: SeriesPayload, bucket_size: str, buckets: int) -> None:
    """Refuse a source whose last ``buckets`` buckets cannot be trusted to be the ones asked for."""
    meta = source.meta
    if meta.bucket_size != bucket_size:
        shown = "none" if meta.bucket_size is None else resources.BUCKET_SIZES[meta.bucket_size].name
        raise _misaligned(f"it is in buckets of {shown}, not {resources.BUCKET_SIZES[bucket_size].name}")
    step = resources.BUCKET_SIZES[bucket_size].seconds
    if meta.end % step:
        raise _misaligned(f"its end {meta.end} is not on the grid of {step} s buckets")
    if meta.window is not None and meta.end - meta.start != resources.WINDOWS[meta.window].seconds:
        raise _misaligned(
            f"it spans {meta.end - meta.start} s, not the {resources.WINDOWS[meta.window].name} asked"
        )
    if len(source.columns) < buckets:
        raise _misaligned(f"it has {len(source.columns):,} buckets where {buckets:,} are needed")
    ts = source.columns.last_ts(buckets)
    if ts and ts[-1] + step != meta.end:
        raise _misaligned(f"its last bucket starts at {ts[-1]}, not one bucket before its end {meta.end}")
    if ts != list(range(meta.end - buckets * step, meta.end, step)):  # one comparison, in C
        gap = next(i for i in range(1, len(ts)) if ts[i] - ts[i - 1] != step)
        raise _misaligned(f"buckets {ts[gap - 1]} and {ts[gap]} are not {step} s apart")


def _misaligned(why: str) -> MalformedBody:
    return MalformedBody(f"the series cannot be cut into periods: {why}", reason=MISALIGNED)


def cut(
    source: SeriesPayload, window: str, start: int, stop: int, summary_metrics: tuple[str, ...]
) -> SeriesPayload:
    """Buckets ``start`` to ``stop`` (indexes from the end, as in ``points[start:stop]``) of a checked
    source, as a series of ``window``. Its summary is the gateway's, of the metric the upstream's
    covers, computed only if asked (``resolvers.statistics.summary_of``)."""
    points = source.columns.points
    kept = points[len(points) + start : len(points) + stop if stop else None]
    columns = Columns(kept, source.columns.names)
    # The tail is checked back to back up to meta.end, so a bucket's place says when it starts
    # (and an empty cut, a one-bucket window less its filling bucket, still says where it lies).
    step = resources.BUCKET_SIZES[source.meta.bucket_size or ""].seconds
    meta = replace(
        source.meta, window=window, start=source.meta.end + start * step, end=source.meta.end + stop * step
    )
    return SeriesPayload(meta, None, columns, summary_metrics)


def narrowing(domain: Domain, selection: Selection) -> Callable[[SeriesPayload], SeriesPayload]:
    """How ``selection``'s series is made from a longer window's at its bucket size (the loaders'
    ``narrow`` of a series request)."""
    return functools.partial(
        last_window,
        window=selection.window,
        bucket_size=effective_bucket(selection.window, selection.bucket_size),
        summary_metrics=domain.summary_metrics,
    )


def last_window(
    source: SeriesPayload, window: str, bucket_size: str, summary_metrics: tuple[str, ...]
) -> SeriesPayload:
    """The series ``window`` would have been answered with, from a longer window's series."""
    buckets = resources.points(window, bucket_size)
    checked_tail(source, bucket_size, buckets)
    return cut(source, window, -buckets, 0, summary_metrics)
