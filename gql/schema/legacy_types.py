"""The older endpoints under ``legacy``: list filters as lists, dates as date-times, counts exact,
field names as in V2 (``requests``, ``latencyMs``, ``policyTokensIn``...), the upstream record
itself under ``raw``."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any, Protocol

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gql.schema.scalars import EpochSeconds, Long
from resolvers import legacy_fields, legacy_payloads, requests
from resolvers.context import RequestContext

Ids = list[strawberry.ID] | None


@strawberry.enum(description="The time grain of a legacy endpoint.")
class Resolution(Enum):
    DAILY = strawberry.enum_value("daily", description="Per UTC day: `/stats/daily`, `/aistats/daily`.")
    MINUTE = strawberry.enum_value(
        "minute", description="Per 5-minute slot: `/stats/minute`, `/aistats/minute`."
    )


START = strawberry.argument(
    description="First instant; daily endpoints cover whole UTC days from its day. Upstream default: 30 days"
    " (daily) or 24 hours (minute) before `endDate`."
)
END = strawberry.argument(description="Last instant (at most now; the default).")
RESOLUTION = strawberry.argument(
    description="DAILY: one record per UTC day (at most 92 days); MINUTE: per 5-minute slot (at most 7 days)."
)
RAW = "The upstream record as it arrived (legacy field names, counts as strings)."


class LegacyRecordFields(Protocol):
    """The fields ``legacy_payloads.StorageRecord`` and ``legacy_payloads.AiRecord`` share (both frozen)."""

    @property
    def ts(self) -> int: ...
    @property
    def repo_id(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def raw(self) -> Mapping[str, Any]: ...
    @property
    def time(self) -> datetime.datetime: ...


@strawberry.type(description="What storage and AI records share.")
class LegacyRecord:
    record: strawberry.Private[LegacyRecordFields]

    @strawberry.field(description="Start of the day or slot, epoch seconds.")
    def ts(self) -> EpochSeconds:
        return EpochSeconds(self.record.ts)

    @strawberry.field(description="Start of the day or slot.")
    def time(self) -> datetime.datetime:
        return self.record.time

    @strawberry.field(description="The repository.")
    def repoId(self) -> strawberry.ID:
        return strawberry.ID(self.record.repo_id)

    @strawberry.field(description="The bridge node's host name.")
    def host(self) -> str:
        return self.record.host

    @strawberry.field(description="Mean latency in milliseconds (`latency_ms`).")
    def latencyMs(self) -> float:
        return self.record.latency_ms

    @strawberry.field(description=RAW)
    def raw(self) -> JSON:
        return JSON(self.record.raw)


@strawberry.type(
    description="Storage traffic of one repo, bucket and bridge node in one day or 5-minute slot."
)
class LegacyStorageRecord(LegacyRecord):
    record: strawberry.Private[legacy_payloads.StorageRecord]

    @strawberry.field(description="The storage bucket (`unitId` upstream).")
    def bucketId(self) -> strawberry.ID:
        return strawberry.ID(self.record.bucket_id)

    @strawberry.field(description="Bytes uploaded (`upl_bytes`).")
    def uplBytes(self) -> Long:
        return Long(self.record.upl_bytes)

    @strawberry.field(description="Bytes downloaded (`dwl_bytes`).")
    def dwlBytes(self) -> Long:
        return Long(self.record.dwl_bytes)

    @strawberry.field(description="Net change of stored bytes (`size_change`).")
    def sizeChange(self) -> Long:
        return Long(self.record.size_change)


@strawberry.type(
    description="AI traffic of one conversation, repo, configuration and node in one day or 5-minute slot."
)
class LegacyAiRecord(LegacyRecord):
    record: strawberry.Private[legacy_payloads.AiRecord]

    @strawberry.field(description="The AI configuration (`aiLlmId`).")
    def aiLlmId(self) -> strawberry.ID:
        return strawberry.ID(self.record.ai_config_id)

    @strawberry.field(description="The repo API key (`repoAiApiKeyId`).")
    def apiKeyId(self) -> strawberry.ID:
        return strawberry.ID(self.record.api_key_id)

    @strawberry.field(description="Base-model tokens sent (`tokensIn`, a string upstream).")
    def tokensIn(self) -> Long:
        return Long(self.record.tokens_in)

    @strawberry.field(description="Base-model tokens received (`tokensOut`, a string upstream).")
    def tokensOut(self) -> Long:
        return Long(self.record.tokens_out)

    @strawberry.field(
        description="The upstream's `llmTokensIn` (a string upstream). The contract leaves its meaning open;"
        " the local backend fills it with the V2 `policyTokensIn` (docs/backend.md)."
    )
    def policyTokensIn(self) -> Long:
        return Long(self.record.policy_tokens_in)

    @strawberry.field(
        description="The upstream's `llmTokensOut` (a string upstream). The contract leaves its meaning open;"
        " the local backend fills it with the V2 `policyTokensOut` (docs/backend.md)."
    )
    def policyTokensOut(self) -> Long:
        return Long(self.record.policy_tokens_out)

    @strawberry.field(description="Active conversations (`activeConversations`).")
    def activeConversations(self) -> Long:
        return Long(self.record.active_conversations)

    @strawberry.field(description="Requests (`apiCalls`).")
    def requests(self) -> Long:
        return Long(self.record.requests)

    @strawberry.field(description="Policy violations (`policyViolations`).")
    def violations(self) -> Long:
        return Long(self.record.violations)

    @strawberry.field(description="Alerts (`numAlerts`).")
    def alerts(self) -> Long:
        return Long(self.record.alerts)

    @strawberry.field(description="Blocks (`numBlocks`).")
    def blocks(self) -> Long:
        return Long(self.record.blocks)

    @strawberry.field(description="LOW-risk violations (`numSeverityLow`).")
    def severityLow(self) -> Long:
        return Long(self.record.severity_low)

    @strawberry.field(description="MEDIUM-risk violations (`numSeverityMedium`).")
    def severityMedium(self) -> Long:
        return Long(self.record.severity_medium)

    @strawberry.field(description="HIGH-risk violations (`numSeverityHigh`).")
    def severityHigh(self) -> Long:
        return Long(self.record.severity_high)

    @strawberry.field(description="The LLM provider (`llmType`).")
    def provider(self) -> str:
        return self.record.provider

    @strawberry.field(description="The LLM model (`llmModel`).")
    def model(self) -> str:
        return self.record.model

    @strawberry.field(description="The user (`userUuid`), if known.")
    def userId(self) -> strawberry.ID | None:
        return None if self.record.user_id is None else strawberry.ID(self.record.user_id)

    @strawberry.field(description="The conversation (`conversationUuid`), if known.")
    def conversationId(self) -> strawberry.ID | None:
        return None if self.record.conversation_id is None else strawberry.ID(self.record.conversation_id)


@strawberry.type(description="Totals of one AI configuration over the upstream's whole retention.")
class LegacyAiConfigTotals:
    totals: strawberry.Private[legacy_payloads.AiConfigTotals]

    @strawberry.field(description="The AI configuration (`aiLlmId`).")
    def aiLlmId(self) -> strawberry.ID:
        return strawberry.ID(self.totals.ai_config_id)

    @strawberry.field(description="Requests (`totalApiCalls`).")
    def requests(self) -> Long:
        return Long(self.totals.requests)

    @strawberry.field(description="Base-model tokens sent (`totalTokensIn`).")
    def tokensIn(self) -> Long:
        return Long(self.totals.tokens_in)

    @strawberry.field(description="Base-model tokens received (`totalTokensOut`).")
    def tokensOut(self) -> Long:
        return Long(self.totals.tokens_out)

    @strawberry.field(
        description="The upstream's `totalLlmTokensIn`; its meaning is open in the contract, as `llmTokensIn`'s."
    )
    def policyTokensIn(self) -> Long:
        return Long(self.totals.policy_tokens_in)

    @strawberry.field(
        description="The upstream's `totalLlmTokensOut`; its meaning is open in the contract, as `llmTokensOut`'s."
    )
    def policyTokensOut(self) -> Long:
        return Long(self.totals.policy_tokens_out)

    @strawberry.field(description="Policy violations (`totalPolicyViolations`).")
    def violations(self) -> Long:
        return Long(self.totals.violations)

    @strawberry.field(description="Alerts (`totalAlerts`).")
    def alerts(self) -> Long:
        return Long(self.totals.alerts)

    @strawberry.field(description="Blocks (`totalBlocks`).")
    def blocks(self) -> Long:
        return Long(self.totals.blocks)

    @strawberry.field(description=RAW)
    def raw(self) -> JSON:
        return JSON(self.totals.raw)


@strawberry.type(description="Credits of one month, or of all months of the histogram.")
class CreditMonth:
    row: strawberry.Private[legacy_payloads.CreditMonth]

    @strawberry.field(description="First instant of the month (UTC); null on the totals.")
    def month(self) -> datetime.datetime | None:
        return self.row.month

    @strawberry.field(description="Credits consumed.")
    def consumption(self) -> Long:
        return Long(self.row.consumption)

    @strawberry.field(description="Credits purchased.")
    def purchases(self) -> Long:
        return Long(self.row.purchases)

    @strawberry.field(description="Credits granted.")
    def grants(self) -> Long:
        return Long(self.row.grants)

    @strawberry.field(
        description="The month's net change: grants + purchases - consumption. Not a carried balance; on the"
        " totals, the sum of the months' net changes."
    )
    def balance(self) -> Long:
        return Long(self.row.balance)

    @strawberry.field(description=RAW)
    def raw(self) -> JSON:
        return JSON(self.row.raw)


@strawberry.type(description="The monthly credit histogram, oldest month first, and its totals.")
class CreditHistogram:
    histogram: strawberry.Private[legacy_payloads.CreditHistogram]

    @strawberry.field(description="One row per month, the current month last.")
    def months(self) -> list[CreditMonth]:
        return [CreditMonth(row=row) for row in self.histogram.months]

    @strawberry.field(description="The sums over the months, balance included.")
    def totals(self) -> CreditMonth:
        return CreditMonth(row=self.histogram.totals)


def _context(info: Info) -> RequestContext:
    context: RequestContext = info.context
    return context


@strawberry.input(
    description="Filters of `/aistats/*`: repos, AI configurations and API keys combine with OR; the others"
    " with AND; values within one list with OR."
)
class AiRecordWhere:
    repoIds: Ids = strawberry.field(default=None, description="These repos (OR with aiLlmIds, apiKeyIds).")
    aiLlmIds: Ids = strawberry.field(default=None, description="These AI configurations.")
    apiKeyIds: Ids = strawberry.field(default=None, description="These repo API keys (`repoAiApiKeyId`).")
    hosts: list[str] | None = strawberry.field(default=None, description="These bridge nodes.")
    providers: list[str] | None = strawberry.field(
        default=None, description="These LLM providers (`llmType`)."
    )
    models: list[str] | None = strawberry.field(default=None, description="These models (`llmModel`).")
    userIds: Ids = strawberry.field(default=None, description="These users (`userUuid`).")
    conversationIds: Ids = strawberry.field(
        default=None, description="These conversations (`conversationUuid`)."
    )

    def to_filter(self) -> requests.AiRecordFilter:
        return requests.AiRecordFilter(
            repo_ids=self.repoIds,
            ai_config_ids=self.aiLlmIds,
            api_key_ids=self.apiKeyIds,
            hosts=self.hosts,
            providers=self.providers,
            models=self.models,
            user_ids=self.userIds,
            conversation_ids=self.conversationIds,
        )


@strawberry.type(
    description="The older statistics endpoints (`/stats/*`, `/aistats/*`, `/ai/llm/stats`,"
    " `/credits/stats/monthly`), with V2 field names. Each field is one upstream call."
)
class Legacy:
    @strawberry.field(
        description="Storage traffic per day (`/stats/daily`) or 5-minute slot (`/stats/minute`)."
    )
    async def storage(
        self,
        info: Info,
        resolution: Annotated[Resolution, RESOLUTION] = Resolution.DAILY,
        startDate: Annotated[datetime.datetime | None, START] = None,
        endDate: Annotated[datetime.datetime | None, END] = None,
        repoIds: Annotated[Ids, strawberry.argument(description="Only these repos.")] = None,
        bucketIds: Annotated[Ids, strawberry.argument(description="Only these buckets.")] = None,
        hosts: Annotated[
            list[str] | None, strawberry.argument(description="Only these bridge nodes.")
        ] = None,
    ) -> list[LegacyStorageRecord] | None:
        daily = resolution is Resolution.DAILY
        dates = requests.DateRange(startDate, endDate)
        records = await legacy_fields.storage_records(_context(info), daily, dates, repoIds, bucketIds, hosts)
        return [LegacyStorageRecord(record=r) for r in records]

    @strawberry.field(
        description="AI traffic per day (`/aistats/daily`) or 5-minute slot (`/aistats/minute`)."
    )
    async def ai(
        self,
        info: Info,
        resolution: Annotated[Resolution, RESOLUTION] = Resolution.DAILY,
        startDate: Annotated[datetime.datetime | None, START] = None,
        endDate: Annotated[datetime.datetime | None, END] = None,
        where: Annotated[
            AiRecordWhere | None, strawberry.argument(description="Which records; all when left out.")
        ] = None,
    ) -> list[LegacyAiRecord] | None:
        daily = resolution is Resolution.DAILY
        dates = requests.DateRange(startDate, endDate)
        records = await legacy_fields.ai_records(
            _context(info), daily, dates, (where or AiRecordWhere()).to_filter()
        )
        return [LegacyAiRecord(record=r) for r in records]

    @strawberry.field(description="Totals per AI configuration (`/ai/llm/stats`).")
    async def aiConfigTotals(
        self,
        info: Info,
        aiLlmId: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this AI configuration.")
        ] = None,
    ) -> list[LegacyAiConfigTotals] | None:
        totals = await legacy_fields.ai_config_totals(_context(info), aiLlmId)
        return [LegacyAiConfigTotals(totals=t) for t in totals]

    @strawberry.field(
        description="Monthly credit histogram (`/credits/stats/monthly`; whole-organization tokens)."
    )
    async def creditsMonthly(
        self,
        info: Info,
        months: Annotated[
            int | None,
            strawberry.argument(description="Months to cover, 1 to 24, the current one last (default 12)."),
        ] = None,
    ) -> CreditHistogram | None:
        return CreditHistogram(histogram=await legacy_fields.credit_histogram(_context(info), months))
