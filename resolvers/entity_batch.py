"""Many entities asking for the same series, answered from one breakdown.

A federated page that lists a hundred repos asks for a hundred repo-scoped time series; the
upstream has no endpoint that takes many ids, but its breakdown by repos holds every repo's series.
When N requests differ only in the entity they are about (same domain, window, bucket size and
other filters), this loader chooses between N scoped calls and the breakdown:

    N < MIN_ENTITIES               -> N scoped calls (the breakdown would save at most a call or two)
    otherwise, probe the breakdown's size (limit=1, no series: one small call), then
    1 + pages(total) < N  and  total <= TOTAL_PER_ENTITY * N
                                   -> the breakdown with series, every page at once
    else                           -> N scoped calls

``TOTAL_PER_ENTITY`` bounds the waste: the breakdown may carry at most that many entities for
each one asked for. Measured with ``bench/federation.py`` on the local backend, one scoped call
costs about as much server time as ten entities' series in a breakdown, so at 10 the breakdown
is no slower and makes 2 calls instead of N; below it, it is also faster. Entities missing from
the breakdown (no traffic in the window, or not visible to the token) and every entity when the
breakdown is refused with 403 fall back to their scoped call, so both paths answer the same. A
series built from a breakdown entity gets the meta the scoped call would have had and the
summary the upstream documents (its domain's main metric), computed from the series.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from resolvers import resources
from resolvers.context import RequestContext
from resolvers.errors import FORBIDDEN, GatewayError
from resolvers.payloads import BreakdownPayload, Columns, Entity, Meta, SeriesPayload
from resolvers.resources import Domain
from resolvers.summary import summarize

PAGE = resources.LIMIT_MAX
MIN_ENTITIES = 5
TOTAL_PER_ENTITY = 10

# Which breakdown holds the series of one entity: by scope (no filter) or by one filter (org scope).
BY_SCOPE = {"repo": "repos", "workspace": "workspaces"}
SCOPE_DOMAINS = {"storage", "ai", "credits"}
BY_FILTER: dict[tuple[str, str], str] = {
    ("storage", "bucketId"): "buckets",
    ("ai", "aiLlmId"): "aiConfigs",
    ("ai", "model"): "models",
    ("privateChat", "model"): "models",
    ("privateChat", "userId"): "users",
}
FILTER_TYPES = {"bucketId": "bucket", "aiLlmId": "aiLlm", "model": "model", "userId": "user"}


@dataclass(frozen=True, slots=True)
class EntitySeries:
    """One entity's time series, and everything that must match for entities to share a breakdown."""

    domain: Domain
    scope: str
    window: str
    bucket_size: str | None
    by: str
    param: str | None  # the filter naming the entity, or None when the scope's id does
    entity_id: str

    def group(self) -> tuple[object, ...]:
        return (self.domain.name, self.scope, self.window, self.bucket_size, self.by, self.param)


def entity_series(
    domain: Domain,
    scope: str,
    scope_id: str | None,
    window: str,
    bucket_size: str | None,
    filters: Mapping[str, str | None],
) -> EntitySeries | None:
    """The batchable form of a time-series request, or None if no breakdown can answer it."""
    given = {name: value for name, value in filters.items() if value is not None}
    if scope in BY_SCOPE and scope_id and not given and domain.name in SCOPE_DOMAINS:
        return EntitySeries(domain, scope, window, bucket_size, BY_SCOPE[scope], None, scope_id)
    if scope == "org" and scope_id is None and len(given) == 1:
        ((param, value),) = given.items()
        by = BY_FILTER.get((domain.name, param))
        if by is not None:
            return EntitySeries(domain, scope, window, bucket_size, by, param, value)
    return None


Direct = Callable[[EntitySeries], Awaitable[SeriesPayload]]
# The org-wide breakdown a group shares: (request, limit, offset, with series).
Whole = Callable[[EntitySeries, int, int, bool], Awaitable[BreakdownPayload]]


class EntitySeriesLoader:
    """Per request: batches ``EntitySeries`` loads of one tick and answers them as the rule says."""

    def __init__(self, context: RequestContext, direct: Direct, whole: Whole) -> None:
        self.context = context
        self.direct = direct
        self.whole = whole
        self._loader: DataLoader[EntitySeries, SeriesPayload] = DataLoader(self._load_batch)

    async def load(self, request: EntitySeries) -> SeriesPayload:
        return await self._loader.load(request)

    async def _load_batch(self, requests: list[EntitySeries]) -> list[SeriesPayload | BaseException]:
        groups: dict[tuple[object, ...], list[EntitySeries]] = {}
        for request in requests:
            groups.setdefault(request.group(), []).append(request)
        answers: dict[EntitySeries, SeriesPayload | BaseException] = {}
        results = await asyncio.gather(*(self._answer(group) for group in groups.values()))
        for result in results:
            answers.update(result)
        return [answers[request] for request in requests]

    async def _answer(self, group: list[EntitySeries]) -> dict[EntitySeries, SeriesPayload | BaseException]:
        found: dict[str, Entity] = {}
        window: Meta | None = None
        mode = self.context.entity_batching
        if mode == "always" or (mode == "auto" and len(group) >= MIN_ENTITIES):
            try:
                found, window = await self._from_breakdown(group[0], len(group), mode == "always")
            except GatewayError as error:
                if error.code != FORBIDDEN:
                    return dict.fromkeys(group, error)
        missing = [request for request in group if request.entity_id not in found]
        scoped = await asyncio.gather(*(self.direct(r) for r in missing), return_exceptions=True)
        answers: dict[EntitySeries, SeriesPayload | BaseException] = dict(zip(missing, scoped, strict=True))
        for request in group:
            if request.entity_id in found:
                assert window is not None
                answers[request] = _series_of(request, found[request.entity_id], window)
        return answers

    async def _from_breakdown(
        self, request: EntitySeries, wanted: int, regardless: bool
    ) -> tuple[dict[str, Entity], Meta]:
        """The breakdown's entities by id (empty if the rule says no) and its window."""
        probe = await self.whole(request, 1, 0, False)
        total = probe.meta.total_entities
        pages = math.ceil(total / PAGE)
        if not regardless and not (1 + pages < wanted and total <= TOTAL_PER_ENTITY * wanted):
            return {}, probe.meta.meta
        payloads = await asyncio.gather(
            *(self.whole(request, PAGE, page * PAGE, True) for page in range(pages))
        )
        entities = {e.id: e for payload in payloads for e in payload.entities if e.columns is not None}
        return entities, probe.meta.meta


def _series_of(request: EntitySeries, entity: Entity, window_meta: Meta) -> SeriesPayload:
    assert entity.columns is not None
    columns: Columns = entity.columns
    meta = Meta(
        start=window_meta.start,
        end=window_meta.end,
        scope=request.scope,
        scope_id=None if request.param else request.entity_id,
        window=window_meta.window,
        bucket_size=window_meta.bucket_size,
        filter_type=FILTER_TYPES.get(request.param or ""),
        filter_id=request.entity_id if request.param else None,
    )
    return SeriesPayload(meta, summarize(columns.values[request.domain.summary_metric]), columns)


def loader_for(context: RequestContext, direct: Direct, whole: Whole) -> EntitySeriesLoader:
    loader = context.batchers.get("entity-series")
    if loader is None:
        loader = context.batchers["entity-series"] = EntitySeriesLoader(context, direct, whole)
    assert isinstance(loader, EntitySeriesLoader)
    return loader
