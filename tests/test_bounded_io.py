"""Bytes, time and connections bounded whatever a peer sends: the upstream or a client.

Each test is a class of attack, tried the way an attacker would on loopback: a real upstream
server that answers too much or echoes credentials, a real uvicorn server under the gateway's
protocol bounds with clients that trickle, hold or pile up connections. What is asserted is what a
user or an operator would see: codes, bytes, connections, memory that comes back.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import gc
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gql.pipeline.documents import DocumentCache
from gql.pipeline.engine import schema
from gql.server.app import create_app
from gql.server.server_guard import GuardedProtocol, ServerBounds
from gql.server.settings import GatewaySettings, SettingsError
from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from resolvers.upstream_text import MAX_HINT_CHARS
from tests.gateway import Gateway
from tests.servers import serve

SERVICE_TOKEN = "svc-0123456789abcdef-SECRET"
CALLER_TOKEN = "caller-fedcba9876543210-PRIVATE"
SERIES = (
    "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } }"
    " storage { timeSeries { summary { total } } } } }"
)


def _forms(token: str) -> list[str]:
    raw = token.encode()
    return [
        token,
        quote(token, safe=""),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
    ]


class Hostile:
    """An upstream on loopback: AI answers with what ``mode`` says; storage answers normally small."""

    def __init__(self) -> None:
        self.mode = "echo"
        self.sent = 0

    def app(self) -> Starlette:
        async def ai(request: Request) -> Response:
            authorization = request.headers.get("authorization", "")
            token = authorization.partition(" ")[2]
            if self.mode == "huge":
                return StreamingResponse(self._endless(request), media_type="application/json")
            if self.mode == "echo":
                message = (
                    f"bad request from {authorization}; token={token}; b64={base64.b64encode(token.encode()).decode()}"
                    f"; url={quote(authorization)}; hex={token.encode().hex()}"
                )
                return JSONResponse({"success": False, "message": message, "error_code": authorization}, 400)
            return JSONResponse({"success": False, "message": "x" * 5_000_000, "error_code": "E" * 100}, 400)

        async def storage(request: Request) -> Response:
            return JSONResponse(
                {"success": False, "message": "no such window", "error_code": "BAD_WINDOW"}, 400
            )

        return Starlette(routes=[Route("/v2/stats/ai", ai), Route("/v2/stats/storage", storage)])

    async def _endless(self, request: Request) -> AsyncIterator[bytes]:
        chunk = b'{"meta": {"pad": "' + b"x" * 65_536
        for _ in range(2_000):  # 128 MB, if nobody stops reading
            if await request.is_disconnected():
                return
            self.sent += len(chunk)
            yield chunk


@pytest.fixture(scope="module")
def hostile() -> Iterator[tuple[Hostile, str]]:
    upstream = Hostile()
    with serve(upstream.app()) as url:
        yield upstream, url


def _gateway(url: str, **settings: object) -> Gateway:
    configured = GatewaySettings(api_url=url, service_token=SERVICE_TOKEN, response_cache=False, **settings)  # type: ignore[arg-type]
    return Gateway(create_app(configured))


@pytest.mark.parametrize("caller", [None, CALLER_TOKEN])
def test_no_credential_reaches_a_caller_whatever_the_upstream_echoes(
    hostile: tuple[Hostile, str], caller: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    upstream, url = hostile
    upstream.mode = "echo"
    client = _gateway(url)
    try:
        result = client.query(SERIES, token=caller)
    finally:
        client.close()
    codes = result.codes()
    assert codes["stats.ai.timeSeries"] == "BAD_USER_INPUT"
    assert codes["stats.storage.timeSeries"] == "BAD_USER_INPUT"  # the other field's own refusal
    for token in (SERVICE_TOKEN, CALLER_TOKEN):
        for form in _forms(token):
            assert form not in result.text, form
            assert form.lower() not in result.text.lower(), form
            assert form not in caplog.text, form
    ai = next(e for e in result.errors if e["path"][-2] == "ai")
    assert "upstreamCode" not in ai["extensions"]  # an Authorization value is no error code
    storage = next(e for e in result.errors if e["path"][-2] == "storage")
    assert storage["extensions"]["upstreamCode"] == "BAD_WINDOW" and storage["message"] == "no such window"


def test_a_five_megabyte_upstream_message_reaches_the_caller_as_a_bounded_hint(
    hostile: tuple[Hostile, str],
) -> None:
    upstream, url = hostile
    upstream.mode = "long"
    client = _gateway(url)
    try:
        result = client.query(SERIES)
    finally:
        client.close()
    ai = next(e for e in result.errors if e["path"][-2] == "ai")
    assert ai["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(ai["message"]) <= MAX_HINT_CHARS
    assert "upstreamCode" not in ai["extensions"]  # 100 characters: not the form of a code
    assert len(result.text) < 20_000


def test_an_upstream_body_past_the_cap_fails_its_fields_and_the_connection_is_dropped(
    hostile: tuple[Hostile, str],
) -> None:
    upstream, url = hostile
    upstream.mode, upstream.sent = "huge", 0
    client = _gateway(url, max_upstream_bytes=1 << 20)
    try:
        result = client.query(SERIES)
        time.sleep(0.5)  # the upstream notices the closed connection and stops writing
    finally:
        client.close()
    ai = next(e for e in result.errors if e["path"][-2] == "ai")
    assert ai["extensions"]["code"] == "UPSTREAM_ERROR"
    assert "FLASHBACK_MAX_UPSTREAM_BYTES" in ai["message"]
    assert result.codes()["stats.storage.timeSeries"] == "BAD_USER_INPUT"  # the rest still answered
    assert upstream.sent < 32 << 20, upstream.sent  # far from the 128 MB it would have sent


def test_the_calls_of_one_request_share_the_byte_cap(backend_app: Starlette) -> None:
    """Every body fits the cap alone; a request of many calls does not get the cap once per call:
    the calls that would pass the request's total fail with UPSTREAM_ERROR, the rest answer."""
    # Four domains: four windows of one domain would be one call, the shorter cut from the longest.
    domains = ["storage", "ai", "privateChat", "credits"]
    query = (
        "{ stats(window: LAST_90D, bucketSize: HOUR_1) { "
        + " ".join(f"{d} {{ timeSeries {{ columns {{ ts }} }} }}" for d in domains)
        + " } }"
    )
    whole = Gateway(
        create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend_app))
    )
    try:
        calls = whole.query(query).upstream["calls"]
    finally:
        whole.close()

    async def sizes_of() -> list[int]:
        transport = httpx.ASGITransport(app=backend_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as backend:
            answers = [
                await backend.get(f"{c['path']}?{c['query']}", headers={"Authorization": "Bearer demo"})
                for c in calls
            ]
        return [len(a.content) for a in answers]

    sizes = asyncio.run(sizes_of())
    assert len(sizes) == len(domains)
    cap = max(max(sizes) + 1, 65_536)
    assert sum(sizes) > cap  # each fits alone, all do not
    capped = GatewaySettings(response_cache=False, max_upstream_bytes=cap)
    client = Gateway(create_app(capped, transport=httpx.ASGITransport(app=backend_app)))
    try:
        result = client.query(query)
    finally:
        client.close()
    refused = [e for e in result.errors if e["extensions"]["code"] == "UPSTREAM_ERROR"]
    assert refused and all("FLASHBACK_MAX_UPSTREAM_BYTES" in e["message"] for e in refused)
    answered = [d for d in domains if result.data["stats"][d]["timeSeries"] is not None]
    assert answered  # the calls within the total still answered


# -- the server's own bounds -------------------------------------------------------------------


APP_LIVENESS_CALLS: list[str] = []  # the requests for /healthz that reached the application


@functools.cache
def _ok_app() -> Starlette:
    async def ok(request: Request) -> Response:
        await request.body()
        return JSONResponse({"status": "ok"})

    async def app_liveness(request: Request) -> Response:
        APP_LIVENESS_CALLS.append(request.method)
        return JSONResponse({"status": "from the app"})

    return Starlette(
        routes=[
            Route("/healthz", app_liveness, methods=["GET", "HEAD"]),
            Route("/graphql", ok, methods=["GET", "POST"]),
        ]
    )


@pytest.fixture(scope="module")
def guarded() -> Iterator[int]:
    """A uvicorn server with the gateway's protocol, tight bounds: 20 connections, 0.5 s deadlines."""
    bounds = ServerBounds(max_connections=20, header_seconds=0.5, body_seconds=0.5, max_target_bytes=2_048)
    config = uvicorn.Config(
        _ok_app(),
        host="127.0.0.1",
        port=0,
        log_level="critical",
        lifespan="off",
        http=functools.partial(GuardedProtocol, bounds=bounds),  # type: ignore[arg-type]
        timeout_keep_alive=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(timeout=10)


def _exchange(port: int, data: bytes, wait: float = 3.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(data)
        conn.settimeout(wait)
        received = b""
        while chunk := conn.recv(65_536):
            received += chunk
        return received


def test_liveness_is_answered_by_the_server_not_queued_behind_the_application(guarded: int) -> None:
    """GET /healthz never reaches the application (so no work of its own can delay it), keeps its
    connection alive for the next probe, and closes it when asked; other methods go to the app."""
    APP_LIVENESS_CALLS.clear()
    probe = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answers = _exchange(guarded, probe + probe + last).split(b"HTTP/1.1 ")[1:]
    assert len(answers) == 3
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"200 OK") and body == b'{"status":"ok"}', answer
    assert b"connection: close" in answers[-1].lower()
    assert APP_LIVENESS_CALLS == []
    head = _exchange(guarded, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and APP_LIVENESS_CALLS == ["HEAD"]


def test_trickled_headers_and_held_bodies_get_a_json_408_and_the_connection_closes(guarded: int) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"  # the blank line never comes
    for partial in (head, b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"):
        started = time.monotonic()
        answer = _exchange(guarded, partial)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b'"code":"REQUEST_TIMEOUT"' in answer and b"application/json" in answer
        assert time.monotonic() - started < 2.5  # closed by the server, not by the client's wait


def test_a_connection_that_sends_nothing_is_closed(guarded: int) -> None:
    with socket.create_connection(("127.0.0.1", guarded)) as conn:
        conn.settimeout(3)
        assert conn.recv(1024).startswith(b"HTTP/1.1 408")
        assert conn.recv(1024) == b""


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /graphql?query=" + b"a" * 5_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414", b"URI_TOO_LONG"),
        (
            b"GET /healthz HTTP/1.1\r\n"
            + b"".join(b"X-%d: %s\r\n" % (n, b"v" * 1_000) for n in range(40))
            + b"\r\n",
            b"431",
            b"REQUEST_HEADER_FIELDS_TOO_LARGE",
        ),
        (b"NOT HTTP AT ALL\r\n\r\n", b"400", b"BAD_REQUEST"),
    ],
)
def test_what_the_parser_refuses_is_refused_in_json(
    guarded: int, request_bytes: bytes, status: bytes, code: bytes
) -> None:
    answer = _exchange(guarded, request_bytes)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:80]
    assert b"content-type: application/json" in answer and b'"code":"' + code + b'"' in answer


def test_past_the_connection_cap_idle_connections_go_and_probes_are_answered(guarded: int) -> None:
    idle = [socket.create_connection(("127.0.0.1", guarded)) for _ in range(60)]
    try:
        for _ in range(10):
            response = httpx.get(f"http://127.0.0.1:{guarded}/healthz", timeout=2)
            assert response.status_code == 200
        for conn in idle:
            conn.setblocking(False)
        time.sleep(0.2)
        closed = 0
        for conn in idle:
            with contextlib.suppress(BlockingIOError):
                closed += conn.recv(1) == b""
        assert closed >= 60 - 20, closed  # all but the cap's worth were closed to make room
    finally:
        for conn in idle:
            conn.close()


# -- refusals stay cheap ----------------------------------------------------------------------


def test_refused_documents_leave_no_garbage_and_their_cache_stays_within_its_bytes() -> None:
    """Documents over the token limit, each new: their refusals are kept without the parse's
    tracebacks, so reference counting frees what is evicted, with no cycles left to collect."""
    cache = DocumentCache(schema._schema, 100, max_bytes=2 << 20)
    text = "{ " + "a " * 4_100 + "}"
    gc.collect()
    gc.disable()
    try:
        for n in range(300):
            with pytest.raises(Exception) as refused:
                cache.prepare(text + f"# {n}")
            assert refused.value.code == "MAX_TOKENS_LIMIT"  # type: ignore[attr-defined]
            del refused
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert unreachable < 200, unreachable
    assert cache._entries.bytes <= 2 << 20


def test_deeply_nested_variables_are_a_coded_400(gateway: Gateway) -> None:
    nested: object = 1
    for _ in range(300):
        nested = {"a": nested}
    response = gateway._runner.run(
        gateway._client.post("/graphql", json={"query": "{ __typename }", "variables": {"v": nested}})
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    "query",
    [
        '{ stats(scope: REPO, id: "ID", window: LAST_7D) { ai { timeSeries { summary { total } } } } }',
        '{ stats(window: LAST_7D) { ai(model: "ID") { timeSeries { summary { total } } } } }',
        '{ legacy { storage(repoIds: ["ID"]) { ts } } }',
    ],
)
def test_an_overlong_id_is_refused_before_any_call(gateway: Gateway, query: str) -> None:
    result = gateway.query(query.replace("ID", "r" * 200_000))
    assert set(result.codes().values()) == {"BAD_USER_INPUT"}
    assert "at most 256" in result.errors[0]["message"]
    assert result.upstream["count"] == 0


def test_any_origin_with_a_service_token_is_refused_at_start() -> None:
    env = {
        "FLASHBACK_API_URL": "http://127.0.0.1:9",
        "FLASHBACK_API_TOKEN": "t",
        "FLASHBACK_CORS_ORIGINS": "*",
    }
    with pytest.raises(SettingsError) as refused:
        GatewaySettings.from_env(env)
    assert "FLASHBACK_CORS_ORIGINS" in str(refused.value) and "\n" not in str(refused.value)
    assert GatewaySettings.from_env({**env, "FLASHBACK_CORS_ORIGINS": "https://app.example"})


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(
    "MUTANT_UNDER_TEST" in os.environ,
    reason="a mutation run builds apps per test: the process's files are not the backend's",
)
def test_the_local_backends_open_files_stay_flat_over_load_bursts(settings: BackendSettings) -> None:
    backend = create_backend_app(settings)

    async def burst() -> None:
        transport = httpx.ASGITransport(app=backend)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as client:
            calls = [
                client.get(
                    "/v2/stats/ai",
                    params={"scope": "org", "window": "24h"},
                    headers={"Authorization": "Bearer demo"},
                )
                for _ in range(60)
            ]
            answers = await asyncio.gather(*calls)
            assert {a.status_code for a in answers} == {200}

    asyncio.run(burst())
    after_first = _open_descriptors()
    for _ in range(4):
        asyncio.run(burst())
    assert _open_descriptors() <= after_first + 2
