"""Prometheus metrics at ``/metrics``: requests, upstream calls, errors, refusals, the breaker, the
response cache and the document cache, for the platform team that scrapes the gateway.

Every label value comes from a closed set (outcomes, error codes, the contract's paths, breaker
states) except the operation name, which the client chooses. So that no client can grow the label
set without bound, a process labels at most ``OPERATION_NAMES`` names, those executed most often
(``OperationNames``), and counts every other as ``other``; ids and free text never become labels.

With ``--workers`` above 1 each worker writes its samples to ``PROMETHEUS_MULTIPROC_DIR`` (the
command makes a fresh one, ``multiprocess_directory``) and ``/metrics`` adds up every worker's.
prometheus-client picks that mode when it is first imported, so the variable is set before any
worker starts.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics import MetricWrapperBase
from starlette.requests import Request
from starlette.responses import Response

from gql.live.service import LiveCounters
from gql.pipeline.codes import LIMIT_CODES
from resolvers.breaker import State
from resolvers.client import CacheLookup, UpstreamCall

OPERATION_NAMES = 100
ANONYMOUS, OTHER = "anonymous", "other"

REQUESTS = Counter(
    "flashback_graphql_requests",
    "GraphQL requests by operation name and outcome (ok, partial: data with errors, refused).",
    ["operation", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "flashback_graphql_request_duration_seconds",
    "Time from a request's arrival to its answer, by outcome.",
    ["outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
UPSTREAM_CALLS = Counter(
    "flashback_upstream_requests",
    "Calls to the statistics API by endpoint path and HTTP status ('none' when no answer came).",
    ["endpoint", "status"],
)
UPSTREAM_SECONDS = Histogram(
    "flashback_upstream_request_duration_seconds",
    "Time of each call to the statistics API, retries included, by endpoint path.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ERRORS = Counter("flashback_graphql_errors", "GraphQL errors answered, by extensions.code.", ["code"])
REFUSALS = Counter(
    "flashback_graphql_refusals", "Requests or fields refused by a limit, by its code.", ["limit"]
)
BREAKER = Gauge(
    "flashback_upstream_breaker_state",
    "1 for the circuit breaker's current state (the highest over workers), 0 for the others.",
    ["state"],
    multiprocess_mode="livemax",
)
RESPONSE_CACHE = Counter(
    "flashback_response_cache_lookups",
    "Lookups in the response cache, by level (upstream: an upstream call; answer: a whole query's"
    " answer) and result: hit, coalesced (shared a call in flight), miss, or unavailable (the"
    " cache's store failed and the upstream was asked).",
    ["level", "result"],
)
DOCUMENT_CACHE = Counter(
    "flashback_document_cache_lookups",
    "Parsed and validated documents looked up by hash: hit or miss.",
    ["result"],
)


class OperationNames:
    """The operation-name label: the names executed most often, at most ``limit`` of them.

    A name is a candidate once an operation of that name has executed (a refused document's
    name never is), and a label once it has executed ``admit_after`` times while a label is free.
    When ``limit`` names are labelled, a candidate executed more often than the least used of them
    takes its place, whose series are removed: names made up by the hundred, sent a few times
    each, cannot keep out an operation that dashboards run all day. Candidates are counted
    in a table of ``4 * limit``, the least counted going first, so the set stays bounded whatever
    is sent; a name longer than ``MAX_NAME`` is never shown."""

    MAX_NAME = 64

    def __init__(self, limit: int = OPERATION_NAMES, admit_after: int = 1) -> None:
        self.limit = limit
        self.admit_after = admit_after
        self._counts: dict[str, int] = {}
        self._labelled: set[str] = set()

    def label(self, name: str | None, executed: bool = True) -> str:
        if name is None:
            return ANONYMOUS
        if name in self._labelled:
            if executed:
                self._counts[name] = self._counts.get(name, 0) + 1
            return name
        if not executed or len(name) > self.MAX_NAME:
            return OTHER
        count = self._counts[name] = self._counts.get(name, 0) + 1
        if len(self._counts) > 4 * self.limit:
            self._forget_least(name)
        if count < self.admit_after:
            return OTHER
        if len(self._labelled) >= self.limit:
            weakest = min(self._labelled, key=lambda n: self._counts.get(n, 0))
            if self._counts.get(weakest, 0) >= count:
                return OTHER
            self._labelled.discard(weakest)
            _unlabel(REQUESTS, weakest)
        self._labelled.add(name)
        return name

    def _forget_least(self, keep: str) -> None:
        unlabelled = [n for n in self._counts if n not in self._labelled and n != keep]
        if unlabelled:
            del self._counts[min(unlabelled, key=self._counts.__getitem__)]


OPERATIONS = OperationNames()


def outcome_of(executed: bool, codes: Sequence[str]) -> str:
    """``ok``: executed without errors; ``partial``: executed, some fields failed; ``refused``: not
    executed (bad request, a limit, an unknown persisted query)."""
    if not executed:
        return "refused"
    return "partial" if codes else "ok"


_children: dict[tuple[MetricWrapperBase, tuple[str, ...]], Any] = {}


def _labelled(metric: MetricWrapperBase, *values: str) -> Any:
    """``metric.labels(*values)``, kept: prometheus-client checks and looks up the labels under a
    lock on every call, a fiftieth of a small query's CPU over a request's six calls. Every label
    comes from a bounded set, so this table is bounded too."""
    key = (metric, values)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*values)
    return child


def _unlabel(metric: MetricWrapperBase, name: str) -> None:
    """Remove every series of ``metric`` whose first label is ``name``."""
    for key in [k for k in _children if k[0] is metric and k[1][:1] == (name,)]:
        del _children[key]
        with contextlib.suppress(KeyError):
            metric.remove(*key[1])


def record_request(
    operation: str | None,
    executed: bool,
    seconds: float,
    codes: Sequence[str],
    calls: Iterable[UpstreamCall],
    lookups: Iterable[CacheLookup] = (),
    answer: str | None = None,
) -> None:
    """Count one ``/graphql`` request with its errors, upstream calls and response-cache lookups."""
    outcome = outcome_of(executed, codes)
    _labelled(REQUESTS, OPERATIONS.label(operation, executed), outcome).inc()
    _labelled(REQUEST_SECONDS, outcome).observe(seconds)
    for code in codes:
        _labelled(ERRORS, code).inc()
        if code in LIMIT_CODES:
            _labelled(REFUSALS, code).inc()
    for call in calls:
        _labelled(UPSTREAM_CALLS, call.path, str(call.status) if call.status is not None else "none").inc()
        _labelled(UPSTREAM_SECONDS, call.path).observe(call.milliseconds / 1000)
    for lookup in lookups:
        _labelled(RESPONSE_CACHE, "upstream", lookup.result).inc()
    if answer is not None:
        _labelled(RESPONSE_CACHE, "answer", answer).inc()


_breaker_shown: list[State] = []  # the state the gauge shows, once set


LIVE_NOW = Gauge(
    "flashback_live",
    "Live subscriptions now, summed over workers: connections (WebSockets), subscriptions, cohorts.",
    ["what"],
    multiprocess_mode="livesum",
)
LIVE_EVENTS = Counter(
    "flashback_live_events",
    "Live refreshes (polls), answers left for subscribers (pushes), and answers replaced before they were"
    " sent to a slow subscriber (dropped).",
    ["event"],
)


class LiveMeter(LiveCounters):
    """The live room's counts, shown as they change."""

    def connected(self, delta: int) -> None:
        super().connected(delta)
        LIVE_NOW.labels("connections").inc(delta)

    def subscribed(self, delta: int) -> None:
        super().subscribed(delta)
        LIVE_NOW.labels("subscriptions").inc(delta)

    def cohort(self, delta: int) -> None:
        super().cohort(delta)
        LIVE_NOW.labels("cohorts").inc(delta)

    def polled(self) -> None:
        super().polled()
        LIVE_EVENTS.labels("polls").inc()

    def pushed(self, subscribers: int, dropped: int) -> None:
        super().pushed(subscribers, dropped)
        LIVE_EVENTS.labels("pushes").inc(subscribers)
        if dropped:
            LIVE_EVENTS.labels("dropped").inc(dropped)


def record_breaker(state: State) -> None:
    """Show the breaker's state; called after every request (each worker keeps its own gauge, and
    a scrape reaches one of them), it writes only when the state changed."""
    if _breaker_shown == [state]:
        return
    for each in State:
        BREAKER.labels(each.name.lower()).set(1 if each is state else 0)
    _breaker_shown[:] = [state]


def record_document_lookup(hit: bool) -> None:
    _labelled(DOCUMENT_CACHE, "hit" if hit else "miss").inc()


def multiprocess_directory() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def exposition() -> bytes:
    """Every metric in Prometheus' text format: this process's, or every worker's added up."""
    if multiprocess_directory() is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


async def endpoint(request: Request) -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
