"""Local days where the clocks go forward (23 hours) and, for a half-hour zone, back on the day
itself, against SQL over the raw facts of backends pinned after those changes.

The suite's own clock (2026-11-20) only has autumn changes in reach (``test_time_zones.py``); these
two clocks put the spring changes of North America (8 March) and Europe (29 March) inside a 30-day
window, and stand on Adelaide's 25-hour 5 April, whose midnights fall on half hours.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings, parse_now
from resolvers import resources
from tests.conftest import per_module
from tests.gateway import Gateway
from tests.test_time_zones import FIVE_MINUTES, HOURLY, _query, local_days, summed

# A database per clock (about 5 s each): slow, and so left out of mutation runs.
pytestmark = pytest.mark.slow

CLOCKS = {
    "after the spring changes": "2026-04-01T10:17:00Z",
    "on Adelaide's long day": "2026-04-05T12:03:00Z",
}
CASES = [
    ("after the spring changes", "America/Los_Angeles", "30d", HOURLY, "2026-03-08", 23),
    ("after the spring changes", "Europe/Berlin", "30d", HOURLY, "2026-03-29", 23),
    ("on Adelaide's long day", "Australia/Adelaide", "24h", FIVE_MINUTES, "2026-04-05", 25),
]


@pytest.fixture(scope=per_module)
def pinned(
    tmp_path_factory: pytest.TempPathFactory, settings: BackendSettings
) -> Iterator[dict[str, tuple[Gateway, sqlite3.Connection, int]]]:
    """A gateway over a backend pinned at each clock, the backend's facts, and the clock."""
    made = {}
    for name, clock in CLOCKS.items():
        folder = tmp_path_factory.mktemp("spring")
        backend_settings = BackendSettings(folder / "backend.sqlite3", settings.seed, parse_now(clock))
        app: Starlette = create_backend_app(backend_settings)
        gateway = Gateway(
            create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=app))
        )
        facts = sqlite3.connect(f"file:{backend_settings.db_path}?mode=ro", uri=True)
        made[name] = (gateway, facts, parse_now(clock))
    yield made
    for gateway, facts, _ in made.values():
        gateway.close()
        facts.close()


def _org_key(facts: sqlite3.Connection, org: Any) -> int:
    return int(
        facts.execute("SELECT key FROM entities WHERE kind = 'org' AND id = ?", (org.id,)).fetchone()[0]
    )


@pytest.mark.parametrize(
    ("clock", "zone", "window", "grain", "date", "hours"), CASES, ids=[c[1] for c in CASES]
)
def test_a_day_the_clocks_change_is_exact(
    pinned: dict[str, tuple[Gateway, sqlite3.Connection, int]],
    org: Any,
    clock: str,
    zone: str,
    window: str,
    grain: int,
    date: str,
    hours: int,
) -> None:
    gateway, facts, now = pinned[clock]
    result = gateway.query(_query(zone, window, "DAY_1", "ai", ["requests", "tokensIn", "latencyMs"]))
    assert not result.errors, result.errors
    columns = result.data["stats"]["ai"]["timeSeries"]["columns"]
    spans = local_days(zone, resources.WINDOWS[window].seconds // 86_400, now)
    assert columns["ts"] == [start for start, _ in spans]
    lengths = {
        datetime.datetime.fromtimestamp(start, ZoneInfo(zone)).date().isoformat(): end - start
        for start, end in spans
    }
    assert lengths[date] == hours * 3_600
    expected = summed(facts, _org_key(facts, org), "/v2/stats/ai", spans, grain, now)
    assert columns["requests"] == [row["requests"] for row in expected]
    assert columns["tokensIn"] == [row["tokensIn"] for row in expected]
    assert columns["latencyMs"] == pytest.approx([row["latencyMs"] for row in expected], abs=2e-3)
