"""The upstream's REST resources as the gateway needs to know them.

One table says, for every V2 path, which metrics its series and totals carry (and which of them
are fractional), so the body parser, the row and column forms and the gateway's own summaries all
agree with the contract (CONTRACT.md §2.7) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    fractional: bool = False


def _longs(*names: str) -> tuple[Metric, ...]:
    return tuple(Metric(name) for name in names)


LATENCY = Metric("latencyMs", fractional=True)
STORAGE_METRICS = (*_longs("uplBytes", "dwlBytes", "sizeChange"), LATENCY, Metric("requests"))
AI_METRICS = (
    *_longs("tokensIn", "tokensOut", "policyTokensIn", "policyTokensOut", "requests", "activeConversations"),
    LATENCY,
)
PRIVATE_CHAT_METRICS = _longs("tokensIn", "tokensOut", "requests")
POLICY_ENFORCEMENT_METRICS = _longs(
    "violations", "alerts", "blocks", "severityLow", "severityMedium", "severityHigh"
)
POLICY_TOKEN_METRICS = _longs("policyTokensIn", "policyTokensOut")
POLICY_METRICS = POLICY_ENFORCEMENT_METRICS + POLICY_TOKEN_METRICS
CREDIT_METRICS = _longs("creditsAi", "creditsStorage", "creditsTotal", "creditsPurchased", "creditsGranted")


@dataclass(frozen=True, slots=True)
class Domain:
    """A V2 domain: its time-series path, the metrics there and in its breakdowns, its filters."""

    name: str
    path: str
    metrics: tuple[Metric, ...]
    filters: tuple[str, ...]
    breakdown_metrics: tuple[Metric, ...] | None = None
    summary_metric: str = "requests"  # the metric the upstream's ``summary`` covers (docs/backend.md)

    @property
    def entity_metrics(self) -> tuple[Metric, ...]:
        return self.metrics if self.breakdown_metrics is None else self.breakdown_metrics

    def breakdown_path(self, by: str) -> str:
        return f"{self.path}/breakdown/{by}"


STORAGE = Domain("storage", "/v2/stats/storage", STORAGE_METRICS, ("bucketId", "apiKeyId"))
AI = Domain("ai", "/v2/stats/ai", AI_METRICS, ("model", "apiKeyId", "aiLlmId"))
PRIVATE_CHAT = Domain(
    "privateChat", "/v2/stats/private-chat", PRIVATE_CHAT_METRICS, ("model", "userId", "apiKeyId", "aiLlmId")
)
POLICIES = Domain(
    "policies",
    "/v2/stats/policies",
    POLICY_METRICS,
    ("ruleId", "apiKeyId", "userId"),
    breakdown_metrics=POLICY_ENFORCEMENT_METRICS,
    summary_metric="violations",
)
POLICY_TOKENS = Domain("policyTokens", "/v2/stats/policies/tokens", POLICY_TOKEN_METRICS, ())
CREDITS = Domain(
    "credits", "/v2/stats/credits", CREDIT_METRICS, ("apiKeyId", "aiLlmId"), summary_metric="creditsTotal"
)

DOMAINS = (STORAGE, AI, PRIVATE_CHAT, POLICIES, POLICY_TOKENS, CREDITS)

# Wire values of the shared enumerations (CONTRACT.md §2.1) and the bucket rule the upstream
# applies: a window may hold at most MAX_POINTS buckets of the requested size.
WINDOW_SECONDS = {
    "24h": 86_400,
    "7d": 7 * 86_400,
    "30d": 30 * 86_400,
    "90d": 90 * 86_400,
    "180d": 180 * 86_400,
    "365d": 365 * 86_400,
}
BUCKET_SECONDS = {"5m": 300, "10m": 600, "1h": 3_600, "6h": 21_600, "12h": 43_200, "1d": 86_400}
MAX_POINTS = 2_160
LIMIT_MAX = 500
OFFSET_MAX = 100_000
LIMIT_DEFAULT = 50
MONTHS_MAX = 24


def bucket_sizes_for(window: str) -> list[str]:
    """The bucket sizes a window accepts, finest first."""
    return [
        size for size, seconds in BUCKET_SECONDS.items() if WINDOW_SECONDS[window] // seconds <= MAX_POINTS
    ]
