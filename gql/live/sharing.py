"""One upstream call per caller and REST request per refresh, whatever the number of cohorts.

Cohorts refresh on the same wall-clock instants (multiples of their interval), so every cohort
that needs ``/v2/stats/ai?window=24h`` for the same caller asks at the same instant. This is the
loaders' cache for live refreshes (``resolvers.loaders.CallCache``), keyed by that instant: the
first asks (through the response cache, when there is one, so replicas sharing Redis share its
answers too), the rest wait for its answer; the next instant asks again. The key is the response
cache's keyed hash of the credentials, never the token itself.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from resolvers.response_cache import COALESCED, MISS, Fetched, ResponseCache, caller_identity

T = TypeVar("T")
KEEP_SECONDS = 60.0  # answers of past refresh instants are dropped after this
MAX_ENTRIES = 10_000  # distinct (caller, request, instant) at most: bounded by the subscription caps


class RefreshShare:
    """The answers of the refreshes of one worker, by refresh instant (``at``)."""

    def __init__(self, inner: ResponseCache | None, default_seconds: float) -> None:
        self.inner = inner
        self.default_seconds = default_seconds
        self._secret = secrets.token_bytes(32)
        self._calls: OrderedDict[tuple[str, str, float], asyncio.Future[tuple[Any, float]]] = OrderedDict()
        self.calls = 0  # upstream answers asked for (not shared), for metrics and the bench

    def at(self, instant: float) -> RefreshCalls:
        """The loaders' cache of the refreshes due at ``instant`` (a multiple of their interval)."""
        return RefreshCalls(self, instant)

    async def fetch(
        self,
        authorization: str,
        target: str,
        instant: float,
        call: Callable[[], Awaitable[Fetched]],
        parse: Callable[[bytes], T],
    ) -> tuple[T, str, float]:
        self._forget(instant)
        key = (caller_identity(authorization, self._secret), target, instant)
        held = self._calls.get(key)
        if held is not None:
            value, seconds = await asyncio.shield(held)
            return value, COALESCED, seconds
        shared: asyncio.Future[tuple[Any, float]] = asyncio.get_running_loop().create_future()
        shared.add_done_callback(_retrieved)
        self._calls[key] = shared
        self.calls += 1
        try:
            if self.inner is not None:
                value, result, seconds = await self.inner.fetch(authorization, target, call, parse)
            else:
                fetched = await call()
                value, result, seconds = parse(fetched.body), MISS, fetched.seconds
        except BaseException as failure:
            self._calls.pop(key, None)  # a failure is shared with this instant's waiters only
            shared.set_exception(failure if isinstance(failure, Exception) else asyncio.CancelledError())
            raise
        shared.set_result((value, seconds))
        return value, result, seconds

    def _forget(self, instant: float) -> None:
        while self._calls:
            _, _, made = next(iter(self._calls))
            if instant - made < KEEP_SECONDS and len(self._calls) < MAX_ENTRIES:
                return
            self._calls.popitem(last=False)


class RefreshCalls:
    """``RefreshShare`` as the loaders ask it (``resolvers.loaders.CallCache``), for one instant."""

    def __init__(self, share: RefreshShare, instant: float) -> None:
        self.share = share
        self.instant = instant
        self.default_seconds = share.default_seconds

    async def fetch(
        self,
        authorization: str,
        target: str,
        call: Callable[[], Awaitable[Fetched]],
        parse: Callable[[bytes], T],
    ) -> tuple[T, str, float]:
        return await self.share.fetch(authorization, target, self.instant, call, parse)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """A shared call's failure that no other cohort waited for is not an unhandled error."""
    if not future.cancelled():
        future.exception()
