"""Field resolution for the V2 statistics: a request from the request layer, then one load.

Everything a client can get wrong is caught by the request layer before any upstream call, with a
message that names the argument and what it accepts.
"""

from __future__ import annotations

import asyncio

from resolvers import ordering, requests, resources
from resolvers.context import RequestContext
from resolvers.dimensions import Dimension
from resolvers.ordering import Order
from resolvers.requests import Filters, Page, Selection
from resolvers.resources import Domain
from resolvers.v2_payloads import (
    BreakdownMeta,
    BreakdownPayload,
    SeriesPayload,
    breakdown_parser,
    series_parser,
)


async def time_series(
    context: RequestContext, domain: Domain, selection: Selection, filters: Filters
) -> SeriesPayload:
    """One scope's series; when several entities ask for theirs, maybe all from one breakdown."""
    loaders = context.require_loaders()
    batchable = requests.entity_series(domain, selection, filters)
    if batchable is not None:
        return await loaders.entity_series.load(batchable)
    payload: SeriesPayload = await loaders.upstream.load(
        requests.time_series(domain, selection, filters), series_parser(domain, selection)
    )
    return payload


async def breakdown(
    context: RequestContext,
    dimension: Dimension,
    selection: Selection,
    filters: Filters,
    page: Page,
    series: bool,
    order: Order | None = None,
) -> BreakdownPayload:
    """One page of a breakdown in ``order``: the upstream's page when it orders so, else the page
    cut from every page of the breakdown sorted here (``resolvers.ordering``)."""
    upstream = context.require_loaders().upstream

    async def read(each: Page) -> BreakdownPayload:
        request = requests.breakdown(dimension, selection, filters, each, series)
        payload: BreakdownPayload = await upstream.load(
            request, breakdown_parser(dimension, series, selection, each.limit)
        )
        return payload

    if ordering.upstream_orders(resources.domain(dimension.domain), order):
        return await read(page)
    assert order is not None
    first = await read(ordering.pages()[0])
    rest = await asyncio.gather(*map(read, ordering.rest_of(first.meta.total_entities, order, dimension.by)))
    entities = [entity for payload in (first, *rest) for entity in payload.entities]
    meta = first.meta
    return BreakdownPayload(
        BreakdownMeta(meta.meta, meta.by, meta.includes_series, page.limit, page.offset, meta.total_entities),
        first.total,
        ordering.ordered(entities, order, page),
    )
