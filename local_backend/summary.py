"""SummaryStats over the per-bucket values of a series.

Population standard deviation and linearly interpolated percentiles (the method NumPy and
most spreadsheets use by default), over every bucket of the window including empty ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def summarize(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return dict.fromkeys(("total", "avg", "stdDev", "min", "max", "p10", "p50", "p90"), 0)
    total = sum(values)
    mean = total / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    ordered = sorted(values)
    return {
        "total": total,
        "avg": round(mean, 6),
        "stdDev": round(math.sqrt(variance), 6),
        "min": ordered[0],
        "max": ordered[-1],
        "p10": round(percentile(ordered, 0.1), 6),
        "p50": round(percentile(ordered, 0.5), 6),
        "p90": round(percentile(ordered, 0.9), 6),
    }
