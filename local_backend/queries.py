"""SQL over the fact tables for V2 time series and breakdowns.

Every number is aggregated from stored facts at request time: sums for counters, distinct
counts for conversations and request-weighted means for latency. SQL returns every metric in
its final form (integers for sums and counts, latency rounded to the microsecond) and groups
rows by the start of their bucket.

Breakdowns with series are the heavy answers (a 50-entity, 365-point breakdown has 18,250
points), so two things keep them fast: unfiltered day-bucket breakdowns read a daily roll-up
that is already in (entity, day) order (``store.ROLLUPS``), and SQLite writes each point's
JSON itself, which the response embeds unparsed, so no Python object is built per point.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from local_backend.domains import Domain, Metric
from local_backend.generator import DAY
from local_backend.store import rollup_for
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


@dataclass(frozen=True, slots=True)
class Source:
    """The table a query reads: the raw facts, or a daily roll-up that has no grain column."""

    table: str
    rolled_up: bool = False

    def sql(self, metric: Metric) -> str:
        return metric.rollup_sql if self.rolled_up and metric.rollup_sql else metric.sql


# Roll-up columns that fix the scope columns (a repo or bucket lies in one workspace and repo), so
# their daily roll-ups hold one row per entity and day.
ONE_ROW_PER_DAY = frozenset({"repo_id", "bucket_id"})


def _single_row(expression: str) -> str:
    """A roll-up metric over one row: each ``SUM(x)`` is ``x`` (roll-ups use no other aggregate)."""
    assert "COUNT(" not in expression
    return expression.replace("SUM(", "(")


def breakdown_source(domain: Domain, column: str, span: Span, filtered: bool) -> Source:
    """A roll-up when one serves the column and the query needs neither finer grains nor filters."""
    rollup = rollup_for(domain.table, column)
    if rollup is None or filtered or span.grain != DAY:
        return Source(domain.table)
    return Source(rollup.table, rolled_up=True)


def span_where(base: Where, span: Span, grain: int | None = None, source: Source | None = None) -> Where:
    where = Where(list(base.conditions), list(base.params))
    if source is not None and source.rolled_up:
        where.add("ts >= ? AND ts < ?", span.start, span.end)
    else:
        where.add("grain = ? AND ts >= ? AND ts < ?", grain or span.grain, span.start, span.end)
    return where


def _zero(metrics: Sequence[Metric]) -> tuple[object, ...]:
    return tuple(0.0 if m.is_float else 0 for m in metrics)


def _names(metrics: Sequence[Metric]) -> tuple[str, ...]:
    return ("ts", *(m.name for m in metrics))


def bucket_expression(span: Span) -> tuple[str, tuple[int, ...]]:
    """SQL for a row's bucket start; plain ``ts`` when the grain is the bucket, which lets SQLite group faster."""
    if span.grain == span.bucket:
        return "ts", ()
    return "? + (ts - ?) / ? * ?", (span.start, span.start, span.bucket, span.bucket)


def time_series(
    db: sqlite3.Connection, domain: Domain, base: Where, span: Span
) -> tuple[list[dict[str, object]], list[float]]:
    """Zero-filled points and the per-bucket values of the domain's summary metric."""
    where = span_where(base, span)
    exprs = ", ".join(m.sql for m in domain.metrics)
    bucket_sql, bucket_params = bucket_expression(span)
    rows = db.execute(
        f"SELECT {bucket_sql} AS bucket, {exprs}, {domain.summary_sql} FROM {domain.table}"
        f" WHERE {where.sql()} GROUP BY bucket",
        (*bucket_params, *where.params),
    ).fetchall()
    by_bucket = {row[0]: row for row in rows}
    points: list[dict[str, object]] = []
    summary_values: list[float] = []
    names = _names(domain.metrics)
    zero = (0, *_zero(domain.metrics), 0)
    for ts in span.timestamps():
        row = by_bucket.get(ts, zero)
        points.append(dict(zip(names, (ts, *row[1:-1]), strict=True)))
        summary_values.append(row[-1])
    return points, summary_values


@dataclass(slots=True)
class EntityTotals:
    key: int
    totals: dict[str, object]
    rank: float


def breakdown_totals(
    db: sqlite3.Connection,
    domain: Domain,
    column: str,
    base: Where,
    span: Span,
    source: Source,
    extra: Sequence[Metric] = (),
) -> list[EntityTotals]:
    metrics = (*domain.totals_metrics(), *extra)
    where = span_where(base, span, source=source)
    exprs = ", ".join(source.sql(m) for m in metrics)
    rows = db.execute(
        f"SELECT {column}, {exprs}, {domain.summary_sql} FROM {source.table}"
        f" WHERE {where.sql()} AND {column} IS NOT NULL GROUP BY {column}",
        where.params,
    ).fetchall()
    names = tuple(m.name for m in metrics)
    return [EntityTotals(row[0], dict(zip(names, row[1:-1], strict=True)), row[-1]) for row in rows]


def breakdown_series(
    db: sqlite3.Connection,
    domain: Domain,
    column: str,
    base: Where,
    span: Span,
    source: Source,
    keys: Sequence[int],
) -> dict[int, orjson.Fragment]:
    """Each entity's zero-filled series as ready JSON, keyed by entity."""
    if not keys:
        return {}
    metrics = domain.totals_metrics()
    where = span_where(base, span, source=source)
    marks = ", ".join("?" * len(keys))
    if source.rolled_up and column in ONE_ROW_PER_DAY and span.bucket == DAY:
        # One roll-up row per entity and day already: no grouping, each sum is its single row.
        fields = ", ".join(f"'{m.name}', {_single_row(source.sql(m))}" for m in metrics)
        rows = db.execute(
            f"SELECT {column}, ts, json_object('ts', ts, {fields})"
            f" FROM {source.table} WHERE {where.sql()} AND {column} IN ({marks})",
            (*where.params, *keys),
        ).fetchall()
    else:
        fields = ", ".join(f"'{m.name}', {source.sql(m)}" for m in metrics)
        bucket_sql, bucket_params = bucket_expression(span)
        rows = db.execute(
            f"SELECT {column}, {bucket_sql} AS bucket, json_object('ts', {bucket_sql}, {fields})"
            f" FROM {source.table} WHERE {where.sql()} AND {column} IN ({marks})"
            f" GROUP BY {column}, bucket",
            (*bucket_params, *bucket_params, *where.params, *keys),
        ).fetchall()
    found: dict[int, dict[int, str]] = {key: {} for key in keys}
    for key, bucket, point in rows:
        found[key][bucket] = point
    zero = "".join(f',"{m.name}":{0.0 if m.is_float else 0}' for m in metrics) + "}"
    timestamps = span.timestamps()
    series: dict[int, orjson.Fragment] = {}
    for key, points in found.items():
        parts = [points.get(ts) or '{"ts":' + str(ts) + zero for ts in timestamps]
        series[key] = orjson.Fragment(("[" + ",".join(parts) + "]").encode())
    return series


def last_active(
    db: sqlite3.Connection,
    domain: Domain,
    column: str,
    base: Where,
    span: Span,
    grain: int,
    keys: Sequence[int],
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
