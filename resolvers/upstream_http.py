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

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx

from resolvers.errors import UpstreamTimeout, UpstreamTooLarge, UpstreamUnreachable

# The largest legitimate answer is a breakdown page of 500 entities with 2,160 points each (90 days
# of hours): about 190 MB of the contract's JSON at the widest domain. docs/protection.md.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_CHUNK = 256 * 1024


class ByteBudget:
    """The upstream bytes one GraphQL request may hold, over all its calls together.

    A cap per body alone would let a request of 30 calls hold 30 times the cap; the calls of one
    request share this tally instead, chunk by chunk as they arrive, so the request's total is
    bounded however its calls interleave. A call that fails gives its bytes back (they are freed)."""

    __slots__ = ("max_bytes", "used")

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0

    def fits(self, declared: str | None) -> bool:
        """Whether a body declaring this ``Content-Length`` can still be read whole."""
        return not (
            declared is not None and declared.isdigit() and self.used + int(declared) > self.max_bytes
        )

    def take(self, size: int) -> bool:
        """Count ``size`` more bytes read; False when that passes the cap (nothing is counted)."""
        if self.used + size > self.max_bytes:
            return False
        self.used += size
        return True

    def give_back(self, size: int) -> None:
        self.used -= size

    async def read(
        self, chunks: AsyncIterator[bytes], status: int, declared: str | None, drop: Callable[[], None]
    ) -> bytes:
        """The body, read chunk by chunk within the budget. Past it, ``drop`` closes the connection
        (rather than return it to the pool undrained) and ``UpstreamTooLarge`` is raised; whatever
        ends the read early gives its bytes back."""
        if not self.fits(declared):
            drop()
            raise UpstreamTooLarge(self.max_bytes, status)
        read: list[bytes] = []
        size = 0
        try:
            async for chunk in chunks:
                if not self.take(len(chunk)):
                    drop()
                    raise UpstreamTooLarge(self.max_bytes, status)
                size += len(chunk)
                read.append(chunk)
        except BaseException:
            self.give_back(size)
            raise
        return b"".join(read)


@dataclass(frozen=True, slots=True)
class RawAnswer:
    status: int
    body: bytes
    cache_control: str | None
    age: str | None
    retry_after: str | None


class UpstreamHttp(Protocol):
    max_bytes: int  # the bytes one request's calls may read in all (FLASHBACK_MAX_UPSTREAM_BYTES)

    async def get(self, target: str, headers: Mapping[str, str], budget: ByteBudget) -> RawAnswer:
        """``target`` is the path and query; ``UpstreamTimeout`` or ``UpstreamUnreachable`` when no
        answer came (the caller bounds the time); ``UpstreamTooLarge`` when the body passes what
        is left of ``budget``, which is known before it is read when it declares its length, else
        while reading: what was read is dropped and the connection closed rather than drained."""
        ...

    async def close(self) -> None: ...


def _kept() -> None:
    """Nothing to close by hand (httpx closes a stream left unread)."""


class HttpxUpstream:
    def __init__(self, client: httpx.AsyncClient, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.client = client
        self.max_bytes = max_bytes

    async def get(self, target: str, headers: Mapping[str, str], budget: ByteBudget) -> RawAnswer:
        try:
            async with self.client.stream("GET", target, headers=dict(headers)) as response:
                found = response.headers
                # Leaving the stream unread closes its connection: httpx does not drain it.
                body = await budget.read(
                    response.aiter_bytes(), response.status_code, found.get("content-length"), _kept
                )
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout() from exc
        except httpx.HTTPError as exc:
            raise UpstreamUnreachable() from exc
        return RawAnswer(
            response.status_code,
            body,
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

    async def get(self, target: str, headers: Mapping[str, str], budget: ByteBudget) -> RawAnswer:
        try:
            async with self._open().get(
                self.base_url + target, headers=dict(headers), allow_redirects=False
            ) as response:
                found = response.headers
                body = await budget.read(
                    response.content.iter_chunked(_CHUNK),
                    response.status,
                    found.get("Content-Length"),
                    response.close,
                )
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
