"""Three replicas behind Debian's haproxy, with the shipped configuration (deploy/haproxy), sharing one
redis-server: under load one replica is stopped (SIGTERM, as a rolling restart does) and started
again. No request fails, every answer is a single replica's, and the upstream is asked no more
than one replica alone asks it. Live subscriptions on the stopped replica close with 1012 and
resume on the others."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from tests.conftest import ROOT
from tests.redis_server import redis_server
from tests.servers import free_port, gateway_command, serve

pytestmark = pytest.mark.slow  # processes: three gateways, haproxy, redis-server

HEADERS = {"Authorization": "Bearer demo", "Content-Type": "application/json"}
QUERIES = [
    {
        "query": f"{{ stats(window: {window}) {{ ai {{ timeSeries {{ summary {{ total }} columns {{ requests }} }} }} }} }}"
    }
    for window in ("LAST_24H", "LAST_7D", "LAST_30D")
] + [
    {
        "query": "query($limit: Int!) { stats(window: LAST_7D) { ai { breakdown(by: MODELS, limit: $limit) {"
        " entities { entityId totals { requests } } } } storage { timeSeries { summary { total } } } } }",
        "variables": {"limit": limit},
    }
    for limit in (3, 5)
]


class CountingUpstream:
    """The local backend, counting the requests that reach it with credentials (readiness probes,
    which send none and are refused with a cheap 401, are not the workload's cost)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(name == b"authorization" for name, _ in scope["headers"]):
            self.calls[f"{scope['path']}?{scope['query_string'].decode()}"] += 1
        await self.app(scope, receive, send)


def _replica(
    upstream: str, redis_url: str, port: int, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **(extra or {}),
        "FLASHBACK_API_URL": upstream,
        "FLASHBACK_CACHE_REDIS_URL": redis_url,
        "FLASHBACK_CACHE_SECRET": "shared-by-every-replica-0123456789",
        "FLASHBACK_CACHE_SECONDS": "120",  # longer than the test: every repeat is a hit
        "FLASHBACK_DRAIN_SECONDS": "10",
    }
    command = gateway_command(port)
    # Its log lines go to a file: a pipe nobody reads would fill under load and stall the replica.
    log = tempfile.NamedTemporaryFile(prefix=f"gateway-{port}-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            assert process.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()[-2000:]
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@contextmanager
def _haproxy(bind: int, ports: list[int]) -> Iterator[str]:
    binary = shutil.which("haproxy")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is missing: .ci/run installs Debian's haproxy")
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    env = {**os.environ, "HAPROXY_BIND": f"127.0.0.1:{bind}"}
    env.update({f"GATEWAY_{i + 1}": f"127.0.0.1:{port}" for i, port in enumerate(ports)})
    config = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
    process = subprocess.Popen(
        [binary, "-db", "-f", str(config)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{bind}"
    try:
        deadline = time.monotonic() + 20
        while True:  # every replica up in haproxy's eyes: its checks need `rise` passes
            try:
                if all(
                    httpx.post(f"{url}/graphql", json=QUERIES[0], headers=HEADERS).status_code == 200
                    for _ in range(6)
                ):
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "haproxy did not start"
            time.sleep(0.2)
        time.sleep(2.5)  # two health checks a second apart: all three replicas in rotation
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _ask(url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{url}/graphql", json=body, headers=HEADERS, timeout=30)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_three_replicas_behind_haproxy_lose_nothing_through_a_restart(settings: BackendSettings) -> None:
    upstream_app = CountingUpstream(create_backend_app(settings))
    with redis_server() as redis_url, serve(upstream_app) as upstream:
        ports = [free_port() for _ in range(3)]
        replicas = [_replica(upstream, redis_url, port) for port in ports]
        try:
            # One replica alone: the reference answers and what they cost upstream.
            alone = f"http://127.0.0.1:{ports[0]}"
            reference = [_ask(alone, body) for body in QUERIES]
            assert all("errors" not in answer for answer in reference)
            cost_alone = sum(upstream_app.calls.values())
            redis.Redis.from_url(redis_url).flushdb()
            upstream_app.calls.clear()

            with _haproxy(free_port(), ports) as balanced:
                # The same queries through the balancer, each once before the load, as one replica did.
                assert [_ask(balanced, body) for body in QUERIES] == reference
                cost_balanced = sum(upstream_app.calls.values())

                answers: list[tuple[int, Any]] = []
                failures: list[str] = []
                stop = threading.Event()

                def load() -> None:
                    n = 0
                    while not stop.is_set():
                        index = n % len(QUERIES)
                        n += 1
                        try:
                            answers.append((index, _ask(balanced, QUERIES[index])))
                        except (AssertionError, httpx.HTTPError) as failure:
                            failures.append(repr(failure)[:300])

                threads = [threading.Thread(target=load) for _ in range(6)]
                for thread in threads:
                    thread.start()
                time.sleep(2)
                _stop(replicas[1])  # a rolling restart: SIGTERM, drain, gone
                time.sleep(3)
                replicas[1] = _replica(upstream, redis_url, ports[1])
                time.sleep(4)  # back in rotation (two good checks) and serving
                stop.set()
                for thread in threads:
                    thread.join(timeout=60)
        finally:
            for process in replicas:
                _stop(process)

    assert failures == []
    assert len(answers) > 100
    assert all(answer == reference[index] for index, answer in answers)
    assert cost_balanced == cost_alone  # the shared cache: no replica asks what another has
    assert sum(upstream_app.calls.values()) == cost_balanced  # the load and the restart cost nothing more


LIVE = {
    "query": "subscription { live(refreshSeconds: 1) { revision stats(window: LAST_24H) {"
    " ai { timeSeries { summary { total } } } } } }"
}


def _subscribed(url: str) -> ClientConnection:
    """A live subscription through the balancer, its first answer read."""
    socket = connect(
        url.replace("http", "ws") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        legacy=True,
    )
    socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer demo"}}))
    assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"
    socket.send(json.dumps({"type": "subscribe", "id": "1", "payload": LIVE}))
    first = json.loads(socket.recv(timeout=10))
    assert first["type"] == "next" and "errors" not in first["payload"], first
    return socket


def test_live_subscriptions_behind_haproxy_move_to_another_replica_when_one_stops(
    settings: BackendSettings,
) -> None:
    """A stopping replica closes its WebSockets with 1012; the clients reconnect through the balancer
    to the replicas left, and get the same answer there."""
    upstream_app = CountingUpstream(create_backend_app(settings))
    with redis_server() as redis_url, serve(upstream_app) as upstream:
        ports = [free_port() for _ in range(3)]
        replicas = [
            _replica(upstream, redis_url, port, {"FLASHBACK_LIVE_MIN_REFRESH": "1"}) for port in ports
        ]
        try:
            with _haproxy(free_port(), ports) as balanced:
                sockets = [_subscribed(balanced) for _ in range(6)]  # leastconn: two on each replica
                _stop(replicas[1])
                closed = []
                for socket in sockets:
                    try:
                        socket.recv(timeout=3)  # a refresh with nothing new pushes nothing
                    except TimeoutError:
                        continue
                    except ConnectionClosed as gone:
                        closed.append(gone.rcvd.code if gone.rcvd is not None else None)
                assert closed and set(closed) == {1012}, closed
                again = [_subscribed(balanced) for _ in closed]
                for socket in sockets + again:
                    socket.close()
        finally:
            for process in replicas:
                _stop(process)
