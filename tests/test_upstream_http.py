"""The two ways to reach the statistics API hand the client the same answer.

A real upstream is reached through aiohttp (``AiohttpUpstream``), the in-process backend and test
upstreams through httpx (``HttpxUpstream``). Most tests run on the second; here both face one
server on a loopback socket: the same status, body and freshness headers, redirects not followed,
the path as given, the connection bound kept, and a closed port a typed failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from resolvers.errors import UpstreamTooLarge, UpstreamUnreachable
from resolvers.upstream_http import AiohttpUpstream, ByteBudget, HttpxUpstream, RawAnswer, UpstreamHttp
from tests.conftest import per_module
from tests.servers import free_port, serve

FRESHNESS = {"Cache-Control": "max-age=30", "Age": "3", "Retry-After": "7"}


class Upstream:
    """Answers with freshness headers, a redirect, what it was asked, and slowly (counting how many
    requests it holds at once)."""

    def __init__(self) -> None:
        self.open = 0
        self.most_open = 0

    async def fresh(self, request: Request) -> Response:
        return Response(b'{"ok": true}', media_type="application/json", headers=FRESHNESS)

    async def moved(self, request: Request) -> Response:
        return RedirectResponse("/fresh", status_code=302)

    async def echo(self, request: Request) -> Response:
        return JSONResponse(
            {
                "path": request.url.path,
                "query": request.url.query,
                "authorization": request.headers.get("authorization"),
            }
        )

    async def sized(self, request: Request) -> Response:
        """``n`` bytes, with their length declared or (``chunked=1``) streamed without it."""
        size = int(request.query_params["n"])
        if request.query_params.get("chunked"):

            async def body() -> AsyncIterator[bytes]:
                for start in range(0, size, 4_096):
                    yield b"x" * min(4_096, size - start)

            return StreamingResponse(body(), media_type="application/json")
        return Response(b"x" * size, media_type="application/json")

    async def slow(self, request: Request) -> Response:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await asyncio.sleep(0.2)
        finally:
            self.open -= 1
        return Response(b"{}", media_type="application/json")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/fresh", self.fresh),
                Route("/moved", self.moved),
                Route("/v2/echo", self.echo),
                Route("/slow", self.slow),
                Route("/sized", self.sized),
            ]
        )


@pytest.fixture(scope=per_module)
def upstream() -> Iterator[tuple[Upstream, str]]:
    server = Upstream()
    with serve(server.app()) as url:
        yield server, url


Client = Callable[[str], UpstreamHttp]
CLIENTS: dict[str, Client] = {
    "aiohttp": lambda url: AiohttpUpstream(url + "/"),  # a trailing slash in FLASHBACK_API_URL is fine
    "httpx": lambda url: HttpxUpstream(httpx.AsyncClient(base_url=url)),
}


def _budget(max_bytes: int = 1 << 20) -> ByteBudget:
    return ByteBudget(max_bytes)


def _with(client: UpstreamHttp, call: Callable[[UpstreamHttp], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        try:
            return await call(client)
        finally:
            await client.close()

    return asyncio.run(run())


@pytest.mark.parametrize("name", list(CLIENTS))
def test_status_body_and_freshness_headers_arrive_as_sent(upstream: tuple[Upstream, str], name: str) -> None:
    answer = _with(CLIENTS[name](upstream[1]), lambda client: client.get("/fresh", {}, _budget()))
    assert answer == RawAnswer(200, b'{"ok": true}', "max-age=30", "3", "7")


@pytest.mark.parametrize("name", list(CLIENTS))
def test_a_redirect_is_an_answer_not_followed(upstream: tuple[Upstream, str], name: str) -> None:
    """Credentials must not follow a redirect to wherever it points."""
    answer = _with(CLIENTS[name](upstream[1]), lambda client: client.get("/moved", {}, _budget()))
    assert answer.status == 302 and answer.cache_control is None


@pytest.mark.parametrize("name", list(CLIENTS))
def test_the_path_query_and_headers_reach_the_upstream_as_given(
    upstream: tuple[Upstream, str], name: str
) -> None:
    answer = _with(
        CLIENTS[name](upstream[1]),
        lambda client: client.get(
            "/v2/echo?scope=org&window=24h", {"Authorization": "Bearer demo"}, _budget()
        ),
    )
    assert httpx.Response(answer.status, content=answer.body).json() == {
        "path": "/v2/echo",
        "query": "scope=org&window=24h",
        "authorization": "Bearer demo",
    }


def test_aiohttp_holds_no_more_connections_than_its_bound(upstream: tuple[Upstream, str]) -> None:
    server, url = upstream
    server.most_open = 0

    async def six(client: UpstreamHttp) -> list[RawAnswer]:
        return await asyncio.gather(*(client.get("/slow", {}, _budget()) for _ in range(6)))

    answers = _with(AiohttpUpstream(url, max_connections=2), six)
    assert [a.status for a in answers] == [200] * 6
    assert server.most_open == 2


@pytest.mark.parametrize("name", list(CLIENTS))
def test_a_closed_port_is_unreachable(name: str) -> None:
    client = CLIENTS[name](f"http://127.0.0.1:{free_port()}")
    with pytest.raises(UpstreamUnreachable):
        _with(client, lambda c: c.get("/fresh", {}, _budget()))


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "streamed"])
@pytest.mark.parametrize("name", list(CLIENTS))
def test_the_calls_of_one_request_share_one_byte_budget(
    upstream: tuple[Upstream, str], name: str, chunked: bool
) -> None:
    """Each body fits the cap alone; together they do not. The call that passes it fails, gives
    its bytes back, and what is left still serves a call that fits."""
    flag = "&chunked=1" if chunked else ""
    budget = ByteBudget(100_000)

    async def calls(client: UpstreamHttp) -> tuple[int, int, int]:
        first = await client.get(f"/sized?n=60000{flag}", {}, budget)
        with pytest.raises(UpstreamTooLarge) as too_large:
            await client.get(f"/sized?n=60000{flag}", {}, budget)
        assert too_large.value.max_bytes == 100_000
        after_refusal = budget.used
        last = await client.get(f"/sized?n=30000{flag}", {}, budget)
        return len(first.body), after_refusal, len(last.body)

    assert _with(CLIENTS[name](upstream[1]), calls) == (60_000, 60_000, 30_000)
    assert budget.used == 90_000
