"""Field resolution for the V2 statistics: a request from the request layer, then one load.

Everything a client can get wrong is caught by the request layer before any upstream call, with a
message that names the argument and what it accepts.
"""

from __future__ import annotations

from resolvers import requests
from resolvers.context import RequestContext
from resolvers.dimensions import Dimension
from resolvers.requests import Filters, Page, Selection
from resolvers.resources import Domain
from resolvers.v2_payloads import BreakdownPayload, SeriesPayload, breakdown_parser, series_parser


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
) -> BreakdownPayload:
    request = requests.breakdown(dimension, selection, filters, page, series)
    payload: BreakdownPayload = await context.require_loaders().upstream.load(
        request, breakdown_parser(dimension, series, selection, page.limit)
    )
    return payload
