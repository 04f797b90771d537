"""Field resolution for the V2 statistics: a request from the request layer, then one load.

Everything a client can get wrong is caught by the request layer before any upstream call, with a
message that names the argument and what it accepts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from resolvers import calendars, comparison, ordering, requests, resources, series_slices
from resolvers.calendars import Calendar
from resolvers.context import RequestContext
from resolvers.dimensions import Dimension
from resolvers.errors import MalformedBody
from resolvers.loaders import unchanged
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


@dataclass(frozen=True, slots=True)
class SeriesAsk:
    """What a time series was asked with, for the fields below it that ask more (its comparison)."""

    domain: Domain
    selection: Selection
    filters: Filters


async def time_series(
    context: RequestContext,
    domain: Domain,
    selection: Selection,
    filters: Filters,
    compared_to: Sequence[str] = (),
    calendar: Calendar | None = None,
) -> SeriesPayload:
    """One scope's series; when several entities ask for theirs, maybe all from one breakdown.

    ``compared_to`` names the comparisons selected on it (``CompareTo`` wire values): each is
    checked before any call, and the longest window they need is loaded first, so the series is cut
    from that same answer (``resolvers.comparison``)."""
    if calendar is not None:  # selection is then the upstream's side of the calendar
        if compared_to:
            calendars.series_only(calendar, "a comparison")
        return calendars.regroup(await _series(context, domain, selection, filters), calendar, domain)
    sources = [comparison.source(selection, to) for to in compared_to]
    if not sources:
        return await _series(context, domain, selection, filters)
    longest = max(sources, key=lambda s: resources.WINDOWS[s.window].seconds)
    try:
        return series_slices.narrowing(domain, selection)(await _series(context, domain, longest, filters))
    except MalformedBody as failure:
        if failure.reason != series_slices.MISALIGNED:
            raise
        # The source cannot be cut: that costs the comparisons, not this series, asked on its own.
        return await _series(context, domain, selection, filters, own_call=True)


async def compared(
    context: RequestContext,
    domain: Domain,
    selection: Selection,
    filters: Filters,
    to: str,
    complete_only: bool,
) -> comparison.ComparisonPayload:
    """The series of ``selection`` and its previous period ``to``, from the one call of the source."""
    source = comparison.source(selection, to)
    payload = await _series(context, domain, source, filters)
    return comparison.compare(payload, selection, to, complete_only, domain.summary_metrics)


async def compared_breakdown(
    context: RequestContext,
    dimension: Dimension,
    selection: Selection,
    filters: Filters,
    page: BreakdownPayload,
    to: str,
    complete_only: bool,
) -> comparison.BreakdownComparison:
    """Each entity of ``page`` over ``selection`` and its previous period ``to``, from one call: the
    source window's breakdown with series, as many entities as a page holds."""
    source = comparison.source(selection, to)
    comparison.every_entity(page.meta.total_entities, len(page.entities), page.meta.offset, "the breakdown")
    whole = requests.Page(resources.LIMIT_MAX, 0)
    payload: BreakdownPayload = await context.require_loaders().upstream.load(
        requests.breakdown(dimension, source, filters, whole, True),
        breakdown_parser(dimension, True, source, whole.limit),
        unchanged,
    )
    return comparison.compare_entities(page, payload, selection, to, complete_only)


async def _series(
    context: RequestContext, domain: Domain, selection: Selection, filters: Filters, own_call: bool = False
) -> SeriesPayload:
    loaders = context.require_loaders()
    batchable = requests.entity_series(domain, selection, filters)
    if batchable is not None:
        return await loaders.entity_series.load(batchable)
    payload: SeriesPayload = await loaders.upstream.load(
        requests.time_series(domain, selection, filters),
        series_parser(domain, selection),
        None if own_call else series_slices.narrowing(domain, selection),
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
            request, breakdown_parser(dimension, series, selection, each.limit), unchanged
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
