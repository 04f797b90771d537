"""Field resolution for the older endpoints, with their own query-string habits (CONTRACT.md §1.4b):
dates as ``toISOString()`` instants, lists comma-joined, and always a ``?``."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from resolvers import resources
from resolvers.context import RequestContext
from resolvers.errors import bad_input
from resolvers.loaders import normalise
from resolvers.payloads import (
    AiConfigTotals,
    AiRecord,
    CreditHistogram,
    StorageRecord,
    parse_ai_config_totals,
    parse_ai_records,
    parse_credit_histogram,
    parse_storage_records,
)
from resolvers.upstream import join_list


def iso_instant(value: datetime.datetime | None) -> str | None:
    """``Date.toISOString()``: UTC with milliseconds; a time without zone is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    utc = value.astimezone(datetime.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class DateRange:
    start: datetime.datetime | None
    end: datetime.datetime | None

    def params(self) -> dict[str, str | None]:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise bad_input("startDate is after endDate; swap them.")
        return {"startDate": iso_instant(self.start), "endDate": iso_instant(self.end)}


async def storage_records(
    context: RequestContext,
    daily: bool,
    dates: DateRange,
    repo_ids: Sequence[str] | None,
    bucket_ids: Sequence[str] | None,
    hosts: Sequence[str] | None,
) -> list[StorageRecord]:
    params = normalise(
        {
            **dates.params(),
            "repoId": join_list(repo_ids),
            "bucketId": join_list(bucket_ids),
            "hosts": join_list(hosts),
        }
    )
    path = "/stats/daily" if daily else "/stats/minute"
    records: list[StorageRecord] = await context.upstream().load(path, params, parse_storage_records)
    return records


@dataclass(frozen=True, slots=True)
class AiRecordFilter:
    repo_ids: Sequence[str] | None = None
    ai_config_ids: Sequence[str] | None = None
    api_key_ids: Sequence[str] | None = None
    hosts: Sequence[str] | None = None
    providers: Sequence[str] | None = None
    models: Sequence[str] | None = None
    user_ids: Sequence[str] | None = None
    conversation_ids: Sequence[str] | None = None

    def params(self) -> dict[str, str | None]:
        return {
            "repoId": join_list(self.repo_ids),
            "aiLlmId": join_list(self.ai_config_ids),
            "repoAiApiKeyId": join_list(self.api_key_ids),
            "hosts": join_list(self.hosts),
            "llmType": join_list(self.providers),
            "llmModel": join_list(self.models),
            "userUuid": join_list(self.user_ids),
            "conversationUuid": join_list(self.conversation_ids),
        }


async def ai_records(
    context: RequestContext, daily: bool, dates: DateRange, where: AiRecordFilter
) -> list[AiRecord]:
    params = normalise({**dates.params(), **where.params()})
    path = "/aistats/daily" if daily else "/aistats/minute"
    records: list[AiRecord] = await context.upstream().load(path, params, parse_ai_records)
    return records


async def ai_config_totals(context: RequestContext, ai_config_id: str | None) -> list[AiConfigTotals]:
    params = normalise({"aiLlmId": ai_config_id})
    totals: list[AiConfigTotals] = await context.upstream().load(
        "/ai/llm/stats", params, parse_ai_config_totals
    )
    return totals


async def credit_histogram(context: RequestContext, months: int | None) -> CreditHistogram:
    if months is not None and not 1 <= months <= resources.MONTHS_MAX:
        raise bad_input(f"months must be between 1 and {resources.MONTHS_MAX}; got {months}.")
    params = normalise({"months": None if months is None else str(months)})
    histogram: CreditHistogram = await context.upstream().load(
        "/credits/stats/monthly", params, parse_credit_histogram
    )
    return histogram
