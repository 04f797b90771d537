"""Per-request access to the upstream: every REST call of one GraphQL operation goes through here.

A Strawberry ``DataLoader`` keyed by (request, credentials) makes identical requests anywhere in
the operation (aliases, fragments, repeated fields) share one HTTP call, and sends all the loads
of one tick concurrently, at most ``concurrency`` at a time. Bodies are parsed into typed payloads
inside the load, so each is parsed once however many fields read it.

The loader also holds the request's limits at run time: it refuses calls past the request's
budget (``CallBudgetExceeded``, the safety net under the cost estimate) and hands every call the
request's deadline.

A request is served by a stand-in that holds its answer when the operation asks for that too (in
the same tick, or already loaded): a breakdown without series by the same breakdown with series, a
window's series by a longer window's at the same bucket size, cut to its last buckets
(``RestRequest.stand_ins``). So a period compared with the one before it and the same period's plain
series cost one call.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from strawberry.dataloader import DataLoader

from resolvers.client import CacheLookup, CallLog, Deadline, UpstreamClient
from resolvers.errors import CallBudgetExceeded
from resolvers.requests import RestRequest
from resolvers.response_cache import MISS, Fetched, freshness

Parser = Callable[[bytes], Any]


class CallCache(Protocol):
    """What answers a call before the upstream does: the response cache, or a live refresh's
    sharing (``gql.live.sharing``). ``fetch`` gives the parsed answer, where it came from and the
    seconds it stays fresh."""

    default_seconds: float

    async def fetch(
        self, authorization: str, target: str, call: Callable[[], Awaitable[Fetched]], parse: Parser
    ) -> tuple[Any, str, float]: ...


Narrow = Callable[[Any], Any]  # a stand-in's payload, made into this request's
BatchFunction = Callable[[list[Any]], Awaitable[Sequence[Any]]]


def batch_function(method: BatchFunction) -> BatchFunction:
    """A DataLoader's batch function that calls ``method`` without keeping its object alive.

    A loader that hands its own bound method to its DataLoader makes a reference cycle (loader,
    DataLoader, method), and the DataLoader's last batch holds every future it resolved: each
    request's payloads would then wait for the cycle collector instead of going when the request
    does (``RequestContext.release``)."""
    owner = weakref.WeakMethod(method)

    async def call(keys: list[Any]) -> Sequence[Any]:
        bound = owner()
        if bound is None:
            raise RuntimeError("the request that made this loader has ended")
        return await bound(keys)

    return call


async def settled(calls: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Each call's result or exception. A batch of one, most batches, is awaited in place:
    ``gather`` would wrap it in a task of its own."""
    if len(calls) == 1:
        try:
            return [await calls[0]]
        except Exception as failure:
            return [failure]
    return await asyncio.gather(*calls, return_exceptions=True)


def unchanged(payload: Any) -> Any:
    """The narrowing of a request whose stand-in's payload serves it as it is (a breakdown's twin)."""
    return payload


@dataclass(frozen=True, slots=True)
class RestKey:
    request: RestRequest
    credentials: str
    parser: Parser = field(compare=False, hash=False)
    narrow: Narrow | None = field(default=None, compare=False, hash=False)

    def stand_ins(self) -> list[RestKey]:
        """None without a way to narrow a stand-in's payload to this request's."""
        if self.narrow is None:
            return []
        return [RestKey(other, self.credentials, self.parser) for other in self.request.stand_ins()]


class UpstreamLoader:
    """One per GraphQL request: its cache never outlives the request nor crosses callers."""

    def __init__(
        self,
        client: UpstreamClient,
        authorization: str,
        concurrency: int,
        log: CallLog,
        max_calls: int | None = None,
        deadline: Deadline | None = None,
        cache: CallCache | None = None,
    ) -> None:
        self.client = client
        self.cache = cache
        self.authorization = authorization
        self.log = log
        self.max_calls = max_calls
        self.deadline = deadline
        self.calls = 0
        self._slots = asyncio.Semaphore(concurrency)
        self._loader: DataLoader[RestKey, Any] = DataLoader(batch_function(self._load_batch))

    async def load(self, request: RestRequest, parser: Parser, narrow: Narrow | None = None) -> Any:
        """``request``'s payload; ``narrow``, if given, makes it from a stand-in's (see the module)."""
        key = RestKey(request, self.authorization, parser, narrow)
        if narrow is not None and self._loader.cache_map.get(key) is None:
            for stand_in in key.stand_ins():
                if self._loader.cache_map.get(stand_in) is not None:
                    return narrow(await self._loader.load(stand_in))
        return await self._loader.load(key)

    async def _load_batch(self, keys: list[RestKey]) -> list[Any]:
        present = set(keys)
        served_by: dict[RestKey, RestKey] = {}
        for key in keys:
            # Stand-ins come longest first, so the one chosen has no stand-in in the batch itself.
            stand_in = next((other for other in key.stand_ins() if other in present), None)
            if stand_in is not None:
                served_by[key] = stand_in
        wanted = [key for key in keys if key not in served_by]
        results = await settled([self._fetch(key) for key in wanted])
        by_key = dict(zip(wanted, results, strict=True))
        return [self._served(key, by_key, served_by) for key in keys]

    @staticmethod
    def _served(key: RestKey, by_key: dict[RestKey, Any], served_by: dict[RestKey, RestKey]) -> Any:
        stand_in = served_by.get(key)
        if stand_in is None:
            return by_key[key]
        payload = by_key[stand_in]
        if isinstance(payload, BaseException) or key.narrow is None:
            return payload
        try:
            return key.narrow(payload)
        except Exception as failure:
            return failure

    async def _fetch(self, key: RestKey) -> Any:
        if self.max_calls is not None and self.calls >= self.max_calls:
            raise CallBudgetExceeded(self.max_calls)
        self.calls += 1
        async with self._slots:
            if self.cache is None:
                answer = await self.client.get(key.request, key.credentials, self.log, self.deadline)
                return key.parser(answer.body)
            cache = self.cache

            async def call() -> Fetched:
                answer = await self.client.get(key.request, key.credentials, self.log, self.deadline)
                return Fetched(
                    answer.body, freshness(answer.cache_control, answer.age, cache.default_seconds)
                )

            result, seconds = MISS, 0.0  # what a lookup that ends in a failure counts as
            try:
                value, result, seconds = await cache.fetch(
                    key.credentials, key.request.target, call, key.parser
                )
            finally:
                self.log.lookups.append(CacheLookup(key.request.path, key.request.query, result, seconds))
            return value
