"""Many entities asking for the same series, answered from one breakdown.

A federated page that lists a hundred repos asks for a hundred repo-scoped time series; the
upstream has no endpoint that takes many ids, but its breakdown by repos holds every repo's series.
When N requests differ only in the entity they are about (same domain, window, bucket size and
other filters), this loader answers them so:

    N < MIN_ENTITIES   -> the entity's own scoped call
    otherwise          -> one page of the breakdown with series, of TOTAL_PER_ENTITY * N entities
                          (at most the upstream's 500), the largest first; then a scoped call for
                          each entity the page does not hold

``TOTAL_PER_ENTITY`` bounds the waste: the page carries at most that many entities for each one
asked for. Measured with ``bench/federation.py`` on the local backend, one scoped call costs about
as much server time as ten entities' series in a breakdown, so at 10 the page is no slower than
the N calls it replaces. Entities the page does not hold (no traffic in the window, ranked past
the page, or not visible to the token) and every entity when the breakdown is refused with 403
fall back to their scoped call, so both paths answer the same; when the page holds them all,
which is the case for entities a listing of the busiest ones names, N entities cost one call. A
series built from a breakdown entity gets the meta the scoped call would have had and the
summary the upstream documents (its domain's main metric), computed from the series.
"""

from __future__ import annotations

import asyncio

from strawberry.dataloader import DataLoader

from resolvers import resources
from resolvers.errors import UpstreamStatus
from resolvers.loaders import UpstreamLoader, batch_function, settled
from resolvers.requests import EntitySeries, Page
from resolvers.v2_payloads import (
    BreakdownPayload,
    Columns,
    Entity,
    Meta,
    SeriesPayload,
    breakdown_parser,
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
            request.scoped(), series_parser(request.domain, request.org())
        )
        return payload

    async def _whole(self, request: EntitySeries, page: Page, series: bool) -> BreakdownPayload:
        payload: BreakdownPayload = await self.upstream.load(
            request.whole(page, series),
            breakdown_parser(request.dimension, series, request.org(), page.limit),
        )
        return payload

    async def _answer(self, group: list[EntitySeries]) -> dict[EntitySeries, SeriesPayload | BaseException]:
        found: dict[str, Entity] = {}
        window: Meta | None = None
        if self.mode == "always" or (self.mode == "auto" and len(group) >= MIN_ENTITIES):
            try:
                found, window = await self._from_breakdown(group[0], len({r.entity_id for r in group}))
            except UpstreamStatus as failure:
                if failure.status != 403:
                    return dict.fromkeys(group, failure)
        missing = [request for request in group if request.entity_id not in found]
        scoped = await settled([self._scoped(r) for r in missing])
        answers: dict[EntitySeries, SeriesPayload | BaseException] = dict(zip(missing, scoped, strict=True))
        for request in group:
            if request.entity_id in found:
                assert window is not None
                answers[request] = _series_of(request, found[request.entity_id], window)
        return answers

    async def _from_breakdown(self, request: EntitySeries, wanted: int) -> tuple[dict[str, Entity], Meta]:
        """The entities of the page sized for ``wanted`` entities, by id, and the page's window."""
        payload = await self._whole(request, page_for(wanted), True)
        entities = {e.id: e for e in payload.entities if e.columns is not None}
        return entities, payload.meta.meta


def page_for(wanted: int) -> Page:
    """The breakdown page that answers ``wanted`` entities: ten per entity, at most one upstream page."""
    return Page(min(PAGE, TOTAL_PER_ENTITY * wanted), 0)


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
    return SeriesPayload(meta, None, columns, request.domain.summary_metric)
