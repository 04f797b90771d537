"""A fast upstream for the speed bench: the local backend answers each request once, and every
later identical request (same path, query and Authorization) is answered from memory. ``GET /_calls``
says how many requests it has answered, so a bench can count a client's upstream calls;
``POST /_advance?seconds=N`` moves the backend's clock on, so a live bench sees the numbers change. What is left
of the upstream's cost is Starlette's and the socket's, so the gateway's own CPU shows.

Run by ``bench.speed`` as ``python -m bench.replay PORT DB NOW``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings


def replay_app(backend: Starlette) -> Starlette:
    seen: dict[tuple[str, str], tuple[int, bytes]] = {}
    calls = [0]
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=backend), base_url="http://backend")

    async def counted(request: Request) -> Response:
        return Response(str(calls[0]), media_type="text/plain")

    async def answer(request: Request) -> Response:
        calls[0] += 1
        authorization = request.headers.get("authorization", "")
        key = (str(request.url.path) + "?" + request.url.query, authorization)
        if key not in seen:
            upstream = await client.get(key[0], headers={"Authorization": authorization})
            seen[key] = (upstream.status_code, upstream.content)
        status, body = seen[key]
        return Response(body, status, media_type="application/json")

    async def advance(request: Request) -> Response:
        """Move the backend's pinned clock on (``bench.live``): the slots that closed get their facts,
        and every answer is asked of the backend again."""
        backend.state.backend.advance(int(request.query_params.get("seconds", "300")))
        seen.clear()
        return Response("", media_type="text/plain")

    return Starlette(
        routes=[
            Route("/_calls", counted, methods=["GET"]),
            Route("/_advance", advance, methods=["POST"]),
            Route("/{path:path}", answer, methods=["GET"]),
        ]
    )


def main() -> None:
    port, db, now = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    backend = create_backend_app(BackendSettings.from_env({}, db_path=str(db), now=now))
    uvicorn.run(replay_app(backend), host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
