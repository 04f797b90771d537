"""One upstream call per caller and REST request per refresh, whatever the number of cohorts.

Cohorts refresh on the same wall-clock instants (multiples of their interval), so every cohort
that needs ``/v2/stats/ai?window=24h`` for the same caller asks at the same instant. This is the
loaders' cache for live refreshes (``resolvers.loaders.CallCache``), keyed by that instant: the
first asks, the rest wait for its answer; the next instant asks again. Replicas that share the
response cache's Redis share the instant too: one holds its lease and asks, the others read its
answer from Redis (``_ask``), so three replicas cost the upstream what one does. The key is the response
cache's keyed hash of the credentials, never the token itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from resolvers.cache_stores import CacheStore
from resolvers.response_cache import COALESCED, HIT, MISS, Fetched, ResponseCache, caller_identity, retrieved

T = TypeVar("T")
KEEP_SECONDS = 60.0  # answers of past refresh instants are dropped after this
LEASE_SECONDS = 5.0  # how long other replicas wait for the one that holds an instant's lease
POLL_SECONDS = 0.02
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
        shared.add_done_callback(retrieved)
        self._calls[key] = shared
        try:
            value, result, seconds = await self._ask(authorization, target, instant, call, parse)
        except BaseException as failure:
            self._calls.pop(key, None)  # a failure is shared with this instant's waiters only
            shared.set_exception(failure if isinstance(failure, Exception) else asyncio.CancelledError())
            raise
        shared.set_result((value, seconds))
        return value, result, seconds

    async def _ask(
        self,
        authorization: str,
        target: str,
        instant: float,
        call: Callable[[], Awaitable[Fetched]],
        parse: Callable[[bytes], T],
    ) -> tuple[T, str, float]:
        """This process's one ask of an instant. With a store the replicas share (the response
        cache's Redis), the first replica to claim the instant's lease calls the upstream and keeps
        the answer there; the others wait for it (at most ``LEASE_SECONDS``, then ask themselves)."""
        store = None if self.inner is None else self.inner.store
        shared_key = None
        if self.inner is not None and store is not None:
            shared_key = f"{self.inner.key(authorization, target)}@{instant:.0f}"
            with contextlib.suppress(Exception):  # a store that fails costs the sharing, not the answer
                found = await store.get(shared_key)
                if found is None and not await store.claim(shared_key + ":lease", LEASE_SECONDS):
                    found = await _kept(store, shared_key)
                if found is not None:
                    return parse(found[0]), HIT, found[1]
        fetched = await call()
        self.calls += 1
        value = parse(fetched.body)
        if store is not None and shared_key is not None:
            with contextlib.suppress(Exception):
                await store.put(shared_key, fetched.body, KEEP_SECONDS)
        return value, MISS, fetched.seconds

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


async def _kept(store: CacheStore, key: str) -> tuple[bytes, float] | None:
    """The answer another replica keeps under ``key``, once it is there; None after the lease."""
    deadline = time.monotonic() + LEASE_SECONDS
    while time.monotonic() < deadline:
        found = await store.get(key)
        if found is not None:
            return found
        await asyncio.sleep(POLL_SECONDS)
    return None
