"""Live subscriptions over a real socket: the protocol, the answers, the sharing, the bounds.

The gateway is served by uvicorn on loopback over a backend of its own, pinned, whose clock the
tests move on (``Backend.advance``): a 5-minute slot closes, its facts appear, and a subscriber of a
5-minute series gets the new answer; nothing else changes, and nothing else is pushed. Clients are
the ``websockets`` library (graphql-transport-ws spoken here, as the ``graphql-ws`` client speaks it)
and httpx streaming Server-Sent Events. ``tests/clients`` drives the real JavaScript clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from gql.live.mailbox import Ending, Mailbox
from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from gql.server.tracing import Tracing, traced
from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from tests import node
from tests.conftest import NOW, ROOT, per_module
from tests.redis_server import redis_server
from tests.servers import serve

SERIES = "stats(window: LAST_24H, bucketSize: MIN_5) { ai { timeSeries { summary { total } columns { ts requests } } } }"
LIVE = f"subscription {{ live(refreshSeconds: 1) {{ revision asOf {SERIES} }} }}"
QUERY = f"{{ {SERIES} }}"
PROTOCOL = "graphql-transport-ws"


@pytest.fixture(scope=per_module)
def backend(tmp_path_factory: pytest.TempPathFactory, settings: BackendSettings) -> Starlette:
    """A backend of this module's own: its clock is moved on by the tests."""
    folder = tmp_path_factory.mktemp("live")
    return create_backend_app(BackendSettings(folder / "backend.sqlite3", settings.seed, NOW))


@pytest.fixture(scope=per_module)
def gateway(backend: Starlette) -> Iterator[tuple[str, Starlette]]:
    """The gateway on a real port: refreshes every second at the fastest, a short init timeout."""
    settings = GatewaySettings(
        response_cache=False,
        live_min_refresh=1,
        live_init_timeout=0.5,
        live_per_connection=3,
        max_upstream_calls=8,
    )
    app = create_app(settings, transport=httpx.ASGITransport(app=backend))
    with serve(app) as url:
        yield url, app


def _ws(url: str, protocol: str = PROTOCOL) -> ClientConnection:
    address = url.replace("http", "ws") + "/graphql"
    return connect(address, subprotocols=[Subprotocol(protocol)], open_timeout=5, legacy=True)


def _send(socket: ClientConnection, kind: str, ident: str | None = None, payload: Any = None) -> None:
    message: dict[str, Any] = {"type": kind}
    if ident is not None:
        message["id"] = ident
    if payload is not None:
        message["payload"] = payload
    socket.send(json.dumps(message))


def _receive(socket: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(socket.recv(timeout=timeout))
    return message


def _open(url: str, token: str = "demo") -> ClientConnection:
    socket = _ws(url)
    _send(socket, "connection_init", payload={"Authorization": f"Bearer {token}"})
    assert _receive(socket) == {"type": "connection_ack"}
    return socket


def _query(url: str, token: str = "demo") -> Any:
    return httpx.post(
        f"{url}/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
    ).json()


def _closed_with(socket: ClientConnection) -> int | None:
    try:
        while True:
            socket.recv(timeout=5)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None


def test_the_first_answer_is_the_query_s_and_a_closed_slot_pushes_the_next(
    gateway: tuple[str, Starlette], backend: Starlette
) -> None:
    url, _ = gateway
    with _open(url) as socket:
        _send(socket, "subscribe", "1", {"query": LIVE})
        first = _receive(socket)
        assert first["type"] == "next" and first["id"] == "1"
        live = first["payload"]["data"]["live"]
        assert live["revision"] == 1
        assert {"stats": live["stats"]} == _query(url)["data"]
        # Nothing changes upstream: nothing is pushed, refresh after refresh.
        with pytest.raises(TimeoutError):
            socket.recv(timeout=2.5)
        backend.state.backend.advance(300)  # the slot in progress closes; its facts appear
        second = _receive(socket)["payload"]["data"]["live"]
        assert second["revision"] == 2 and second["asOf"] >= live["asOf"]
        assert {"stats": second["stats"]} == _query(url)["data"]
        assert second["stats"] != live["stats"]
        _send(socket, "complete", "1")


def test_subscribers_of_one_document_are_one_cohort_and_cohorts_share_upstream_calls(
    gateway: tuple[str, Starlette],
) -> None:
    url, app = gateway
    live = app.state.live
    other = f"subscription {{ live(refreshSeconds: 1) {{ revision {SERIES.replace('columns { ts requests }', '')} }} }}"
    sockets = [_open(url) for _ in range(3)]
    try:
        for number, socket in enumerate(sockets):
            _send(socket, "subscribe", "a", {"query": LIVE})
            _send(socket, "subscribe", "b", {"query": other})
            got = {_receive(socket)["id"], _receive(socket)["id"]}
            assert got == {"a", "b"}, number
        assert len(live.cohorts) == 2 and live.counters.subscriptions == 6
        polls, calls = live.counters.polls, live.share.calls
        time.sleep(3.2)
        rounds = (live.counters.polls - polls) / 2
        assert rounds >= 2
        # Two cohorts, one REST resource: one upstream call per refresh, not two.
        assert live.share.calls - calls == pytest.approx(rounds, abs=1)
    finally:
        for socket in sockets:
            socket.close()
    deadline = time.monotonic() + 5
    while live.cohorts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.cohorts == {} and live.counters.subscriptions == 0  # the pollers stopped with them


def test_credentials_the_upstream_refuses_close_the_connection_with_4403(
    gateway: tuple[str, Starlette],
) -> None:
    url, _ = gateway
    socket = _open(url, token="wrong")
    _send(socket, "subscribe", "1", {"query": LIVE})
    first = _receive(socket)
    assert first["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert _closed_with(socket) == 4403


def test_the_upgrade_request_s_authorization_is_used_without_one_in_connection_init(
    gateway: tuple[str, Starlette],
) -> None:
    url, _ = gateway
    ws_url = url.replace("http", "ws") + "/graphql"
    with connect(
        ws_url,
        subprotocols=[Subprotocol(PROTOCOL)],
        additional_headers={"Authorization": "Bearer demo-other-org"},
    ) as socket:
        _send(socket, "connection_init")
        assert _receive(socket)["type"] == "connection_ack"
        _send(socket, "subscribe", "1", {"query": LIVE})
        answer = _receive(socket)["payload"]["data"]["live"]
        assert {"stats": answer["stats"]} == _query(url, "demo-other-org")["data"] != _query(url)["data"]


def test_refusals_come_back_as_error_messages_and_the_connection_stays(
    gateway: tuple[str, Starlette],
) -> None:
    url, _ = gateway
    with _open(url) as socket:
        _send(
            socket,
            "subscribe",
            "bad",
            {"query": "subscription { live { stats(window: LAST_2H) { window } } }"},
        )
        error = _receive(socket)
        assert (error["type"], error["id"]) == ("error", "bad")
        assert error["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        _send(socket, "subscribe", "query", {"query": QUERY})
        assert _receive(socket)["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
        expensive = (
            "subscription { live { "
            + " ".join(
                f"w{i}: stats(window: LAST_24H, bucketSize: {size}) {{ ai {{ timeSeries {{ summary {{ total }} }} }} }}"
                for i, size in enumerate(["MIN_5", "MIN_10", "HOUR_1", "HOUR_6", "HOUR_12", "DAY_1"])
            )
            + " credits { timeSeries { summary { total } } } } }"
        )
        _send(
            socket,
            "subscribe",
            "costly",
            {"query": expensive.replace(" credits { timeSeries { summary { total } } }", "")},
        )
        assert _receive(socket)["type"] in ("next", "error")
        for ident in ("1", "2", "3", "4"):
            _send(socket, "subscribe", ident, {"query": LIVE})
        kinds = {}
        for _ in range(4):
            message = _receive(socket)
            kinds[message["id"]] = message
        limited = [m for m in kinds.values() if m["type"] == "error"]
        assert limited and limited[0]["payload"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT"
        _send(socket, "ping", payload={"n": 1})
        while (message := _receive(socket))["type"] != "pong":
            pass
        assert message == {"type": "pong", "payload": {"n": 1}}


def test_a_subscription_past_the_cost_budget_is_refused_at_subscribe_time(
    gateway: tuple[str, Starlette],
) -> None:
    url, _ = gateway
    # Ten series of different windows and domains: ten calls a refresh, past the budget of 8.
    fields = [
        f"{domain}_{window}: stats(window: {window}) {{ {domain} {{ timeSeries {{ summary {{ total }} }} }} }}"
        for domain in ("ai", "storage", "privateChat", "policies", "credits")
        for window in ("LAST_24H", "LAST_7D")  # at 10 minutes and an hour: neither holds the other
    ]
    document = f"subscription {{ live {{ {' '.join(fields)} }} }}"
    with _open(url) as socket:
        _send(socket, "subscribe", "1", {"query": document})
        error = _receive(socket)
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "COST_ESTIMATED_TOO_EXPENSIVE"


def _nothing(socket: ClientConnection) -> None:
    """Say nothing: connection_init never comes."""


def _init_twice(socket: ClientConnection) -> None:
    _send(socket, "connection_init")
    _receive(socket)
    _send(socket, "connection_init")


def _subscribe_first(socket: ClientConnection) -> None:
    _send(socket, "subscribe", "1", {"query": LIVE})


def _same_id_twice(socket: ClientConnection) -> None:
    _send(socket, "connection_init")
    _receive(socket)
    _send(socket, "subscribe", "1", {"query": LIVE})
    _send(socket, "subscribe", "1", {"query": LIVE})


def _no_id(socket: ClientConnection) -> None:
    socket.send('{"type": "subscribe"}')


def _not_json(socket: ClientConnection) -> None:
    socket.send("{")


CLOSES = {
    "no connection_init in time": (_nothing, 4408),
    "a second connection_init": (_init_twice, 4429),
    "subscribe before connection_init": (_subscribe_first, 4401),
    "an id already in use": (_same_id_twice, 4409),
    "a message outside the protocol": (_no_id, 4400),
    "not JSON": (_not_json, 4400),
}


@pytest.mark.parametrize("case", list(CLOSES), ids=list(CLOSES))
def test_the_protocol_closes_with_its_codes(gateway: tuple[str, Starlette], case: str) -> None:
    url, _ = gateway
    act, code = CLOSES[case]
    socket = _ws(url)
    act(socket)
    assert _closed_with(socket) == code


def test_a_client_that_does_not_speak_the_protocol_is_closed_with_4406(
    gateway: tuple[str, Starlette],
) -> None:
    url, _ = gateway
    assert _closed_with(_ws(url, "graphql-ws")) == 4406


def test_server_sent_events_carry_the_same_answers(
    gateway: tuple[str, Starlette], backend: Starlette
) -> None:
    url, _ = gateway
    headers = {"Accept": "text/event-stream", "Authorization": "Bearer demo"}
    with httpx.stream(
        "POST", f"{url}/graphql", json={"query": LIVE}, headers=headers, timeout=10
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == "event: next"
        first = json.loads(next(lines).removeprefix("data: "))
        assert {"stats": first["data"]["live"]["stats"]} == _query(url)["data"]
    refused = httpx.post(f"{url}/graphql", json={"query": "subscription { live { nope } }"}, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_subscription_over_plain_http_is_told_where_to_go(gateway: tuple[str, Starlette]) -> None:
    url, _ = gateway
    answer = httpx.post(f"{url}/graphql", json={"query": LIVE}, headers={"Authorization": "Bearer demo"})
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "text/event-stream" in error["message"]


def test_a_stopping_worker_closes_its_subscriptions_with_1012(backend: Starlette) -> None:
    """uvicorn's shutdown on SIGTERM: clients reconnect (to another replica) at once."""
    app = create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend))
    with serve(app, lifespan="on") as url:
        socket = _open(url)
        _send(socket, "subscribe", "1", {"query": LIVE})
        assert _receive(socket)["type"] == "next"
    # The server has stopped, as on SIGTERM.
    assert _closed_with(socket) == 1012


class _Counting(httpx.AsyncBaseTransport):
    """The backend, counting the calls that reach it."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.calls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        return await self.inner.handle_async_request(request)


def test_three_replicas_sharing_redis_cost_the_upstream_what_one_does(backend: Starlette) -> None:
    """A cohort on each replica, refreshing on the same instants: one holds each instant's lease."""
    upstream = _Counting(backend)
    with redis_server() as redis_url, contextlib.ExitStack() as stack:
        settings = GatewaySettings(cache_redis_url=redis_url, live_min_refresh=1)
        apps = [create_app(settings, transport=upstream) for _ in range(3)]
        urls = [stack.enter_context(serve(app, lifespan="on")) for app in apps]
        sockets = [stack.enter_context(_open(url)) for url in urls for _ in range(2)]
        for socket in sockets:
            _send(socket, "subscribe", "1", {"query": LIVE})
            assert _receive(socket)["type"] == "next"
        before = len(upstream.calls)
        polls = [app.state.live.counters.polls for app in apps]
        time.sleep(3.2)
        rounds = min(app.state.live.counters.polls - p for app, p in zip(apps, polls, strict=True))
        assert rounds >= 2
        # Each instant's one REST resource, asked once for all three replicas.
        assert len(upstream.calls) - before <= rounds + 1


def _without_typename(value: Any) -> Any:
    """Apollo Client asks for ``__typename`` everywhere; the numbers are what is compared."""
    if isinstance(value, dict):
        return {k: _without_typename(v) for k, v in value.items() if k != "__typename"}
    if isinstance(value, list):
        return [_without_typename(v) for v in value]
    return value


@pytest.mark.slow
def test_javascript_clients_get_the_query_s_numbers_first_and_after_a_change(
    gateway: tuple[str, Starlette], backend: Starlette
) -> None:
    """The graphql-ws client, Apollo Client's GraphQLWsLink, urql's subscriptionExchange and the
    graphql-sse client (tests/clients/live.mjs), each against the query at the same instant."""
    url, _ = gateway
    for round_number, answers in _before_and_after_a_change(["live.mjs", url, LIVE, "2"], "clients", backend):
        assert "failures" not in answers, answers
        expected = _query(url)["data"]
        for client, answer in answers.items():
            live = _without_typename(answer["data"]["live"])
            assert {"stats": live["stats"]} == expected, (round_number, client)


def _before_and_after_a_change(
    arguments: list[str], folder: str, backend: Starlette
) -> Iterator[tuple[int, Any]]:
    """Run a node script of tests/FOLDER that prints a JSON line per answer, for two answers: one
    before the backend's clock moves on by a slot, one after."""
    with subprocess.Popen(
        ["node", *arguments],
        cwd=node.install(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as script:
        try:
            assert script.stdout is not None
            for round_number in range(2):
                line = script.stdout.readline()
                assert line, script.stderr.read() if script.stderr else ""
                yield round_number, json.loads(line)
                if round_number == 0:
                    backend.state.backend.advance(300)
            assert script.wait(timeout=30) == 0
        finally:
            script.kill()


def _metric(url: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    return sum(
        float(line.split()[-1]) for line in text.splitlines() if line.startswith((name + " ", name + "{"))
    )


def test_metrics_show_connections_subscriptions_cohorts_and_refreshes(gateway: tuple[str, Starlette]) -> None:
    url, _ = gateway
    polls = _metric(url, 'flashback_live_events_total{event="polls"}')
    with _open(url) as socket:
        _send(socket, "subscribe", "1", {"query": LIVE})
        _receive(socket)
        assert _metric(url, 'flashback_live{what="connections"}') >= 1
        assert _metric(url, 'flashback_live{what="subscriptions"}') >= 1
        assert _metric(url, 'flashback_live{what="cohorts"}') >= 1
        time.sleep(1.5)
        assert _metric(url, 'flashback_live_events_total{event="polls"}') >= polls + 2
        assert _metric(url, 'flashback_live_events_total{event="pushes"}') >= 1


def test_each_refresh_is_a_span_with_its_upstream_calls_below_it(backend: Starlette) -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing(traced(Resource.create({}), [SimpleSpanProcessor(exporter)]))
    settings = GatewaySettings(response_cache=False, live_min_refresh=1)
    app = create_app(settings, transport=httpx.ASGITransport(app=backend), tracing=tracing)
    with serve(app) as url, _open(url) as socket:
        _send(socket, "subscribe", "1", {"query": LIVE.replace("subscription {", "subscription Panel {")})
        _receive(socket)
        time.sleep(1.5)
    spans = exporter.get_finished_spans()
    refreshes = [s for s in spans if s.name == "graphql.live.refresh"]
    assert len(refreshes) >= 2
    assert (
        refreshes[0].attributes is not None and refreshes[0].attributes["graphql.operation.name"] == "Panel"
    )
    first = refreshes[0].context.span_id
    assert [s for s in spans if s.parent is not None and s.parent.span_id == first]  # the upstream call


class _Failing(httpx.AsyncBaseTransport):
    """The backend, answering 500 on one path while ``failing`` is set."""

    def __init__(self, app: Starlette, path: str) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.path = path
        self.failing = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.failing and request.url.path == self.path:
            return httpx.Response(
                500, json={"success": False, "message": "boom", "error_code": "INTERNAL_ERROR"}
            )
        return await self.inner.handle_async_request(request)


def test_an_upstream_fault_is_pushed_as_a_partial_answer_and_the_subscription_carries_on(
    backend: Starlette,
) -> None:
    upstream = _Failing(backend, "/v2/stats/ai")
    settings = GatewaySettings(response_cache=False, live_min_refresh=1, breaker_threshold=1_000)
    both = LIVE.replace("{ ai {", "{ storage { timeSeries { summary { total } } } ai {")
    with serve(create_app(settings, transport=upstream)) as url, _open(url) as socket:
        _send(socket, "subscribe", "1", {"query": both})
        healthy = _receive(socket)["payload"]
        assert "errors" not in healthy
        upstream.failing = True
        broken = _receive(socket)["payload"]
        assert [e["extensions"]["code"] for e in broken["errors"]] == ["UPSTREAM_ERROR"]
        stats = broken["data"]["live"]["stats"]
        assert (
            stats["ai"]["timeSeries"] is None
            and stats["storage"] == healthy["data"]["live"]["stats"]["storage"]
        )
        upstream.failing = False
        mended = _receive(socket)["payload"]
        assert "errors" not in mended and mended["data"]["live"]["stats"] == healthy["data"]["live"]["stats"]
        assert mended["data"]["live"]["revision"] == broken["data"]["live"]["revision"] + 1


@pytest.mark.slow
def test_a_subscription_through_hive_gateway_gets_the_query_s_numbers_and_the_change(
    gateway: tuple[str, Starlette], backend: Starlette
) -> None:
    """Hive Gateway (pinned, tests/federation) in front of the subgraph carries the subscription."""
    url, _ = gateway
    arguments = ["live.mjs", url, str(ROOT / "schema.graphql"), LIVE, "2"]
    for round_number, answer in _before_and_after_a_change(arguments, "federation", backend):
        assert "errors" not in answer, answer
        assert {"stats": answer["data"]["live"]["stats"]} == _query(url)["data"], round_number
        assert answer["data"]["live"]["revision"] == round_number + 1


@pytest.mark.parametrize(
    ("live", "seconds"),
    [
        ("live(refreshSeconds: 0) { stats(window: LAST_24H) { window } }", 1),  # raised to the floor
        ("live(refreshSeconds: 45) { stats(window: LAST_24H) { window } }", 45),
        (
            "live { a: stats(window: LAST_7D) { window } b: stats(window: LAST_24H, bucketSize: MIN_5) { window } }",
            300,
        ),
        ("live { stats(window: LAST_7D) { window } }", 3_600),  # its default bucket: an hour
    ],
)
def test_the_refresh_interval_is_the_one_asked_or_a_bucket_of_the_finest_size(
    gateway: tuple[str, Starlette], live: str, seconds: int
) -> None:
    url, app = gateway
    with _open(url) as socket:
        _send(socket, "subscribe", "1", {"query": f"subscription {{ {live} }}"})
        assert _receive(socket)["type"] == "next"
        (cohort,) = [c for c in app.state.live.cohorts.values() if c.prepared.text.endswith(f"{live} }}")]
        assert cohort.shape.interval == seconds


def test_connection_log_lines_carry_no_token(
    gateway: tuple[str, Starlette], caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = gateway
    caplog.set_level(logging.INFO, logger="gql.live")
    with _open(url, token="s3cret-token-value") as socket:
        _send(socket, "subscribe", "1", {"query": LIVE})
        _receive(socket)
    deadline = time.monotonic() + 5
    while not [r for r in caplog.records if r.name == "gql.live"] and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [r for r in caplog.records if r.name == "gql.live"]
    assert lines and all("s3cret" not in f"{r.getMessage()} {r.__dict__}" for r in lines)


def test_a_slow_subscriber_holds_only_the_latest_answer() -> None:
    """Answers left while the socket was busy replace one another: one is sent, the rest are counted."""

    async def run() -> tuple[list[Any], int]:
        mailbox = Mailbox()
        for revision in (1, 2, 3):
            mailbox.put({"revision": revision})
        mailbox.end(Ending(None, "done"))
        got = [await mailbox.get(), await mailbox.get()]
        return got, mailbox.dropped

    got, dropped = asyncio.run(run())
    assert got == [{"revision": 3}, Ending(None, "done")] and dropped == 2


def _kinds(socket: ClientConnection, count: int) -> list[str]:
    """The types of the next ``count`` messages, with an error's code."""
    kinds = []
    for _ in range(count):
        message = _receive(socket)
        code = message["payload"][0]["extensions"]["code"] if message["type"] == "error" else ""
        kinds.append(f"{message['type']} {code}".strip())
    return kinds


def test_the_caps_per_caller_and_per_worker_refuse_one_subscription_more(backend: Starlette) -> None:
    transport = httpx.ASGITransport(app=backend)
    per_caller = GatewaySettings(response_cache=False, live_min_refresh=1, live_per_caller=2)
    with (
        serve(create_app(per_caller, transport=transport)) as url,
        _open(url) as mine,
        _open(url, "demo-other-org") as theirs,
    ):
        for ident in ("1", "2", "3"):
            _send(mine, "subscribe", ident, {"query": LIVE})
        assert sorted(_kinds(mine, 3)) == ["error SUBSCRIPTION_LIMIT", "next", "next"]
        _send(theirs, "subscribe", "1", {"query": LIVE})  # other credentials: a cap of their own
        assert _kinds(theirs, 1) == ["next"]
    per_worker = GatewaySettings(response_cache=False, live_min_refresh=1, live_per_worker=2)
    with (
        serve(create_app(per_worker, transport=transport)) as url,
        _open(url) as mine,
        _open(url, "demo-other-org") as theirs,
    ):
        _send(mine, "subscribe", "1", {"query": LIVE})
        _send(theirs, "subscribe", "1", {"query": LIVE})
        assert _kinds(mine, 1) == _kinds(theirs, 1) == ["next"]
        _send(theirs, "subscribe", "2", {"query": LIVE})
        assert _kinds(theirs, 1) == ["error SUBSCRIPTION_LIMIT"]
