"""How the upstream client reaches the statistics API: one GET in, status, freshness headers and
body out.

A real upstream is reached through aiohttp's connection pool (``AiohttpUpstream``): under load,
httpx's own layers (request building, URL parsing, its pool polling every idle connection) cost
more than a small query's whole GraphQL execution (docs/gateway.md, speed). The in-process local
backend and the tests' upstreams are ASGI apps or httpx transports, reached through an httpx
client (``HttpxUpstream``). Both raise the same typed failures, so the client above cannot tell
them apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx

from resolvers.errors import UpstreamTimeout, UpstreamTooLarge, UpstreamUnreachable

# The largest legitimate answer is a breakdown page of 500 entities with 2,160 points each (90 days
# of hours): about 190 MB of the contract's JSON at the widest domain. docs/protection.md.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class RawAnswer:
    status: int
    body: bytes
    cache_control: str | None
    age: str | None
    retry_after: str | None


class UpstreamHttp(Protocol):
    async def get(self, target: str, headers: Mapping[str, str]) -> RawAnswer:
        """``target`` is the path and query; ``UpstreamTimeout`` or ``UpstreamUnreachable`` when no
        answer came (the caller bounds the time); ``UpstreamTooLarge`` when the body passes the
        cap, which is known before it is read when it declares its length, else while reading:
        what was read is dropped and the connection closed rather than drained."""
        ...

    async def close(self) -> None: ...


def _declared_over(length: str | None, max_bytes: int) -> bool:
    return length is not None and length.isdigit() and int(length) > max_bytes


class HttpxUpstream:
    def __init__(self, client: httpx.AsyncClient, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.client = client
        self.max_bytes = max_bytes

    async def get(self, target: str, headers: Mapping[str, str]) -> RawAnswer:
        try:
            async with self.client.stream("GET", target, headers=dict(headers)) as response:
                found = response.headers
                if _declared_over(found.get("content-length"), self.max_bytes):
                    raise UpstreamTooLarge(self.max_bytes, response.status_code)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UpstreamTooLarge(self.max_bytes, response.status_code)
                    chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout() from exc
        except httpx.HTTPError as exc:
            raise UpstreamUnreachable() from exc
        return RawAnswer(
            response.status_code,
            b"".join(chunks),
            found.get("cache-control"),
            found.get("age"),
            found.get("retry-after"),
        )

    async def close(self) -> None:
        await self.client.aclose()


class AiohttpUpstream:
    """One aiohttp session per process, made on first use inside the event loop."""

    def __init__(
        self,
        base_url: str,
        max_connections: int = 100,
        trace_configs: Sequence[Any] = (),
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_bytes = max_bytes
        self.max_connections = max_connections
        self.trace_configs = list(trace_configs)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections),
                timeout=aiohttp.ClientTimeout(total=None),
                trace_configs=self.trace_configs,
            )
        return self._session

    async def get(self, target: str, headers: Mapping[str, str]) -> RawAnswer:
        try:
            async with self._open().get(
                self.base_url + target, headers=dict(headers), allow_redirects=False
            ) as response:
                found = response.headers
                if _declared_over(found.get("Content-Length"), self.max_bytes):
                    response.close()  # the connection goes, rather than back to the pool undrained
                    raise UpstreamTooLarge(self.max_bytes, response.status)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        response.close()
                        raise UpstreamTooLarge(self.max_bytes, response.status)
                    chunks.append(chunk)
                body = b"".join(chunks)
                return RawAnswer(
                    response.status,
                    body,
                    found.get("Cache-Control"),
                    found.get("Age"),
                    found.get("Retry-After"),
                )
        except aiohttp.ServerTimeoutError as exc:
            raise UpstreamTimeout() from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnreachable() from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
