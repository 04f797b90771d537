"""The upstream's REST resources as the gateway needs to know them.

One table says, for every V2 path, which metrics its series and totals carry (and which of them
are fractional), so the body parser, the row and column forms and the gateway's own summaries all
agree with the contract (docs/upstream-contract.md §2.7) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    fractional: bool = False


def _longs(
    *names: str,
) -> tuple[Metric, ...]:  # pragma: no mutate block (import time)
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
    # The metrics the upstream's ``summary`` covers, summed bucket by bucket (docs/backend.md).
    summary_metrics: tuple[str, ...] = ("requests",)

    @property
    def summary_metric(self) -> str:
        """The one metric of a domain with breakdowns, which rank their entities by it."""
        (metric,) = self.summary_metrics
        return metric

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
    summary_metrics=("violations",),
)
POLICY_TOKENS = Domain(
    "policyTokens",
    "/v2/stats/policies/tokens",
    POLICY_TOKEN_METRICS,
    (),
    summary_metrics=("policyTokensIn", "policyTokensOut"),
)
CREDITS = Domain(
    "credits", "/v2/stats/credits", CREDIT_METRICS, ("apiKeyId", "aiLlmId"), summary_metrics=("creditsTotal",)
)

DOMAINS = (STORAGE, AI, PRIVATE_CHAT, POLICIES, POLICY_TOKENS, CREDITS)


def domain(name: str) -> Domain:
    return next(d for d in DOMAINS if d.name == name)


@dataclass(frozen=True, slots=True)
class Span:
    """A window or a bucket size: the upstream's value, its GraphQL name, its length, what it is."""

    wire: str
    name: str
    seconds: int
    about: str


def _by_wire(
    *spans: Span,
) -> dict[str, Span]:  # pragma: no mutate block (import time)
    return {span.wire: span for span in spans}


# The shared enumerations (docs/upstream-contract.md §2.1), and the bucket rule the upstream
# applies: a window may hold at most MAX_POINTS buckets of the requested size.
SCOPES = ("org", "workspace", "repo")
WINDOWS = _by_wire(
    Span("24h", "LAST_24H", 86_400, "The last 24 hours (10-minute buckets by default)."),
    Span("7d", "LAST_7D", 7 * 86_400, "The last 7 days (hourly buckets by default)."),
    Span("30d", "LAST_30D", 30 * 86_400, "The last 30 days (daily buckets by default)."),
    Span("90d", "LAST_90D", 90 * 86_400, "The last 90 days (daily buckets by default)."),
    Span("180d", "LAST_180D", 180 * 86_400, "The last 180 days (daily buckets by default)."),
    Span("365d", "LAST_365D", 365 * 86_400, "The last 365 days (daily buckets by default)."),
)
BUCKET_SIZES = _by_wire(
    Span("5m", "MIN_5", 300, "5 minutes."),
    Span("10m", "MIN_10", 600, "10 minutes."),
    Span("1h", "HOUR_1", 3_600, "1 hour."),
    Span("6h", "HOUR_6", 21_600, "6 hours."),
    Span("12h", "HOUR_12", 43_200, "12 hours."),
    Span("1d", "DAY_1", 86_400, "1 day: a UTC day, or a calendar day in the stats field's timeZone."),
)
# A bucket size of the gateway's own, not the upstream's: built from finer buckets (resolvers.calendars).
WEEK = Span(
    "1w",
    "WEEK_1",
    7 * 86_400,
    "A calendar week, Monday first, in the stats field's timeZone (UTC without one): the window's days"
    " grouped by week, built by the gateway from finer buckets.",
)
# The bucket size the upstream uses when none is asked for (docs/backend.md).
DEFAULT_BUCKET_SIZES = {"24h": "10m", "7d": "1h", "30d": "1d", "90d": "1d", "180d": "1d", "365d": "1d"}
# The resource filters and the ``meta.resourceFilter.type`` the upstream echoes for each (§2.4).
FILTER_TYPES = {
    "apiKeyId": "apiKey",
    "bucketId": "bucket",
    "model": "model",
    "userId": "user",
    "ruleId": "rule",
    "aiLlmId": "aiLlm",
}
RESOURCE_FILTER_TYPES = (*FILTER_TYPES.values(), "node")
MAX_POINTS = 2_160
LIMIT_MAX = 500
OFFSET_MAX = 100_000
LIMIT_DEFAULT = 50
MONTHS_MAX = 24
# An id or filter value longer than this is refused before any call: the contract's ids are UUIDs
# (36 characters) and model names; a 200 KB id would otherwise become a 200 KB URL upstream.
ID_MAX_CHARS = 256
# The query string of one upstream call at its longest, list filters included: 8 KB is the
# request-line limit of common servers and proxies in front of an API.
QUERY_MAX_CHARS = 8_000


def points(window: str, bucket_size: str | None) -> int:
    """Buckets in a series of the window (the last one is the current bucket, still filling)."""
    size = BUCKET_SIZES[bucket_size or DEFAULT_BUCKET_SIZES[window]].seconds
    return -(-WINDOWS[window].seconds // size)


def most_points(window: str, bucket_size: str | None) -> int:
    """The longest series of the window an answer may carry: one bucket more than ``points``,
    since the contract leaves bucket alignment open (a window that starts inside a bucket may
    touch one more). A longer series is refused: the values estimate is bounded by this."""
    return points(window, bucket_size) + 1


def bucket_sizes_for(window: str) -> list[str]:
    """The bucket sizes a window accepts, finest first."""
    return [
        size for size, span in BUCKET_SIZES.items() if WINDOWS[window].seconds // span.seconds <= MAX_POINTS
    ]
