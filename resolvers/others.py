"""A breakdown's "Others": the domain's time series minus the page's entities, bucket by bucket.

Pie and stacked charts show the top N entities and the rest as one series. Computed from the page
alone, as most tools do, the rest never adds up. Here it is exact: the domain's own series (one
call, shared with any time-series panel of the same domain and selection) minus the entities of the
page, so the page and Others always sum to the domain. That also puts in Others whatever no entity
of the dimension carries: credits by models leave storage credits to it, credits by buckets AI
credits. A distinct count (``activeConversations``) and a mean (``latencyMs``) do not subtract, so
Others has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resolvers.errors import MalformedBody
from resolvers.resources import Metric
from resolvers.v2_payloads import BreakdownPayload, SeriesPayload
from resolvers.values import Number

NON_ADDITIVE = frozenset({"activeConversations", "latencyMs"})


@dataclass(frozen=True, slots=True)
class OthersPayload:
    entity_count: int
    ts: Sequence[int]
    totals: dict[str, Number | None]  # None for a metric that does not subtract
    columns: dict[str, list[Number] | None] | None  # None without the page's entity series
    domain_totals: dict[str, Number]


def others_of(page: BreakdownPayload, series: SeriesPayload, metrics: Sequence[Metric]) -> OthersPayload:
    """Others of ``page``, from the domain's ``series`` over the same window and filters."""
    domain = series.columns.values
    ts = series.columns.ts
    with_series = all(entity.columns is not None for entity in page.entities)
    for entity in page.entities:
        if entity.columns is not None and list(entity.columns.ts) != list(ts):
            raise MalformedBody(
                f"entity {entity.id}'s series has other buckets than the domain's; Others cannot be computed"
            )
    totals: dict[str, Number | None] = {}
    columns: dict[str, list[Number] | None] = {}
    domain_totals: dict[str, Number] = {}
    for metric in metrics:
        name = metric.name
        domain_totals[name] = sum(domain[name])
        if name in NON_ADDITIVE:
            totals[name] = columns[name] = None
            continue
        totals[name] = domain_totals[name] - sum(entity.totals.get(name) or 0 for entity in page.entities)
        if with_series:
            rest = list(domain[name])
            for entity in page.entities:
                assert entity.columns is not None
                for index, value in enumerate(entity.columns.values[name]):
                    rest[index] -= value
            columns[name] = rest
    return OthersPayload(
        page.meta.total_entities - len(page.entities),
        ts,
        totals,
        columns if with_series else None,
        domain_totals,
    )
