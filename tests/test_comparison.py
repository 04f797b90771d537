"""Period over period from one call, against REST.

Which (window, bucket size, earlier period) can be answered is worked out here from the windows'
lengths and the upstream's bucket rule, not read from the gateway. For each that can, the
comparison's current period is REST's series of the window at the same instant, value by value,
and the previous period is REST's series of a window long enough to hold it, the same number of
buckets one offset earlier (``test_comparison_oracle.py`` checks the previous period against a
backend whose clock is one period earlier). Each that cannot is refused with zero upstream calls.
An answer that cannot be cut cleanly fails with COMPARISON_MISALIGNED, never a shifted comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gql.server.graphiql import OVERVIEW_QUERY
from resolvers import dimensions, resources
from tests.conftest import Api
from tests.gateway import Gateway
from tests.rewriting import RewritingTransport
from tests.test_order_by import FIELD, _call, _field

DAY, WEEK = 86_400, 7 * 86_400
# The time-series fields of every domain: (domain path, the field under stats, the series field).
SERIES = [
    ("/v2/stats/storage", "storage", "timeSeries"),
    ("/v2/stats/ai", "ai", "timeSeries"),
    ("/v2/stats/private-chat", "privateChat", "timeSeries"),
    ("/v2/stats/policies", "policies", "timeSeries"),
    ("/v2/stats/policies/tokens", "policies", "tokens"),
    ("/v2/stats/credits", "credits", "timeSeries"),
]
TO = {"PREVIOUS_PERIOD": None, "PREVIOUS_WEEK": WEEK}


def _holds(window: str, size: str) -> bool:
    """The upstream's bucket rule: a window holds at most 2,160 buckets."""
    return resources.WINDOWS[window].seconds // resources.BUCKET_SIZES[size].seconds <= 2_160


def _reach(window: str, to: str) -> int:
    """Seconds back from the window's end to the start of the earlier period."""
    length = resources.WINDOWS[window].seconds
    return length + (TO[to] or length)


def _longer(window: str, size: str, to: str) -> str | None:
    """A window that holds both periods at ``size``, if any (the shortest)."""
    fits = [
        w for w in resources.WINDOWS if resources.WINDOWS[w].seconds >= _reach(window, to) and _holds(w, size)
    ]
    return min(fits, key=lambda w: resources.WINDOWS[w].seconds, default=None)


CASES = [
    (window, size, to)
    for window in resources.WINDOWS
    for size in resources.BUCKET_SIZES
    if _holds(window, size)
    for to in TO
]
ANSWERABLE = [case for case in CASES if _longer(*case) is not None]
REFUSED = [case for case in CASES if _longer(*case) is None]


def _id(case: tuple[str, str, str]) -> str:
    return ":".join(case)


def test_the_pairs_the_issue_counts_are_the_ones_answered() -> None:
    period = [c for c in CASES if c[2] == "PREVIOUS_PERIOD"]
    assert len(period) == 26 and len([c for c in period if c in ANSWERABLE]) == 20


def _metrics(path: str) -> list[str]:
    return [m.name for m in next(d for d in resources.DOMAINS if d.path == path).metrics]


def _query(window: str, size: str, field: str, series: str, body: str) -> str:
    window_name = resources.WINDOWS[window].name
    size_name = resources.BUCKET_SIZES[size].name
    return f"{{ stats(window: {window_name}, bucketSize: {size_name}) {{ {field} {{ {series} {{ {body} }} }} }} }}"


def _rest_columns(points: list[dict[str, Any]], metrics: list[str]) -> dict[str, list[Any]]:
    return {name: [p[name] for p in points] for name in ["ts", *metrics]}


@pytest.mark.parametrize(("window", "size", "to"), ANSWERABLE, ids=map(_id, ANSWERABLE))
def test_both_periods_are_rest_series_and_cost_one_call(
    gateway: Gateway, api: Api, window: str, size: str, to: str
) -> None:
    # A domain per case, in turn: every domain at every pair is the oracle test's (slow).
    path, field, series = SERIES[ANSWERABLE.index((window, size, to)) % len(SERIES)]
    metrics = _metrics(path)
    columns = f"columns {{ ts {' '.join(metrics)} }}"
    body = (
        f"{columns} comparison(to: {to}) {{ meta {{ sourceWindow bucketSize offsetSeconds lastBucketFilling }}"
        f" current {{ meta {{ start end window }} {columns} }} previous {{ meta {{ start end }} {columns} }} }}"
    )
    result = gateway.query(_query(window, size, field, series, body))
    assert not result.errors, result.errors
    ours = result.data["stats"][field][series]
    comparison = ours["comparison"]
    plain = api.ok(path, scope="org", window=window, timeBucketSize=size)
    assert comparison["current"]["columns"] == _rest_columns(plain["series"], metrics)
    assert ours["columns"] == comparison["current"]["columns"]
    assert (comparison["current"]["meta"]["start"], comparison["current"]["meta"]["end"]) == (
        plain["meta"]["start"],
        plain["meta"]["end"],
    )
    offset = TO[to] or resources.WINDOWS[window].seconds
    longer = _longer(window, size, to)
    assert longer is not None
    assert comparison["meta"] == {
        "sourceWindow": resources.WINDOWS[longer].name,
        "bucketSize": resources.BUCKET_SIZES[size].name,
        "offsetSeconds": offset,
        "lastBucketFilling": True,
    }
    source = api.ok(path, scope="org", window=longer, timeBucketSize=size)["series"]
    earlier = [
        p for p in source if plain["meta"]["start"] - offset <= p["ts"] < plain["meta"]["end"] - offset
    ]
    assert len(earlier) == len(plain["series"])
    assert comparison["previous"]["columns"] == _rest_columns(earlier, metrics)
    assert comparison["previous"]["meta"] == {
        "start": plain["meta"]["start"] - offset,
        "end": plain["meta"]["end"] - offset,
    }
    # The comparison and the plain series beside it: one call, of the longer window.
    assert result.upstream["count"] == 1
    assert f"window={longer}&" in result.upstream["calls"][0]["query"]


@pytest.mark.parametrize(("window", "size", "to"), REFUSED, ids=map(_id, REFUSED))
def test_a_pair_no_window_reaches_back_from_is_refused_before_any_call(
    gateway: Gateway, window: str, size: str, to: str
) -> None:
    result = gateway.query(
        _query(window, size, "ai", "timeSeries", f"comparison(to: {to}) {{ meta {{ to }} }}")
    )
    assert result.data == {"stats": {"ai": {"timeSeries": None}}}
    (error,) = result.errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["reason"] == "COMPARISON_UNAVAILABLE"
    working = [
        resources.BUCKET_SIZES[s].name
        for s in resources.BUCKET_SIZES
        if _holds(window, s) and _longer(window, s, to)
    ]
    assert error["extensions"]["bucketSizes"] == working
    assert all(name in error["message"] for name in working)
    assert result.upstream["count"] == 0


def test_complete_buckets_only_leaves_out_the_filling_bucket_and_its_counterpart(
    gateway: Gateway, api: Api
) -> None:
    body = (
        "comparison(completeBucketsOnly: true) { meta { lastBucketFilling }"
        " current { columns { ts requests } } previous { columns { ts requests } } }"
    )
    result = gateway.query(_query("24h", "1h", "ai", "timeSeries", body))
    assert not result.errors, result.errors
    comparison = result.data["stats"]["ai"]["timeSeries"]["comparison"]
    plain = api.ok("/v2/stats/ai", scope="org", window="24h", timeBucketSize="1h")["series"]
    assert comparison["meta"]["lastBucketFilling"] is False
    assert comparison["current"]["columns"]["ts"] == [p["ts"] for p in plain[:-1]]
    assert comparison["current"]["columns"]["requests"] == [p["requests"] for p in plain[:-1]]
    assert comparison["previous"]["columns"]["ts"] == [p["ts"] - DAY for p in plain[:-1]]


def test_totals_sum_each_metric_weight_latency_by_requests_and_leave_distinct_counts_unknown(
    gateway: Gateway, api: Api
) -> None:
    metrics = _metrics("/v2/stats/ai")
    body = (
        f"comparison {{ current {{ totals {{ {' '.join(metrics)} }} summary(metric: TOKENS_IN) {{ total }} }}"
        " change(metric: ACTIVE_CONVERSATIONS) { current previous delta percent direction } }"
    )
    result = gateway.query(_query("7d", "1h", "ai", "timeSeries", body))
    assert not result.errors, result.errors
    comparison = result.data["stats"]["ai"]["timeSeries"]["comparison"]
    plain = api.ok("/v2/stats/ai", scope="org", window="7d", timeBucketSize="1h")["series"]
    totals = comparison["current"]["totals"]
    for metric in metrics:
        if metric == "activeConversations":
            assert totals[metric] is None
        elif metric == "latencyMs":
            requests = sum(p["requests"] for p in plain)
            weighted = sum(p["latencyMs"] * p["requests"] for p in plain) / requests
            assert totals[metric] == pytest.approx(weighted, abs=1e-6)
        else:
            assert totals[metric] == sum(p[metric] for p in plain), metric
    assert comparison["current"]["summary"]["total"] == totals["tokensIn"]
    assert comparison["change"] == {
        "current": None,
        "previous": None,
        "delta": None,
        "percent": None,
        "direction": "UNKNOWN",
    }


def _direction(current: int, previous: int) -> str:
    if current == previous:
        return "NONE" if current == 0 else "FLAT"
    if previous == 0:
        return "NEW"
    if current == 0:
        return "GONE"
    return "UP" if current > previous else "DOWN"


@pytest.mark.parametrize(("path", "field", "series"), SERIES, ids=[f"{f}.{s}" for _, f, s in SERIES])
def test_every_counted_metric_changes_by_the_rest_totals(
    gateway: Gateway, api: Api, path: str, field: str, series: str
) -> None:
    domain = next(d for d in resources.DOMAINS if d.path == path)
    counted = [m.name for m in domain.metrics if not m.fractional and m.name != "activeConversations"]
    enum = {name: "".join("_" + c if c.isupper() else c.upper() for c in name) for name in counted}
    body = (
        "comparison(to: PREVIOUS_WEEK) { "
        + " ".join(
            f"{name}: change(metric: {enum[name]}) {{ current previous delta percent direction }}"
            for name in counted
        )
        + " }"
    )
    result = gateway.query(_query("24h", "1h", field, series, body))
    assert not result.errors, result.errors
    changes = result.data["stats"][field][series]["comparison"]
    source = api.ok(path, scope="org", window="30d", timeBucketSize="1h")["series"]
    current, previous = source[-24:], source[-24 - 168 : -168]
    for name in counted:
        now, before = sum(p[name] for p in current), sum(p[name] for p in previous)
        percent = None if before == 0 else pytest.approx((now - before) / abs(before) * 100, abs=1e-5)
        assert changes[name] == {
            "current": now,
            "previous": before,
            "delta": now - before,
            "percent": percent,
            "direction": _direction(now, before),
        }, name


def test_a_kpi_dashboard_of_every_domain_with_sparklines_costs_a_call_per_domain(gateway: Gateway) -> None:
    tiles = " ".join(
        f"{field}_{series}: {field} {{ {series} {{ columns {{ ts }} summary {{ total }}"
        f" comparison {{ change(metric: {metric}) {{ percent direction }} }} }} }}"
        for _, field, series, metric in [
            (*SERIES[0], "REQUESTS"),
            (*SERIES[1], "TOKENS_IN"),
            (*SERIES[2], "REQUESTS"),
            (*SERIES[3], "VIOLATIONS"),
            (*SERIES[4], "POLICY_TOKENS_IN"),
            (*SERIES[5], "CREDITS_TOTAL"),
        ]
    )
    result = gateway.query(f"{{ stats(window: LAST_24H) {{ {tiles} }} }}")
    assert not result.errors, result.errors
    assert result.upstream["count"] == 6
    assert all("window=7d" in call["query"] for call in result.upstream["calls"])


def test_two_comparisons_and_the_series_share_the_longest_source(gateway: Gateway) -> None:
    body = (
        "columns { ts } week: comparison(to: PREVIOUS_WEEK) { current { summary { total } } }"
        " period: comparison { previous { summary { total } } }"
    )
    result = gateway.query(_query("24h", "1h", "ai", "timeSeries", body) + "")
    assert not result.errors, result.errors
    assert [call["query"] for call in result.upstream["calls"]] == ["scope=org&window=30d&timeBucketSize=1h"]


def test_comparisons_of_an_entity_compare_its_own_series(gateway: Gateway, api: Api) -> None:
    repo = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="7d", limit=1)["entities"][0][
        "entityId"
    ]
    query = (
        f'{{ stats(scope: REPO, id: "{repo}", window: LAST_24H) {{ ai {{ timeSeries {{'
        " comparison { current { columns { ts requests } } } } } } }"
    )
    result = gateway.query(query)
    assert not result.errors, result.errors
    plain = api.ok("/v2/stats/ai", scope="repo", id=repo, window="24h")["series"]
    columns = result.data["stats"]["ai"]["timeSeries"]["comparison"]["current"]["columns"]
    assert columns == {"ts": [p["ts"] for p in plain], "requests": [p["requests"] for p in plain]}


# -- an answer that cannot be cut --------------------------------------------------------------


def _drop_a_bucket(body: Any) -> Any:
    del body["series"][-50]  # inside the last 24 h of the 7 days
    return body


def _end_one_bucket_early(body: Any) -> Any:
    body["series"].pop()
    body["meta"]["end"] -= 600
    return body


def _end_shifted(body: Any) -> Any:
    body["meta"]["end"] += 600
    return body


def _hours_for_ten_minutes(body: Any) -> Any:
    hours = body["series"][::6]
    body["series"] = hours
    body["meta"]["timeBucketSize"] = "1h"
    return body


def _other_size_same_label(body: Any) -> Any:
    body["series"] = [dict(point, ts=point["ts"] - 300) for point in body["series"]]
    return body


MISALIGNED: dict[str, Callable[[Any], Any]] = {
    "a bucket dropped": _drop_a_bucket,
    "the last bucket missing": _end_one_bucket_early,
    "the end shifted by a bucket": _end_shifted,
    "1 h answered for 10 min": _hours_for_ten_minutes,
    "buckets off the grid": _other_size_same_label,
}


@pytest.mark.parametrize("rewrite", list(MISALIGNED), ids=list(MISALIGNED))
def test_an_answer_that_cannot_be_cut_cleanly_fails_as_misaligned(
    rewriting: tuple[RewritingTransport, Gateway], api: Api, rewrite: str
) -> None:
    """The comparison fails; the series beside it is asked for on its own (a second call)."""
    transport, gateway = rewriting

    def only_the_source(body: Any) -> Any:
        return MISALIGNED[rewrite](body) if body["meta"]["window"] == "7d" else body

    transport.path, transport.rewrite = "/v2/stats/ai", only_the_source
    try:
        result = gateway.query(
            "{ stats(window: LAST_24H) { ai { timeSeries { columns { ts requests }"
            " comparison { change(metric: REQUESTS) { delta } } } }"
            " storage { timeSeries { comparison { change(metric: REQUESTS) { delta } } } } } }"
        )
        plain = api.ok("/v2/stats/ai", scope="org", window="24h")["series"]
    finally:
        transport.path = None
    ai = result.data["stats"]["ai"]["timeSeries"]
    assert ai["comparison"] is None
    assert ai["columns"] == {"ts": [p["ts"] for p in plain], "requests": [p["requests"] for p in plain]}
    assert result.data["stats"]["storage"]["timeSeries"]["comparison"]["change"]["delta"] is not None
    (error,) = result.errors
    assert error["path"] == ["stats", "ai", "timeSeries", "comparison"]
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "UPSTREAM_ERROR",
        "COMPARISON_MISALIGNED",
    )


# -- per entity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dimension", dimensions.DIMENSIONS, ids=[f"{d.domain}:{d.by}" for d in dimensions.DIMENSIONS]
)
def test_each_entity_changes_by_its_rest_totals_in_both_periods(
    gateway: Gateway, api: Api, dimension: dimensions.Dimension
) -> None:
    """This period's totals are REST's breakdown of the window; the previous period's are the sums of
    REST's entity series of the longer window, one period earlier; latency weighted by requests."""
    domain = resources.domain(dimension.domain)
    metrics = [m.name for m in domain.entity_metrics]
    totals = " ".join(metrics)
    call = _call(dimension, "limit: 500")
    query = (
        f"{{ stats(window: LAST_24H, bucketSize: HOUR_1) {{ {FIELD[dimension.domain]} {{ {call} {{"
        f" entities {{ entityId }} comparison {{ entities {{ entityId current {{ {totals} }}"
        f" previous {{ {totals} }} }} }} }} }} }} }}"
    )
    result = gateway.query(query)
    assert not result.errors, result.errors
    page = result.data["stats"][FIELD[dimension.domain]][_field(dimension).split("(")[0]]
    path = domain.breakdown_path(dimension.by)
    now = api.ok(path, scope="org", window="24h", timeBucketSize="1h", limit=500)["entities"]
    source = api.ok(path, scope="org", window="7d", timeBucketSize="1h", limit=500, includeSeries="true")
    series = {e["entityId"]: e["series"] for e in source["entities"]}
    changes = page["comparison"]["entities"]
    gone = [
        e["entityId"]
        for e in source["entities"]
        if e["entityId"] not in {n["entityId"] for n in now}
        and any(p[m] for p in e["series"][-48:-24] for m in metrics)
    ]
    assert [c["entityId"] for c in changes] == [e["entityId"] for e in now] + gone
    rest_now = {e["entityId"]: e["totals"] for e in now}
    for change in changes:
        before = series[change["entityId"]][-48:-24]
        for metric in metrics:
            if metric == "activeConversations":
                assert change["current"][metric] is None and change["previous"][metric] is None
            elif metric == "latencyMs":
                requests = sum(p["requests"] for p in before)
                weighted = sum(p[metric] * p["requests"] for p in before) / requests if requests else None
                assert change["previous"][metric] == (
                    weighted if weighted is None else pytest.approx(weighted)
                )
            else:
                assert change["previous"][metric] == sum(p[metric] for p in before), metric
                if change["entityId"] in rest_now:
                    assert change["current"][metric] == rest_now[change["entityId"]][metric], metric
    assert result.upstream["count"] == 2  # the page, and the longer window's breakdown with series


def test_a_breakdown_comparison_needs_every_entity_in_the_page(gateway: Gateway, api: Api) -> None:
    total = api.ok("/v2/stats/ai/breakdown/models", scope="org", window="24h", limit=1)["meta"][
        "totalEntities"
    ]
    assert total > 2
    result = gateway.query(
        "{ stats(window: LAST_24H) { ai { breakdown(by: MODELS, limit: 2) { entities { entityId }"
        " comparison { entities { entityId } } } } } }"
    )
    breakdown = result.data["stats"]["ai"]["breakdown"]
    assert len(breakdown["entities"]) == 2 and breakdown["comparison"] is None
    (error,) = result.errors
    assert error["extensions"]["reason"] == "COMPARISON_NEEDS_EVERY_ENTITY"
    assert error["extensions"]["totalEntities"] == total
    assert f"at least {total}" in error["message"]
    assert result.upstream["count"] == 1  # the page alone


def test_a_breakdown_comparison_no_window_reaches_back_from_costs_no_call_of_its_own(
    gateway: Gateway,
) -> None:
    result = gateway.query(
        "{ stats(window: LAST_365D) { ai { breakdown(by: MODELS, limit: 500) { entities { entityId }"
        " comparison { entities { entityId } } } } } }"
    )
    assert result.data["stats"]["ai"]["breakdown"]["comparison"] is None
    assert result.errors[0]["extensions"]["reason"] == "COMPARISON_UNAVAILABLE"
    assert result.upstream["count"] == 1


def test_entities_with_traffic_only_before_come_after_the_page_as_gone(gateway: Gateway, api: Api) -> None:
    result = gateway.query(
        "{ stats(window: LAST_24H, bucketSize: HOUR_1) { ai { breakdown(by: REPOS, limit: 500) { total"
        " comparison { entities { entityId change(metric: REQUESTS) { current direction } } } } } } }"
    )
    assert not result.errors, result.errors
    breakdown = result.data["stats"]["ai"]["breakdown"]
    after = breakdown["comparison"]["entities"][breakdown["total"] :]
    assert after, "the data holds repos with AI traffic the day before and none since"
    assert all(e["change"] == {"current": 0, "direction": "GONE"} for e in after)


def test_the_overview_graphiql_opens_on_answers_in_four_calls(gateway: Gateway) -> None:
    """KPI tiles with comparisons, a top five with Others and days in a time zone: each tile's
    longer window, shared by its sparkline, Others and the zone's days, and the page of five."""
    result = gateway.query(OVERVIEW_QUERY)
    assert not result.errors, result.errors
    ai = result.data["stats"]["ai"]
    top = ai["topModels"]
    assert len(top["entities"]) == 5 and top["others"]["entityCount"] == top["total"] - 5
    tile = ai["timeSeries"]["comparison"]["change"]
    assert tile["current"] == sum(ai["timeSeries"]["columns"]["tokensIn"])
    assert (
        top["others"]["totals"]["tokensIn"] + sum(e["totals"]["tokensIn"] for e in top["entities"])
        == tile["current"]
    )
    assert len(result.data["daily"]["ai"]["timeSeries"]["columns"]["ts"]) == 7
    assert sorted(call["path"] for call in result.upstream["calls"]) == [
        "/v2/stats/ai",
        "/v2/stats/ai/breakdown/models",
        "/v2/stats/credits",
        "/v2/stats/storage",
    ]
