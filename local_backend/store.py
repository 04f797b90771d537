"""The SQLite store: schema, first fill, top-up as the clock moves, and roll-ups between grains.

Grains and retention (documented in docs/backend.md):

* 300 s (5 minutes): the last 8 whole UTC days before "now", the finest grain stored;
* 3,600 s (1 hour): 400 days;
* 86,400 s (1 day): 400 days.

Hourly rows of fine days and all daily rows are roll-ups computed with SQL from the finer
grain, so every grain adds up to the same totals.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from local_backend.catalog import LLM_TYPE_NAMES, MODELS, EntityKeys, Organization, build_catalog
from local_backend.generator import DAY, FINE, HOUR, DayFacts, DayGenerator

Progress = Callable[[int, int], None]  # days written, days to write


def _data_fingerprint() -> str:
    """Changes whenever the code that decides the stored data changes, so stale caches rebuild."""
    digest = hashlib.sha256()
    for module in ("catalog.py", "generator.py", "store.py"):
        digest.update(resources.files("local_backend").joinpath(module).read_bytes())
    return digest.hexdigest()[:16]


RETENTION_DAYS = 400
FINE_RETENTION_DAYS = 8
SCHEMA_VERSION = _data_fingerprint()

# table -> (dimension columns, measure columns); the generator emits rows as (ts, *dims, *measures).
FACT_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "storage_facts": (
        ("org_id", "workspace_id", "repo_id", "bucket_id", "provider_id", "api_key_id", "node_id"),
        ("requests", "upl_bytes", "dwl_bytes", "size_change", "latency_sum_ms", "credits"),
    ),
    "ai_facts": (
        (
            "org_id",
            "workspace_id",
            "repo_id",
            "api_key_id",
            "ai_config_id",
            "model",
            "llm_type",
            "node_id",
            "user_id",
            "conversation_id",
        ),
        (
            "requests",
            "tokens_in",
            "tokens_out",
            "policy_tokens_in",
            "policy_tokens_out",
            "latency_sum_ms",
            "credits",
            "violations",
            "alerts",
            "blocks",
            "severity_low",
            "severity_medium",
            "severity_high",
        ),
    ),
    "chat_facts": (
        (
            "org_id",
            "workspace_id",
            "repo_id",
            "api_key_id",
            "ai_config_id",
            "model",
            "llm_type",
            "user_id",
            "conversation_id",
        ),
        ("requests", "tokens_in", "tokens_out", "credits"),
    ),
    "policy_facts": (
        ("org_id", "workspace_id", "repo_id", "api_key_id", "rule_id", "user_id"),
        (
            "violations",
            "alerts",
            "blocks",
            "severity_low",
            "severity_medium",
            "severity_high",
            "policy_tokens_in",
            "policy_tokens_out",
        ),
    ),
    "credit_events": (("org_id",), ("credits_purchased", "credits_granted")),
}
_FACTS_ATTR = {
    "storage_facts": "storage",
    "ai_facts": "ai",
    "chat_facts": "chat",
    "policy_facts": "policy",
    "credit_events": "credit_events",
}

# Credits are derived, per grain, from the credits each usage fact carries plus the org-level
# grants and purchases, grouped under one set of dimension columns. Derived with SQL after every
# fill so they always agree with the usage facts; stored so that credit queries read a narrow table.
CREDIT_COLUMNS: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("org_id", "workspace_id", "repo_id", "api_key_id", "ai_config_id", "model", "provider", "bucket_id"),
    ("credits_ai", "credits_storage", "credits_purchased", "credits_granted"),
)
_CREDIT_SOURCES = (
    "SELECT grain, ts, org_id, workspace_id, repo_id, api_key_id, ai_config_id, model, llm_type, NULL,"
    " SUM(credits), 0, 0, 0 FROM {table} WHERE ts >= ? AND ts < ?"
    " GROUP BY grain, ts, org_id, workspace_id, repo_id, api_key_id, ai_config_id, model, llm_type",
    "SELECT grain, ts, org_id, workspace_id, repo_id, api_key_id, NULL, NULL, provider_id, bucket_id,"
    " 0, SUM(credits), 0, 0 FROM storage_facts WHERE ts >= ? AND ts < ?"
    " GROUP BY grain, ts, org_id, workspace_id, repo_id, api_key_id, provider_id, bucket_id",
    "SELECT grain, ts, org_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0,"
    " SUM(credits_purchased), SUM(credits_granted) FROM credit_events WHERE ts >= ? AND ts < ?"
    " GROUP BY grain, ts, org_id",
)


def _derive_credits(db: sqlite3.Connection, start: int, end: int) -> None:
    db.execute("DELETE FROM credit_facts WHERE ts >= ? AND ts < ?", (start, end))
    for source in _CREDIT_SOURCES:
        for table in ("ai_facts", "chat_facts") if "{table}" in source else ("",):
            db.execute("INSERT INTO credit_facts " + source.format(table=table), (start, end))


def _all_tables() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    return {**FACT_COLUMNS, "credit_facts": CREDIT_COLUMNS}


@dataclass(frozen=True, slots=True)
class Rollup:
    """A daily pre-aggregation of one fact table for breakdowns by one entity column.

    Long-window breakdowns with series read every day of every entity; from the raw facts that
    is a sort of tens of thousands of rows per request. A roll-up keyed by (org, entity, day)
    is already in that order, one row per entity and day and repo. It keeps the columns that
    scopes filter on (workspace, repo), so it serves every scope, but no resource-filter
    columns: filtered queries read the raw facts.

    Distinct conversations survive the roll-up as a per-row count because a conversation
    never crosses a UTC day, a repo or a user (see generator.py), so daily counts add up.
    """

    source: str
    column: str

    @property
    def table(self) -> str:
        return f"{self.source}_by_{self.column.removesuffix('_id')}"

    def dims(self) -> tuple[str, ...]:
        scope = ("workspace_id",) if self.column == "repo_id" else ("workspace_id", "repo_id")
        return ("org_id", self.column, *scope)

    def measures(self) -> tuple[str, ...]:
        dims, measures = _all_tables()[self.source]
        return (*measures, "conversations") if "conversation_id" in dims else measures


ROLLUPS: tuple[Rollup, ...] = (
    Rollup("storage_facts", "repo_id"),
    Rollup("storage_facts", "bucket_id"),
    Rollup("ai_facts", "repo_id"),
    Rollup("chat_facts", "user_id"),
    Rollup("policy_facts", "user_id"),
    Rollup("credit_facts", "repo_id"),
    Rollup("credit_facts", "bucket_id"),
)


def rollup_for(table: str, column: str) -> Rollup | None:
    """The roll-up that serves a breakdown of ``table`` by ``column``; repos' also serves workspaces."""
    wanted = "repo_id" if column == "workspace_id" else column
    return next((r for r in ROLLUPS if r.source == table and r.column == wanted), None)


def _derive_rollups(db: sqlite3.Connection, start: int, end: int) -> None:
    for rollup in ROLLUPS:
        dims = ", ".join(rollup.dims())
        key = ", ".join(_rollup_key(rollup))
        _, measures = _all_tables()[rollup.source]
        sums = [f"SUM({m})" for m in measures]
        if "conversations" in rollup.measures():
            sums.append("COUNT(DISTINCT conversation_id)")
        db.execute(f"DELETE FROM {rollup.table} WHERE ts >= ? AND ts < ?", (start, end))
        db.execute(
            f"INSERT INTO {rollup.table} SELECT {dims}, ts, {', '.join(sums)} FROM {rollup.source}"
            f" WHERE grain = {DAY} AND ts >= ? AND ts < ? AND {rollup.column} IS NOT NULL"
            f" GROUP BY {dims}, ts ORDER BY {key}",
            (start, end),
        )


def _rollup_key(rollup: Rollup) -> tuple[str, ...]:
    """Entity then day first, so a breakdown's series come out of the key in order, unsorted."""
    dims = rollup.dims()
    return (dims[0], dims[1], "ts", *dims[2:])


def _create_rollups(db: sqlite3.Connection) -> None:
    for rollup in ROLLUPS:
        columns = ", ".join(f"{c} INTEGER" for c in (*rollup.dims(), "ts", *rollup.measures()))
        key = ", ".join(_rollup_key(rollup))
        db.execute(f"CREATE TABLE {rollup.table} ({columns}, PRIMARY KEY ({key})) WITHOUT ROWID")


def _create_schema(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE entities (key INTEGER, kind TEXT NOT NULL, id TEXT NOT NULL, org_id TEXT,"
        " workspace_id TEXT, repo_id TEXT, name TEXT NOT NULL, attrs TEXT, PRIMARY KEY (kind, id, org_id))"
    )
    for table, (dims, measures) in _all_tables().items():
        dim_sql = ", ".join(f"{d} INTEGER" for d in dims)
        measure_sql = ", ".join(f"{m} INTEGER NOT NULL" for m in measures)
        db.execute(
            f"CREATE TABLE {table} (grain INTEGER NOT NULL, ts INTEGER NOT NULL, {dim_sql}, {measure_sql})"
        )
    _create_rollups(db)


def _create_indexes(db: sqlite3.Connection) -> None:
    """Created after the bulk load, which is several times faster than maintaining them during it."""
    for table, (dims, _) in _all_tables().items():
        db.execute(f"CREATE INDEX {table}_org_ts ON {table} (org_id, grain, ts)")
        if "repo_id" in dims:
            db.execute(f"CREATE INDEX {table}_repo_ts ON {table} (repo_id, grain, ts)")
            db.execute(f"CREATE INDEX {table}_ws_ts ON {table} (workspace_id, grain, ts)")


def _insert_catalog(db: sqlite3.Connection, orgs: list[Organization], keys: EntityKeys) -> None:
    rows: list[tuple[object, ...]] = []
    for org in orgs:
        rows.append(("org", org.id, org.id, None, None, org.name, None))
        rows += [("workspace", w.id, org.id, None, None, w.name, None) for w in org.workspaces]
        rows += [("repo", r.id, org.id, r.workspace_id, None, r.name, None) for r in org.repos]
        rows += [
            ("bucket", b.id, org.id, b.workspace_id, b.repo_id, b.name, b.provider_id) for b in org.buckets
        ]
        rows += [("node", n.id, org.id, None, None, n.host, None) for n in org.nodes]
        rows += [("storage_provider", p.id, org.id, None, None, p.name, p.provider) for p in org.providers]
        rows += [
            ("ai_config", c.id, org.id, c.workspace_id, None, c.name, c.llm_type) for c in org.ai_configs
        ]
        rows += [("user", u.id, org.id, u.workspace_id, None, u.name, None) for u in org.users]
        rows += [("rule", r.id, org.id, r.workspace_id, None, r.name, r.risk) for r in org.rules]
        for repo in org.repos:
            rows += [
                ("api_key", k, org.id, repo.workspace_id, repo.id, f"{repo.name} key {i + 1}", None)
                for i, k in enumerate(repo.api_key_ids)
            ]
        rows += [("model", m.name, org.id, None, None, m.display_name, m.llm_type) for m in MODELS]
        rows += [("llm_provider", t, org.id, None, None, n, None) for t, n in LLM_TYPE_NAMES.items()]
    db.executemany(
        "INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((keys(r[0], r[1]), *r) for r in rows),  # type: ignore[arg-type]
    )


def _insert_facts(db: sqlite3.Connection, facts: DayFacts, grain: int) -> None:
    for table, (dims, measures) in FACT_COLUMNS.items():
        rows: list[tuple[object, ...]] = getattr(facts, _FACTS_ATTR[table])
        if not rows:
            continue
        width = 1 + len(dims) + len(measures)
        marks = ", ".join("?" * (width + 1))
        db.executemany(f"INSERT INTO {table} VALUES ({marks})", ((grain, *row) for row in rows))


def _roll_up(db: sqlite3.Connection, source: int, target: int, start: int, end: int) -> None:
    for table, (dims, measures) in FACT_COLUMNS.items():
        dim_list = ", ".join(dims)
        sums = ", ".join(f"SUM({m})" for m in measures)
        db.execute(
            f"INSERT INTO {table} SELECT {target}, ts - ts % {target}, {dim_list}, {sums} FROM {table}"
            f" WHERE grain = ? AND ts >= ? AND ts < ? GROUP BY ts - ts % {target}, {dim_list}",
            (source, start, end),
        )


def _delete(db: sqlite3.Connection, where: str, params: Iterable[object]) -> None:
    args = tuple(params)
    for table in _all_tables():
        db.execute(f"DELETE FROM {table} WHERE {where}", args)
    if "grain" not in where:  # roll-ups hold one grain, the day
        for rollup in ROLLUPS:
            db.execute(f"DELETE FROM {rollup.table} WHERE {where}", args)


@dataclass(frozen=True, slots=True)
class StoreInfo:
    path: Path
    seed: int
    first_day: int
    generated_until: int
    build_seconds: float


class Store:
    """Owns the database file; ``ensure`` makes it hold data up to ``now``."""

    def __init__(self, path: Path, seed: int) -> None:
        self.path = path
        self.seed = seed
        self.orgs = build_catalog(seed)
        self.keys = EntityKeys(self.orgs)

    def work_for(self, now: int) -> Literal["generate", "top up"] | None:
        """What ``ensure(now)`` will do: generate every day, regenerate from the last day, or nothing."""
        meta = self._read_meta()
        if (
            meta is None
            or meta.get("schema") != SCHEMA_VERSION
            or meta.get("seed") != str(self.seed)
            or int(meta["generated_until"]) > now
        ):
            return "generate"
        if int(meta["generated_until"]) < now:
            return "top up"
        return None

    def ensure(self, now: int, progress: Progress | None = None) -> StoreInfo:
        """Make the file hold data up to ``now``; ``progress(days done, days)`` as days are written."""
        started = time.perf_counter()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        work = self.work_for(now)
        if work == "generate":
            self._rebuild(now, progress)
        elif work == "top up":
            meta = self._read_meta()
            assert meta is not None
            self._top_up(int(meta["generated_until"]), now, progress)
        meta = self._read_meta()
        assert meta is not None
        return StoreInfo(
            self.path,
            self.seed,
            int(meta["first_day"]),
            int(meta["generated_until"]),
            time.perf_counter() - started,
        )

    def connect(self) -> sqlite3.Connection:
        """A read-only connection; each server thread opens its own."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        db.execute("PRAGMA query_only = 1")
        db.execute("PRAGMA cache_size = -65536")
        db.execute("PRAGMA mmap_size = 536870912")
        return db

    def _read_meta(self) -> dict[str, str] | None:
        if not self.path.exists():
            return None
        try:
            with sqlite3.connect(self.path) as db:
                return dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError:
            return None

    def _rebuild(self, now: int, progress: Progress | None) -> None:
        tmp = self.path.with_name(self.path.name + ".building")
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            _create_schema(db)
            _insert_catalog(db, self.orgs, self.keys)
            first_day = now // DAY - RETENTION_DAYS
            self._generate(db, first_day, now, progress)
            _create_indexes(db)
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("schema", str(SCHEMA_VERSION)),
                    ("seed", str(self.seed)),
                    ("first_day", str(first_day)),
                    ("generated_until", str(now)),
                ],
            )
            db.commit()
            db.execute("ANALYZE")
            db.execute("PRAGMA journal_mode = WAL")  # readers keep reading while a top-up writes
            db.commit()
        finally:
            db.close()
        tmp.replace(self.path)

    def _top_up(self, generated_until: int, now: int, progress: Progress | None) -> None:
        """Regenerate from the last (partial) day on; days are deterministic, so this equals a fresh fill."""
        db = sqlite3.connect(self.path)
        try:
            from_day = generated_until // DAY
            _delete(db, "ts >= ?", (from_day * DAY,))
            self._generate(db, from_day, now, progress)
            first_day = now // DAY - RETENTION_DAYS
            _delete(db, "ts < ?", (first_day * DAY,))
            _delete(db, "grain = ? AND ts < ?", (FINE, (now // DAY - FINE_RETENTION_DAYS) * DAY))
            db.execute("UPDATE meta SET value = ? WHERE key = 'generated_until'", (str(now),))
            db.execute("UPDATE meta SET value = ? WHERE key = 'first_day'", (str(first_day),))
            db.commit()
        finally:
            db.close()

    def _generate(self, db: sqlite3.Connection, first_day: int, now: int, progress: Progress | None) -> None:
        fine_from = now // DAY - FINE_RETENTION_DAYS
        generators = [DayGenerator(self.seed, org, self.keys) for org in self.orgs]
        days = range(first_day, now // DAY + 1)
        for done, day in enumerate(days, start=1):
            fine = day >= fine_from
            for generator in generators:
                _insert_facts(db, generator.generate(day, fine, now), FINE if fine else HOUR)
            if fine:
                _roll_up(db, FINE, HOUR, day * DAY, (day + 1) * DAY)
            if progress is not None:
                progress(done, len(days))
        _roll_up(db, HOUR, DAY, first_day * DAY, (now // DAY + 1) * DAY)
        _derive_credits(db, first_day * DAY, (now // DAY + 1) * DAY)
        _derive_rollups(db, first_day * DAY, (now // DAY + 1) * DAY)
