"""Fault injection: each mode, over a real socket, and its absence in default mode."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from tests.conftest import Api, per_module
from tests.servers import serve

AUTH = {"Authorization": "Bearer demo"}
STORAGE = "/v2/stats/storage?scope=org&window=7d"


@pytest.fixture(scope=per_module)
def fault_server(settings: BackendSettings) -> Iterator[httpx.Client]:
    app = create_backend_app(dataclasses.replace(settings, faults_enabled=True))
    with serve(app) as url, httpx.Client(base_url=url, headers=AUTH, timeout=10) as client:
        yield client


@pytest.fixture
def faulty(fault_server: httpx.Client) -> Iterator[httpx.Client]:
    """The fault-enabled backend, with every fault cleared after the test."""
    yield fault_server
    fault_server.delete("/_faults")


def _inject(client: httpx.Client, **fault: object) -> None:
    response = client.post("/_faults", json=fault)
    assert response.status_code == 201, response.text


def test_chosen_status_on_the_chosen_endpoint_only(faulty: httpx.Client) -> None:
    _inject(faulty, path="/v2/stats/storage", mode="status", status=503)
    failed = faulty.get(STORAGE)
    assert failed.status_code == 503
    assert failed.headers["content-type"] == "application/json"
    assert failed.json()["error_code"] == "INJECTED_FAULT"
    assert faulty.get("/v2/stats/ai?scope=org&window=7d").status_code == 200


def test_times_limits_how_often_a_fault_fires(faulty: httpx.Client) -> None:
    _inject(faulty, path="/v2/stats/storage", mode="status", status=500, times=2)
    assert [faulty.get(STORAGE).status_code for _ in range(3)] == [500, 500, 200]


def test_slow_answers_arrive_late_but_whole(faulty: httpx.Client) -> None:
    _inject(faulty, path="/v2/stats/storage", mode="slow", delayMs=300)
    started = time.monotonic()
    response = faulty.get(STORAGE)
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200 and response.json()["success"] is True
    faulty.delete("/_faults")
    _inject(faulty, path="/v2/stats/storage", mode="slow", delayMs=2000)
    with pytest.raises(httpx.ReadTimeout):
        faulty.get(STORAGE, timeout=0.5)


def test_truncated_body_is_not_json(faulty: httpx.Client) -> None:
    whole = faulty.get(STORAGE).content
    _inject(faulty, path="/v2/stats/storage", mode="truncate")
    cut = faulty.get(STORAGE)
    assert cut.status_code == 200 and 0 < len(cut.content) < len(whole)
    assert whole.startswith(cut.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)


def test_malformed_body_claims_json_but_is_not(faulty: httpx.Client) -> None:
    _inject(faulty, path="/v2/stats/storage", mode="malformed")
    response = faulty.get(STORAGE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_dropped_connection(faulty: httpx.Client) -> None:
    _inject(faulty, path="/v2/stats/storage", mode="drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        faulty.get(STORAGE)
    assert faulty.get(STORAGE).status_code == 200, "the server survives and serves the next request"


def test_bad_fault_specs_are_refused(faulty: httpx.Client) -> None:
    response = faulty.post("/_faults", json={"path": "/", "mode": "explode"})
    assert response.status_code == 400
    assert "mode" in response.json()["message"]


def test_default_mode_has_no_fault_control(api: Api) -> None:
    assert api.get("/_faults").status_code == 404
    assert api.app.state.backend.settings.faults_enabled is False


def test_rate_makes_a_fault_fire_on_that_share_of_requests(faulty: httpx.Client) -> None:
    _inject(faulty, path="/v2/stats/storage", mode="status", status=503, rate=0.25)
    statuses = [faulty.get(STORAGE).status_code for _ in range(200)]
    assert 25 <= statuses.count(503) <= 75
    assert set(statuses) == {200, 503}
    refused = faulty.post("/_faults", json={"path": "/", "mode": "status", "rate": 0})
    assert refused.status_code == 400 and "rate" in refused.json()["message"]


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"path": "/", "mode": "status", "status": 99}, "status must be an HTTP status between 100 and 599"),
        ({"path": "/", "mode": "status", "status": 600}, "status must be an HTTP status between 100 and 599"),
        ({"path": "/", "mode": "slow", "delayMs": -1}, "delay_ms must be between 0 and 120000"),
        ({"path": "/", "mode": "slow", "delayMs": 120_001}, "delay_ms must be between 0 and 120000"),
        ({"path": "/", "mode": "status", "rate": 1.5}, "rate must be more than 0 and at most 1"),
        ({"mode": "status"}, "path"),
    ],
)
def test_fault_specs_outside_their_bounds_are_refused_with_the_bound(
    faulty: httpx.Client, spec: dict[str, object], needle: str
) -> None:
    response = faulty.post("/_faults", json=spec)
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_FAULT"
    assert needle in response.json()["message"]
    assert faulty.get("/_faults").json()["faults"] == []


def test_faults_at_their_bounds_are_accepted_and_listed(faulty: httpx.Client) -> None:
    for status in (100, 599):
        assert (
            faulty.post("/_faults", json={"path": "/x", "mode": "status", "status": status}).status_code
            == 201
        )
    assert (
        faulty.post(
            "/_faults", json={"path": "/y", "mode": "slow", "delayMs": 120_000, "rate": 1}
        ).status_code
        == 201
    )
    listed = faulty.get("/_faults").json()["faults"]
    assert [(f["path"], f["mode"], f["status"], f["delay_ms"], f["times"], f["rate"]) for f in listed] == [
        ("/x", "status", 100, 0, None, 1.0),
        ("/x", "status", 599, 0, None, 1.0),
        ("/y", "slow", 503, 120_000, None, 1.0),
    ]
    assert [f["id"] for f in listed] == sorted({f["id"] for f in listed})


def test_an_injected_status_answers_the_contracts_error_body(faulty: httpx.Client) -> None:
    _inject(faulty, path="/v2/stats/storage", mode="status", status=429)
    failed = faulty.get(STORAGE)
    assert failed.status_code == 429
    assert failed.json() == {"success": False, "message": "Injected fault.", "error_code": "INJECTED_FAULT"}
    assert failed.headers["content-length"] == str(len(failed.content))


def test_a_truncated_body_is_the_first_half(faulty: httpx.Client) -> None:
    whole = faulty.get(STORAGE).content
    _inject(faulty, path="/v2/stats/storage", mode="truncate")
    assert faulty.get(STORAGE).content == whole[: len(whole) // 2]


def test_the_malformed_body_is_the_documented_one(faulty: httpx.Client) -> None:
    _inject(faulty, path="/v2/stats/storage", mode="malformed")
    assert faulty.get(STORAGE).content == b'{"success": true, "meta": {"start": 17,, "series": ['


def test_fault_control_is_never_faulted_itself(faulty: httpx.Client) -> None:
    _inject(faulty, path="/", mode="status", status=500)
    listed = faulty.get("/_faults")
    assert listed.status_code == 200 and len(listed.json()["faults"]) == 1
    assert faulty.get(STORAGE).status_code == 500


def test_fault_control_answers_what_it_did(faulty: httpx.Client) -> None:
    created = faulty.post("/_faults", json={"path": "/v2/stats/ai", "mode": "slow", "delayMs": 5, "times": 3})
    assert created.status_code == 201
    fault = created.json()["fault"]
    assert created.json()["success"] is True
    assert (fault["path"], fault["mode"], fault["delay_ms"], fault["times"], fault["rate"]) == (
        "/v2/stats/ai",
        "slow",
        5,
        3,
        1.0,
    )
    assert faulty.get("/_faults").json() == {"success": True, "faults": [fault]}
    cleared = faulty.delete("/_faults")
    assert cleared.status_code == 200 and cleared.json() == {"success": True, "faults": []}
    assert faulty.get("/_faults").json() == {"success": True, "faults": []}


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"path": "/", "mode": "explode"}, "mode must be one of status, slow, truncate, malformed, drop"),
        ({"path": "/", "mode": "status", "status": 99}, "status must be an HTTP status between 100 and 599"),
        ({"path": "/", "mode": "slow", "delayMs": -1}, "delay_ms must be between 0 and 120000"),
        ({"path": "/", "mode": "status", "rate": 0}, "rate must be more than 0 and at most 1"),
    ],
)
def test_a_refused_fault_spec_says_the_shape_and_the_rule(
    faulty: httpx.Client, spec: dict[str, object], problem: str
) -> None:
    response = faulty.post("/_faults", json=spec)
    assert response.json() == {
        "success": False,
        "message": "Send JSON {path, mode, status?, delayMs?, times?, rate?}; mode in"
        f" status, slow, truncate, malformed, drop ({problem}).",
        "error_code": "INVALID_FAULT",
    }
