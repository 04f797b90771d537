"""Breakdowns in any order: the upstream's own where it has it, else every page read and sorted here.

The upstream lists a breakdown's entities in one order only: descending by the domain's summary
metric, then by ``entityId`` (docs/backend.md, "entity order"). A panel that ranks by another
metric (top repos by output tokens, the quietest users first) would get a page of the wrong
entities. So for any other order the gateway reads every page of the breakdown (``LIMIT_MAX``
entities each, at most ``MOST_ENTITIES`` in all), sorts the entities by the metric with the same
tie-break, and cuts the page asked for. The cost model counts those pages from the same bound
(``pages``), so a document is refused before any call when they would pass the budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from resolvers import resources
from resolvers.errors import BadInput
from resolvers.requests import Page
from resolvers.resources import Domain
from resolvers.v2_payloads import Entity

# Entities the gateway sorts itself: four pages of the upstream's largest.
MOST_ENTITIES = 2_000


@dataclass(frozen=True, slots=True)
class Order:
    """A breakdown's order: by one of its entities' metrics, descending or ascending."""

    metric: str  # the metric's wire name
    descending: bool = True


def asked(domain: Domain, metric: str | None, descending: bool) -> Order:
    """The order a breakdown field's arguments ask for: the domain's summary metric unless told."""
    return Order(domain.summary_metric if metric is None else metric, descending)


def upstream_orders(domain: Domain, order: Order | None) -> bool:
    """True when the upstream's own order is the one asked for (or none was)."""
    return order is None or (order.descending and order.metric == domain.summary_metric)


def pages() -> list[Page]:
    """The pages a breakdown sorted here may read, at their most: what the cost model counts."""
    return [Page(resources.LIMIT_MAX, offset) for offset in range(0, MOST_ENTITIES, resources.LIMIT_MAX)]


def rest_of(total: int, order: Order, by: str) -> list[Page]:
    """The pages after the first that hold the rest of ``total`` entities; refused past the bound."""
    if total > MOST_ENTITIES:
        direction = "descending" if order.descending else "ascending"
        raise BadInput(
            f"Ordering by {order.metric} ({direction}) sorts the breakdown in the gateway, which reads at"
            f" most {MOST_ENTITIES:,} entities; this breakdown by {by} has {total:,}. Narrow it with a"
            " filter or a smaller scope or window, or leave orderBy out for the upstream's own order."
        )
    return [
        Page(resources.LIMIT_MAX, offset) for offset in range(resources.LIMIT_MAX, total, resources.LIMIT_MAX)
    ]


def ordered(entities: Iterable[Entity], order: Order, page: Page) -> list[Entity]:
    """The page of ``entities`` in ``order``; ties by ``entityId``, as the upstream breaks them."""
    sign = -1 if order.descending else 1

    def key(entity: Entity) -> tuple[int | float, str]:
        # The value as decoded (a 64-bit count stays an exact integer; a float would round it).
        return sign * (entity.totals.get(order.metric) or 0), entity.id

    return sorted(entities, key=key)[page.offset : page.offset + page.limit]
