"""Each domain's specialised series, breakdown and entity types, and the domain fields of ``Stats``.

The generic shapes live in ``gql.schema.series``; here each gets its concrete point, totals and column
types and a name that says what it holds.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from gql.schema import metric_types as m
from gql.schema.comparison import (
    AiBreakdownComparison,
    AiComparison,
    CreditBreakdownComparison,
    CreditComparison,
    PolicyBreakdownComparison,
    PolicyComparison,
    PolicyTokenComparison,
    PrivateChatBreakdownComparison,
    PrivateChatComparison,
    StorageBreakdownComparison,
    StorageComparison,
    breakdown_comparison_field,
    comparison_field,
)
from gql.schema.enums import (
    AiBreakdownBy,
    CreditBreakdownBy,
    OrderDirection,
    PolicyBreakdownBy,
    PrivateChatBreakdownBy,
    StorageBreakdownBy,
    wire,
)
from gql.schema.links import (
    LinksAiConfig,
    LinksBucket,
    LinksModel,
    LinksPolicyRule,
    LinksRepo,
    LinksUser,
    LinksWorkspace,
)
from gql.schema.lookahead import comparisons, wants_entity_series
from gql.schema.others import AiOthers, CreditOthers, PolicyOthers, PrivateChatOthers, StorageOthers
from gql.schema.series import Breakdown, BreakdownEntity, TimeSeries
from gql.schema.summary_fields import entity_latency, entity_summary, series_latency, series_summary
from resolvers import calendars, dimensions, ordering, requests, resources, v2_fields
from resolvers.calendars import Calendar
from resolvers.context import RequestContext
from resolvers.errors import BadInput
from resolvers.resources import Domain

# -- time series --------------------------------------------------------------------------------


@strawberry.type(description="Storage gateway traffic over the window.")
class StorageTimeSeries(TimeSeries[m.StoragePoint, m.StorageColumns]):
    summary = series_summary(m.StorageMetric)
    latencySummary = series_latency()
    comparison = comparison_field(StorageComparison)


@strawberry.type(description="AI gateway traffic over the window (private chat excluded).")
class AiTimeSeries(TimeSeries[m.AiPoint, m.AiColumns]):
    summary = series_summary(m.AiMetric)
    latencySummary = series_latency()
    comparison = comparison_field(AiComparison)


@strawberry.type(description="Private-chat traffic over the window.")
class PrivateChatTimeSeries(TimeSeries[m.PrivateChatPoint, m.PrivateChatColumns]):
    summary = series_summary(m.PrivateChatMetric)
    comparison = comparison_field(PrivateChatComparison)


@strawberry.type(description="Policy enforcement and evaluation tokens over the window.")
class PolicyTimeSeries(TimeSeries[m.PolicyPoint, m.PolicyColumns]):
    summary = series_summary(m.PolicyMetric)
    comparison = comparison_field(PolicyComparison)


@strawberry.type(description="Tokens spent evaluating policies over the window.")
class PolicyTokenTimeSeries(TimeSeries[m.PolicyTokenPoint, m.PolicyTokenColumns]):
    summary = series_summary(m.PolicyTokenMetric)
    comparison = comparison_field(PolicyTokenComparison)


@strawberry.type(description="Credits consumed, purchased and granted over the window.")
class CreditTimeSeries(TimeSeries[m.CreditPoint, m.CreditColumns]):
    summary = series_summary(m.CreditMetric)
    comparison = comparison_field(CreditComparison)


# -- breakdown entities -------------------------------------------------------------------------


@strawberry.type(description="A workspace, repo, bucket or node with its storage traffic.")
class StorageEntity(
    BreakdownEntity[m.StorageMetrics, m.StoragePoint, m.StorageColumns],
    LinksWorkspace,
    LinksRepo,
    LinksBucket,
):
    summary = entity_summary(m.StorageMetric)
    latencySummary = entity_latency()


@strawberry.type(description="A storage provider with its storage traffic.")
class StorageProviderEntity(StorageEntity):
    @strawberry.field(description="The provider's kind, e.g. `wasabi` or `aws`.")
    def provider(self) -> str:
        return self.payload.extra["provider"]

    @strawberry.field(description="The protocol the gateway speaks to it, e.g. `S3`.")
    def protocol(self) -> str:
        return self.payload.extra["protocol"]

    @strawberry.field(description="The provider endpoint's URL.")
    def endpoint(self) -> str:
        return self.payload.extra["endpoint"]


@strawberry.type(
    description="A workspace, repo, model, provider, node or AI configuration with its AI traffic."
)
class AiEntity(
    BreakdownEntity[m.AiMetrics, m.AiPoint, m.AiColumns], LinksWorkspace, LinksRepo, LinksModel, LinksAiConfig
):
    summary = entity_summary(m.AiMetric)
    latencySummary = entity_latency()


@strawberry.type(description="A model or user with its private-chat traffic.")
class PrivateChatEntity(
    BreakdownEntity[m.PrivateChatMetrics, m.PrivateChatPoint, m.PrivateChatColumns], LinksModel, LinksUser
):
    summary = entity_summary(m.PrivateChatMetric)


@strawberry.type(description="A user with private-chat traffic, conversations and last activity.")
class PrivateChatUserEntity(
    BreakdownEntity[m.PrivateChatUserTotals, m.PrivateChatPoint, m.PrivateChatColumns], LinksUser
):
    summary = entity_summary(m.PrivateChatMetric)


@strawberry.type(description="A policy rule or user with its policy enforcement.")
class PolicyEntity(
    BreakdownEntity[m.PolicyEnforcementMetrics, m.PolicyEnforcementPoint, m.PolicyEnforcementColumns],
    LinksPolicyRule,
    LinksUser,
):
    summary = entity_summary(m.PolicyEnforcementMetric)


@strawberry.type(description="A workspace, repo, model, provider or bucket with its credits.")
class CreditEntity(
    BreakdownEntity[m.CreditMetrics, m.CreditPoint, m.CreditColumns],
    LinksWorkspace,
    LinksRepo,
    LinksModel,
    LinksBucket,
):
    summary = entity_summary(m.CreditMetric)


# -- breakdowns ---------------------------------------------------------------------------------


@strawberry.type(description="Storage traffic by workspace, repo, bucket or node.")
class StorageBreakdown(Breakdown[StorageEntity, StorageOthers]):
    comparison = breakdown_comparison_field(StorageBreakdownComparison)


@strawberry.type(description="Storage traffic by storage provider.")
class StorageProviderBreakdown(Breakdown[StorageProviderEntity, StorageOthers]):
    comparison = breakdown_comparison_field(StorageBreakdownComparison)


@strawberry.type(
    description="AI gateway traffic by workspace, repo, model, provider, node or AI configuration."
)
class AiBreakdown(Breakdown[AiEntity, AiOthers]):
    comparison = breakdown_comparison_field(AiBreakdownComparison)


@strawberry.type(description="Private-chat traffic by model or user.")
class PrivateChatBreakdown(Breakdown[PrivateChatEntity, PrivateChatOthers]):
    comparison = breakdown_comparison_field(PrivateChatBreakdownComparison)


@strawberry.type(description="Private-chat traffic by user, with conversations and last activity.")
class PrivateChatUserBreakdown(Breakdown[PrivateChatUserEntity, PrivateChatOthers]):
    comparison = breakdown_comparison_field(PrivateChatBreakdownComparison)


@strawberry.type(description="Policy enforcement by rule or user.")
class PolicyBreakdown(Breakdown[PolicyEntity, PolicyOthers]):
    comparison = breakdown_comparison_field(PolicyBreakdownComparison)


@strawberry.type(description="Credits by workspace, repo, model, provider or bucket.")
class CreditBreakdown(Breakdown[CreditEntity, CreditOthers]):
    comparison = breakdown_comparison_field(CreditBreakdownComparison)


# -- domain fields ------------------------------------------------------------------------------

Limit = Annotated[
    int,
    strawberry.argument(
        description=f"Entities per page, 1 to {resources.LIMIT_MAX}. Series are fetched for the page only."
    ),
]
Offset = Annotated[int, strawberry.argument(description=f"Entities to skip, 0 to {resources.OFFSET_MAX}.")]
BY = strawberry.argument(description="The dimension to break down by.")
ORDER_BY = strawberry.argument(
    description="The metric to rank entities by; null for the upstream's order (the domain's summary metric,"
    " descending). Any other order reads every page of the breakdown (at most"
    f" {ordering.MOST_ENTITIES:,} entities, {len(ordering.pages())} calls) and sorts them in the gateway;"
    " ties by entityId."
)
Direction = Annotated[
    OrderDirection, strawberry.argument(description="Largest first (DESC) or smallest first (ASC).")
]
StorageOrder = Annotated[m.StorageMetric | None, ORDER_BY]
AiOrder = Annotated[m.AiMetric | None, ORDER_BY]
PrivateChatOrder = Annotated[m.PrivateChatMetric | None, ORDER_BY]
PolicyOrder = Annotated[m.PolicyEnforcementMetric | None, ORDER_BY]
CreditOrder = Annotated[m.CreditMetric | None, ORDER_BY]
TIME_SERIES = "The domain's time series; null (with an error) if the upstream call fails."
BREAKDOWN = "The domain broken down by `by`; entity series are fetched only if selected."


B = TypeVar("B", bound=Breakdown[Any, Any])
S = TypeVar("S", bound=TimeSeries[Any, Any])


@strawberry.type
class DomainStats:
    selection: strawberry.Private[requests.Selection]
    filters: strawberry.Private[requests.Filters]
    calendar: strawberry.Private[Calendar | None] = None  # calendar buckets built from the selection

    async def _series(
        self, series: type[S], info: Info, domain: Domain, filters: requests.Filters | None = None
    ) -> S:
        """A time series of ``domain``, cut from the call its comparisons need when any is selected."""
        context: RequestContext = info.context
        filters = self.filters if filters is None else filters
        payload = await v2_fields.time_series(
            context, domain, self.selection, filters, comparisons(info), self.calendar
        )
        return series(payload=payload, asked=v2_fields.SeriesAsk(domain, self.selection, filters))

    async def _breakdown(
        self,
        breakdown: type[B],
        info: Info,
        domain: Domain,
        by: str,
        limit: int,
        offset: int,
        order_by: Enum | None,
        direction: Enum,
    ) -> B:
        context: RequestContext = info.context
        calendars.series_only(self.calendar, "a breakdown")
        dimension = dimensions.dimension(domain.name, by)
        page = requests.Page(limit, offset)
        series = wants_entity_series(info)
        order = ordering.asked(
            domain, None if order_by is None else wire(order_by), direction == OrderDirection.DESC
        )
        payload = await v2_fields.breakdown(
            context, dimension, self.selection, self.filters, page, series, order
        )
        return breakdown(
            payload=payload,
            selection=self.selection,
            filters=self.filters,
            domain=domain,
            dimension=dimension,
        )


@strawberry.type(description="Storage gateway statistics (uploads, downloads, size, latency, requests).")
class StorageStats(DomainStats):
    @strawberry.field(description=TIME_SERIES)
    async def timeSeries(self, info: Info) -> StorageTimeSeries | None:
        return await self._series(StorageTimeSeries, info, resources.STORAGE)

    @strawberry.field(description=BREAKDOWN)
    async def breakdown(
        self,
        info: Info,
        by: Annotated[StorageBreakdownBy, BY],
        limit: Limit = resources.LIMIT_DEFAULT,
        offset: Offset = 0,
        orderBy: StorageOrder = None,
        direction: Direction = OrderDirection.DESC,
    ) -> StorageBreakdown | None:
        return await self._breakdown(
            StorageBreakdown, info, resources.STORAGE, wire(by), limit, offset, orderBy, direction
        )

    @strawberry.field(
        description="Storage traffic by provider, with each provider's kind, protocol and endpoint."
    )
    async def providers(
        self,
        info: Info,
        limit: Limit = resources.LIMIT_DEFAULT,
        offset: Offset = 0,
        orderBy: StorageOrder = None,
        direction: Direction = OrderDirection.DESC,
    ) -> StorageProviderBreakdown | None:
        return await self._breakdown(
            StorageProviderBreakdown, info, resources.STORAGE, "providers", limit, offset, orderBy, direction
        )


@strawberry.type(
    description="AI gateway statistics (tokens, requests, conversations, latency); private chat excluded."
)
class AiStats(DomainStats):
    @strawberry.field(description=TIME_SERIES)
    async def timeSeries(self, info: Info) -> AiTimeSeries | None:
        return await self._series(AiTimeSeries, info, resources.AI)

    @strawberry.field(description=BREAKDOWN)
    async def breakdown(
        self,
        info: Info,
        by: Annotated[AiBreakdownBy, BY],
        limit: Limit = resources.LIMIT_DEFAULT,
        offset: Offset = 0,
        orderBy: AiOrder = None,
        direction: Direction = OrderDirection.DESC,
    ) -> AiBreakdown | None:
        return await self._breakdown(
            AiBreakdown, info, resources.AI, wire(by), limit, offset, orderBy, direction
        )


@strawberry.type(description="Private-chat statistics (tokens, requests).")
class PrivateChatStats(DomainStats):
    @strawberry.field(description=TIME_SERIES)
    async def timeSeries(self, info: Info) -> PrivateChatTimeSeries | None:
        return await self._series(PrivateChatTimeSeries, info, resources.PRIVATE_CHAT)

    @strawberry.field(description=BREAKDOWN)
    async def breakdown(
        self,
        info: Info,
        by: Annotated[PrivateChatBreakdownBy, BY],
        limit: Limit = resources.LIMIT_DEFAULT,
        offset: Offset = 0,
        orderBy: PrivateChatOrder = None,
        direction: Direction = OrderDirection.DESC,
    ) -> PrivateChatBreakdown | None:
        return await self._breakdown(
            PrivateChatBreakdown, info, resources.PRIVATE_CHAT, wire(by), limit, offset, orderBy, direction
        )

    @strawberry.field(description="Private-chat traffic by user, with conversations and last activity.")
    async def users(
        self,
        info: Info,
        limit: Limit = resources.LIMIT_DEFAULT,
        offset: Offset = 0,
        orderBy: PrivateChatOrder = None,
        direction: Direction = OrderDirection.DESC,
    ) -> PrivateChatUserBreakdown | None:
        return await self._breakdown(
            PrivateChatUserBreakdown, info, resources.PRIVATE_CHAT, "users", limit, offset, orderBy, direction
        )


@strawberry.type(description="Policy statistics (violations by action and severity, evaluation tokens).")
class PolicyStats(DomainStats):
    @strawberry.field(description=TIME_SERIES)
    async def timeSeries(self, info: Info) -> PolicyTimeSeries | None:
        return await self._series(PolicyTimeSeries, info, resources.POLICIES)

    @strawberry.field(
        description="Tokens spent evaluating policies. They belong to no single rule, user or key, so this"
        " field takes no filter: ask for it on `policies` without arguments."
    )
    async def tokens(self, info: Info) -> PolicyTokenTimeSeries | None:
        given = [name for name, value in self.filters.items() if value is not None]
        if given:
            raise BadInput(
                f"policies.tokens takes no filter but policies got {', '.join(given)}; ask for tokens on"
                " a `policies` field without arguments (an alias keeps both in one query)."
            )
        return await self._series(PolicyTokenTimeSeries, info, resources.POLICY_TOKENS, {})

    @strawberry.field(description=BREAKDOWN)
    async def breakdown(
        self,
        info: Info,
        by: Annotated[PolicyBreakdownBy, BY],
        limit: Limit = resources.LIMIT_DEFAULT,
        offset: Offset = 0,
        orderBy: PolicyOrder = None,
        direction: Direction = OrderDirection.DESC,
    ) -> PolicyBreakdown | None:
        return await self._breakdown(
            PolicyBreakdown, info, resources.POLICIES, wire(by), limit, offset, orderBy, direction
        )


@strawberry.type(description="Credit statistics (consumed by AI and storage, purchased, granted).")
class CreditStats(DomainStats):
    @strawberry.field(description=TIME_SERIES)
    async def timeSeries(self, info: Info) -> CreditTimeSeries | None:
        return await self._series(CreditTimeSeries, info, resources.CREDITS)

    @strawberry.field(description=BREAKDOWN)
    async def breakdown(
        self,
        info: Info,
        by: Annotated[CreditBreakdownBy, BY],
        limit: Limit = resources.LIMIT_DEFAULT,
        offset: Offset = 0,
        orderBy: CreditOrder = None,
        direction: Direction = OrderDirection.DESC,
    ) -> CreditBreakdown | None:
        return await self._breakdown(
            CreditBreakdown, info, resources.CREDITS, wire(by), limit, offset, orderBy, direction
        )
