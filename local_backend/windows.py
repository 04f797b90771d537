"""Windows, bucket sizes and the grain that answers them.

A window ends at the end of the bucket that contains "now" (so the last bucket is the one
in progress) and reaches back by its length; ``ts`` of a point is the start of its bucket,
and every bucket of the window is present, zero-filled where nothing happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from local_backend.errors import bad_request
from local_backend.store import FINE_RETENTION_DAYS

WINDOW_SECONDS = {
    "24h": 86_400,
    "7d": 7 * 86_400,
    "30d": 30 * 86_400,
    "90d": 90 * 86_400,
    "180d": 180 * 86_400,
    "365d": 365 * 86_400,
}
BUCKET_SECONDS = {"5m": 300, "10m": 600, "1h": 3_600, "6h": 21_600, "12h": 43_200, "1d": 86_400}
DEFAULT_BUCKET = {"24h": "10m", "7d": "1h", "30d": "1d", "90d": "1d", "180d": "1d", "365d": "1d"}
MAX_POINTS = 2_160  # 90 days of hours; 7 days of 5-minute buckets is 2,016


@dataclass(frozen=True, slots=True)
class Span:
    window: str
    bucket_size: str
    bucket: int
    start: int
    end: int
    grain: int

    @property
    def points(self) -> int:
        return (self.end - self.start) // self.bucket

    def timestamps(self) -> range:
        return range(self.start, self.end, self.bucket)


def allowed_bucket_sizes(window: str) -> list[str]:
    return [
        size for size, seconds in BUCKET_SECONDS.items() if WINDOW_SECONDS[window] // seconds <= MAX_POINTS
    ]


def resolve_span(window: str, bucket_size: str | None, now: int) -> Span:
    size = bucket_size or DEFAULT_BUCKET[window]
    bucket = BUCKET_SECONDS[size]
    if WINDOW_SECONDS[window] // bucket > MAX_POINTS:
        raise bad_request(
            f"timeBucketSize '{size}' is too fine for window '{window}' (more than {MAX_POINTS} buckets). "
            f"Allowed for {window}: {', '.join(allowed_bucket_sizes(window))}.",
            "BUCKET_SIZE_NOT_ALLOWED",
        )
    end = (now // bucket + 1) * bucket
    start = end - WINDOW_SECONDS[window]
    return Span(window, size, bucket, start, end, grain_for(bucket, start, now))


def grain_for(bucket: int, start: int, now: int) -> int:
    """The coarsest stored grain that divides the bucket and still holds data from ``start``."""
    if bucket % 86_400 == 0:
        return 86_400
    if bucket % 3_600 == 0:
        return 3_600
    fine_from = (now // 86_400 - FINE_RETENTION_DAYS) * 86_400
    return 300 if start >= fine_from else 3_600


def range_grain(start: int, now: int) -> int:
    """Finest grain holding data from ``start`` (used for exact last-activity times)."""
    return 300 if start >= (now // 86_400 - FINE_RETENTION_DAYS) * 86_400 else 3_600
