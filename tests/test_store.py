"""The generated data: deterministic per seed and day, and topped up to the same facts as a fresh fill."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from local_backend.catalog import EntityKeys, build_catalog, conversation_number, conversation_uuid
from local_backend.generator import DayGenerator
from local_backend.settings import BackendSettings
from local_backend.store import Store
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
    later = store.ensure(NOW)
    assert later.generated_until == NOW and later.first_day == earlier.first_day + 1
    for table in ("storage_facts", "ai_facts", "chat_facts"):
        topped = _hourly(store.path, table)
        fresh = _hourly(settings.db_path, table)
        assert topped[-24 * 30 :] == fresh[-24 * 30 :], table


def test_database_stays_small(settings: BackendSettings) -> None:
    assert settings.db_path.stat().st_size < 300 * 1024 * 1024
