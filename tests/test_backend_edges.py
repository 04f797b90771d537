"""The edges of every range docs/backend.md's decision table sets, each on both sides: bucket sizes
per window, legacy day and minute ranges, months, paging past the end; and the secondary rules of
the policy decision (a violation counts once in its rule's severity and in its action's count).

The expected answers are computed here from the documented rule (2,160 buckets at most, 92 days,
7 days, 24 months), not read from the backend's tables, so a changed table is a failed test."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.conftest import NOW, Api

DAY = 86_400
BUCKETS = {"5m": 300, "10m": 600, "1h": 3600, "6h": 21_600, "12h": 43_200, "1d": DAY}
WINDOWS = {"24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY, "180d": 180 * DAY, "365d": 365 * DAY}
MOST_BUCKETS = 2160


def _allowed(window: str) -> list[str]:
    return [size for size, seconds in BUCKETS.items() if WINDOWS[window] // seconds <= MOST_BUCKETS]


@pytest.mark.parametrize("path", ["/v2/stats/storage", "/v2/stats/ai/breakdown/models"])
@pytest.mark.parametrize("window", list(WINDOWS))
@pytest.mark.parametrize("size", list(BUCKETS))
def test_a_bucket_size_is_honoured_up_to_2160_buckets_and_refused_past_it(
    api: Api, path: str, window: str, size: str
) -> None:
    """Every window x size, on a time series and on breakdown series: honoured with exactly
    window / size buckets, or refused naming precisely the sizes that window allows."""
    params = {"scope": "org", "window": window, "timeBucketSize": size}
    if "/breakdown/" in path:
        params |= {"limit": "1", "includeSeries": "true"}
    response = api.get(path, **params)
    if size in _allowed(window):
        assert response.status_code == 200, response.text
        body = response.json()
        series = body["entities"][0]["series"] if "/breakdown/" in path else body["series"]
        assert len(series) == WINDOWS[window] // BUCKETS[size]
        assert body["meta"]["timeBucketSize"] == size
    else:
        assert response.status_code == 400
        error = response.json()
        assert error["error_code"] == "BUCKET_SIZE_NOT_ALLOWED"
        assert error["message"].endswith(f"Allowed for {window}: {', '.join(_allowed(window))}.")


def _days(rows: list[dict[str, Any]]) -> set[int]:
    return {row["timestamp"] for row in rows}


def _date(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d")


@pytest.mark.parametrize("path", ["/stats/daily", "/aistats/daily"])
def test_legacy_daily_ranges_cover_92_whole_days_and_not_93(api: Api, path: str) -> None:
    today = NOW - NOW % DAY
    first = today - 91 * DAY
    widest = api.ok(path, startDate=_date(first), endDate=_date(today))["data"]
    assert min(_days(widest)) == first and max(_days(widest)) == today
    refused = api.get(path, startDate=_date(first - DAY), endDate=_date(today))
    assert refused.status_code == 400 and "92 days" in refused.json()["message"]


def test_legacy_daily_instants_cover_their_whole_days_and_the_future_is_cut_at_today(api: Api) -> None:
    """An instant late on a day and one early on the next cover both days whole; an end in the
    future ends today, and the 92 days are counted after that cut; a start equal to the end is
    one day, not an empty or reversed range."""
    today = NOW - NOW % DAY
    two = api.ok(
        "/stats/daily",
        startDate=f"{_date(today - 2 * DAY)}T23:59:00Z",
        endDate=f"{_date(today - DAY)}T00:01:00Z",
    )
    assert _days(two["data"]) == {today - 2 * DAY, today - DAY}
    # 81 days to today, 111 to the end asked for: the range is counted after the cut
    future = api.ok("/stats/daily", startDate=_date(today - 80 * DAY), endDate=_date(today + 30 * DAY))[
        "data"
    ]
    assert max(_days(future)) == today
    one = api.ok("/stats/daily", startDate=_date(today - 3 * DAY), endDate=_date(today - 3 * DAY))["data"]
    assert _days(one) == {today - 3 * DAY}


@pytest.mark.parametrize("path", ["/stats/minute", "/aistats/minute"])
def test_legacy_minute_ranges_default_to_24_hours_and_stop_at_7_days(api: Api, path: str) -> None:
    default = _days(api.ok(path)["data"])
    assert default and min(default) >= NOW - DAY and max(default) <= NOW
    assert all(ts % 300 == 0 for ts in default)
    assert min(default) < NOW - DAY + 3600  # the whole day is there, not only its end
    end = NOW - NOW % 300
    assert api.get(path, startDate=_iso(end - 7 * DAY), endDate=_iso(end)).status_code == 200
    refused = api.get(path, startDate=_iso(end - 7 * DAY - 300), endDate=_iso(end))
    assert refused.status_code == 400
    # The message says what to do instead, as every refusal must.
    assert refused.json()["message"] == (
        "The minute range covers more than 7 days; narrow startDate/endDate or use the daily endpoint."
    )


@pytest.mark.parametrize(
    ("path", "param", "column"),
    [
        ("/aistats/daily", "llmType", "llmType"),
        ("/aistats/daily", "llmModel", "llmModel"),
        ("/stats/daily", "hosts", "host"),
    ],
)
def test_unknown_names_in_legacy_lists_match_nothing_and_do_not_hide_known_ones(
    api: Api, path: str, param: str, column: str
) -> None:
    """A name list is names, not ids: an unknown name is no error and matches no row, whatever
    the store's own keys are; beside a known name it leaves that name's rows as they were."""
    rows = api.ok(path)["data"]
    known = rows[0][column]
    assert api.ok(path, **{param: "no-such-name"})["data"] == []
    alone = api.ok(path, **{param: known})["data"]
    assert alone and all(r[column] == known for r in alone)
    assert api.ok(path, **{param: f"no-such-name,{known}"})["data"] == alone


def _iso(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _month_back(ts: int, months: int) -> str:
    day = datetime.datetime.fromtimestamp(ts, datetime.UTC)
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}-01T00:00:00.000Z"


@pytest.mark.parametrize(("months", "count"), [(None, 12), ("1", 1), ("24", 24)])
def test_monthly_credits_count_months_back_from_the_current_one(
    api: Api, months: str | None, count: int
) -> None:
    """The current month counts as one: ``months=1`` is this month alone, oldest first."""
    data = api.ok("/credits/stats/monthly", months=months)["data"]
    assert [item["month"] for item in data] == [_month_back(NOW, back) for back in range(count - 1, -1, -1)]


@pytest.mark.parametrize("months", ["0", "25", "-1", "twelve"])
def test_monthly_credits_refuse_months_outside_1_to_24(api: Api, months: str) -> None:
    refused = api.get("/credits/stats/monthly", months=months)
    assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_PARAMETER"


def test_a_page_past_the_last_entity_is_empty_and_still_counts_them_all(api: Api) -> None:
    whole = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="30d", limit="500")
    total = whole["meta"]["totalEntities"]
    assert total == len(whole["entities"]) == whole["summary"]["total"]
    last = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="30d", limit="1", offset=str(total - 1))
    assert [e["entityId"] for e in last["entities"]] == [whole["entities"][-1]["entityId"]]
    past = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="30d", offset=str(total))
    assert past["entities"] == [] and past["meta"]["totalEntities"] == past["summary"]["total"] == total


def test_a_breakdown_lists_only_entities_with_facts_in_the_window(api: Api, org: Any) -> None:
    idle = {r.id for r in org.repos if r.ai_level == 0}
    listed = {
        e["entityId"]
        for e in api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="365d", limit="500")["entities"]
    }
    assert idle and listed and not idle & listed
    assert all(
        e["totals"]["requests"] > 0
        for e in api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="24h", limit="500")["entities"]
    )


def test_each_violation_counts_in_its_rules_severity_and_its_actions_count(api: Api, org: Any) -> None:
    """A rule has one risk and one action: its violations all land in that severity, and in
    alerts or blocks as the action says (a log-only rule in neither)."""
    rules = {rule.id: rule for rule in org.rules}
    entities = api.ok("/v2/stats/policies/breakdown/rules", scope="org", window="90d", limit="500")[
        "entities"
    ]
    assert {rules[e["entityId"]].action for e in entities if e["totals"]["violations"]} == {0, 1, 2}
    for entity in entities:
        totals, rule = entity["totals"], rules[entity["entityId"]]
        severities = {
            "LOW": totals["severityLow"],
            "MEDIUM": totals["severityMedium"],
            "HIGH": totals["severityHigh"],
        }
        assert severities == {risk: totals["violations"] if risk == rule.risk else 0 for risk in severities}
        assert totals["alerts"] == (totals["violations"] if rule.action == 1 else 0)
        assert totals["blocks"] == (totals["violations"] if rule.action == 2 else 0)


@pytest.mark.parametrize("path", ["/v2/stats/policies", "/v2/stats/policies/breakdown/users"])
def test_severities_add_up_to_violations_and_actions_stay_within_them(api: Api, path: str) -> None:
    body = api.ok(path, scope="org", window="7d", limit="500")
    rows = [e["totals"] for e in body["entities"]] if "entities" in body else body["series"]
    assert any(row["violations"] for row in rows)
    for row in rows:
        assert row["severityLow"] + row["severityMedium"] + row["severityHigh"] == row["violations"]
        assert row["alerts"] + row["blocks"] <= row["violations"]


@pytest.mark.parametrize("token", [None, "", "not a token", "unknown-token"])
def test_every_kind_of_missing_credential_is_401_with_a_bearer_challenge(api: Api, token: str | None) -> None:
    response = api.get("/v2/stats/ai", token=token, scope="org", window="24h")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error_code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("scope", ["workspace", "repo"])
def test_an_id_that_is_not_a_uuid_is_400_before_any_reach_check(api: Api, scope: str) -> None:
    response = api.get("/v2/stats/ai", scope=scope, id="12345", window="24h")
    assert response.status_code == 400 and response.json()["error_code"] == "INVALID_PARAMETER"
    assert "UUID" in response.json()["message"]
