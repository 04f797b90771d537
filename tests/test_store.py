"""The generated data: deterministic per seed and day, and topped up to the same facts as a fresh fill."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from local_backend.catalog import EntityKeys, build_catalog, conversation_number, conversation_uuid
from local_backend.generator import DAY, FINE, DayGenerator
from local_backend.settings import BackendSettings
from local_backend.store import ROLLUPS, Rollup, Store
from tests.conftest import NOW


def test_a_day_is_the_same_every_time_it_is_drawn() -> None:
    orgs = build_catalog(7)
    keys = EntityKeys(orgs)
    first = DayGenerator(7, orgs[0], keys).generate(20_400, fine=True, until=NOW)
    again = DayGenerator(7, build_catalog(7)[0], EntityKeys(build_catalog(7))).generate(
        20_400, fine=True, until=NOW
    )
    other = DayGenerator(8, build_catalog(8)[0], EntityKeys(build_catalog(8))).generate(
        20_400, fine=True, until=NOW
    )
    assert first == again
    assert first.ai != other.ai


def test_conversation_ids_round_trip() -> None:
    for number in (0, 1, 2**61 + 12345):
        assert conversation_number(conversation_uuid(number)) == number
    assert conversation_number("00000000-0000-4000-8000-000000000000") is None


def _hourly(path: Path, table: str) -> list[tuple[int, int]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            f"SELECT ts, SUM(requests) FROM {table} WHERE grain = 3600 AND ts < ? GROUP BY ts ORDER BY ts",
            (NOW - 3600,),
        ).fetchall()


def test_top_up_after_the_clock_moves_equals_a_fresh_fill(tmp_path: Path, settings: BackendSettings) -> None:
    store = Store(tmp_path / "moving.sqlite3", settings.seed)
    earlier = store.ensure(NOW - 30 * 3600)
    told: list[tuple[int, int]] = []
    later = store.ensure(NOW, progress=lambda done, days: told.append((done, days)))
    assert later.generated_until == NOW and later.first_day == earlier.first_day + 1
    # The top-up draws the last partial day again and the new one, and says so day by day.
    assert told == [(1, 2), (2, 2)]
    for table in ("storage_facts", "ai_facts", "chat_facts"):
        topped = _hourly(store.path, table)
        fresh = _hourly(settings.db_path, table)
        assert topped[-24 * 30 :] == fresh[-24 * 30 :], table
        # docs/backend.md: 5-minute facts cover the 8 whole UTC days before now; older ones are pruned.
        first_fine = _first_fine(store.path, table)
        assert first_fine == _first_fine(settings.db_path, table), table
        assert (NOW // DAY - 8) * DAY <= first_fine < (NOW // DAY - 7) * DAY, table


def _first_fine(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        (first,) = db.execute(f"SELECT MIN(ts) FROM {table} WHERE grain = ?", (FINE,)).fetchone()
    return int(first)


def _rollup_rows(path: Path, rollup: Rollup, from_raw: bool) -> list[tuple[int, ...]]:
    """Per entity and day: every measure, and distinct conversations where the table has them."""
    measures = [f"SUM({m})" for m in rollup.measures() if m != "conversations"]
    if "conversations" in rollup.measures():
        measures.append("COUNT(DISTINCT conversation_id)" if from_raw else "SUM(conversations)")
    table, grain = (rollup.source, f"grain = {DAY} AND") if from_raw else (rollup.table, "")
    with sqlite3.connect(path) as db:
        return db.execute(
            f"SELECT {rollup.column}, ts, {', '.join(measures)} FROM {table}"
            f" WHERE {grain} {rollup.column} IS NOT NULL GROUP BY {rollup.column}, ts ORDER BY 1, 2"
        ).fetchall()


def test_daily_rollups_hold_the_same_numbers_as_the_facts(tmp_path: Path, settings: BackendSettings) -> None:
    store = Store(tmp_path / "moving.sqlite3", settings.seed)
    store.ensure(NOW - 30 * 3600)
    store.ensure(NOW)  # a top-up must refresh the roll-ups too
    for rollup in ROLLUPS:
        for path in (settings.db_path, store.path):
            raw = _rollup_rows(path, rollup, from_raw=True)
            assert raw and _rollup_rows(path, rollup, from_raw=False) == raw, rollup.table


def test_database_stays_small(settings: BackendSettings) -> None:
    assert settings.db_path.stat().st_size < 300 * 1024 * 1024


def test_the_store_says_what_it_will_do_before_it_does_it(tmp_path: Path, settings: BackendSettings) -> None:
    """``flashback-gql serve`` prints a progress line only when there is work: this is its answer."""
    store = Store(tmp_path / "plans.sqlite3", settings.seed)
    assert store.work_for(NOW) == "generate", "no file yet"
    store.ensure(NOW - 3_600)
    assert store.work_for(NOW - 3_600) is None, "up to date"
    assert store.work_for(NOW) == "top up", "the clock moved on"
    assert store.work_for(NOW - 7_200) == "generate", "the clock went back: the data is from the future"
    assert Store(store.path, settings.seed + 1).work_for(NOW - 3_600) == "generate", "another seed"
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE meta SET value = 'older code' WHERE key = 'schema'")
    assert store.work_for(NOW - 3_600) == "generate", "made by other generating code"
    (tmp_path / "broken.sqlite3").write_bytes(b"not a database")
    assert Store(tmp_path / "broken.sqlite3", settings.seed).work_for(NOW) == "generate"
