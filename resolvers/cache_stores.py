"""Where the response cache keeps upstream bodies: this process's memory, or a Redis server that
every worker and replica shares.

Both keep bytes under a string key for a number of seconds. Neither knows what the key means; the
keying and the rules of freshness are ``resolvers.response_cache``'s.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio

from resolvers.bounded_cache import BoundedCache

SECRET_KEY = "flashback:cache:secret"


class CacheStore(Protocol):
    async def get(self, key: str) -> tuple[bytes, float] | None:
        """The body kept under ``key`` and the seconds it stays fresh; None when there is none."""
        ...

    async def put(self, key: str, body: bytes, seconds: float) -> None: ...

    async def claim(self, key: str, seconds: float) -> bool:
        """True for the first process to claim ``key`` in ``seconds`` (a lease), False for the others."""
        ...

    async def secret(self) -> bytes:
        """The key of the callers' keyed hash: every process sharing this store must use the same."""
        ...

    async def close(self) -> None: ...


class MemoryStore:
    """Least recently used first out, bounded by the bytes of its keys and bodies.

    A body larger than a quarter of the bound is not kept: one answer may not empty the cache."""

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # An entry is (when it expires, the body), sized by its key and body.
        self._entries: BoundedCache[tuple[float, bytes]] = BoundedCache(None, max_bytes, max_bytes // 4)
        self._secret = secrets.token_bytes(32)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def used(self) -> int:
        """Bytes held: the keys and bodies of every entry kept."""
        return self._entries.bytes

    async def get(self, key: str) -> tuple[bytes, float] | None:
        found, entry = self._entries.lookup(key)
        if not found or entry is None:
            return None
        expires, body = entry
        left = expires - self._clock()
        if left <= 0:
            self._entries.forget(key)
            return None
        return body, left

    async def put(self, key: str, body: bytes, seconds: float) -> None:
        self._entries.put(key, (self._clock() + seconds, body), len(key) + len(body))

    async def claim(self, key: str, seconds: float) -> bool:
        if await self.get(key) is not None:
            return False
        await self.put(key, b"", seconds)
        return True

    async def secret(self) -> bytes:
        return self._secret

    async def close(self) -> None:
        self._entries.clear()


class RedisStore:
    """A Redis server shared by every gateway process; entries expire in Redis itself (``PX``).

    Calls wait at most ``timeout`` seconds: a slow or absent Redis costs a miss, not the request."""

    def __init__(self, url: str, timeout: float = 0.25) -> None:
        self.client = redis.asyncio.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )

    async def get(self, key: str) -> tuple[bytes, float] | None:
        async with self.client.pipeline(transaction=False) as pipeline:
            pipeline.get(key)
            pipeline.pttl(key)
            body, milliseconds = await pipeline.execute()
        if not isinstance(body, bytes) or not isinstance(milliseconds, int) or milliseconds <= 0:
            return None
        return body, milliseconds / 1000

    async def put(self, key: str, body: bytes, seconds: float) -> None:
        await self.client.set(key, body, px=max(1, int(seconds * 1000)))

    async def claim(self, key: str, seconds: float) -> bool:
        return bool(await self.client.set(key, b"", px=max(1, int(seconds * 1000)), nx=True))

    async def secret(self) -> bytes:
        """The first process to ask stores a random one; every later one reads it."""
        await self.client.set(SECRET_KEY, secrets.token_bytes(32), nx=True)
        stored = await self.client.get(SECRET_KEY)
        if not isinstance(stored, bytes):
            raise ConnectionError("the cache secret vanished from Redis")
        return stored

    async def close(self) -> None:
        await self.client.aclose()
