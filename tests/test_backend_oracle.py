"""The backend's figures recomputed from its raw facts with SQL written here, independently of the
backend's own queries, roll-ups and metric table.

The gateway's parity tests compare it with this same backend, so they cannot see the backend's
mistakes; these can. Raw facts are the 5-minute rows (the last 8 days) and the hourly rows
(older); every figure below is a plain aggregate of them.
"""

from __future__ import annotations

import datetime
import sqlite3
from typing import Any

import pytest

from local_backend.settings import BackendSettings
from tests.conftest import Api

FINE, HOUR = 300, 3_600
LATENCY = "ROUND(COALESCE(CAST(SUM(latency_sum_ms) AS REAL) / NULLIF(SUM(requests), 0), 0.0), 3)"
# Every V2 metric, as the contract defines it, over the raw fact columns.
METRICS: dict[str, tuple[str, dict[str, str]]] = {
    "/v2/stats/storage": (
        "storage_facts",
        {
            "uplBytes": "SUM(upl_bytes)",
            "dwlBytes": "SUM(dwl_bytes)",
            "sizeChange": "SUM(size_change)",
            "latencyMs": LATENCY,
            "requests": "SUM(requests)",
        },
    ),
    "/v2/stats/ai": (
        "ai_facts",
        {
            "tokensIn": "SUM(tokens_in)",
            "tokensOut": "SUM(tokens_out)",
            "policyTokensIn": "SUM(policy_tokens_in)",
            "policyTokensOut": "SUM(policy_tokens_out)",
            "requests": "SUM(requests)",
            "activeConversations": "COUNT(DISTINCT conversation_id)",
            "latencyMs": LATENCY,
        },
    ),
    "/v2/stats/private-chat": (
        "chat_facts",
        {"tokensIn": "SUM(tokens_in)", "tokensOut": "SUM(tokens_out)", "requests": "SUM(requests)"},
    ),
    "/v2/stats/policies": (
        "policy_facts",
        {
            "violations": "SUM(violations)",
            "alerts": "SUM(alerts)",
            "blocks": "SUM(blocks)",
            "severityLow": "SUM(severity_low)",
            "severityMedium": "SUM(severity_medium)",
            "severityHigh": "SUM(severity_high)",
            "policyTokensIn": "SUM(policy_tokens_in)",
            "policyTokensOut": "SUM(policy_tokens_out)",
        },
    ),
    "/v2/stats/policies/tokens": (
        "policy_facts",
        {"policyTokensIn": "SUM(policy_tokens_in)", "policyTokensOut": "SUM(policy_tokens_out)"},
    ),
}
POLICY_ENFORCEMENT = ("violations", "alerts", "blocks", "severityLow", "severityMedium", "severityHigh")
# (breakdown path, the raw column it groups by)
DIMENSIONS = [
    ("/v2/stats/storage", "workspaces", "workspace_id"),
    ("/v2/stats/storage", "repos", "repo_id"),
    ("/v2/stats/storage", "buckets", "bucket_id"),
    ("/v2/stats/storage", "nodes", "node_id"),
    ("/v2/stats/storage", "providers", "provider_id"),
    ("/v2/stats/ai", "workspaces", "workspace_id"),
    ("/v2/stats/ai", "repos", "repo_id"),
    ("/v2/stats/ai", "models", "model"),
    ("/v2/stats/ai", "providers", "llm_type"),
    ("/v2/stats/ai", "nodes", "node_id"),
    ("/v2/stats/ai", "aiConfigs", "ai_config_id"),
    ("/v2/stats/private-chat", "models", "model"),
    ("/v2/stats/private-chat", "users", "user_id"),
    ("/v2/stats/policies", "rules", "rule_id"),
    ("/v2/stats/policies", "users", "user_id"),
]


def _ids(facts: sqlite3.Connection) -> dict[int, str]:
    return dict(facts.execute("SELECT key, id FROM entities"))


def _approx(metric: str, value: Any) -> Any:
    return pytest.approx(value, abs=1e-3) if metric == "latencyMs" else value


def _aggregate(
    facts: sqlite3.Connection,
    table: str,
    metrics: dict[str, str],
    group: str,
    grain: int,
    org_key: int,
    meta: Any,
) -> dict[Any, dict[str, Any]]:
    names = list(metrics)
    rows = facts.execute(
        f"SELECT {group}, {', '.join(metrics[n] for n in names)} FROM {table}"
        f" WHERE grain = ? AND org_id = ? AND ts >= ? AND ts < ? GROUP BY 1",
        (grain, org_key, meta["start"], meta["end"]),
    ).fetchall()
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


@pytest.mark.parametrize("path", list(METRICS))
def test_every_time_series_metric_is_the_aggregate_of_the_raw_facts(
    api: Api, facts: sqlite3.Connection, org_key: int, path: str
) -> None:
    table, metrics = METRICS[path]
    body = api.ok(path, scope="org", window="7d", timeBucketSize="1h")
    expected = _aggregate(facts, table, metrics, f"ts - ts % {HOUR}", FINE, org_key, body["meta"])
    assert (
        sum(
            1 for point in body["series"] if point["requests" if "requests" in point else next(iter(metrics))]
        )
        > 0
    )
    for point in body["series"]:
        raw = expected.get(point["ts"], dict.fromkeys(metrics, 0))
        assert {m: point[m] for m in metrics} == {m: _approx(m, raw[m] or 0) for m in metrics}, point["ts"]


def test_credits_are_the_credits_of_the_usage_facts_and_the_org_events(
    api: Api, facts: sqlite3.Connection, org_key: int
) -> None:
    body = api.ok("/v2/stats/credits", scope="org", window="7d", timeBucketSize="1h")
    bucket = f"ts - ts % {HOUR}"

    def per_bucket(table: str, expression: str) -> dict[int, int]:
        return dict(
            facts.execute(
                f"SELECT {bucket}, {expression} FROM {table} WHERE grain = ? AND org_id = ? AND ts >= ? AND ts < ?"
                " GROUP BY 1",
                (FINE, org_key, body["meta"]["start"], body["meta"]["end"]),
            )
        )

    ai, chat = per_bucket("ai_facts", "SUM(credits)"), per_bucket("chat_facts", "SUM(credits)")
    storage = per_bucket("storage_facts", "SUM(credits)")
    purchased = per_bucket("credit_events", "SUM(credits_purchased)")
    granted = per_bucket("credit_events", "SUM(credits_granted)")
    assert sum(p["creditsTotal"] for p in body["series"]) > 0
    for point in body["series"]:
        ts = point["ts"]
        expected_ai = ai.get(ts, 0) + chat.get(ts, 0)
        assert point["creditsAi"] == expected_ai
        assert point["creditsStorage"] == storage.get(ts, 0)
        assert point["creditsTotal"] == expected_ai + storage.get(ts, 0)
        assert (point["creditsPurchased"], point["creditsGranted"]) == (
            purchased.get(ts, 0),
            granted.get(ts, 0),
        )


@pytest.mark.parametrize(
    ("path", "by", "column"), DIMENSIONS, ids=[f"{p.split('/')[-1]}-{b}" for p, b, _ in DIMENSIONS]
)
def test_every_breakdown_total_is_the_aggregate_of_the_raw_facts(
    api: Api, facts: sqlite3.Connection, org_key: int, path: str, by: str, column: str
) -> None:
    table, metrics = METRICS[path]
    if path.endswith("policies"):
        metrics = {m: metrics[m] for m in POLICY_ENFORCEMENT}
    body = api.ok(f"{path}/breakdown/{by}", scope="org", window="7d", limit=500)
    expected = _aggregate(facts, table, metrics, column, FINE, org_key, body["meta"])
    ids = _ids(facts)
    expected_by_id = {ids[key]: totals for key, totals in expected.items() if key is not None}
    assert {e["entityId"] for e in body["entities"]} == set(expected_by_id)
    for entity in body["entities"]:
        raw = expected_by_id[entity["entityId"]]
        assert {m: entity["totals"][m] for m in metrics} == {m: _approx(m, raw[m]) for m in metrics}


@pytest.mark.parametrize(("window", "grain"), [("7d", FINE), ("30d", HOUR)])
def test_user_conversations_and_last_activity_are_those_of_the_raw_facts(
    api: Api, facts: sqlite3.Connection, org_key: int, window: str, grain: int
) -> None:
    """lastActiveAt is the start of the user's last active slot: 5 minutes within the fine days,
    an hour beyond them (docs/backend.md)."""
    body = api.ok("/v2/stats/private-chat/breakdown/users", scope="org", window=window, limit=500)
    meta = body["meta"]
    ids = _ids(facts)
    last = dict(
        facts.execute(
            "SELECT user_id, MAX(ts) FROM chat_facts WHERE grain = ? AND org_id = ? AND ts >= ? AND ts < ?"
            " GROUP BY user_id",
            (grain, org_key, meta["start"], meta["end"]),
        ).fetchall()
    )
    conversations = dict(
        facts.execute(
            "SELECT user_id, COUNT(DISTINCT conversation_id) FROM chat_facts WHERE grain = ? AND org_id = ?"
            " AND ts >= ? AND ts < ? GROUP BY user_id",
            (FINE if window == "7d" else HOUR, org_key, meta["start"], meta["end"]),
        ).fetchall()
    )
    last_by_id = {ids[key]: ts for key, ts in last.items()}
    conversations_by_id = {ids[key]: count for key, count in conversations.items()}
    assert len(body["entities"]) > 5
    for entity in body["entities"]:
        assert entity["totals"]["lastActiveAt"] == last_by_id[entity["entityId"]], entity["entityName"]
        assert entity["totals"]["conversationsCount"] == conversations_by_id[entity["entityId"]]


def _month_starts(now: int, months: int) -> list[datetime.datetime]:
    """The first instants (UTC) of the last ``months`` calendar months up to ``now``, oldest first,
    counted here by stepping a date back one day from each month's first."""
    first = datetime.datetime.fromtimestamp(now, datetime.UTC).replace(day=1, hour=0, minute=0, second=0)
    starts = [first]
    while len(starts) < months:
        starts.append((starts[-1] - datetime.timedelta(days=1)).replace(day=1))
    return starts[::-1]


def test_monthly_credits_are_the_raw_facts_of_each_calendar_month(
    api: Api, facts: sqlite3.Connection, org_key: int, settings: BackendSettings
) -> None:
    """Sums of the hourly rows (they cover every hour up to now) against the backend's daily roll-ups."""
    body = api.ok("/credits/stats/monthly", months="24")
    assert body["success"] is True
    starts = _month_starts(settings.now(), 24)
    assert [row["month"] for row in body["data"]] == [s.strftime("%Y-%m-%dT%H:%M:%S.000Z") for s in starts]
    ends = [int(s.timestamp()) for s in starts[1:]] + [settings.now() + 86_400]
    totals = dict.fromkeys(("consumption", "purchases", "grants", "balance"), 0)
    for row, start, end in zip(body["data"], starts, ends, strict=True):
        window = (org_key, int(start.timestamp()), end)
        consumption = sum(
            facts.execute(
                f"SELECT COALESCE(SUM(credits), 0) FROM {table}"
                " WHERE grain = 3600 AND org_id = ? AND ts >= ? AND ts < ?",
                window,
            ).fetchone()[0]
            for table in ("ai_facts", "chat_facts", "storage_facts")
        )
        purchases, grants = facts.execute(
            "SELECT COALESCE(SUM(credits_purchased), 0), COALESCE(SUM(credits_granted), 0) FROM credit_events"
            " WHERE grain = 3600 AND org_id = ? AND ts >= ? AND ts < ?",
            window,
        ).fetchone()
        expected = {
            "consumption": consumption,
            "purchases": purchases,
            "grants": grants,
            "balance": grants + purchases - consumption,
        }
        assert {k: row[k] for k in expected} == expected, row["month"]
        for name in totals:
            totals[name] += expected[name]
    assert body["totals"] == totals
    assert totals["consumption"] > 0 and totals["grants"] > 0


def test_llm_configuration_totals_are_the_raw_facts_of_each_configuration(
    api: Api, facts: sqlite3.Connection, org_key: int, org: Any
) -> None:
    body = api.ok("/ai/llm/stats")
    assert body["success"] is True
    keys = {config_id: key for key, config_id in _ids(facts).items()}
    columns = {
        "totalApiCalls": "requests",
        "totalTokensIn": "tokens_in",
        "totalTokensOut": "tokens_out",
        "totalLlmTokensIn": "policy_tokens_in",
        "totalLlmTokensOut": "policy_tokens_out",
        "totalPolicyViolations": "violations",
        "totalAlerts": "alerts",
        "totalBlocks": "blocks",
    }
    assert [row["aiLlmId"] for row in body["stats"]] == [config.id for config in org.ai_configs]
    for row in body["stats"]:
        sums = facts.execute(
            f"SELECT {', '.join(f'COALESCE(SUM({c}), 0)' for c in columns.values())} FROM ai_facts"
            " WHERE grain = 3600 AND org_id = ? AND ai_config_id = ?",
            (org_key, keys[row["aiLlmId"]]),
        ).fetchone()
        assert {name: row[name] for name in columns} == {
            name: str(value) for name, value in zip(columns, sums, strict=True)
        }
