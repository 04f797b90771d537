"""Many entities asking for the same series, answered from one breakdown.

A federated page that lists a hundred repos asks for a hundred repo-scoped time series; the
upstream has no endpoint that takes many ids, but its breakdown by repos holds every repo's series.
When N requests differ only in the entity they are about (same domain, window, bucket size and
other filters), this loader answers them so:

    N < MIN_ENTITIES   -> the entity's own scoped call
    otherwise          -> one page of the breakdown with series, of TOTAL_PER_ENTITY * N entities
                          (at most the upstream's 500), the largest first; then, for the entities
                          the page does not hold, whichever takes fewer calls: the rest of the
                          breakdown, 500 at a time, or a scoped call for each

``TOTAL_PER_ENTITY`` bounds the waste: the page carries at most that many entities for each one
asked for. Measured with ``bench/federation.py`` on the local backend, one scoped call costs about
as much server time as ten entities' series in a breakdown, so at 10 the page is no slower than
the N calls it replaces.

A breakdown read to its end lists every entity with activity the caller may see (docs/backend.md:
it lists the entities with at least one fact in the window; every bucket is present, zero-filled).
An entity it does not list had none, and its own call would answer a series of zeros: that series
is built here, without a call. So a catalog page of every repo, half of them idle, costs one call,
and N entities never cost more than N calls (``N + 1`` only when none of them is in the first page
and the breakdown is longer than ``10N + 500(N - 1)`` entities). The one difference from the
entity's own call: an id the caller may not read, or that does not exist, gets zeros there too,
where its own call would be refused (403, 404); ``FLASHBACK_ENTITY_BATCHING=never`` gives every
entity its own call. When the breakdown is refused with 403, every entity falls back to its own
call. A series built from a breakdown entity gets the meta the scoped call would have had and the
summary the upstream documents (its domain's main metric), computed from the series.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from resolvers import resources, series_slices
from resolvers.errors import UpstreamStatus
from resolvers.loaders import UpstreamLoader, batch_function, settled, unchanged
from resolvers.requests import EntitySeries, Page
from resolvers.v2_payloads import (
    BreakdownPayload,
    Columns,
    Entity,
    Meta,
    SeriesPayload,
    breakdown_parser,
    point_type,
    series_parser,
)

PAGE = resources.LIMIT_MAX
MIN_ENTITIES = 2
TOTAL_PER_ENTITY = 10
BATCHING_MODES = ("auto", "never", "always")


class EntitySeriesLoader:
    """Per request: batches ``EntitySeries`` loads of one tick and answers them as the rule says."""

    def __init__(self, upstream: UpstreamLoader, mode: str) -> None:
        self.upstream = upstream
        self.mode = mode
        self._loader: DataLoader[EntitySeries, SeriesPayload] = DataLoader(batch_function(self._load_batch))

    async def load(self, request: EntitySeries) -> SeriesPayload:
        return await self._loader.load(request)

    async def _load_batch(self, requests_: list[EntitySeries]) -> list[SeriesPayload | BaseException]:
        groups: dict[tuple[object, ...], list[EntitySeries]] = {}
        for request in requests_:
            groups.setdefault(request.group(), []).append(request)
        answers: dict[EntitySeries, SeriesPayload | BaseException] = {}
        answering = [self._answer(group) for group in groups.values()]
        # One group, nearly always: awaited in place rather than through gather's task.
        results = [await answering[0]] if len(answering) == 1 else await asyncio.gather(*answering)
        for result in results:
            answers.update(result)
        return [answers[request] for request in requests_]

    async def _scoped(self, request: EntitySeries) -> SeriesPayload:
        payload: SeriesPayload = await self.upstream.load(
            request.scoped(),
            series_parser(request.domain, request.org()),
            series_slices.narrowing(request.domain, request.org()),
        )
        return payload

    async def _whole(self, request: EntitySeries, page: Page, series: bool) -> BreakdownPayload:
        payload: BreakdownPayload = await self.upstream.load(
            request.whole(page, series),
            breakdown_parser(request.dimension, series, request.org(), page.limit),
            unchanged,
        )
        return payload

    async def _answer(self, group: list[EntitySeries]) -> dict[EntitySeries, SeriesPayload | BaseException]:
        page: _Page | None = None
        if self.mode == "always" or (self.mode == "auto" and len(group) >= MIN_ENTITIES):
            try:
                page = await self._from_breakdown(group[0], {r.entity_id for r in group})
            except UpstreamStatus as failure:
                if failure.status != 403:
                    return dict.fromkeys(group, failure)
        found = {} if page is None else page.entities
        missing = [request for request in group if request.entity_id not in found]
        answers: dict[EntitySeries, SeriesPayload | BaseException] = {}
        if page is not None and page.complete:
            # Every entity with activity visible to the caller is in the page: the others had none.
            answers.update((request, _idle_series(request, page)) for request in missing)
        else:
            scoped = await settled([self._scoped(r) for r in missing])
            answers.update(zip(missing, scoped, strict=True))
        for request in group:
            if request.entity_id in found:
                assert page is not None
                answers[request] = _series_of(request, found[request.entity_id], page.window)
        return answers

    async def _from_breakdown(self, request: EntitySeries, wanted: set[str]) -> _Page:
        """The breakdown's entities that hold the ``wanted`` ones: the page sized for them, then,
        if some are not in it and reading the rest of the breakdown takes fewer calls than asking
        for them one by one, the rest of it; complete when no entity was left unread."""
        first = await self._whole(request, page_for(len(wanted)), True)
        page = _Page.of(first)
        missing = len(wanted - page.entities.keys())
        read = first.meta.offset + len(first.entities)
        rest = range(read, first.meta.total_entities, PAGE)
        if page.complete or not missing or len(rest) >= missing:
            return page
        more = await settled([self._whole(request, Page(PAGE, offset), True) for offset in rest])
        if any(isinstance(answer, BaseException) for answer in more):
            return page  # the entities still missing are asked for one by one
        for answer in more:
            page.entities.update(_Page.of(answer).entities)
        page.complete = True
        return page


@dataclass(slots=True)
class _Page:
    """What a breakdown read for an entity batch: its entities with series, by id; the window of its
    answer; whether it holds every entity of the breakdown (none was left past its page)."""

    entities: dict[str, Entity]
    window: Meta
    complete: bool
    ts: Sequence[int] | None  # the buckets' starts, from an entity's series (None when none has one)

    @classmethod
    def of(cls, payload: BreakdownPayload) -> _Page:
        entities = {e.id: e for e in payload.entities if e.columns is not None}
        read = payload.meta.offset + len(payload.entities)
        complete = payload.meta.offset == 0 and read >= payload.meta.total_entities
        ts = next((e.columns.ts for e in entities.values() if e.columns is not None), None)
        return cls(entities, payload.meta.meta, complete, ts)


def page_for(wanted: int) -> Page:
    """The breakdown page that answers ``wanted`` entities: ten per entity, at most one upstream page."""
    return Page(min(PAGE, TOTAL_PER_ENTITY * wanted), 0)


def _idle_series(request: EntitySeries, page: _Page) -> SeriesPayload:
    """The series of an entity a complete breakdown does not list: every bucket zero, as its own
    call answers for an entity with no activity in the window (docs/backend.md: a breakdown lists
    the entities with at least one fact; every bucket is present, zero-filled)."""
    ts = page.ts
    if ts is None:
        window = page.window
        size = resources.BUCKET_SIZES[
            window.bucket_size or resources.DEFAULT_BUCKET_SIZES[str(window.window)]
        ]
        ts = range(window.start, window.end, size.seconds)
    metrics = tuple(resources.domain(request.dimension.domain).entity_metrics)
    point = point_type(metrics)
    zeros = {m.name: 0.0 if m.fractional else 0 for m in metrics}
    columns = Columns([point(ts=t, **zeros) for t in ts], ("ts", *(m.name for m in metrics)))
    return _series_of(request, Entity(request.entity_id, None, {}, {}, columns), page.window)


def _series_of(request: EntitySeries, entity: Entity, window_meta: Meta) -> SeriesPayload:
    assert entity.columns is not None
    columns: Columns = entity.columns
    by_filter = request.dimension.filter
    meta = Meta(
        start=window_meta.start,
        end=window_meta.end,
        scope=request.scope,
        scope_id=None if by_filter else request.entity_id,
        window=window_meta.window,
        bucket_size=window_meta.bucket_size,
        filter_type=None if by_filter is None else resources.FILTER_TYPES[by_filter],
        filter_id=request.entity_id if by_filter else None,
    )
    return SeriesPayload(meta, None, columns, request.domain.summary_metrics)
