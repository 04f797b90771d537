"""Calendar days and weeks in the viewer's time zone, built from the upstream's finer buckets.

The upstream's days are UTC days: for a viewer in Tokyo or San Francisco, "yesterday" is split
across two bars. Here a day is the viewer's: from local midnight to local midnight, 23 or 25 hours
long where the clocks change, built by summing the upstream's buckets of a grain that every local
midnight falls on. That grain is the coarsest bucket size dividing every UTC offset the zone has
had or will have around now: a day for UTC, six hours for UTC+6, an hour for zones on whole hours,
ten or five minutes for India, Adelaide or Nepal.

The window keeps the upstream's meaning: it ends at the end of the bucket holding now (today, in
the zone) and reaches back by its length, so ``LAST_7D`` is today and the six days before it. A
week is those days grouped by ISO week (Monday first), so a window's first and last weeks may be
partial, and weeks add up to the days exactly.

One call answers it: the series at the grain over the shortest window that holds every local day.
In a zone with a fixed offset that is the window itself; where the clocks change, a window a day
longer (a day may then be 25 hours, and today up to 25). Windows no bucket size of the grain
reaches (a window must hold at most ``MAX_POINTS`` buckets) are refused before any call, with the
windows that work. What does not add up over buckets is not made up: a distinct count
(``activeConversations``) is unknown in a local day, and latency is the buckets' latency weighted
by their requests (0 with none, as the upstream answers an empty bucket).
"""

from __future__ import annotations

import datetime
import functools
import time
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from resolvers import resources
from resolvers.comparison import WEIGHTED, aggregate
from resolvers.errors import BadInput, MalformedBody
from resolvers.resources import Domain
from resolvers.series_slices import MISALIGNED, checked_tail
from resolvers.v2_payloads import Columns, SeriesPayload, point_type
from resolvers.values import Number

DAY, WEEK = "1d", resources.WEEK.wire
CALENDAR_SIZES = (DAY, WEEK)
UNKNOWN_ZONE = "UNKNOWN_TIME_ZONE"
UNAVAILABLE = "TIME_ZONE_UNAVAILABLE"
SERIES_ONLY = "TIME_ZONE_SERIES_ONLY"
ZONE_MAX_CHARS = 64  # the longest IANA name is 32 characters
# The offsets a zone has had or will have: sampled daily from two years back to one ahead.
SAMPLED_DAYS = (-730, 365)
# How much longer than its days a window of local days may be where the clocks change: one
# 25-hour day in the span, and today up to 25 hours.
DST_MARGIN = 2 * 3_600


@functools.lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The zone of an IANA name; an unknown one is refused."""
    try:
        if len(name) > ZONE_MAX_CHARS:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        shown = name if len(name) <= ZONE_MAX_CHARS else name[:ZONE_MAX_CHARS] + "..."
        raise BadInput(
            f"timeZone {shown!r} is not an IANA time zone; use a name such as Europe/Berlin,"
            " America/Los_Angeles, Asia/Kolkata or UTC.",
            reason=UNKNOWN_ZONE,
        ) from None


@functools.lru_cache(maxsize=256)
def offsets(name: str) -> frozenset[int]:
    """Every UTC offset of the zone, in seconds, over the sampled years."""
    tz = zone(name)
    today = int(time.time()) // 86_400 * 86_400
    first, last = SAMPLED_DAYS
    return frozenset(
        int(datetime.datetime.fromtimestamp(today + day * 86_400, tz).utcoffset().total_seconds())  # type: ignore[union-attr]
        for day in range(first, last + 1)
    )


def grain(name: str) -> str:
    """The coarsest bucket size, a day at most, that every local midnight of the zone falls on."""
    for size, span in sorted(resources.BUCKET_SIZES.items(), key=lambda item: -item[1].seconds):
        if span.seconds <= 86_400 and all(offset % span.seconds == 0 for offset in offsets(name)):
            return size
    raise BadInput(
        f"timeZone {name} has an offset from UTC that is not a whole number of 5 minutes; no bucket of the"
        " statistics API ends at its midnights.",
        reason=UNAVAILABLE,
    )


@dataclass(frozen=True, slots=True)
class Calendar:
    """Calendar buckets asked for: the zone, days or weeks, the window, and the one call behind them."""

    zone_name: str
    size: str
    window: str
    grain: str
    source_window: str

    @property
    def days(self) -> int:
        return resources.WINDOWS[self.window].seconds // 86_400

    def points(self) -> int:
        """Buckets at most: a day each, or the weeks the days touch."""
        return self.days if self.size == DAY else self.days // 7 + 2


def _source_window(window: str, name: str, size: str) -> str | None:
    needed = resources.WINDOWS[window].seconds + (0 if len(offsets(name)) == 1 else DST_MARGIN)
    fits = [
        w
        for w, span in resources.WINDOWS.items()
        if span.seconds >= needed and size in resources.bucket_sizes_for(w)
    ]
    return min(fits, key=lambda w: resources.WINDOWS[w].seconds, default=None)


def of(window: str, bucket_size: str | None, time_zone: str | None) -> Calendar | None:
    """The calendar a ``stats`` field asks for: None without a time zone or weeks."""
    if time_zone is None and bucket_size != WEEK:
        return None
    return asked(window, bucket_size, time_zone)


def asked(window: str, bucket_size: str | None, time_zone: str | None) -> Calendar:
    """The calendar of a ``stats`` field with a time zone or weeks; refused before any call where the
    zone is unknown, the bucket size is not a day or a week, or no window holds the local days."""
    size = bucket_size or DAY
    name = time_zone or "UTC"
    if size not in CALENDAR_SIZES:
        raise BadInput(
            f"timeZone groups calendar days and weeks; bucketSize {resources.BUCKET_SIZES[size].name} is"
            " a bucket of fixed length. Ask with bucketSize DAY_1 or WEEK_1, or leave timeZone out.",
            reason=UNAVAILABLE,
        )
    fine = grain(name)
    source = _source_window(window, name, fine)
    if source is None:
        working = [resources.WINDOWS[w].name for w in resources.WINDOWS if _source_window(w, name, fine)]
        raise BadInput(
            f"Local days in {name} are built from {resources.BUCKET_SIZES[fine].name} buckets, and no window"
            f" the statistics API answers at that size holds the days of {resources.WINDOWS[window].name}."
            f" Windows that work in this zone: {', '.join(working) or 'none'}.",
            reason=UNAVAILABLE,
            details={"windows": working},
        )
    return Calendar(name, size, window, fine, source)


def series_only(calendar: Calendar | None, what: str) -> None:
    """Refuse what calendar buckets cannot answer: a breakdown's entity totals are the upstream's,
    over its own window, and a comparison is cut from the upstream's buckets, not local days."""
    if calendar is not None:
        raise BadInput(
            f"{what[:1].upper()}{what[1:]} cannot be asked under timeZone or WEEK_1: calendar buckets are"
            " built for time series only. Ask it from a stats field without them (an alias keeps both in"
            " one query).",
            reason=SERIES_ONLY,
        )


def _midnight(day: datetime.date, tz: ZoneInfo) -> int:
    return int(datetime.datetime.combine(day, datetime.time(0), tzinfo=tz).timestamp())


def regroup(source: SeriesPayload, calendar: Calendar, domain: Domain) -> SeriesPayload:
    """The local days (or weeks) of ``calendar.window`` from the source series at the grain."""
    step = resources.BUCKET_SIZES[calendar.grain].seconds
    checked_tail(source, calendar.grain, max(1, len(source.columns)))  # every bucket, in step
    ts = source.columns.ts
    tz = zone(calendar.zone_name)
    today = datetime.datetime.fromtimestamp(ts[-1], tz).date()  # the last bucket holds now
    days = [today - datetime.timedelta(days=back) for back in range(calendar.days - 1, -1, -1)]
    if calendar.size == WEEK:
        days = [day for index, day in enumerate(days) if index == 0 or day.weekday() == 0]
    starts = [_midnight(day, tz) for day in days]
    end = _midnight(today + datetime.timedelta(days=1), tz)
    bounds = [(start - ts[0]) // step for start in starts] + [len(ts)]
    if bounds[0] < 0 or any((start - ts[0]) % step for start in starts):
        raise MalformedBody(
            "the series does not reach back to the first local day on its grain", reason=MISALIGNED
        )
    values = source.columns.values
    make = point_type(domain.metrics)
    points = []
    for start, low, high in zip(starts, bounds, bounds[1:], strict=False):
        bucket: dict[str, Number | None] = {}
        for name, column in values.items():
            weights = values[WEIGHTED[name]][low:high] if name in WEIGHTED else ()
            bucket[name] = aggregate(name, column[low:high], weights)
            if bucket[name] is None and name in WEIGHTED:
                bucket[name] = 0.0  # a mean with nothing to weigh: 0, as the upstream answers an empty bucket
        points.append(make(ts=start, **bucket))
    meta = replace(source.meta, window=calendar.window, bucket_size=calendar.size, start=starts[0], end=end)
    return SeriesPayload(meta, None, Columns(points, source.columns.names), domain.summary_metrics)
