"""The metrics of each domain in their three shapes: totals, a point (totals plus ``ts``) and
columns (one list per metric), plus an enum naming them for ``summary(metric:)``.

Field names are the upstream's camelCase names (docs/upstream-contract.md §2.7); the descriptions live once,
in ``DOCS``, and every shape reads them from there.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from gql.schema.scalars import EpochSeconds, FloatList, Long, LongList

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


def metric(name: str) -> Any:  # pragma: no mutate block (import time)
    return strawberry.field(description=DOCS[name])


def column(name: str) -> Any:  # pragma: no mutate block (import time)
    return strawberry.field(description=DOCS[name] + " One value per bucket.")


def value(wire: str) -> Any:  # pragma: no mutate block (import time)
    return strawberry.enum_value(wire, description=DOCS[wire])


# -- storage ------------------------------------------------------------------------------------


@strawberry.type(description="Storage gateway metrics over a window or an entity.")
class StorageMetrics:
    uplBytes: Long = metric("uplBytes")
    dwlBytes: Long = metric("dwlBytes")
    sizeChange: Long = metric("sizeChange")
    latencyMs: float = metric("latencyMs")
    requests: Long = metric("requests")


@strawberry.type(description="Storage gateway metrics of one bucket of time.")
class StoragePoint(StorageMetrics):
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="A storage series in chart form: one list per metric.")
class StorageColumns:
    ts: LongList = column("ts")
    uplBytes: LongList = column("uplBytes")
    dwlBytes: LongList = column("dwlBytes")
    sizeChange: LongList = column("sizeChange")
    latencyMs: FloatList = column("latencyMs")
    requests: LongList = column("requests")


@strawberry.enum(description="A counted storage metric (latency has `latencySummary`).")
class StorageMetric(Enum):
    UPL_BYTES = value("uplBytes")
    DWL_BYTES = value("dwlBytes")
    SIZE_CHANGE = value("sizeChange")
    REQUESTS = value("requests")


# -- AI gateway ---------------------------------------------------------------------------------


@strawberry.type(description="AI gateway metrics over a window or an entity (private chat excluded).")
class AiMetrics:
    tokensIn: Long = metric("tokensIn")
    tokensOut: Long = metric("tokensOut")
    policyTokensIn: Long = metric("policyTokensIn")
    policyTokensOut: Long = metric("policyTokensOut")
    requests: Long = metric("requests")
    activeConversations: Long = metric("activeConversations")
    latencyMs: float = metric("latencyMs")


@strawberry.type(description="AI gateway metrics of one bucket of time.")
class AiPoint(AiMetrics):
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="An AI gateway series in chart form: one list per metric.")
class AiColumns:
    ts: LongList = column("ts")
    tokensIn: LongList = column("tokensIn")
    tokensOut: LongList = column("tokensOut")
    policyTokensIn: LongList = column("policyTokensIn")
    policyTokensOut: LongList = column("policyTokensOut")
    requests: LongList = column("requests")
    activeConversations: LongList = column("activeConversations")
    latencyMs: FloatList = column("latencyMs")


@strawberry.enum(description="A counted AI gateway metric (latency has `latencySummary`).")
class AiMetric(Enum):
    TOKENS_IN = value("tokensIn")
    TOKENS_OUT = value("tokensOut")
    POLICY_TOKENS_IN = value("policyTokensIn")
    POLICY_TOKENS_OUT = value("policyTokensOut")
    REQUESTS = value("requests")
    ACTIVE_CONVERSATIONS = value("activeConversations")


# -- private chat -------------------------------------------------------------------------------


@strawberry.type(description="Private-chat metrics over a window or an entity.")
class PrivateChatMetrics:
    tokensIn: Long = metric("tokensIn")
    tokensOut: Long = metric("tokensOut")
    requests: Long = metric("requests")


@strawberry.type(description="Private-chat metrics of one user over the window.")
class PrivateChatUserTotals(PrivateChatMetrics):
    conversationsCount: Long = metric("conversationsCount")
    lastActiveAt: EpochSeconds | None = strawberry.field(description=DOCS["lastActiveAt"], default=None)


@strawberry.type(description="Private-chat metrics of one bucket of time.")
class PrivateChatPoint(PrivateChatMetrics):
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="A private-chat series in chart form: one list per metric.")
class PrivateChatColumns:
    ts: LongList = column("ts")
    tokensIn: LongList = column("tokensIn")
    tokensOut: LongList = column("tokensOut")
    requests: LongList = column("requests")


@strawberry.enum(description="A private-chat metric.")
class PrivateChatMetric(Enum):
    TOKENS_IN = value("tokensIn")
    TOKENS_OUT = value("tokensOut")
    REQUESTS = value("requests")


# -- policies -----------------------------------------------------------------------------------


@strawberry.type(description="Policy enforcement metrics over a window or an entity.")
class PolicyEnforcementMetrics:
    violations: Long = metric("violations")
    alerts: Long = metric("alerts")
    blocks: Long = metric("blocks")
    severityLow: Long = metric("severityLow")
    severityMedium: Long = metric("severityMedium")
    severityHigh: Long = metric("severityHigh")


@strawberry.type(description="Policy enforcement metrics of one bucket of time.")
class PolicyEnforcementPoint(PolicyEnforcementMetrics):
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="A policy enforcement series in chart form: one list per metric.")
class PolicyEnforcementColumns:
    ts: LongList = column("ts")
    violations: LongList = column("violations")
    alerts: LongList = column("alerts")
    blocks: LongList = column("blocks")
    severityLow: LongList = column("severityLow")
    severityMedium: LongList = column("severityMedium")
    severityHigh: LongList = column("severityHigh")


@strawberry.enum(description="A policy enforcement metric.")
class PolicyEnforcementMetric(Enum):
    VIOLATIONS = value("violations")
    ALERTS = value("alerts")
    BLOCKS = value("blocks")
    SEVERITY_LOW = value("severityLow")
    SEVERITY_MEDIUM = value("severityMedium")
    SEVERITY_HIGH = value("severityHigh")


@strawberry.type(description="Policy metrics of one bucket of time: enforcement plus evaluation tokens.")
class PolicyPoint(PolicyEnforcementPoint):
    policyTokensIn: Long = metric("policyTokensIn")
    policyTokensOut: Long = metric("policyTokensOut")


@strawberry.type(description="A policy series in chart form: one list per metric.")
class PolicyColumns(PolicyEnforcementColumns):
    policyTokensIn: LongList = column("policyTokensIn")
    policyTokensOut: LongList = column("policyTokensOut")


@strawberry.enum(description="A policy metric.")
class PolicyMetric(Enum):
    VIOLATIONS = value("violations")
    ALERTS = value("alerts")
    BLOCKS = value("blocks")
    SEVERITY_LOW = value("severityLow")
    SEVERITY_MEDIUM = value("severityMedium")
    SEVERITY_HIGH = value("severityHigh")
    POLICY_TOKENS_IN = value("policyTokensIn")
    POLICY_TOKENS_OUT = value("policyTokensOut")


@strawberry.type(description="Policy-evaluation token overhead of one bucket of time.")
class PolicyTokenPoint:
    ts: EpochSeconds = metric("ts")
    policyTokensIn: Long = metric("policyTokensIn")
    policyTokensOut: Long = metric("policyTokensOut")


@strawberry.type(description="A policy token series in chart form: one list per metric.")
class PolicyTokenColumns:
    ts: LongList = column("ts")
    policyTokensIn: LongList = column("policyTokensIn")
    policyTokensOut: LongList = column("policyTokensOut")


@strawberry.enum(description="A policy token metric.")
class PolicyTokenMetric(Enum):
    POLICY_TOKENS_IN = value("policyTokensIn")
    POLICY_TOKENS_OUT = value("policyTokensOut")


# -- credits ------------------------------------------------------------------------------------


@strawberry.type(description="Credit metrics over a window or an entity.")
class CreditMetrics:
    creditsAi: Long = metric("creditsAi")
    creditsStorage: Long = metric("creditsStorage")
    creditsTotal: Long = metric("creditsTotal")
    creditsPurchased: Long = metric("creditsPurchased")
    creditsGranted: Long = metric("creditsGranted")


@strawberry.type(description="Credit metrics of one bucket of time.")
class CreditPoint(CreditMetrics):
    ts: EpochSeconds = metric("ts")


@strawberry.type(description="A credit series in chart form: one list per metric.")
class CreditColumns:
    ts: LongList = column("ts")
    creditsAi: LongList = column("creditsAi")
    creditsStorage: LongList = column("creditsStorage")
    creditsTotal: LongList = column("creditsTotal")
    creditsPurchased: LongList = column("creditsPurchased")
    creditsGranted: LongList = column("creditsGranted")


@strawberry.enum(description="A credit metric.")
class CreditMetric(Enum):
    CREDITS_AI = value("creditsAi")
    CREDITS_STORAGE = value("creditsStorage")
    CREDITS_TOTAL = value("creditsTotal")
    CREDITS_PURCHASED = value("creditsPurchased")
    CREDITS_GRANTED = value("creditsGranted")
