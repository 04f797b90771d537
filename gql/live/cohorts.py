"""Cohorts: subscribers that share a document, its variables and the caller's credentials.

Every subscriber of a cohort would get the same answer, so the cohort runs the subscription's
selection once per refresh (as a query would run, with the cost model's bounds and the loaders of
one request) and leaves the result in each subscriber's mailbox when it differs from the last one
pushed. The first answer goes out at once; later refreshes fall on the wall-clock multiples of the
interval, so that cohorts of the same interval refresh together and share their upstream calls
(``gql.live.sharing``). The poller stops when the last subscriber leaves.

An upstream that refuses the credentials (401, 403) ends the cohort's subscriptions with 4403, so
clients reconnect with fresh ones; any other upstream fault is pushed as the usual partial answer
with its coded errors, if it changed the answer at all, and the subscription carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    OperationDefinitionNode,
    get_named_type,
)
from graphql.execution.collect_fields import FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values

from gql.live.mailbox import Ending, Mailbox
from gql.live.protocol import Close
from gql.pipeline.documents import PreparedDocument
from gql.pipeline.operations import CompiledOperation
from gql.schema.live import LiveStats
from resolvers import resources

log = logging.getLogger("gql.live")
DAY = 86_400
FORBIDDEN_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN"})

Refresh = Callable[["Cohort", LiveStats, float], Awaitable[dict[str, Any]]]  # one run, at an instant


@dataclass(frozen=True, slots=True)
class Shape:
    """Where a live answer keeps its revision and instant: the response keys, aliases and all."""

    root: str
    revision: tuple[str, ...]
    as_of: tuple[str, ...]
    interval: int  # seconds between refreshes


def shape_of(schema: Any, prepared: PreparedDocument, compiled: CompiledOperation, floor: int) -> Shape:
    """The response keys of ``live``, ``revision`` and ``asOf``, and the refresh interval: the asked
    ``refreshSeconds``, else one bucket of the smallest bucket size selected, at least ``floor``."""
    operation: OperationDefinitionNode = compiled.operation
    subscription = schema.subscription_type
    fragments = {
        d.name.value: FragmentDetails(d)
        for d in prepared.document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    root = collect_fields(schema, fragments, compiled.variables, subscription, operation).grouped_field_set
    ((key, group),) = root.items()  # validation lets a subscription have one root field
    node: FieldNode = group[0].node
    live = subscription.fields[node.name.value]
    asked = get_argument_values(live, node, compiled.variables).get("refreshSeconds")
    live_type = get_named_type(live.type)
    assert isinstance(live_type, GraphQLObjectType)
    below = collect_subfields(
        schema, fragments, compiled.variables, operation, live_type, group
    ).grouped_field_set
    names = {k: g[0].node.name.value for k, g in below.items()}
    interval = asked if asked is not None else _smallest_bucket(live_type, below, compiled)
    return Shape(
        key,
        tuple(k for k, name in names.items() if name == "revision"),
        tuple(k for k, name in names.items() if name == "asOf"),
        max(floor, min(int(interval), DAY)),
    )


def _smallest_bucket(live_type: GraphQLObjectType, below: Any, compiled: CompiledOperation) -> int:
    sizes = []
    definition = live_type.fields["stats"]
    for group in below.values():
        node = group[0].node
        if node.name.value != "stats":
            continue
        args = get_argument_values(definition, node, compiled.variables)
        window = str(getattr(args["window"], "value", args["window"]))
        bucket = args.get("bucketSize")
        size = (
            str(getattr(bucket, "value", bucket))
            if bucket is not None
            else resources.DEFAULT_BUCKET_SIZES[window]
        )
        sizes.append(resources.BUCKET_SIZES[size].seconds if size in resources.BUCKET_SIZES else DAY)
    return min(sizes, default=DAY)


@dataclass(eq=False)
class Cohort:
    key: tuple[Any, ...]
    prepared: PreparedDocument
    compiled: CompiledOperation
    credential: str | None
    shape: Shape
    variables: Mapping[str, Any] | None = None  # as the client sent them
    subscribers: set[Mailbox] = field(default_factory=set)
    revision: int = 0
    last: dict[str, Any] | None = None  # the last answer pushed
    digest: bytes = b""
    task: asyncio.Task[None] | None = None

    def join(self, mailbox: Mailbox) -> None:
        self.subscribers.add(mailbox)
        if self.last is not None:
            mailbox.put(self.last)

    async def run(self, refresh: Refresh, on_push: Callable[[int, int], None]) -> None:
        """Refresh until the last subscriber leaves."""
        interval = self.shape.interval
        instant = float(int(time.time()))  # the first answer at once; then on the interval's multiples
        while self.subscribers:
            # Revision and instant are set after the comparison with the last answer, which they
            # would otherwise always differ from.
            result = await refresh(self, LiveStats(revision=0, asOf=0), instant)  # type: ignore[arg-type]
            self._publish(result, int(time.time()), on_push)
            if _refused(result):
                self._end(Ending(Close.FORBIDDEN, "Forbidden"))
                return
            now = time.time()
            instant = (now // interval + 1) * interval
            await asyncio.sleep(instant - now)

    def _publish(self, result: dict[str, Any], as_of: int, on_push: Callable[[int, int], None]) -> None:
        digest = hashlib.blake2b(orjson.dumps(result), digest_size=16).digest()
        if digest == self.digest:
            return
        self.digest = digest
        self.revision += 1
        live = (result.get("data") or {}).get(self.shape.root)
        if isinstance(live, dict):
            live = dict(live)
            for key in self.shape.revision:
                live[key] = self.revision
            for key in self.shape.as_of:
                live[key] = as_of
            result = {**result, "data": {self.shape.root: live}}
        self.last = result
        dropped = sum(mailbox.put(result) for mailbox in list(self.subscribers))
        on_push(len(self.subscribers), dropped)

    def _end(self, ending: Ending) -> None:
        for mailbox in list(self.subscribers):
            mailbox.end(ending)
        self.subscribers.clear()

    async def stop(self, ending: Ending) -> None:
        self._end(ending)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


def _refused(result: dict[str, Any]) -> bool:
    """True when the upstream refused the credentials: 401 or 403 from the upstream itself."""
    for error in result.get("errors") or ():
        extensions = error.get("extensions") or {}
        if extensions.get("code") in FORBIDDEN_CODES and extensions.get("upstreamStatus") in (401, 403):
            return True
    return False
