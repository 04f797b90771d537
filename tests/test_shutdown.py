"""On SIGTERM the server stops taking work, lets requests in flight finish within the drain deadline,
and cuts off what is still stuck when it passes."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from tests.servers import free_port, gateway_command, serve, wait_until_healthy

pytestmark = pytest.mark.slow  # a server process
QUERY = {"query": "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"}


class Arrivals:
    """The upstream app, counting the AI series requests that reached it: a test waits for its
    request to be in flight rather than for a fixed time, which a loaded machine may outlast."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/v2/stats/ai":
            self.count += 1
        await self.app(scope, receive, send)

    def wait_for(self, count: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while self.count < count:
            assert time.monotonic() < deadline, "the request never reached the upstream"
            time.sleep(0.02)


ARRIVALS: list[Arrivals] = []


@pytest.fixture(scope="module")
def slow_upstream(settings: BackendSettings) -> Iterator[str]:
    arrivals = Arrivals(create_backend_app(dataclasses.replace(settings, faults_enabled=True)))
    ARRIVALS[:] = [arrivals]
    with serve(arrivals) as url:
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
    command = gateway_command(port)
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
        before = ARRIVALS[0].count
        request = _in_flight(url, answers)
        ARRIVALS[0].wait_for(before + 1)
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
        before = ARRIVALS[0].count
        request = _in_flight(url, answers)
        ARRIVALS[0].wait_for(before + 1)
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
    # It waits for the drain deadline (1.5 s), and not much longer: the margin above it is what a
    # loaded CI machine was measured to need for the signal, the cut-off and the exit.
    assert 1.4 <= stopped < 1.5 + 8, "it waits for the drain deadline, and no longer"
    assert answers and not isinstance(answers[0], dict), "the stuck request did not complete"
