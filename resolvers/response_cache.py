"""Upstream answers shared across requests: many users watch the same dashboards.

An entry is one successful upstream body, keyed by the caller's identity, the path and the
normalised query string (``RestRequest.target``). The identity is an HMAC-SHA256 of the
credentials sent upstream under a secret key: the raw token is never a key, a value or a log
line, and an entry is never served to other credentials.

Freshness is the upstream's own ``Cache-Control`` (``s-maxage``, then ``max-age``, less ``Age``;
``no-store`` and ``no-cache`` keep nothing) when it sends one, else ``default_seconds``. The
default, ``DEFAULT_SECONDS``, follows from the bucket sizes: the newest bucket of a series is still
filling, and the finest bucket is five minutes, so an answer kept 15 seconds (5% of that bucket)
is as current as a dashboard that refreshes on its own, while every viewer within those seconds
shares one upstream call.

Identical calls in flight from different requests share one upstream call (coalescing). Only a
body its parser accepted is kept, so a malformed answer is not served again. A store that fails
(Redis down or slow) costs a miss, is left alone for ``STORE_RETRY_SECONDS``, and never fails a
request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from resolvers.cache_stores import CacheStore
from resolvers.resources import BUCKET_SIZES

T = TypeVar("T")
LOG = logging.getLogger("resolvers.cache")

FINEST_BUCKET_SECONDS = min(span.seconds for span in BUCKET_SIZES.values())
DEFAULT_SECONDS = FINEST_BUCKET_SECONDS // 20
MAX_SECONDS = 3_600  # an upstream's max-age beyond this is cut to it
STORE_RETRY_SECONDS = 5.0
KEY_PREFIX = "flashback:v1:"

HIT, MISS, COALESCED, UNAVAILABLE = "hit", "miss", "coalesced", "unavailable"

_DIRECTIVE = re.compile(r"\s*([a-z-]+)\s*(?:=\s*\"?(\d+)\"?)?\s*", re.IGNORECASE)


def freshness(cache_control: str | None, age: str | None, default: float) -> float:
    """Seconds an answer may be served from the cache: 0 keeps nothing."""
    if cache_control is None:
        return default
    directives: dict[str, str | None] = {}
    for part in cache_control.split(","):
        found = _DIRECTIVE.fullmatch(part)
        if found:
            directives[found.group(1).lower()] = found.group(2)
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    for name in ("s-maxage", "max-age"):
        seconds = directives.get(name)
        if seconds is not None:
            already = int(age) if age is not None and age.strip().isdigit() else 0
            return float(max(0, min(int(seconds), MAX_SECONDS) - already))
    return default


def caller_identity(authorization: str, secret: bytes) -> str:
    """The keyed hash that stands for the caller's credentials in every cache key."""
    return hmac.new(secret, authorization.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Fetched:
    """An upstream body and the seconds it may be kept."""

    body: bytes
    seconds: float


class _Abandoned(Exception):
    """The request that was making a shared call went away; whoever waited makes it again."""


class ResponseCache:
    """One per process, shared by every request; the store may be shared by many processes."""

    def __init__(
        self, store: CacheStore, default_seconds: float = DEFAULT_SECONDS, secret: bytes | None = None
    ) -> None:
        """``secret``: the keyed hash's key; None takes the store's (``CacheStore.secret``)."""
        self.store = store
        self.default_seconds = default_seconds
        self._secret = secret
        self._in_flight: dict[str, asyncio.Future[Fetched]] = {}
        self._store_down_until = 0.0

    async def start(self) -> None:
        """Read (or, first of all processes, make) the secret of the keyed hash."""
        if self._secret is not None:
            return
        try:
            self._secret = await self.store.secret()
        except Exception as failure:
            LOG.warning("response cache store unavailable at start: %s", type(failure).__name__)

    def key(self, authorization: str, target: str) -> str:
        if self._secret is None:  # the store was down at start: a key no other process shares
            self._secret = secrets.token_bytes(32)
        return f"{KEY_PREFIX}{caller_identity(authorization, self._secret)}:{target}"

    async def fetch(
        self,
        authorization: str,
        target: str,
        call: Callable[[], Awaitable[Fetched]],
        parse: Callable[[bytes], T],
    ) -> tuple[T, str, float]:
        """The parsed answer, where it came from (``hit``, ``coalesced``, ``miss``, or
        ``unavailable``: the store failed and the upstream was asked) and the seconds it stays fresh."""
        key = self.key(authorization, target)
        found, source = await self._get(key)
        if found is not None:
            return parse(found.body), HIT, found.seconds
        shared = self._in_flight.get(key)
        if shared is not None:
            try:
                fetched = await asyncio.shield(shared)
                return parse(fetched.body), COALESCED, fetched.seconds
            except _Abandoned:
                pass
        return await self._lead(key, call, parse, source)

    async def recall(self, authorization: str, target: str) -> Fetched | None:
        """What ``keep`` kept for these credentials and this target, while it is fresh."""
        found, _ = await self._get(self.key(authorization, target))
        return found

    async def keep(self, authorization: str, target: str, body: bytes, seconds: float) -> None:
        if seconds > 0:
            await self._put(self.key(authorization, target), body, seconds)

    async def _lead(
        self, key: str, call: Callable[[], Awaitable[Fetched]], parse: Callable[[bytes], T], source: str
    ) -> tuple[T, str, float]:
        shared: asyncio.Future[Fetched] = asyncio.get_running_loop().create_future()
        shared.add_done_callback(retrieved)
        self._in_flight[key] = shared
        try:
            fetched = await call()
            value = parse(fetched.body)
        except Exception as failure:
            shared.set_exception(failure)
            raise
        except BaseException:
            shared.set_exception(_Abandoned())
            raise
        finally:
            self._in_flight.pop(key, None)
        shared.set_result(fetched)
        if fetched.seconds > 0:
            await self._put(key, fetched.body, fetched.seconds)
        return value, source, fetched.seconds

    async def _get(self, key: str) -> tuple[Fetched | None, str]:
        if time.monotonic() < self._store_down_until:
            return None, UNAVAILABLE
        try:
            found = await self.store.get(key)
            return (None if found is None else Fetched(*found)), MISS
        except Exception as failure:
            self._store_failed(failure)
            return None, UNAVAILABLE

    async def _put(self, key: str, body: bytes, seconds: float) -> None:
        if time.monotonic() < self._store_down_until:
            return
        try:
            await self.store.put(key, body, seconds)
        except Exception as failure:
            self._store_failed(failure)

    def _store_failed(self, failure: Exception) -> None:
        self._store_down_until = time.monotonic() + STORE_RETRY_SECONDS
        LOG.warning("cache store failed", extra={"fields": {"failure": type(failure).__name__}})

    async def close(self) -> None:
        await self.store.close()


def retrieved(future: asyncio.Future[Any]) -> None:
    """A shared call's failure that nobody else waited for is not an unhandled error (a done
    callback of every future a call is shared by)."""
    if not future.cancelled():
        future.exception()
