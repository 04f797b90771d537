"""On SIGTERM the server stops taking work, lets requests in flight finish within the drain deadline,
and cuts off what is still stuck when it passes."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from tests.servers import free_port, serve, wait_until_healthy

pytestmark = pytest.mark.slow  # a server process
QUERY = {"query": "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"}


@pytest.fixture(scope="module")
def slow_upstream(settings: BackendSettings) -> Iterator[str]:
    with serve(create_backend_app(dataclasses.replace(settings, faults_enabled=True))) as url:
        yield url


def _start(upstream: str, drain: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "FLASHBACK_API_URL": upstream,
        "FLASHBACK_API_TOKEN": "demo",
        "FLASHBACK_DRAIN_SECONDS": str(drain),
        "FLASHBACK_REQUEST_DEADLINE": "60",
        "FLASHBACK_API_TIMEOUT": "60",
    }
    command = [
        str(Path(sys.executable).parent / "flashback-gql"),
        "serve",
        "--port",
        str(port),
        "--no-graphiql-install",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process, 60)
    return process, url


def _slow(upstream: str, delay_ms: int) -> None:
    fault = {"path": "/v2/stats/ai", "mode": "slow", "delayMs": delay_ms}
    assert (
        httpx.post(f"{upstream}/_faults", json=fault, headers={"Authorization": "Bearer demo"}).status_code
        == 201
    )


def _in_flight(url: str, answers: list[object]) -> threading.Thread:
    def ask() -> None:
        try:
            response = httpx.post(f"{url}/graphql", json=QUERY, timeout=60)
            answers.append(
                response.json() if response.status_code == 200 else f"{response.status_code} {response.text}"
            )
        except httpx.HTTPError as error:
            answers.append(error)

    thread = threading.Thread(target=ask)
    thread.start()
    return thread


def test_a_slow_request_in_flight_finishes_after_sigterm(slow_upstream: str) -> None:
    _slow(slow_upstream, 1_500)
    process, url = _start(slow_upstream, drain=10)
    answers: list[object] = []
    try:
        request = _in_flight(url, answers)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        request.join(timeout=20)
        # uvicorn raises the signal again once it has shut down, so the exit status tells it.
        assert process.wait(timeout=20) == -signal.SIGTERM
    finally:
        httpx.delete(f"{slow_upstream}/_faults", headers={"Authorization": "Bearer demo"})
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate(timeout=20)[0].decode()
    (answer,) = answers
    assert "Shutting down" in output or "shutdown" in output.lower(), output[-2000:]
    assert isinstance(answer, dict) and answer["data"]["stats"]["ai"]["timeSeries"]["summary"]["total"] > 0


def test_a_stuck_request_is_cut_off_at_the_drain_deadline(slow_upstream: str) -> None:
    _slow(slow_upstream, 60_000)
    process, url = _start(slow_upstream, drain=1.5)
    answers: list[object] = []
    try:
        request = _in_flight(url, answers)
        time.sleep(0.5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        stopped = time.monotonic() - started
        request.join(timeout=20)
    finally:
        httpx.delete(f"{slow_upstream}/_faults", headers={"Authorization": "Bearer demo"})
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=20)
    assert 1.0 <= stopped < 6, "it waits for the drain deadline, and no longer"
    assert answers and not isinstance(answers[0], dict), "the stuck request did not complete"
