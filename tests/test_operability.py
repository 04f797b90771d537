"""What an operator relies on: request ids a user can quote, compressed answers, health and readiness."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.graphiql import REFERENCE_QUERY
from gql.server.request_ids import made_id
from tests.gateway import Gateway


def _post(gateway: Gateway, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return gateway._runner.run(gateway._client.post("/graphql", json=body, headers=headers))


def test_a_request_id_is_echoed_and_put_in_every_error(gateway: Gateway) -> None:
    given = _post(gateway, {"query": "{ stats(window: LAST_2D) { window } }"}, {"X-Request-Id": "dash-42.a"})
    assert given.headers["x-request-id"] == "dash-42.a"
    assert [e["extensions"]["requestId"] for e in given.json()["errors"]] == ["dash-42.a"]
    made = _post(gateway, {"query": "{ stats(scope: REPO, window: LAST_7D) { window } }"}, {})
    ident = made.headers["x-request-id"]
    assert len(ident) == 32 and made.json()["errors"][0]["extensions"]["requestId"] == ident
    odd = _post(gateway, {"query": "{ __typename }"}, {"X-Request-Id": "no spaces or\\nnewlines"})
    assert odd.headers["x-request-id"] != "no spaces or\\nnewlines"


@pytest.mark.parametrize(
    ("accepts", "encoding"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, zstd", "zstd"),
    ],
)
@pytest.mark.parametrize("media_type", ["application/json", "application/graphql-response+json"])
def test_answers_are_compressed_when_the_client_accepts_it(
    gateway: Gateway, accepts: str, encoding: str, media_type: str
) -> None:
    body = {"query": REFERENCE_QUERY, "variables": {"limit": 50}}
    plain = _post(gateway, body, {"Accept-Encoding": "identity", "Accept": media_type})
    packed = gateway._runner.run(
        gateway._client.post(
            "/graphql", json=body, headers={"Accept-Encoding": accepts, "Accept": media_type}
        )
    )
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == encoding
    assert packed.headers["content-type"].startswith(media_type)
    assert packed.json() == plain.json()
    assert packed.num_bytes_downloaded < plain.num_bytes_downloaded / 3


def test_every_request_writes_one_json_line_without_the_token(gateway: Gateway, caplog: Any) -> None:
    import json
    import logging

    from gql.server.logs import JsonFormatter

    caplog.set_level(logging.DEBUG)
    query = (
        "query Week { stats(window: LAST_7D) { ai { timeSeries { summary { total } } }"
        " credits { timeSeries { summary { total } } } } }"
    )
    started = time.perf_counter()
    response = _post(
        gateway, {"query": query}, {"Authorization": "Bearer demo-other-org", "X-Request-Id": "r-1"}
    )
    took = time.perf_counter() - started
    assert response.status_code == 200
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(record)) for record in caplog.records]
    assert all(
        "demo-other-org" not in json.dumps(line) and "Bearer" not in json.dumps(line) for line in lines
    )
    (request,) = [line for line in lines if line["logger"] == "gql.requests"]
    assert request["requestId"] == "r-1" and request["operationName"] == "Week" and request["status"] == 200
    assert request["upstreamCalls"] == 2 and request["errorCodes"] == ["BAD_USER_INPUT"]
    assert 0 < request["durationMs"] < took * 1000 and request["time"].endswith("+00:00")
    calls = [line for line in lines if line["logger"] == "resolvers.upstream"]
    assert sorted(c["path"] for c in calls) == ["/v2/stats/ai", "/v2/stats/credits"]
    assert all(c["level"] == "debug" for c in calls)


def test_configured_logging_writes_json_lines_and_tracebacks_for_every_logger(capsys: Any) -> None:
    import json
    import logging

    from gql.server import logs

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logs.configure("debug")
        assert (
            logging.getLogger("uvicorn.error").handlers == []
            and logging.getLogger("uvicorn.access").propagate
        )
        assert logging.getLogger("uvicorn").propagate
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("uvicorn.error").exception("failed %s", "here")
        logging.getLogger("gql").debug("with a value", extra={"fields": {"when": object}})
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    failed, detail = (json.loads(line) for line in capsys.readouterr().err.strip().splitlines())
    assert (
        failed["message"] == "failed here"
        and failed["level"] == "error"
        and failed["logger"] == "uvicorn.error"
    )
    assert "ValueError: boom" in failed["exception"]
    assert detail["level"] == "debug" and detail["when"] == str(object)


def test_readyz_tells_a_failing_or_unreachable_upstream_and_caches_its_probe() -> None:
    import asyncio

    from gql.server.readiness import Readiness
    from resolvers.breaker import CircuitBreaker
    from resolvers.upstream_http import HttpxUpstream

    probes: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        """500 to the first probe; then 401, which a token-less probe of a live upstream gets."""
        probes.append(request.url.path)
        return httpx.Response(500 if len(probes) == 1 else 401)

    async def ask(readiness: Readiness) -> tuple[int, Any]:
        response = await readiness.endpoint(None)  # type: ignore[arg-type]
        return response.status_code, json.loads(bytes(response.body))

    import json

    async def run() -> list[tuple[int, Any]]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(upstream), base_url="http://u") as http:
            breaker = CircuitBreaker(threshold=1)
            readiness = Readiness(HttpxUpstream(http), breaker, cache_seconds=60)
            answers = [await ask(readiness), await ask(readiness)]  # the second is the cached probe
            readiness.cache_seconds = 0
            answers.append(await ask(readiness))
            breaker.failed()
            answers.append(await ask(readiness))  # the upstream answers, but the breaker is open
        return answers

    answers = asyncio.run(run())
    assert answers[0] == (503, {"status": "not ready", "upstream": "failing (HTTP 500)", "breaker": "closed"})
    assert answers[1] == answers[0] and len(probes) == 3 and probes[0] == "/v2/stats/ai"
    assert answers[2] == (200, {"status": "ready", "upstream": "up", "breaker": "closed"})
    assert answers[3][0] == 503 and answers[3][1]["breaker"] == "open"


def test_readyz_says_unreachable_when_nothing_answers() -> None:
    import asyncio
    import json

    from gql.server.readiness import Readiness
    from resolvers.breaker import CircuitBreaker
    from resolvers.upstream_http import HttpxUpstream

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://u") as http:
            response = await Readiness(HttpxUpstream(http), CircuitBreaker()).endpoint(None)  # type: ignore[arg-type]
            return response.status_code, json.loads(bytes(response.body))

    assert asyncio.run(run()) == (
        503,
        {"status": "not ready", "upstream": "unreachable (ConnectError)", "breaker": "closed"},
    )


def test_readyz_gives_up_on_a_probe_that_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    """An upstream that accepts the probe and never answers is unreachable once the probe's time is up."""
    import asyncio
    import json

    from gql.server import readiness
    from resolvers.breaker import CircuitBreaker
    from resolvers.upstream_http import HttpxUpstream

    monkeypatch.setattr(readiness, "PROBE_SECONDS", 0.2)

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(hang), base_url="http://u") as http:
            probe = readiness.Readiness(HttpxUpstream(http), CircuitBreaker())
            response = await asyncio.wait_for(probe.endpoint(None), 10)  # type: ignore[arg-type]
            return response.status_code, json.loads(bytes(response.body))

    assert asyncio.run(run()) == (
        503,
        {"status": "not ready", "upstream": "unreachable (no answer in 0.2 s)", "breaker": "closed"},
    )


def test_the_request_line_tells_what_the_caches_saved(backend_app: Any, caplog: Any) -> None:
    """A new document on a known upstream answer: an upstream cache hit; the same document again: an
    answer from the answer cache, no upstream call."""
    import json
    import logging

    from gql.server.app import create_app
    from gql.server.logs import JsonFormatter
    from gql.server.settings import GatewaySettings

    client = Gateway(create_app(GatewaySettings(), transport=httpx.ASGITransport(app=backend_app)))
    caplog.set_level(logging.INFO, logger="gql.requests")
    first = "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"
    second = "{ stats(window: LAST_24H) { ai { timeSeries { summary { max } } } } }"
    try:
        for query in (first, second, second):
            assert _post(client, {"query": query}, {}).status_code == 200
    finally:
        client.close()
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "gql.requests"]
    seen = [(line["method"], line["upstreamCalls"], line["cacheHits"], line["answerCache"]) for line in lines]
    assert seen == [("POST", 1, 0, "miss"), ("POST", 0, 1, "miss"), ("POST", 0, 0, "hit")]


def test_made_request_ids_differ_within_a_process_and_across_a_fork() -> None:
    here = {made_id() for _ in range(1000)}
    assert len(here) == 1000 and all(len(i) == 32 and int(i, 16) >= 0 for i in here)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child writes the first id it makes, and leaves
        os.write(write, made_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    theirs = os.read(read, 64).decode()
    assert theirs[:16] != made_id()[:16]


def test_readyz_closes_a_half_open_breaker_once_the_upstream_is_back(backend_app: Starlette) -> None:
    """After an outage only probes reach a replica out of rotation: the probe that finds the
    upstream up closes the half-open breaker, so the replica comes back; traffic that has just
    reached the upstream answers readiness without a probe of its own."""
    import asyncio
    import json

    from gql.server.readiness import Readiness
    from resolvers.breaker import CircuitBreaker, State
    from resolvers.upstream_http import HttpxUpstream

    async def run() -> list[tuple[int, Any]]:
        transport = httpx.ASGITransport(app=backend_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
            breaker = CircuitBreaker(threshold=1, cool_down=0.05)
            readiness = Readiness(HttpxUpstream(http), breaker, cache_seconds=60)
            breaker.failed()  # the outage
            answers = []
            for _ in range(2):
                response = await readiness.endpoint(None)  # type: ignore[arg-type]
                answers.append((response.status_code, json.loads(bytes(response.body))))
                await asyncio.sleep(0.1)  # the cool-down passes: half-open
            assert breaker.state is State.CLOSED
            return answers

    answers = asyncio.run(run())
    assert answers[0][0] == 503 and answers[0][1]["breaker"] == "open"
    assert answers[1] == (200, {"status": "ready", "upstream": "up", "breaker": "closed"})


class Outage(httpx.AsyncBaseTransport):
    """The local backend behind a switch: while ``down``, every connection is refused."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.down = False
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


def test_a_replica_out_of_rotation_comes_back_on_probes_alone(backend_app: Starlette) -> None:
    """An orchestrator's sequence over real HTTP: traffic while the upstream goes down opens the
    breaker and readiness drops the replica; then only probes arrive, every 200 ms, while the
    upstream is down and after it is back. Readiness returns without any request reaching it,
    within the cool-down and the probe cache (5 s), and the next query is answered."""
    from gql.server.app import create_app
    from gql.server.settings import GatewaySettings
    from tests.servers import serve

    outage = Outage(backend_app)
    settings = GatewaySettings(response_cache=False, breaker_threshold=2, breaker_cool_down=1.0)
    query = {"query": "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"}
    headers = {"Authorization": "Bearer demo"}
    with serve(create_app(settings, transport=outage)) as url:
        assert httpx.get(f"{url}/readyz").status_code == 200
        outage.down = True
        for _ in range(3):
            httpx.post(f"{url}/graphql", json=query, headers=headers)
        probes = []
        for _ in range(5):
            time.sleep(0.2)
            probes.append(httpx.get(f"{url}/readyz").status_code)
        assert set(probes) == {503}
        outage.down = False
        back_at = time.monotonic()
        while httpx.get(f"{url}/readyz").status_code != 200:
            assert time.monotonic() - back_at < settings.breaker_cool_down + 5 + 2, "never came back"
            time.sleep(0.2)
        answer = httpx.post(f"{url}/graphql", json=query, headers=headers).json()
    assert "errors" not in answer and answer["data"]["stats"]["ai"]["timeSeries"]["summary"]["total"] >= 0
