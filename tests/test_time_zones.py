"""Calendar days and weeks in a time zone, against SQL over the backend's raw facts.

Each local day is summed here from the raw rows between two local midnights (hourly rows, or
5-minute rows for a zone whose midnights fall between hours), with SQL written in this file, and
compared with the gateway's day value by value. The suite's clock (2026-11-20) puts the autumn
clock change of Europe and North America inside a 30-day window: those days must be 25 hours long.
``test_time_zones_spring.py`` does the same with a clock after the spring change (23-hour days).
"""

from __future__ import annotations

import datetime
import itertools
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from resolvers import resources
from tests.conftest import NOW
from tests.gateway import Gateway
from tests.test_backend_oracle import METRICS

DAY = 86_400
HOURLY, FIVE_MINUTES = 3_600, 300
# (zone, the windows it answers): whole hours with clock changes, whole hours without, half and
# three-quarter hours, and UTC (whose days are the upstream's own).
ZONES = {
    "America/Los_Angeles": ["24h", "7d", "30d"],
    "Europe/Berlin": ["24h", "7d", "30d"],
    "Asia/Tokyo": ["24h", "7d", "30d", "90d"],
    "Asia/Kolkata": ["24h", "7d"],
    "Australia/Adelaide": ["24h"],
    "Asia/Kathmandu": ["24h", "7d"],
    "UTC": list(resources.WINDOWS),
}
PATHS = {"/v2/stats/ai": "ai", "/v2/stats/storage": "storage", "/v2/stats/private-chat": "privateChat"}


def local_days(zone: str, days: int, clock: int) -> list[tuple[int, int]]:
    """(start, end) of the ``days`` local days ending with the one holding ``clock``."""
    tz = ZoneInfo(zone)
    today = datetime.datetime.fromtimestamp(clock, tz).date()
    dates = [today - datetime.timedelta(days=back) for back in range(days - 1, -1, -1)]
    midnights = [
        int(datetime.datetime.combine(d, datetime.time(0), tzinfo=tz).timestamp())
        for d in [*dates, today + datetime.timedelta(days=1)]
    ]
    return list(itertools.pairwise(midnights))


def _grain(zone: str) -> int:
    offsets = {
        ZoneInfo(zone).utcoffset(datetime.datetime(2026, month, 1)).total_seconds()  # type: ignore[union-attr]
        for month in range(1, 13)
    }
    return HOURLY if all(offset % HOURLY == 0 for offset in offsets) else FIVE_MINUTES


def summed(
    facts: sqlite3.Connection,
    org_key: int,
    path: str,
    spans: list[tuple[int, int]],
    grain: int,
    clock: int = NOW,
) -> list[dict[str, Any]]:
    """Each span's metrics from the raw rows, by SQL written here (a distinct count is left out)."""
    table, metrics = METRICS[path]
    names = [name for name in metrics if name != "activeConversations"]
    rows = []
    for start, end in spans:
        row = facts.execute(
            f"SELECT {', '.join(metrics[n] for n in names)} FROM {table}"
            " WHERE grain = ? AND org_id = ? AND ts >= ? AND ts < ?",
            (grain, org_key, start, min(end, clock + 1)),
        ).fetchone()
        rows.append(
            {name: (value if value is not None else 0) for name, value in zip(names, row, strict=True)}
        )
    return rows


def _query(zone: str, window: str, size: str, field: str, fields: list[str]) -> str:
    return (
        f'{{ stats(window: {resources.WINDOWS[window].name}, bucketSize: {size}, timeZone: "{zone}") {{'
        f" {field} {{ timeSeries {{ meta {{ start end }} columns {{ ts {' '.join(fields)} }} }} }} }} }}"
    )


CASES = [(zone, window, path) for zone, windows in ZONES.items() for window in windows for path in PATHS]


@pytest.mark.parametrize(("zone", "window", "path"), CASES, ids=[f"{z}:{w}:{PATHS[p]}" for z, w, p in CASES])
def test_local_days_are_the_raw_facts_between_local_midnights(
    gateway: Gateway, facts: sqlite3.Connection, org_key: int, zone: str, window: str, path: str
) -> None:
    _, metrics = METRICS[path]
    fields = [name for name in metrics if name != "activeConversations"]
    result = gateway.query(_query(zone, window, "DAY_1", PATHS[path], fields))
    assert not result.errors, result.errors
    series = result.data["stats"][PATHS[path]]["timeSeries"]
    spans = local_days(zone, resources.WINDOWS[window].seconds // DAY, NOW)
    assert series["columns"]["ts"] == [start for start, _ in spans]
    assert (series["meta"]["start"], series["meta"]["end"]) == (spans[0][0], spans[-1][1])
    grain = DAY if zone == "UTC" and window not in ("24h", "7d", "30d", "90d") else _grain(zone)
    expected = summed(facts, org_key, path, spans, HOURLY if grain == DAY else grain)
    for name in fields:
        ours = series["columns"][name]
        theirs = [row[name] for row in expected]
        if name == "latencyMs":  # the upstream rounds each bucket's mean to the microsecond
            assert ours == pytest.approx(theirs, abs=2e-3), name
        else:
            assert ours == theirs, name
    assert result.upstream["count"] == 1


def test_the_autumn_change_makes_a_25_hour_day_where_the_clocks_go_back(gateway: Gateway) -> None:
    for zone, date in [("America/Los_Angeles", "2026-11-01"), ("Europe/Berlin", "2026-10-25")]:
        result = gateway.query(_query(zone, "30d", "DAY_1", "ai", ["requests"]))
        ts = result.data["stats"]["ai"]["timeSeries"]["columns"]["ts"]
        lengths = {
            datetime.datetime.fromtimestamp(start, ZoneInfo(zone)).date().isoformat(): end - start
            for start, end in itertools.pairwise(ts)
        }
        assert lengths.pop(date) == 25 * 3_600, zone
        assert set(lengths.values()) == {DAY}, zone


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_weeks_are_the_window_days_grouped_monday_first(gateway: Gateway, zone: str) -> None:
    days = gateway.query(_query(zone, "30d", "DAY_1", "ai", ["requests"]))
    weeks = gateway.query(_query(zone, "30d", "WEEK_1", "ai", ["requests"]))
    assert not days.errors and not weeks.errors, (days.errors, weeks.errors)
    day = days.data["stats"]["ai"]["timeSeries"]["columns"]
    week = weeks.data["stats"]["ai"]["timeSeries"]["columns"]
    tz = ZoneInfo(zone)
    expected: dict[int, int] = {}
    start = day["ts"][0]
    for ts, requests in zip(day["ts"], day["requests"], strict=True):
        if datetime.datetime.fromtimestamp(ts, tz).weekday() == 0:
            start = ts
        expected[start] = expected.get(start, 0) + requests
    assert week == {"ts": list(expected), "requests": list(expected.values())}


def test_utc_days_are_the_upstream_days(gateway: Gateway) -> None:
    plain = gateway.query(
        "{ stats(window: LAST_365D) { ai { timeSeries { columns { ts requests tokensIn } } } } }"
    )
    zoned = gateway.query(_query("UTC", "365d", "DAY_1", "ai", ["requests", "tokensIn"]))
    assert (
        zoned.data["stats"]["ai"]["timeSeries"]["columns"]
        == plain.data["stats"]["ai"]["timeSeries"]["columns"]
    )


def test_a_distinct_count_is_null_in_local_days_and_cannot_be_summarised(gateway: Gateway) -> None:
    result = gateway.query(
        '{ stats(window: LAST_7D, timeZone: "Asia/Tokyo") { ai { timeSeries {'
        " columns { activeConversations } series { activeConversations }"
        " summary(metric: ACTIVE_CONVERSATIONS) { total } } } } }"
    )
    assert result.data["stats"]["ai"]["timeSeries"] is None or (
        result.data["stats"]["ai"]["timeSeries"]["columns"]["activeConversations"] is None
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["BAD_USER_INPUT"]
    assert "distinct count" in result.errors[0]["message"]


REFUSED = {
    "an unknown zone": ('window: LAST_7D, timeZone: "Mars/Olympus_Mons"', "UNKNOWN_TIME_ZONE"),
    "a path, not a zone": ('window: LAST_7D, timeZone: "../../etc/passwd"', "UNKNOWN_TIME_ZONE"),
    "a long name": (f'window: LAST_7D, timeZone: "{"Europe/" * 40}"', "UNKNOWN_TIME_ZONE"),
    "days past the hourly windows": ('window: LAST_90D, timeZone: "Europe/Berlin"', "TIME_ZONE_UNAVAILABLE"),
    "half hours past 5-minute data": ('window: LAST_30D, timeZone: "Asia/Kolkata"', "TIME_ZONE_UNAVAILABLE"),
    "a fixed bucket in a zone": (
        'window: LAST_7D, bucketSize: HOUR_1, timeZone: "Asia/Tokyo"',
        "TIME_ZONE_UNAVAILABLE",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_what_a_zone_cannot_answer_is_refused_before_any_call(gateway: Gateway, case: str) -> None:
    arguments, reason = REFUSED[case]
    result = gateway.query(f"{{ stats({arguments}) {{ ai {{ timeSeries {{ columns {{ ts }} }} }} }} }}")
    assert result.data == {"stats": None}
    (error,) = result.errors
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == ("BAD_USER_INPUT", reason)
    assert result.upstream["count"] == 0


def test_a_refused_window_names_the_windows_that_work(gateway: Gateway) -> None:
    result = gateway.query('{ stats(window: LAST_90D, timeZone: "Europe/Berlin") { window } }')
    (error,) = result.errors
    assert error["extensions"]["windows"] == ["LAST_24H", "LAST_7D", "LAST_30D"]


@pytest.mark.parametrize(
    "field",
    [
        "breakdown(by: MODELS) { entities { entityId } }",
        "timeSeries { comparison { change(metric: REQUESTS) { delta } } }",
    ],
)
def test_breakdowns_and_comparisons_are_refused_under_a_zone(gateway: Gateway, field: str) -> None:
    result = gateway.query(
        f'{{ stats(window: LAST_7D, timeZone: "Asia/Tokyo") {{ ai {{ {field} }} }}'
        " utc: stats(window: LAST_7D) { ai { timeSeries { columns { ts } } } } }"
    )
    (error,) = result.errors
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "BAD_USER_INPUT",
        "TIME_ZONE_SERIES_ONLY",
    )
    assert result.data["utc"]["ai"]["timeSeries"]["columns"]["ts"]
    assert result.upstream["count"] == 1  # the other stats field's series alone


def test_a_federated_entity_s_stats_take_weeks_too(gateway: Gateway, api: Any) -> None:
    repo = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="30d", limit=1)["entities"][0][
        "entityId"
    ]
    weekly = (
        f'{{ _entities(representations: [{{__typename: "Repo", id: "{repo}"}}]) {{ ... on Repo {{'
        " stats(window: LAST_30D, bucketSize: WEEK_1) { bucketSize ai { timeSeries { columns { ts requests } } } } } } }"
    )
    daily = (
        f'{{ stats(scope: REPO, id: "{repo}", window: LAST_30D, bucketSize: DAY_1, timeZone: "UTC") {{'
        " ai { timeSeries { columns { ts requests } } } } }"
    )
    weeks = gateway.query(weekly)
    days = gateway.query(daily)
    assert not weeks.errors and not days.errors, (weeks.errors, days.errors)
    stats = weeks.data["_entities"][0]["stats"]
    assert stats["bucketSize"] == "WEEK_1"
    columns = stats["ai"]["timeSeries"]["columns"]
    assert sum(columns["requests"]) == sum(days.data["stats"]["ai"]["timeSeries"]["columns"]["requests"])
    assert len(columns["ts"]) in (5, 6)
