"""Subscribing: a document checked as a query is, bounded, and given to its cohort.

Both transports (``gql.live.websocket``, ``gql.live.sse``) subscribe here. A subscription is refused
before it runs when its document does not parse or validate, passes a document limit, or its
refresh would pass the cost budget (the estimate of one refresh, as for a query); or when the
connection, the caller or this worker already holds its most subscriptions (``SUBSCRIPTION_LIMIT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from gql.live.cohorts import Cohort, shape_of
from gql.live.mailbox import Ending, Mailbox
from gql.live.protocol import Close
from gql.live.sharing import RefreshCalls, RefreshShare
from gql.pipeline.budget import Budget
from gql.pipeline.documents import DocumentCache, operation_of
from gql.pipeline.execution import Engine, execute_prepared
from gql.pipeline.failures import RequestFailure
from gql.pipeline.operations import OperationCache
from gql.schema.live import LiveStats
from resolvers.context import RequestContext
from resolvers.response_cache import caller_identity

log = logging.getLogger("gql.live")
LIMIT_CODE = "SUBSCRIPTION_LIMIT"
ContextMaker = Callable[[str | None, RefreshCalls], RequestContext]
RefreshSpan = Callable[[str | None, int], AbstractContextManager[None]]  # operation name, subscribers


def _no_span(operation: str | None, subscribers: int) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


@dataclass(frozen=True, slots=True)
class LiveLimits:
    min_refresh_seconds: int = 10
    per_connection: int = 50
    per_caller: int = 500
    per_worker: int = 10_000
    init_timeout_seconds: float = 3.0


class LiveCounters:
    """What the live room counts in this worker; ``gql.server.metrics`` shows them (a subclass)."""

    def __init__(self) -> None:
        self.connections = self.subscriptions = self.cohorts = 0
        self.polls = self.pushes = self.dropped = 0

    def connected(self, delta: int) -> None:
        self.connections += delta

    def subscribed(self, delta: int) -> None:
        self.subscriptions += delta

    def cohort(self, delta: int) -> None:
        self.cohorts += delta

    def polled(self) -> None:
        self.polls += 1

    def pushed(self, subscribers: int, dropped: int) -> None:
        """An answer left for ``subscribers``; ``dropped`` of them had one never sent, replaced."""
        self.pushes += subscribers
        self.dropped += dropped


@dataclass(frozen=True, slots=True)
class Subscribed:
    cohort: Cohort
    mailbox: Mailbox
    identity: str


@dataclass
class LiveService:
    schema: Any
    engine: Engine
    documents: DocumentCache
    operations: OperationCache
    budget: Budget
    context: ContextMaker
    share: RefreshShare
    limits: LiveLimits = field(default_factory=LiveLimits)
    counters: LiveCounters = field(default_factory=LiveCounters)
    span: RefreshSpan = _no_span  # a trace span per refresh (gql.server.tracing)
    cohorts: dict[tuple[Any, ...], Cohort] = field(default_factory=dict)
    per_caller: dict[str, int] = field(default_factory=dict)
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        credential: str | None,
        held: int,
    ) -> Subscribed:
        """A subscription of ``query`` for ``credential`` on a connection that holds ``held``; raises
        ``RequestFailure`` for a refusal, whose errors go back to the client as they would over HTTP."""
        prepared = self.documents.prepare(query, None)
        operation = operation_of(prepared, operation_name)
        if operation.operation.value != "subscription":
            raise RequestFailure.request(
                "BAD_REQUEST", "Only subscriptions are run here; send queries over HTTP.", 400
            )
        compiled = self.operations.compile(prepared, operation, variables)
        self.budget.check(compiled.estimate)
        identity = caller_identity(credential or "", self._secret)
        for count, most, what, setting in (
            (held, self.limits.per_connection, "this connection", "FLASHBACK_LIVE_PER_CONNECTION"),
            (
                self.per_caller.get(identity, 0),
                self.limits.per_caller,
                "these credentials",
                "FLASHBACK_LIVE_PER_CALLER",
            ),
            (self.counters.subscriptions, self.limits.per_worker, "this worker", "FLASHBACK_LIVE_PER_WORKER"),
        ):
            if count >= most:
                raise RequestFailure.request(
                    LIMIT_CODE,
                    f"{what[:1].upper()}{what[1:]} already holds {most:,} live subscriptions ({setting});"
                    " complete one first.",
                    429,
                )
        key = (compiled.key, identity)
        cohort = self.cohorts.get(key)
        if cohort is None:
            shape = shape_of(self.schema._schema, prepared, compiled, self.limits.min_refresh_seconds)
            cohort = Cohort(key, prepared, compiled, credential, shape, variables)
            self.cohorts[key] = cohort
            self.counters.cohort(1)
            cohort.task = asyncio.create_task(self._poll(cohort))
        mailbox = Mailbox()
        cohort.join(mailbox)
        self.per_caller[identity] = self.per_caller.get(identity, 0) + 1
        self.counters.subscribed(1)
        return Subscribed(cohort, mailbox, identity)

    def unsubscribe(self, subscribed: Subscribed) -> None:
        cohort = subscribed.cohort
        cohort.subscribers.discard(subscribed.mailbox)
        self.counters.subscribed(-1)
        left = self.per_caller.get(subscribed.identity, 1) - 1
        if left:
            self.per_caller[subscribed.identity] = left
        else:
            self.per_caller.pop(subscribed.identity, None)
        if not cohort.subscribers and self.cohorts.get(cohort.key) is cohort:
            self._forget(cohort)
            if cohort.task is not None:
                cohort.task.cancel()

    async def _poll(self, cohort: Cohort) -> None:
        try:
            await cohort.run(self._refresh, self.counters.pushed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live refresh failed")
            await cohort.stop(Ending(1011, "Internal error"))
        finally:
            if self.cohorts.get(cohort.key) is cohort:
                self._forget(cohort)

    def _forget(self, cohort: Cohort) -> None:
        del self.cohorts[cohort.key]
        self.counters.cohort(-1)

    async def _refresh(self, cohort: Cohort, event: LiveStats, instant: float) -> dict[str, Any]:
        self.counters.polled()
        context = self.context(cohort.credential, self.share.at(instant))
        try:
            with self.span(cohort.compiled.name, len(cohort.subscribers)):
                result = await execute_prepared(
                    self.schema,
                    cohort.prepared,
                    cohort.variables,
                    cohort.compiled.name,
                    context,
                    None,
                    self.engine,
                    root_value=event,
                )
        finally:
            context.release()
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return body

    async def close(self) -> None:
        """End every subscription (the worker is stopping): clients reconnect elsewhere (1012)."""
        cohorts = list(self.cohorts.values())
        for cohort in cohorts:
            self._forget(cohort)
            with contextlib.suppress(Exception):
                await cohort.stop(Ending(Close.RESTART, "Service restart"))
