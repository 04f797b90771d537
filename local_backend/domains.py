"""What each V2 domain measures, which filters it takes and how it breaks down.

One table per domain drives the SQL, the filter checks and the response shapes, so the 13
endpoints cannot drift apart in how they aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    sql: str
    additive: bool = True
    is_float: bool = False
    rollup_sql: str | None = None  # the same metric over a daily roll-up, where it differs


DISTINCT_CONVERSATIONS = "COUNT(DISTINCT conversation_id)"


@dataclass(frozen=True, slots=True)
class Dimension:
    by: str
    column: str


@dataclass(frozen=True, slots=True)
class Filter:
    param: str
    column: str
    kind: str  # entity kind the value names
    filter_type: str  # meta.resourceFilter.type


FILTERS: dict[str, Filter] = {
    f.param: f
    for f in (
        Filter("apiKeyId", "api_key_id", "api_key", "apiKey"),
        Filter("bucketId", "bucket_id", "bucket", "bucket"),
        Filter("model", "model", "model", "model"),
        Filter("userId", "user_id", "user", "user"),
        Filter("ruleId", "rule_id", "rule", "rule"),
        Filter("aiLlmId", "ai_config_id", "ai_config", "aiLlm"),
    )
}


def _weighted_latency(latency: str = "latency_sum_ms", requests: str = "requests") -> str:
    return f"ROUND(COALESCE(CAST(SUM({latency}) AS REAL) / NULLIF(SUM({requests}), 0), 0.0), 3)"


@dataclass(frozen=True, slots=True)
class Domain:
    name: str
    path: str
    table: str
    metrics: tuple[Metric, ...]
    filters: tuple[str, ...]
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    summary_sql: str = "SUM(requests)"
    summary_label: str = "requests"
    breakdown_metrics: tuple[str, ...] | None = None  # None: the same as the time series
    credits: bool = False

    def totals_metrics(self) -> tuple[Metric, ...]:
        if self.breakdown_metrics is None:
            return self.metrics
        return tuple(m for m in self.metrics if m.name in self.breakdown_metrics)


_STORAGE_METRICS = (
    Metric("uplBytes", "SUM(upl_bytes)"),
    Metric("dwlBytes", "SUM(dwl_bytes)"),
    Metric("sizeChange", "SUM(size_change)"),
    Metric("latencyMs", _weighted_latency(), additive=False, is_float=True),
    Metric("requests", "SUM(requests)"),
)
_AI_METRICS = (
    Metric("tokensIn", "SUM(tokens_in)"),
    Metric("tokensOut", "SUM(tokens_out)"),
    Metric("policyTokensIn", "SUM(policy_tokens_in)"),
    Metric("policyTokensOut", "SUM(policy_tokens_out)"),
    Metric("requests", "SUM(requests)"),
    Metric("activeConversations", DISTINCT_CONVERSATIONS, additive=False, rollup_sql="SUM(conversations)"),
    Metric("latencyMs", _weighted_latency(), additive=False, is_float=True),
)
_CHAT_METRICS = (
    Metric("tokensIn", "SUM(tokens_in)"),
    Metric("tokensOut", "SUM(tokens_out)"),
    Metric("requests", "SUM(requests)"),
)
_POLICY_ENFORCEMENT = (
    Metric("violations", "SUM(violations)"),
    Metric("alerts", "SUM(alerts)"),
    Metric("blocks", "SUM(blocks)"),
    Metric("severityLow", "SUM(severity_low)"),
    Metric("severityMedium", "SUM(severity_medium)"),
    Metric("severityHigh", "SUM(severity_high)"),
)
_POLICY_TOKENS = (
    Metric("policyTokensIn", "SUM(policy_tokens_in)"),
    Metric("policyTokensOut", "SUM(policy_tokens_out)"),
)
_CREDIT_METRICS = (
    Metric("creditsAi", "SUM(credits_ai)"),
    Metric("creditsStorage", "SUM(credits_storage)"),
    Metric("creditsTotal", "SUM(credits_ai + credits_storage)"),
    Metric("creditsPurchased", "SUM(credits_purchased)"),
    Metric("creditsGranted", "SUM(credits_granted)"),
)

STORAGE = Domain(
    "storage",
    "/v2/stats/storage",
    "storage_facts",
    _STORAGE_METRICS,
    ("bucketId", "apiKeyId"),
    {
        d.by: d
        for d in (
            Dimension("workspaces", "workspace_id"),
            Dimension("repos", "repo_id"),
            Dimension("buckets", "bucket_id"),
            Dimension("nodes", "node_id"),
            Dimension("providers", "provider_id"),
        )
    },
)
AI = Domain(
    "ai",
    "/v2/stats/ai",
    "ai_facts",
    _AI_METRICS,
    ("model", "apiKeyId", "aiLlmId"),
    {
        d.by: d
        for d in (
            Dimension("workspaces", "workspace_id"),
            Dimension("repos", "repo_id"),
            Dimension("models", "model"),
            Dimension("providers", "llm_type"),
            Dimension("nodes", "node_id"),
            Dimension("aiConfigs", "ai_config_id"),
        )
    },
)
PRIVATE_CHAT = Domain(
    "private-chat",
    "/v2/stats/private-chat",
    "chat_facts",
    _CHAT_METRICS,
    ("model", "userId", "apiKeyId", "aiLlmId"),
    {d.by: d for d in (Dimension("models", "model"), Dimension("users", "user_id"))},
)
POLICIES = Domain(
    "policies",
    "/v2/stats/policies",
    "policy_facts",
    _POLICY_ENFORCEMENT + _POLICY_TOKENS,
    ("ruleId", "apiKeyId", "userId"),
    {d.by: d for d in (Dimension("rules", "rule_id"), Dimension("users", "user_id"))},
    summary_sql="SUM(violations)",
    summary_label="violations",
    breakdown_metrics=tuple(m.name for m in _POLICY_ENFORCEMENT),
)
POLICY_TOKENS = Domain(
    "policy-tokens",
    "/v2/stats/policies/tokens",
    "policy_facts",
    _POLICY_TOKENS,
    (),
    summary_sql="SUM(policy_tokens_in + policy_tokens_out)",
    summary_label="policyTokensIn + policyTokensOut",
)
CREDITS = Domain(
    "credits",
    "/v2/stats/credits",
    "credit_facts",
    _CREDIT_METRICS,
    ("apiKeyId", "aiLlmId"),
    {
        d.by: d
        for d in (
            Dimension("workspaces", "workspace_id"),
            Dimension("repos", "repo_id"),
            Dimension("models", "model"),
            Dimension("providers", "provider"),
            Dimension("buckets", "bucket_id"),
        )
    },
    summary_sql="SUM(credits_ai + credits_storage)",
    summary_label="creditsTotal",
    credits=True,
)

DOMAINS: tuple[Domain, ...] = (STORAGE, AI, PRIVATE_CHAT, POLICIES, POLICY_TOKENS, CREDITS)
