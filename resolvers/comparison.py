"""Period over period from one call: a window and the window before it, cut from a longer window.

A KPI tile needs this period's total and the last one's. Over REST that is two calls at best,
and impossible at worst: windows are relative ("the last 24 h"), so nothing asks for "the 24 h
before". But a longer window asked at the same instant and bucket size ends where the shorter one
does (``resolvers.series_slices``), so its last buckets are the period and the ones before them
the previous period. The source is the shortest window that reaches back far enough at that
bucket size: ``LAST_24H`` and the 24 h before come from ``LAST_7D``, 30 days from 90, and so on.

Some pairs no window can answer: a window must hold at most ``MAX_POINTS`` buckets, so nothing
reaches 14 days back in 5-minute buckets, 180 days back in hours, or before 365 days. Those are
refused before any call (``COMPARISON_UNAVAILABLE``), with the bucket sizes that work.

Totals over a period are sums, except where a sum means nothing: ``activeConversations`` is a
distinct count per bucket (conversations active in two buckets would count twice), so its period
total is unknown; ``latencyMs`` is a mean per bucket, so its period value is the mean weighted by
requests, as the upstream weighs it within a bucket.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from resolvers import resources
from resolvers.errors import BadInput, MalformedBody
from resolvers.requests import Selection
from resolvers.series_slices import checked_tail, cut, effective_bucket
from resolvers.v2_payloads import BreakdownPayload, SeriesPayload
from resolvers.values import Number

UNAVAILABLE = "COMPARISON_UNAVAILABLE"
WEEK = 7 * 86_400
# How far back the previous period starts, by ``CompareTo`` wire value: None is the window's own length.
OFFSETS: dict[str, int | None] = {"previous_period": None, "previous_week": WEEK}
DISTINCT_COUNTS = frozenset({"activeConversations"})
WEIGHTED = {"latencyMs": "requests"}  # a mean per bucket, and the count it is weighted by


def offset_seconds(window: str, to: str) -> int:
    offset = OFFSETS[to]
    return resources.WINDOWS[window].seconds if offset is None else offset


@functools.cache
def source_window(window: str, bucket_size: str, to: str) -> str | None:
    """The shortest window that holds ``window`` and the period ``to`` before it, in buckets of
    ``bucket_size``; None where none does."""
    needed = resources.WINDOWS[window].seconds + offset_seconds(window, to)
    for candidate, span in sorted(resources.WINDOWS.items(), key=lambda item: item[1].seconds):
        if span.seconds >= needed and bucket_size in resources.bucket_sizes_for(candidate):
            return candidate
    return None


def working_sizes(window: str, to: str) -> list[str]:
    """The bucket sizes at which ``window`` can be compared ``to``, finest first."""
    return [
        size for size in resources.bucket_sizes_for(window) if source_window(window, size, to) is not None
    ]


def source(selection: Selection, to: str) -> Selection:
    """The selection whose one call answers ``selection`` and its previous period ``to``; refused,
    before any call, where no window reaches back far enough."""
    bucket = effective_bucket(selection.window, selection.bucket_size)
    wider = source_window(selection.window, bucket, to)
    if wider is None:
        window = resources.WINDOWS[selection.window].name
        names = [resources.BUCKET_SIZES[size].name for size in working_sizes(selection.window, to)]
        fix = (
            f"ask with bucketSize {', '.join(names[:-1])}{' or ' if len(names) > 1 else ''}{names[-1]}"
            if names
            else "no bucket size reaches back that far; compare a shorter window"
        )
        raise BadInput(
            f"{window} in buckets of {resources.BUCKET_SIZES[bucket].name} cannot be compared to the"
            f" {to.replace('_', ' ')}: no window the statistics API answers at that bucket size reaches"
            f" back far enough. {fix[:1].upper()}{fix[1:]}.",
            reason=UNAVAILABLE,
            details={"bucketSizes": names},
        )
    return Selection(selection.scope, selection.scope_id, wider, bucket)


@dataclass(frozen=True, slots=True)
class Shift:
    """How the two periods were had: the earlier period, the source window, the bucket size."""

    to: str
    source_window: str
    bucket_size: str
    offset_seconds: int
    complete_only: bool


@dataclass(frozen=True, slots=True)
class ComparisonPayload:
    current: SeriesPayload
    previous: SeriesPayload
    shift: Shift


def compare(
    source_series: SeriesPayload,
    selection: Selection,
    to: str,
    complete_only: bool,
    summary_metrics: tuple[str, ...],
) -> ComparisonPayload:
    """The period and the previous one, cut from the source's answer. With ``complete_only`` the
    bucket still filling is left out of the period, and its counterpart out of the previous one."""
    bucket = effective_bucket(selection.window, selection.bucket_size)
    step = resources.BUCKET_SIZES[bucket].seconds
    buckets = resources.points(selection.window, bucket)
    back = offset_seconds(selection.window, to) // step
    checked_tail(source_series, bucket, buckets + back)
    stop = -1 if complete_only else 0
    return ComparisonPayload(
        current=cut(source_series, selection.window, -buckets, stop, summary_metrics),
        previous=cut(source_series, selection.window, -buckets - back, stop - back, summary_metrics),
        shift=Shift(to, source_series.meta.window or "", bucket, back * step, complete_only),
    )


# -- per entity ---------------------------------------------------------------------------------

INCOMPLETE = "COMPARISON_NEEDS_EVERY_ENTITY"


@dataclass(frozen=True, slots=True)
class EntityChange:
    id: str
    name: str | None
    current: dict[str, Number | None]
    previous: dict[str, Number | None]


@dataclass(frozen=True, slots=True)
class BreakdownComparison:
    entities: list[EntityChange]
    shift: Shift


def every_entity(total: int, held: int, offset: int, where: str) -> None:
    """Refuse a per-entity comparison from a page that does not hold every entity: an entity left
    out of it would be missing from the comparison, or ranked by the other window's numbers."""
    if offset or held < total:
        raise BadInput(
            f"A breakdown's comparison needs every entity in one page, and {where} has {total:,}"
            f" (this page holds {held:,} from offset {offset:,}). Ask with offset 0 and a limit of at"
            f" least {total:,}, or narrow the breakdown with a filter.",
            reason=INCOMPLETE,
            details={"totalEntities": total},
        )


def compare_entities(
    page: BreakdownPayload, source: BreakdownPayload, selection: Selection, to: str, complete_only: bool
) -> BreakdownComparison:
    """Each entity's totals over the period and the previous one, from the source breakdown's entity
    series (one call): the page's entities in the page's order, then those that had traffic only
    in the previous period (GONE)."""
    every_entity(page.meta.total_entities, len(page.entities), page.meta.offset, "the breakdown")
    every_entity(
        source.meta.total_entities, len(source.entities), 0, f"the source window {source.meta.meta.window}"
    )
    changes = {}
    shift = None
    for entity in source.entities:
        if entity.columns is None:
            raise MalformedBody(f"entity {entity.id} of the source breakdown has no series")
        series = SeriesPayload(source.meta.meta, None, entity.columns)
        periods = compare(series, selection, to, complete_only, ())
        shift = periods.shift
        changes[entity.id] = EntityChange(
            entity.id, entity.name, period_totals(periods.current), period_totals(periods.previous)
        )
    on_page = [entity.id for entity in page.entities]
    listed = set(on_page)
    gone = [
        entity_id
        for entity_id, change in changes.items()
        if entity_id not in listed and any(value for value in change.previous.values())
    ]
    if shift is None:  # no entity at all: the shift is the selection's own
        bucket = effective_bucket(selection.window, selection.bucket_size)
        offset = offset_seconds(selection.window, to)
        shift = Shift(to, source.meta.meta.window or "", bucket, offset, complete_only)
    missing = [entity_id for entity_id in on_page if entity_id not in changes]
    if missing:  # an entity with traffic in the window has traffic in any window that holds it
        raise MalformedBody(f"entity {missing[0]} of the page is not in the source window's breakdown")
    return BreakdownComparison([changes[entity_id] for entity_id in on_page + gone], shift)


def period_totals(series: SeriesPayload) -> dict[str, Number | None]:
    """Each metric over the period (``period_total``)."""
    return {name: period_total(series, name) for name in series.columns.names[1:]}


def period_total(series: SeriesPayload, name: str) -> Number | None:
    """A metric over the period (``aggregate``)."""
    columns = series.columns
    return aggregate(name, columns.column(name), columns.column(WEIGHTED[name]) if name in WEIGHTED else ())


def aggregate(name: str, values: Sequence[Number], weights: Sequence[Number] = ()) -> Number | None:
    """A metric over several buckets: a sum; for a mean, the mean weighted by ``weights`` (the
    buckets' counts); None for a distinct count, which buckets do not add up to."""
    if name in DISTINCT_COUNTS:
        return None
    if name in WEIGHTED:
        return weighted_mean(values, weights)
    return sum(values)


def weighted_mean(means: Sequence[Number], weights: Sequence[Number]) -> float | None:
    """The mean of per-bucket means weighted by their counts; None with no count at all."""
    total = sum(weights)
    if not total:
        return None
    return round(sum(m * w for m, w in zip(means, weights, strict=True)) / total, 6)


@dataclass(frozen=True, slots=True)
class Change:
    current: Number | None
    previous: Number | None
    delta: Number | None
    percent: float | None
    direction: str


def change(current: Number | None, previous: Number | None) -> Change:
    """How ``current`` moved from ``previous``: the delta, the percent of the previous value's size,
    and a direction a tile can colour without arithmetic of its own."""
    if current is None or previous is None:
        return Change(current, previous, None, None, "unknown")
    delta = current - previous
    percent = None if previous == 0 else round(delta / abs(previous) * 100, 6)
    if current == previous:
        direction = "none" if current == 0 else "flat"
    elif previous == 0:
        direction = "new"
    elif current == 0:
        direction = "gone"
    else:
        direction = "up" if delta > 0 else "down"
    return Change(current, previous, delta, percent, direction)
