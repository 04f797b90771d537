"""The local backend's settings: each FLASHBACK_BACKEND_* variable does what README says, an
explicit argument (a command-line flag) wins over it, and the defaults are the documented ones."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from local_backend.settings import DEFAULT_CACHE, DEFAULT_SEED, BackendSettings, default_db_path, parse_now

NOW = 1_795_187_220  # 2026-11-20T15:07:00Z


def test_defaults_follow_the_clock_in_a_file_per_seed() -> None:
    settings = BackendSettings.from_env({})
    assert settings.seed == DEFAULT_SEED == 20_260_501
    assert settings.pinned_now is None and settings.faults_enabled is False
    assert (
        settings.db_path
        == DEFAULT_CACHE / f"backend-{DEFAULT_SEED}.sqlite3"
        == Path(".cache/backend-20260501.sqlite3")
    )
    assert abs(settings.now() - time.time()) < 2


def test_every_variable_is_read() -> None:
    settings = BackendSettings.from_env(
        {
            "FLASHBACK_BACKEND_SEED": "7",
            "FLASHBACK_BACKEND_NOW": "2026-11-20T15:07:00Z",
            "FLASHBACK_BACKEND_DB": "/tmp/x.sqlite3",
            "FLASHBACK_BACKEND_FAULTS": "1",
        }
    )
    assert (settings.seed, settings.pinned_now, settings.db_path, settings.faults_enabled) == (
        7,
        NOW,
        Path("/tmp/x.sqlite3"),
        True,
    )
    assert settings.now() == NOW


def test_flags_win_over_variables() -> None:
    env = {
        "FLASHBACK_BACKEND_SEED": "7",
        "FLASHBACK_BACKEND_NOW": "1000",
        "FLASHBACK_BACKEND_DB": "/tmp/env.sqlite3",
        "FLASHBACK_BACKEND_FAULTS": "1",
    }
    settings = BackendSettings.from_env(env, db_path="/tmp/flag.sqlite3", seed=9, now="2000", faults=False)
    assert (settings.seed, settings.pinned_now, settings.db_path, settings.faults_enabled) == (
        9,
        2000,
        Path("/tmp/flag.sqlite3"),
        False,
    )


@pytest.mark.parametrize(
    ("value", "enabled"), [("1", True), ("true", True), ("0", False), ("yes", False), ("", False)]
)
def test_faults_are_on_only_for_1_or_true(value: str, enabled: bool) -> None:
    assert BackendSettings.from_env({"FLASHBACK_BACKEND_FAULTS": value}).faults_enabled is enabled


def test_a_pinned_clock_gets_a_database_of_its_own() -> None:
    pinned = BackendSettings.from_env({"FLASHBACK_BACKEND_SEED": "7", "FLASHBACK_BACKEND_NOW": str(NOW)})
    assert pinned.db_path == DEFAULT_CACHE / f"backend-7-at-{NOW}.sqlite3"
    assert default_db_path(7, None) == DEFAULT_CACHE / "backend-7.sqlite3"
    assert BackendSettings.from_env({"FLASHBACK_BACKEND_NOW": ""}).pinned_now is None


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        (str(NOW), NOW),
        (f" {NOW} ", NOW),
        ("-5", -5),
        ("2026-11-20T15:07:00Z", NOW),
        ("2026-11-20T15:07:00", NOW),
        ("2026-11-20T16:07:00+01:00", NOW),
        ("2026-11-20T04:22:00-10:45", NOW),
        (" 2026-11-20T15:07:00Z ", NOW),
    ],
)
def test_now_is_epoch_seconds_or_an_instant_in_utc_unless_it_has_an_offset(text: str, epoch: int) -> None:
    assert parse_now(text) == epoch
