"""Whole answers kept for operations asked again: the answer cache.

Many users open the same dashboard, and a dashboard refreshes itself. The response cache already
spares the upstream; this spares the gateway too. A query's answer is kept, in the same store and
under the same keyed hash of the caller's credentials, by document, operation name and variables,
for as long as the upstream answers it was made from all stay fresh (the least of their
freshness). Only plain answers are kept: data without errors or extensions, from at least one
upstream answer. Asking for the upstream report (``X-Upstream-Report``) or a trace bypasses it, so
what those show is always a real execution.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from resolvers.client import CacheLookup
from resolvers.response_cache import Fetched, ResponseCache

FRESH = frozenset({"hit", "miss", "coalesced"})


def answer_target(document_key: str, operation: str | None, variables: bytes) -> str:
    """What an answer is kept under, beside the caller's identity: the variables are hashed."""
    return f"answer:{document_key}:{operation or ''}:{hashlib.sha256(variables).hexdigest()[:32]}"


def freshness(lookups: Sequence[CacheLookup]) -> float:
    """Seconds an answer made from these upstream answers stays fresh: 0 keeps nothing."""
    if not lookups or any(lookup.result not in FRESH for lookup in lookups):
        return 0.0
    return max(0.0, min(lookup.seconds for lookup in lookups))


class AnswerCache:
    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache

    async def recall(self, authorization: str, target: str) -> Fetched | None:
        return await self.cache.recall(authorization, target)

    async def keep(
        self, authorization: str, target: str, body: bytes, lookups: Sequence[CacheLookup]
    ) -> None:
        await self.cache.keep(authorization, target, body, freshness(lookups))
