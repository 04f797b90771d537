"""A test upstream that rewrites one resource's answers on their way from the local backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette


class RewritingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the backend and, for one path, rewrites the JSON body it answers."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.path: str | None = None
        self.rewrite: Callable[[Any], Any] = lambda body: body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path != self.path:
            return response
        body = orjson.loads(await response.aread())
        return httpx.Response(
            response.status_code,
            headers={"content-type": "application/json"},
            content=orjson.dumps(self.rewrite(body)),
        )
