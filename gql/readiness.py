"""``/readyz``: ready when the upstream answers a cheap probe and the circuit breaker is closed.

A load balancer sends traffic only to ready replicas. ``/healthz`` stays a liveness check (the
process serves); readiness asks the upstream, at most once per ``cache_seconds``: any HTTP answer
below 500 (a 401 for the token-less probe included) means it is up.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from resolvers.breaker import CircuitBreaker, State
from resolvers.errors import UpstreamTimeout, UpstreamUnreachable
from resolvers.upstream_http import UpstreamHttp

PROBE = "/v2/stats/ai?scope=org&window=24h"
PROBE_SECONDS = 2.0


class Readiness:
    def __init__(self, upstream: UpstreamHttp, breaker: CircuitBreaker, cache_seconds: float = 5.0) -> None:
        self.upstream = upstream
        self.breaker = breaker
        self.cache_seconds = cache_seconds
        self._checked_at = -float("inf")
        self._upstream: str = "unknown"

    async def _probe(self) -> str:
        if time.monotonic() - self._checked_at < self.cache_seconds:
            return self._upstream
        try:
            async with asyncio.timeout(PROBE_SECONDS):
                answer = await self.upstream.get(PROBE, {})
            self._upstream = "up" if answer.status < 500 else f"failing (HTTP {answer.status})"
        except TimeoutError:
            self._upstream = f"unreachable (no answer in {PROBE_SECONDS:g} s)"
        except (UpstreamTimeout, UpstreamUnreachable) as exc:
            self._upstream = f"unreachable ({type(exc.__cause__ or exc).__name__})"
        self._checked_at = time.monotonic()
        return self._upstream

    async def endpoint(self, request: Request) -> Response:
        upstream = await self._probe()
        breaker = self.breaker.state.value
        ready = upstream == "up" and self.breaker.state is State.CLOSED
        body = {"status": "ready" if ready else "not ready", "upstream": upstream, "breaker": breaker}
        return JSONResponse(body, status_code=200 if ready else 503)
