"""SQL over the fact tables for V2 time series and breakdowns.

Every number is aggregated from stored facts at request time: sums for counters, distinct
counts for conversations and request-weighted means for latency.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from local_backend.domains import Domain, Metric
from local_backend.windows import Span


@dataclass(slots=True)
class Where:
    """SQL conditions and their parameters, built from scope, filters and the span."""

    conditions: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, condition: str, *params: object) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def sql(self) -> str:
        return " AND ".join(self.conditions)


def span_where(base: Where, span: Span, grain: int | None = None) -> Where:
    where = Where(list(base.conditions), list(base.params))
    where.add("grain = ? AND ts >= ? AND ts < ?", grain or span.grain, span.start, span.end)
    return where


def _row_metrics(metrics: Sequence[Metric], row: Sequence[object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for metric, value in zip(metrics, row, strict=True):
        out[metric.name] = round(float(value), 3) if metric.is_float else int(value)  # type: ignore[call-overload]
    return out


def _zero(metrics: Sequence[Metric]) -> dict[str, object]:
    return {m.name: (0.0 if m.is_float else 0) for m in metrics}


def time_series(
    db: sqlite3.Connection, domain: Domain, base: Where, span: Span
) -> tuple[list[dict[str, object]], list[float]]:
    """Zero-filled points and the per-bucket values of the domain's summary metric."""
    where = span_where(base, span)
    exprs = ", ".join(m.sql for m in domain.metrics)
    rows = db.execute(
        f"SELECT (ts - ?) / ? AS idx, {exprs}, {domain.summary_sql} FROM {domain.table}"
        f" WHERE {where.sql()} GROUP BY idx",
        (span.start, span.bucket, *where.params),
    ).fetchall()
    by_index = {row[0]: row for row in rows}
    points: list[dict[str, object]] = []
    summary_values: list[float] = []
    width = len(domain.metrics)
    for index, ts in enumerate(span.timestamps()):
        row = by_index.get(index)
        point: dict[str, object] = {"ts": ts}
        if row is None:
            point.update(_zero(domain.metrics))
            summary_values.append(0)
        else:
            point.update(_row_metrics(domain.metrics, row[1 : 1 + width]))
            summary_values.append(row[1 + width])
        points.append(point)
    return points, summary_values


@dataclass(slots=True)
class EntityTotals:
    key: int
    totals: dict[str, object]
    rank: float


def breakdown_totals(
    db: sqlite3.Connection, domain: Domain, column: str, base: Where, span: Span, extra: Sequence[Metric] = ()
) -> list[EntityTotals]:
    metrics = (*domain.totals_metrics(), *extra)
    where = span_where(base, span)
    exprs = ", ".join(m.sql for m in metrics)
    rows = db.execute(
        f"SELECT {column}, {exprs}, {domain.summary_sql} FROM {domain.table}"
        f" WHERE {where.sql()} AND {column} IS NOT NULL GROUP BY {column}",
        where.params,
    ).fetchall()
    return [EntityTotals(row[0], _row_metrics(metrics, row[1 : 1 + len(metrics)]), row[-1]) for row in rows]


def breakdown_series(
    db: sqlite3.Connection, domain: Domain, column: str, base: Where, span: Span, keys: Sequence[int]
) -> dict[int, list[dict[str, object]]]:
    if not keys:
        return {}
    metrics = domain.totals_metrics()
    where = span_where(base, span)
    exprs = ", ".join(m.sql for m in metrics)
    marks = ", ".join("?" * len(keys))
    rows = db.execute(
        f"SELECT {column}, (ts - ?) / ? AS idx, {exprs} FROM {domain.table}"
        f" WHERE {where.sql()} AND {column} IN ({marks}) GROUP BY {column}, idx",
        (span.start, span.bucket, *where.params, *keys),
    ).fetchall()
    found: dict[tuple[int, int], Sequence[object]] = {(row[0], row[1]): row[2:] for row in rows}
    zero = _zero(metrics)
    series: dict[int, list[dict[str, object]]] = {}
    for key in keys:
        points = []
        for index, ts in enumerate(span.timestamps()):
            values = found.get((key, index))
            point: dict[str, object] = {"ts": ts}
            point.update(zero if values is None else _row_metrics(metrics, values))
            points.append(point)
        series[key] = points
    return series


def last_active(
    db: sqlite3.Connection, domain: Domain, column: str, base: Where, span: Span, grain: int, keys: Sequence[int]
) -> dict[int, int]:
    if not keys:
        return {}
    where = span_where(base, span, grain)
    marks = ", ".join("?" * len(keys))
    rows = db.execute(
        f"SELECT {column}, MAX(ts) FROM {domain.table} WHERE {where.sql()} AND {column} IN ({marks})"
        f" GROUP BY {column}",
        (*where.params, *keys),
    ).fetchall()
    return {row[0]: row[1] for row in rows}
