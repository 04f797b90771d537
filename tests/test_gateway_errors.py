"""Bad input is refused before any upstream call; upstream faults cost only the fields that need them."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from tests.conftest import per_module
from tests.gateway import Gateway
from tests.servers import serve

STORAGE_AND_CREDITS = (
    "{ stats(window: LAST_7D) { storage { timeSeries { summary { total } } }"
    " credits { timeSeries { summary { total } } } } }"
)


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        (
            "{ stats(scope: WORKSPACE, window: LAST_7D) { ai { timeSeries { summary { total } } } } }",
            "WORKSPACE needs the id",
        ),
        (
            "{ stats(scope: REPO, window: LAST_7D) { ai { timeSeries { summary { total } } } } }",
            "REPO needs the id",
        ),
        (
            "{ stats(window: LAST_30D, bucketSize: MIN_5) { ai { timeSeries { summary { total } } } } }",
            "MIN_5",
        ),
        ("{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 0) { total } } } }", "limit"),
        ("{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 501) { total } } } }", "limit"),
        ("{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, offset: -1) { total } } } }", "offset"),
        (
            '{ stats(window: LAST_7D) { policies(ruleId: "x") { tokens { summary { total } } } } }',
            "no filter",
        ),
        ("{ legacy { creditsMonthly(months: 25) { totals { balance } } } }", "months"),
        (
            '{ legacy { storage(startDate: "2026-11-10T00:00:00Z", endDate: "2026-11-01T00:00:00Z") { ts } } }',
            "startDate is after endDate; swap them.",
        ),
    ],
)
def test_bad_input_is_refused_before_any_upstream_call(gateway: Gateway, query: str, needle: str) -> None:
    result = gateway.query(query)
    assert [e["extensions"]["code"] for e in result.errors] == ["BAD_USER_INPUT"]
    message = result.errors[0]["message"]
    assert needle in message
    assert result.upstream["count"] == 0


def test_the_bucket_size_message_lists_what_the_window_takes(gateway: Gateway) -> None:
    result = gateway.query(
        "{ stats(window: LAST_180D, bucketSize: HOUR_1) { ai { timeSeries { meta { end } } } } }"
    )
    assert "HOUR_6, HOUR_12, DAY_1" in result.errors[0]["message"]


def test_schema_level_mistakes_are_graphql_validation_errors(gateway: Gateway) -> None:
    result = gateway.query("{ stats(window: LAST_2D) { ai { timeSeries { meta { end } } } } }")
    assert result.data is None and result.errors and result.upstream["count"] == 0
    assert "LAST_2D" in result.errors[0]["message"]


def test_upstream_400_keeps_its_message(gateway: Gateway) -> None:
    result = gateway.query(
        '{ stats(window: LAST_7D) { ai(model: "no-such-model") { timeSeries { meta { end } } } } }'
    )
    assert result.codes() == {"stats.ai.timeSeries": "BAD_USER_INPUT"}
    error = result.errors[0]
    assert error["extensions"]["upstreamStatus"] == 400
    assert "no-such-model" in error["message"] and "gpt" in error["message"]


def test_unknown_token_is_unauthenticated_and_never_echoed(gateway: Gateway) -> None:
    result = gateway.query(STORAGE_AND_CREDITS, token="s3cret-token-value")
    assert result.codes() == {
        "stats.storage.timeSeries": "UNAUTHENTICATED",
        "stats.credits.timeSeries": "UNAUTHENTICATED",
    }
    assert all(e["extensions"]["upstreamStatus"] == 401 for e in result.errors)
    assert "s3cret" not in result.text


def test_scope_outside_the_token_is_forbidden(gateway: Gateway, other_org: Any) -> None:
    result = gateway.query(
        "query($id: ID) { stats(scope: WORKSPACE, id: $id, window: LAST_7D) { ai { timeSeries { meta { end } } } } }",
        {"id": other_org.workspaces[0].id},
    )
    assert result.codes() == {"stats.ai.timeSeries": "FORBIDDEN"}
    assert result.errors[0]["extensions"]["upstreamStatus"] == 403


def test_credits_off_is_bad_input_only_for_credits(gateway: Gateway) -> None:
    result = gateway.query(STORAGE_AND_CREDITS, token="demo-other-org")
    assert result.codes() == {"stats.credits.timeSeries": "BAD_USER_INPUT"}
    assert result.data["stats"]["storage"]["timeSeries"]["summary"]["total"] > 0
    assert result.data["stats"]["credits"]["timeSeries"] is None
    assert result.errors[0]["extensions"]["upstreamCode"] == "CREDITS_NOT_ENABLED"


@pytest.mark.parametrize(
    ("query", "token", "expected"),
    [
        (
            "{ stats(window: LAST_7D) { credits { timeSeries { summary { total } } } } }",
            "demo-other-org",
            {"code": "BAD_USER_INPUT", "upstreamStatus": 400, "upstreamCode": "CREDITS_NOT_ENABLED"},
        ),
        (
            '{ legacy { storage(startDate: "2026-01-01T00:00:00Z", endDate: "2026-11-01T00:00:00Z") { ts } } }',
            "demo",
            {"code": "BAD_USER_INPUT", "upstreamStatus": 400, "upstreamCode": "INVALID_PARAMETER"},
        ),
        (
            '{ stats(scope: WORKSPACE, id: "00000000-0000-0000-0000-000000000000", window: LAST_7D)'
            " { ai { timeSeries { summary { total } } } } }",
            "demo",
            {"code": "FORBIDDEN", "upstreamStatus": 403, "upstreamCode": "FORBIDDEN"},
        ),
    ],
)
def test_the_upstream_error_code_reaches_the_client(
    gateway: Gateway, query: str, token: str, expected: dict[str, object]
) -> None:
    """A UI tells CREDITS_NOT_ENABLED from a bad date range by ``upstreamCode``, not by the message."""
    (error,) = gateway.query(query, token=token).errors
    assert {k: v for k, v in error["extensions"].items() if k != "requestId"} == expected


# -- faults over a real socket ---------------------------------------------------------------------


@pytest.fixture(scope=per_module)
def faulty_url(settings: BackendSettings) -> Iterator[str]:
    with serve(create_backend_app(dataclasses.replace(settings, faults_enabled=True))) as url:
        yield url


@pytest.fixture
def remote(faulty_url: str) -> Iterator[Gateway]:
    client = Gateway(
        create_app(GatewaySettings(response_cache=False, api_url=faulty_url, timeout_seconds=1.0))
    )
    yield client
    client.close()
    httpx.delete(f"{faulty_url}/_faults")


def inject(url: str, **fault: object) -> None:
    assert httpx.post(f"{url}/_faults", json=fault).status_code == 201


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        ({"mode": "status", "status": 400}, "BAD_USER_INPUT", 400),
        ({"mode": "status", "status": 401}, "UNAUTHENTICATED", 401),
        ({"mode": "status", "status": 403}, "FORBIDDEN", 403),
        ({"mode": "status", "status": 404}, "NOT_FOUND", 404),
        ({"mode": "status", "status": 500}, "UPSTREAM_ERROR", 500),
        ({"mode": "status", "status": 503}, "UPSTREAM_ERROR", 503),
        ({"mode": "malformed"}, "UPSTREAM_ERROR", 200),
        ({"mode": "truncate"}, "UPSTREAM_ERROR", 200),
        ({"mode": "drop"}, "UPSTREAM_ERROR", None),
        ({"mode": "slow", "delayMs": 2500}, "UPSTREAM_ERROR", None),
    ],
)
def test_each_upstream_fault_maps_to_its_code_and_costs_only_its_field(
    remote: Gateway, faulty_url: str, fault: dict[str, object], code: str, status: int | None
) -> None:
    inject(faulty_url, path="/v2/stats/credits", **fault)
    result = remote.query(STORAGE_AND_CREDITS)
    assert result.codes() == {"stats.credits.timeSeries": code}
    extensions = result.errors[0]["extensions"]
    assert extensions.get("upstreamStatus") == status and "http" not in extensions
    assert result.data["stats"]["credits"]["timeSeries"] is None
    assert result.data["stats"]["storage"]["timeSeries"]["summary"]["total"] > 0
    for leak in ("Traceback", "demo", "INJECTED", "127.0.0.1", 'File "'):
        assert leak not in result.errors[0]["message"]


def test_a_refused_connection_is_an_upstream_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Gateway(
        create_app(
            GatewaySettings(response_cache=False, api_url=f"http://127.0.0.1:{port}", timeout_seconds=2.0)
        )
    )
    try:
        result = client.query(STORAGE_AND_CREDITS)
    finally:
        client.close()
    assert set(result.codes().values()) == {"UPSTREAM_ERROR"}
    assert result.data == {"stats": {"storage": {"timeSeries": None}, "credits": {"timeSeries": None}}}


def test_breakdown_fault_leaves_the_time_series(remote: Gateway, faulty_url: str) -> None:
    inject(faulty_url, path="/v2/stats/ai/breakdown", mode="status", status=502)
    result = remote.query(
        "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } }"
        " breakdown(by: MODELS) { entities { columns { requests } } } } } }"
    )
    assert result.codes() == {"stats.ai.breakdown": "UPSTREAM_ERROR"}
    assert result.data["stats"]["ai"]["timeSeries"]["summary"]["total"] > 0


def test_a_legacy_range_of_one_instant_is_asked_for_not_refused(gateway: Gateway) -> None:
    """startDate equal to endDate is a range, however short; only a reversed one is refused."""
    result = gateway.query(
        '{ legacy { storage(startDate: "2026-11-10T00:00:00Z", endDate: "2026-11-10T00:00:00Z") { ts } } }'
    )
    assert not result.errors and result.upstream["count"] == 1
    reversed_range = gateway.query(
        '{ legacy { storage(startDate: "2026-11-10T00:00:01Z", endDate: "2026-11-10T00:00:00Z") { ts } } }'
    )
    assert [e["message"] for e in reversed_range.errors] == ["startDate is after endDate; swap them."]


def test_a_field_error_points_at_the_field_in_the_document(gateway: Gateway) -> None:
    """GraphiQL and client tooling underline the failing field from ``locations``."""
    query = "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 0) { total } } } }"
    (error,) = gateway.query(query).errors
    assert error["locations"] == [{"line": 1, "column": query.index("breakdown") + 1}]
    assert error["path"] == ["stats", "ai", "breakdown"]
