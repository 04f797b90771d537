"""Field resolution for the V2 statistics: parameters checked, then one loader call per field.

Everything a client can get wrong is caught here before any upstream call, with a message that
names the argument and what it accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from resolvers import entity_batch, resources
from resolvers.context import RequestContext
from resolvers.errors import bad_input
from resolvers.loaders import normalise
from resolvers.payloads import BreakdownPayload, SeriesPayload, breakdown_parser, parse_series
from resolvers.resources import Domain

Filters = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Selection:
    """The root arguments of ``stats``, in wire form and already checked."""

    scope: str
    scope_id: str | None
    window: str
    bucket_size: str | None

    def params(self) -> dict[str, str | None]:
        return {
            "scope": self.scope,
            "id": self.scope_id,
            "window": self.window,
            "timeBucketSize": self.bucket_size,
        }


def select(scope: str, scope_id: str | None, window: str, bucket_size: str | None) -> Selection:
    if scope != "org" and not scope_id:
        raise bad_input(f'scope {scope.upper()} needs the id of the {scope}; pass id: "<{scope} uuid>".')
    return Selection(scope, scope_id or None, window, bucket_size)


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= resources.LIMIT_MAX:
        raise bad_input(f"limit must be between 1 and {resources.LIMIT_MAX}; got {limit}.")
    if not 0 <= offset <= resources.OFFSET_MAX:
        raise bad_input(f"offset must be between 0 and {resources.OFFSET_MAX}; got {offset}.")


def _filters(domain: Domain, filters: Filters) -> dict[str, str | None]:
    unknown = [name for name, value in filters.items() if value is not None and name not in domain.filters]
    if unknown:
        accepted = ", ".join(domain.filters) or "no filter"
        raise bad_input(f"{domain.name} does not take {', '.join(unknown)}; it takes {accepted}.")
    return {name: filters.get(name) for name in domain.filters}


_SERIES_PARSERS = {d.path: partial(parse_series, metrics=d.metrics) for d in resources.DOMAINS}


async def time_series(
    context: RequestContext, domain: Domain, selection: Selection, filters: Filters
) -> SeriesPayload:
    """One scope's series; when several entities ask for theirs, maybe all from one breakdown."""
    checked = _filters(domain, filters)
    request = entity_batch.entity_series(
        domain, selection.scope, selection.scope_id, selection.window, selection.bucket_size, checked
    )
    if request is not None:
        loader = entity_batch.loader_for(context, partial(_scoped, context), partial(_whole, context))
        return await loader.load(request)
    return await _direct(context, domain, selection, checked)


async def _direct(
    context: RequestContext, domain: Domain, selection: Selection, filters: Filters
) -> SeriesPayload:
    """``filters`` already checked against the domain, in its order."""
    params = normalise({**selection.params(), **filters})
    payload: SeriesPayload = await context.upstream().load(domain.path, params, _SERIES_PARSERS[domain.path])
    return payload


async def _scoped(context: RequestContext, request: entity_batch.EntitySeries) -> SeriesPayload:
    scope_id = None if request.param else request.entity_id
    selection = Selection(request.scope, scope_id, request.window, request.bucket_size)
    filters = {request.param: request.entity_id} if request.param else {}
    return await _direct(context, request.domain, selection, filters)


async def _whole(
    context: RequestContext, request: entity_batch.EntitySeries, limit: int, offset: int, series: bool
) -> BreakdownPayload:
    """The org-wide breakdown that holds every entity of an entity-series group."""
    selection = Selection("org", None, request.window, request.bucket_size)
    return await breakdown(
        context, request.domain, selection, {}, BreakdownRequest(request.by, limit, offset, series)
    )


@dataclass(frozen=True, slots=True)
class BreakdownRequest:
    by: str
    limit: int
    offset: int
    series: bool


async def breakdown(
    context: RequestContext, domain: Domain, selection: Selection, filters: Filters, request: BreakdownRequest
) -> BreakdownPayload:
    check_page(request.limit, request.offset)
    params = normalise(
        {
            **selection.params(),
            "includeSeries": "true" if request.series else "false",
            "limit": str(request.limit),
            "offset": str(request.offset),
            **_filters(domain, filters),
        }
    )
    parser = breakdown_parser(domain, request.by)
    payload: BreakdownPayload = await context.upstream().load(
        domain.breakdown_path(request.by), params, parser
    )
    return payload
