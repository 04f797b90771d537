"""GraphQL over HTTP at ``/graphql``: one request in, one JSON answer out.

A request runs in four steps, each a method:
- *prepare*: the request's shape (``gql.server.graphql_request``), persisted queries, parsing and
  validation (cached by document), the operation; then the operation compiled once per document,
  operation and variables (``gql.pipeline.operations``): variables coerced, cost estimated, plan;
- *admit*: the estimate against the budget, and a kept answer when there is one;
- *execute*: the operation run by the engine the settings chose (``gql.pipeline.execution``);
- *respond*: the answer's values counted where the estimate is no bound, the body encoded, kept.

Each refusal has its code (``gql.pipeline.failures``) and the status the media type calls for;
every error leaves through ``gql.pipeline.errors``. What happened is gathered in an ``Outcome``,
from which the request's log line and metrics are written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import ExecutionResult

from gql.live.service import LiveService
from gql.live.sse import stream, wants_stream
from gql.pipeline.budget import Budget, count_values, refuse_actual
from gql.pipeline.documents import DocumentCache, PreparedDocument, operation_of
from gql.pipeline.execution import Engine, execute_prepared
from gql.pipeline.failures import RequestFailure
from gql.pipeline.operations import CompiledOperation, OperationCache
from gql.pipeline.persisted import PersistedQueries
from gql.server import metrics
from gql.server.answers import AnswerCache, answer_target, freshness
from gql.server.conditional import cache_headers, not_modified
from gql.server.graphql_request import (
    GRAPHQL_RESPONSE,
    JSON,
    GraphQLRequest,
    negotiate,
    read_request,
    respond,
)
from gql.server.logs import request_line
from gql.server.request_ids import request_id
from gql.server.tracing import Tracing, name_operation
from resolvers.breaker import CircuitBreaker
from resolvers.client import CacheLookup, UpstreamCall
from resolvers.context import RequestContext

# Apollo routers ask a subgraph for a trace with this header; such an answer is never kept.
FEDERATION_TRACE_HEADER = "apollo-federation-include-trace"


@dataclass(frozen=True, slots=True)
class CallerContext:
    """A request's context and the credential it chose to call the upstream with (None: none)."""

    context: RequestContext
    credential: str | None


ContextFactory = Callable[[Request, PreparedDocument, bool], CallerContext]  # bool: report upstream calls


def _as_sent(authorization: str | None) -> str | None:
    return authorization


@dataclass(frozen=True, slots=True)
class EndpointParts:
    """What the endpoint works with, built once by the composition root (``gql.server.app``)."""

    schema: Any  # the Strawberry schema (``gql.pipeline.engine``)
    engine: Engine
    documents: DocumentCache
    operations: OperationCache
    persisted: PersistedQueries
    context: ContextFactory
    graphiql: Callable[[], Response]
    wants_report: Callable[[Request], bool]
    budget: Budget
    breaker: CircuitBreaker
    tracing: Tracing
    answers: AnswerCache | None = None
    live: LiveService | None = None  # subscriptions over SSE (gql.live.sse)
    credentials: Callable[[str | None], str | None] = _as_sent  # the caller's, else the gateway's own


@dataclass(slots=True)
class Outcome:
    """What one request came to, for its log line and metrics."""

    operation: str | None = None
    codes: list[str] = field(default_factory=list)
    calls: list[UpstreamCall] = field(default_factory=list)
    lookups: list[CacheLookup] = field(default_factory=list)
    answer: str | None = None  # the answer cache: "hit", "miss", or None when not asked
    answered: bool = False  # the operation ran, or its kept answer was sent
    page: bool = False  # GraphiQL's page, not a GraphQL request
    span: Any = None


@dataclass(slots=True)
class Admitted:
    """A request ready to run: its operation compiled, its context made, the key its answer is kept under."""

    request: GraphQLRequest
    prepared: PreparedDocument
    compiled: CompiledOperation
    cost: dict[str, object]
    report: bool
    caller: CallerContext
    kept_as: tuple[str, str] | None


class GraphQLEndpoint:
    """``/graphql``: one request in, one JSON answer out."""

    def __init__(self, parts: EndpointParts) -> None:
        self.parts = parts

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        outcome = Outcome()
        response = await self._handle(request, outcome)
        seconds = time.perf_counter() - started
        request_line(
            {
                "requestId": request_id(),
                "method": request.method,
                "status": response.status_code,
                "operationName": outcome.operation,
                "durationMs": round(seconds * 1000, 2),
                "upstreamCalls": len(outcome.calls),
                "cacheHits": sum(lookup.result in ("hit", "coalesced") for lookup in outcome.lookups),
                "answerCache": outcome.answer,
                "errorCodes": sorted(set(outcome.codes)),
            }
        )
        if outcome.page:
            return response
        executed = response.status_code in (200, 304) and outcome.answered
        metrics.record_request(
            outcome.operation,
            executed,
            seconds,
            outcome.codes,
            outcome.calls,
            outcome.lookups,
            outcome.answer,
        )
        metrics.record_breaker(self.parts.breaker.state)
        return response

    async def _handle(self, request: Request, outcome: Outcome) -> Response:
        if request.method not in ("GET", "POST"):
            outcome.codes = ["METHOD_NOT_ALLOWED"]
            return respond(
                RequestFailure.request("METHOD_NOT_ALLOWED", "Use GET or POST.", 405).body(),
                405,
                JSON,
                {"Allow": "GET, POST"},
            )
        accept = request.headers.get("accept")
        media_type = negotiate(accept)
        if media_type is None and self.parts.live is not None and wants_stream(accept):
            media_type = GRAPHQL_RESPONSE  # a subscription over SSE: a refusal before it has its status
        if request.method == "GET" and "query" not in request.query_params and _wants_html(request):
            outcome.page = True
            return self.parts.graphiql()
        if media_type is None:
            failure = RequestFailure.request(
                "NOT_ACCEPTABLE",
                f"Accept {GRAPHQL_RESPONSE} or {JSON}; this endpoint answers nothing else.",
                406,
            )
            outcome.codes = [failure.code]
            return respond(failure.body(), failure.status, JSON)
        try:
            with self.parts.tracing.operation(request.headers) as span:
                outcome.span = span
                return await self._run(request, media_type, outcome)
        except RequestFailure as failure:
            return self._refused(request, failure, media_type, outcome)

    def _refused(
        self, request: Request, failure: RequestFailure, media_type: str, outcome: Outcome
    ) -> Response:
        outcome.codes = [failure.code]
        status = failure.status if media_type == GRAPHQL_RESPONSE else failure.legacy_status
        body = failure.body()
        if self.parts.wants_report(request):
            extensions = dict(body.get("extensions") or {})  # type: ignore[call-overload]
            extensions["upstream"] = {"count": 0, "calls": [], "totalMs": 0}
            body["extensions"] = extensions
        return respond(body, status, media_type)

    async def _run(self, request: Request, media_type: str, outcome: Outcome) -> Response:
        prepared = await self._prepare(request, outcome)
        if isinstance(prepared, Response):
            return prepared
        admitted = self._admit(request, *prepared)
        if admitted.kept_as is not None:
            assert self.parts.answers is not None
            kept = await self.parts.answers.recall(*admitted.kept_as)
            outcome.answer = "miss" if kept is None else "hit"
            if kept is not None:
                outcome.answered = True
                return _plain(request, kept.body, kept.seconds, media_type)
        result = await self._execute(admitted)
        return await self._respond(request, admitted, result, media_type, outcome)

    async def _prepare(
        self, request: Request, outcome: Outcome
    ) -> tuple[GraphQLRequest, PreparedDocument, CompiledOperation] | Response:
        """The request read, its document parsed and validated, its operation compiled; for a
        subscription asked over Server-Sent Events, its stream (``gql.live.sse``)."""
        parts = self.parts
        graphql_request = await read_request(request, parts.documents.limits.max_body_bytes)
        resolved = parts.persisted.resolve(graphql_request.query, graphql_request.extensions)
        prepared = parts.documents.prepare(resolved.text, resolved.key)
        parts.persisted.keep(resolved)
        operation = operation_of(prepared, graphql_request.operation_name)
        outcome.operation = operation.name.value if operation.name else None
        name_operation(outcome.span, operation.operation.value, outcome.operation, prepared.key)
        if operation.operation.value == "subscription":
            live = parts.live
            if live is not None and wants_stream(request.headers.get("accept")):
                outcome.page = True  # a stream: the live room logs and counts it, not as a request
                credential = parts.credentials(request.headers.get("authorization"))
                return stream(
                    live, resolved.text, graphql_request.variables, graphql_request.operation_name, credential
                )
            raise RequestFailure.request(
                "BAD_REQUEST",
                "A subscription needs a stream: a WebSocket (graphql-transport-ws) or Server-Sent Events"
                " (Accept: text/event-stream) at /graphql.",
                400,
            )
        if request.method == "GET" and operation.operation.value != "query":
            raise RequestFailure.request(
                "METHOD_NOT_ALLOWED", "Only queries may be sent with GET; POST it.", 405
            )
        compiled = parts.operations.compile(prepared, operation, graphql_request.variables)
        return graphql_request, prepared, compiled

    def _admit(
        self,
        request: Request,
        graphql_request: GraphQLRequest,
        prepared: PreparedDocument,
        compiled: CompiledOperation,
    ) -> Admitted:
        """The estimate checked against the budget, the context made, and where the answer is kept."""
        cost = self.parts.budget.check(compiled.estimate)
        report = self.parts.wants_report(request)
        caller = self.parts.context(request, prepared, report)
        kept_as = self._answer_key(request, compiled, caller, report)
        return Admitted(graphql_request, prepared, compiled, cost, report, caller, kept_as)

    async def _execute(self, admitted: Admitted) -> ExecutionResult:
        context = admitted.caller.context
        try:
            return await execute_prepared(
                self.parts.schema,
                admitted.prepared,
                admitted.request.variables,
                admitted.request.operation_name,
                context,
                admitted.compiled.plan,
                self.parts.engine,
            )
        finally:
            context.release()

    async def _respond(
        self, request: Request, admitted: Admitted, result: ExecutionResult, media_type: str, outcome: Outcome
    ) -> Response:
        # The answer is counted when its estimate is no bound (legacy records), when the bound
        # passes the budget, or for the report: a pass over the whole answer (150 us for the
        # reference dashboard's columns, 7 ms for its rows) that most requests' bound makes needless.
        budget, estimate, context = self.parts.budget, admitted.compiled.estimate, admitted.caller.context
        values = 0
        if admitted.report or estimate.guessed or estimate.most_values() > budget.max_values:
            values = count_values(result.data)
            too_many = refuse_actual(values, budget)
            if too_many is not None:
                raise too_many
        body: dict[str, object] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        extensions = dict(result.extensions or {})
        if admitted.report:
            extensions["cost"] = {
                **admitted.cost,
                "actual": {"calls": len(context.log.calls), "values": values},
            }
        if extensions:
            body["extensions"] = extensions
        outcome.answered = True
        outcome.calls = context.log.calls
        outcome.lookups = context.log.lookups
        outcome.codes = [str((e.extensions or {}).get("code")) for e in result.errors or ()]
        if list(body) == ["data"] and (admitted.kept_as is not None or request.method == "GET"):
            encoded = orjson.dumps(body)
            if admitted.kept_as is not None:
                assert self.parts.answers is not None
                await self.parts.answers.keep(*admitted.kept_as, encoded, context.log.lookups)
            return _plain(request, encoded, freshness(context.log.lookups), media_type)
        headers = cache_headers(None, 0) if request.method == "GET" else None
        return respond(body, 200, media_type, headers)

    def _answer_key(
        self, request: Request, compiled: CompiledOperation, caller: CallerContext, report: bool
    ) -> tuple[str, str] | None:
        """The credential and target a query's answer is kept under; None when it is not kept."""
        if self.parts.answers is None or caller.credential is None or compiled.kind != "query":
            return None
        if report or request.headers.get(FEDERATION_TRACE_HEADER):
            return None
        return caller.credential, answer_target(*compiled.key)


def _plain(request: Request, encoded: bytes, seconds: float, media_type: str) -> Response:
    """A plain answer (data only); to a GET, cacheable for ``seconds`` and revalidated by ETag."""
    if request.method != "GET":
        return Response(encoded, status_code=200, media_type=f"{media_type}; charset=utf-8")
    headers = cache_headers(encoded, seconds)
    unchanged = not_modified(request, headers)
    if unchanged is not None:
        return unchanged
    return Response(encoded, status_code=200, media_type=f"{media_type}; charset=utf-8", headers=headers)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept
