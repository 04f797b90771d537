"""The metrics of each domain in their three shapes: totals, a point (totals plus ``ts``) and
columns (one list per metric), plus an enum naming the counted ones for ``summary(metric:)``.

Which metrics a domain has, in which order, and which are fractional is ``resolvers.resources``'
table: the body parser, the summaries and these types all read it, so a metric added there is a
field of every shape here. Field names are the upstream's camelCase names
(docs/upstream-contract.md §2.7); the descriptions live once, in ``DOCS``, and every shape reads
them from there. The classes stay declared here, so that the schema's types can name them.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar, cast

import strawberry

from gql.schema.scalars import EpochSeconds, FloatList, Long, LongList
from resolvers import resources
from resolvers.comparison import DISTINCT_COUNTS
from resolvers.resources import Metric

DOCS = {
    "ts": "Start of the bucket, epoch seconds (UTC).",
    "uplBytes": "Bytes uploaded through the storage gateway.",
    "dwlBytes": "Bytes downloaded through the storage gateway.",
    "sizeChange": "Net change of stored bytes; negative when more was deleted than written.",
    "latencyMs": "Mean latency across bridge nodes in milliseconds, weighted by requests.",
    "requests": "Requests served (the V2 name for `apiCalls` and `count`).",
    "tokensIn": "Base-model tokens sent to the LLM.",
    "tokensOut": "Base-model tokens received from the LLM.",
    "policyTokensIn": "Tokens sent to the policy-evaluation LLMs.",
    "policyTokensOut": "Tokens received from the policy-evaluation LLMs.",
    "activeConversations": "Distinct conversations with AI traffic (not additive across buckets or entities).",
    "violations": "Policy violations: every time a rule fired.",
    "alerts": "Violations of rules whose action is Alert.",
    "blocks": "Violations of rules whose action is Block.",
    "severityLow": "Violations of LOW-risk rules.",
    "severityMedium": "Violations of MEDIUM-risk rules.",
    "severityHigh": "Violations of HIGH-risk rules.",
    "creditsAi": "Credits consumed by AI traffic (gateway and private chat).",
    "creditsStorage": "Credits consumed by storage traffic.",
    "creditsTotal": "Credits consumed in all: creditsAi + creditsStorage.",
    "creditsPurchased": "Credits purchased (organization-wide; 0 under a filter or below org scope).",
    "creditsGranted": "Credits granted (organization-wide; 0 under a filter or below org scope).",
    "conversationsCount": "Distinct private-chat conversations of the user in the window.",
    "lastActiveAt": "Start of the user's last active 5-minute slot (hourly beyond 8 days); null if unknown.",
}


T = TypeVar("T")


def metric(name: str) -> Any:  # pragma: no mutate block (import time)
    return strawberry.field(description=DOCS[name])


def column(name: str) -> Any:  # pragma: no mutate block (import time)
    return strawberry.field(description=DOCS[name] + " One value per bucket.")


def metric_fields(
    metrics: tuple[Metric, ...],
    long: Any,
    fractional: Any,
    field: Callable[[str], Any],
    nullable: frozenset[str] = frozenset(),
) -> Callable[[type[T]], type[T]]:  # pragma: no mutate block (import time)
    """Give a class one field per metric, in the table's order, before Strawberry reads it; those
    named in ``nullable`` may be null."""

    def fill(cls: type[T]) -> type[T]:
        annotations = dict(inspect.get_annotations(cls))
        for each in metrics:
            kind = fractional if each.fractional else long
            annotations[each.name] = kind | None if each.name in nullable else kind
            setattr(cls, each.name, field(each.name))
        cls.__annotations__ = annotations
        return cls

    return fill


def totals(metrics: tuple[Metric, ...]) -> Callable[[type[T]], type[T]]:  # pragma: no mutate block
    """The metrics as values: a ``Long`` each, a ``Float`` for a fractional one."""
    return metric_fields(metrics, Long, float, metric)


def chart_form(metrics: tuple[Metric, ...]) -> Callable[[type[T]], type[T]]:  # pragma: no mutate block
    """The metrics as columns: one list per metric, one value per bucket."""
    return metric_fields(metrics, LongList, FloatList, column)


def counted(
    name: str, description: str, metrics: tuple[Metric, ...]
) -> type[Enum]:  # pragma: no mutate block
    """The enum of the counted metrics (not the fractional ones, which have their own summary)."""
    members = [
        (
            re.sub(r"(?<!^)(?=[A-Z])", "_", each.name).upper(),
            strawberry.enum_value(each.name, description=DOCS[each.name]),
        )
        for each in metrics
        if not each.fractional
    ]
    return strawberry.enum(cast(type[Enum], Enum(name, members)), description=description)


# -- storage ------------------------------------------------------------------------------------


@strawberry.type(description="Storage gateway metrics over a window or an entity.")
@totals(resources.STORAGE_METRICS)
class StorageMetrics:
    pass


@strawberry.type(description="Storage gateway metrics of one bucket of time.")
class StoragePoint(StorageMetrics):
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="A storage series in chart form: one list per metric.")
@chart_form(resources.STORAGE_METRICS)
class StorageColumns:
    ts: LongList = column("ts")


# -- AI gateway ---------------------------------------------------------------------------------


@strawberry.type(description="AI gateway metrics over a window or an entity (private chat excluded).")
@totals(resources.AI_METRICS)
class AiMetrics:
    pass


BUILT_BUCKETS = (
    " Null in calendar buckets the gateway builds (timeZone, WEEK_1): a distinct count per bucket does"
    " not add up to a longer one."
)


def _point_metric(name: str) -> Any:  # pragma: no mutate block (import time)
    return strawberry.field(description=DOCS[name] + (BUILT_BUCKETS if name in DISTINCT_COUNTS else ""))


def _column_metric(name: str) -> Any:  # pragma: no mutate block (import time)
    about = DOCS[name] + " One value per bucket." + (BUILT_BUCKETS if name in DISTINCT_COUNTS else "")
    return strawberry.field(description=about)


@strawberry.type(description="AI gateway metrics of one bucket of time.")
@metric_fields(resources.AI_METRICS, Long, float, _point_metric, DISTINCT_COUNTS)
class AiPoint:
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="An AI gateway series in chart form: one list per metric.")
@metric_fields(resources.AI_METRICS, LongList, FloatList, _column_metric, DISTINCT_COUNTS)
class AiColumns:
    ts: LongList = column("ts")


# -- private chat -------------------------------------------------------------------------------


@strawberry.type(description="Private-chat metrics over a window or an entity.")
@totals(resources.PRIVATE_CHAT_METRICS)
class PrivateChatMetrics:
    pass


@strawberry.type(description="Private-chat metrics of one user over the window.")
class PrivateChatUserTotals(PrivateChatMetrics):
    conversationsCount: Long = metric("conversationsCount")  # resolvers.dimensions.USER_TOTALS
    lastActiveAt: EpochSeconds | None = strawberry.field(description=DOCS["lastActiveAt"], default=None)


@strawberry.type(description="Private-chat metrics of one bucket of time.")
class PrivateChatPoint(PrivateChatMetrics):
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="A private-chat series in chart form: one list per metric.")
@chart_form(resources.PRIVATE_CHAT_METRICS)
class PrivateChatColumns:
    ts: LongList = column("ts")


# -- policies -----------------------------------------------------------------------------------


@strawberry.type(description="Policy enforcement metrics over a window or an entity.")
@totals(resources.POLICY_ENFORCEMENT_METRICS)
class PolicyEnforcementMetrics:
    pass


@strawberry.type(description="Policy enforcement metrics of one bucket of time.")
class PolicyEnforcementPoint(PolicyEnforcementMetrics):
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="A policy enforcement series in chart form: one list per metric.")
@chart_form(resources.POLICY_ENFORCEMENT_METRICS)
class PolicyEnforcementColumns:
    ts: LongList = column("ts")


@strawberry.type(description="Policy metrics of one bucket of time: enforcement plus evaluation tokens.")
@totals(resources.POLICY_TOKEN_METRICS)
class PolicyPoint(PolicyEnforcementPoint):
    pass


@strawberry.type(description="A policy series in chart form: one list per metric.")
@chart_form(resources.POLICY_TOKEN_METRICS)
class PolicyColumns(PolicyEnforcementColumns):
    pass


@strawberry.type(description="Policy-evaluation token overhead of one bucket of time.")
@totals(resources.POLICY_TOKEN_METRICS)
class PolicyTokenPoint:
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="A policy token series in chart form: one list per metric.")
@chart_form(resources.POLICY_TOKEN_METRICS)
class PolicyTokenColumns:
    ts: LongList = column("ts")


# -- credits ------------------------------------------------------------------------------------


@strawberry.type(description="Credit metrics over a window or an entity.")
@totals(resources.CREDIT_METRICS)
class CreditMetrics:
    pass


@strawberry.type(description="Credit metrics of one bucket of time.")
class CreditPoint(CreditMetrics):
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="A credit series in chart form: one list per metric.")
@chart_form(resources.CREDIT_METRICS)
class CreditColumns:
    ts: LongList = column("ts")


# -- the counted metrics of each domain, for summary(metric:) and orderBy ----------------------

if TYPE_CHECKING:
    StorageMetric = Enum
    AiMetric = Enum
    PrivateChatMetric = Enum
    PolicyEnforcementMetric = Enum
    PolicyMetric = Enum
    PolicyTokenMetric = Enum
    CreditMetric = Enum
else:
    StorageMetric = counted(
        "StorageMetric", "A counted storage metric (latency has `latencySummary`).", resources.STORAGE_METRICS
    )
    AiMetric = counted(
        "AiMetric", "A counted AI gateway metric (latency has `latencySummary`).", resources.AI_METRICS
    )
    PrivateChatMetric = counted("PrivateChatMetric", "A private-chat metric.", resources.PRIVATE_CHAT_METRICS)
    PolicyEnforcementMetric = counted(
        "PolicyEnforcementMetric", "A policy enforcement metric.", resources.POLICY_ENFORCEMENT_METRICS
    )
    PolicyMetric = counted("PolicyMetric", "A policy metric.", resources.POLICY_METRICS)
    PolicyTokenMetric = counted("PolicyTokenMetric", "A policy token metric.", resources.POLICY_TOKEN_METRICS)
    CreditMetric = counted("CreditMetric", "A credit metric.", resources.CREDIT_METRICS)
