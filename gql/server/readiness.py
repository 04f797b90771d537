"""``/readyz``: ready when the upstream answers and the circuit breaker is closed.

A load balancer sends traffic only to ready replicas. ``/healthz`` stays a liveness check (the
process serves). Readiness needs to know that the upstream answers, at most ``cache_seconds`` ago:
a call of real traffic that succeeded in that time says so at no cost; otherwise a cheap probe
asks (one at a time, every probe request waiting on the same one): any HTTP answer below 500 (a
401 for the token-less probe included) means it is up. So a replica busy with traffic is not
reported down because its own probe queued behind that traffic and timed out.

A probe that finds the upstream up while the breaker is half-open closes the breaker. Otherwise,
after an outage, a replica out of rotation gets no traffic to close its breaker with, and would
stay out for good once the upstream is back.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from resolvers.breaker import CircuitBreaker, State
from resolvers.errors import UpstreamTimeout, UpstreamTooLarge, UpstreamUnreachable
from resolvers.upstream_http import ByteBudget, UpstreamHttp

PROBE = "/v2/stats/ai?scope=org&window=24h"
PROBE_SECONDS = 2.0
PROBE_MAX_BYTES = 64 * 1024  # a token-less probe gets a short error; more is not read


class Readiness:
    def __init__(self, upstream: UpstreamHttp, breaker: CircuitBreaker, cache_seconds: float = 5.0) -> None:
        self.upstream = upstream
        self.breaker = breaker
        self.cache_seconds = cache_seconds
        self._checked_at = -float("inf")
        self._upstream: str = "unknown"
        self._probing: asyncio.Future[str] | None = None

    async def _probe(self) -> str:
        if time.monotonic() - self.breaker.last_success < self.cache_seconds:
            return "up"  # real traffic reached it just now
        recovering = self.breaker.state is State.HALF_OPEN  # only a fresh probe may close it
        if not recovering and time.monotonic() - self._checked_at < self.cache_seconds:
            return self._upstream
        if self._probing is None:
            self._probing = asyncio.ensure_future(self._ask())
            self._probing.add_done_callback(self._probed)
        return await asyncio.shield(self._probing)

    def _probed(self, _: asyncio.Future[str]) -> None:
        self._probing = None

    async def _ask(self) -> str:
        self._upstream = await self._status()
        self._checked_at = time.monotonic()
        if self._upstream == "up" and self.breaker.state is State.HALF_OPEN:
            self.breaker.succeeded()
        return self._upstream

    async def _status(self) -> str:
        status: int | None
        try:
            async with asyncio.timeout(PROBE_SECONDS):
                status = (await self.upstream.get(PROBE, {}, ByteBudget(PROBE_MAX_BYTES))).status
        except UpstreamTooLarge as too_large:
            status = too_large.status  # it answered: its status is all the probe reads
        except TimeoutError:
            return f"unreachable (no answer in {PROBE_SECONDS:g} s)"
        except (UpstreamTimeout, UpstreamUnreachable) as exc:
            return f"unreachable ({type(exc.__cause__ or exc).__name__})"
        return "up" if status is not None and status < 500 else f"failing (HTTP {status})"

    async def endpoint(self, request: Request) -> Response:
        upstream = await self._probe()
        breaker = self.breaker.state.value
        ready = upstream == "up" and self.breaker.state is State.CLOSED
        body = {"status": "ready" if ready else "not ready", "upstream": upstream, "breaker": breaker}
        return JSONResponse(body, status_code=200 if ready else 503)
