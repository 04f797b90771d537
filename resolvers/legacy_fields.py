"""Field resolution for the older endpoints: a request from the request layer, then one load."""

from __future__ import annotations

from collections.abc import Sequence

from resolvers import requests
from resolvers.context import RequestContext
from resolvers.legacy_payloads import (
    AiConfigTotals,
    AiRecord,
    CreditHistogram,
    StorageRecord,
    parse_ai_config_totals,
    parse_ai_records,
    parse_credit_histogram,
    parse_storage_records,
)
from resolvers.requests import AiRecordFilter, DateRange


async def storage_records(
    context: RequestContext,
    daily: bool,
    dates: DateRange,
    repo_ids: Sequence[str] | None,
    bucket_ids: Sequence[str] | None,
    hosts: Sequence[str] | None,
) -> list[StorageRecord]:
    request = requests.storage_records(daily, dates, repo_ids, bucket_ids, hosts)
    records: list[StorageRecord] = await context.require_loaders().upstream.load(
        request, parse_storage_records
    )
    return records


async def ai_records(
    context: RequestContext, daily: bool, dates: DateRange, where: AiRecordFilter
) -> list[AiRecord]:
    request = requests.ai_records(daily, dates, where)
    records: list[AiRecord] = await context.require_loaders().upstream.load(request, parse_ai_records)
    return records


async def ai_config_totals(context: RequestContext, ai_config_id: str | None) -> list[AiConfigTotals]:
    request = requests.ai_config_totals(ai_config_id)
    totals: list[AiConfigTotals] = await context.require_loaders().upstream.load(
        request, parse_ai_config_totals
    )
    return totals


async def credit_histogram(context: RequestContext, months: int | None) -> CreditHistogram:
    request = requests.credit_histogram(months)
    histogram: CreditHistogram = await context.require_loaders().upstream.load(
        request, parse_credit_histogram
    )
    return histogram
