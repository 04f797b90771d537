"""GraphQL over HTTP at ``/graphql``, to the letter of the GraphQL over HTTP specification.

- ``POST`` with ``application/json``; ``GET`` with ``query``, ``variables``, ``operationName`` and
  ``extensions`` in the URL (queries only). A browser's ``GET`` for HTML gets GraphiQL.
- The answer is ``application/graphql-response+json`` when the client accepts it, else
  ``application/json``; always JSON, utf-8.
- Before execution, in order: the request's shape, persisted queries, parsing and validation
  (cached by document), the operation, the variables. Each refusal has its code
  (``gql.failures``) and the status the media type calls for.
- Execution runs the cached document through the schema; every error leaves through
  ``gql.errors``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLSchema, OperationDefinitionNode
from starlette.requests import Request
from starlette.responses import Response

from gql import cost, metrics
from gql.answers import AnswerCache, answer_target, freshness
from gql.conditional import cache_headers, not_modified
from gql.documents import DocumentCache, PreparedDocument, check_variables, operation_of
from gql.execution import execute_prepared, runs_directly
from gql.failures import RequestFailure
from gql.logs import request_line
from gql.persisted import PersistedQueries
from gql.plans import PlanCache, plan_for
from gql.request_ids import request_id
from gql.tracing import Tracing, name_operation
from resolvers.breaker import CircuitBreaker
from resolvers.client import CacheLookup, UpstreamCall
from resolvers.context import RequestContext

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str | None
    variables: Mapping[str, Any] | None
    operation_name: str | None
    extensions: Mapping[str, Any] | None


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with; None when the client accepts neither (406)."""
    if not accept:
        return JSON
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in kinds:
        return GRAPHQL_RESPONSE
    if JSON in kinds or "*/*" in kinds or "application/*" in kinds:
        return JSON
    return None


def _json_parameter(value: str | None, name: str) -> Mapping[str, Any] | None:
    if value is None or value == "":
        return None
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise RequestFailure.request("BAD_REQUEST", f"`{name}` must be a JSON object.") from None
    return _object_or_none(parsed, name)


def _object_or_none(value: object, name: str) -> Mapping[str, Any] | None:
    """``variables`` or ``extensions``, from a body or a URL: a map, nested no deeper than allowed."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RequestFailure.request("BAD_REQUEST", f"`{name}` must be a JSON object (a map).")
    _check_depth(value, name)
    return value


def _string_or_none(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestFailure.request("BAD_REQUEST", f"`{name}` must be a string.")
    return value


# Variables and extensions nest this deep at most: the schema's deepest input (a list of
# representations, each a map) is 3 levels; orjson refuses to encode past 254.
MAX_JSON_DEPTH = 32


def _check_depth(value: object, name: str) -> None:
    """Refuse JSON nested deeper than ``MAX_JSON_DEPTH``, in one pass without recursion."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > MAX_JSON_DEPTH:
            raise RequestFailure.request(
                "BAD_REQUEST", f"`{name}` nests deeper than {MAX_JSON_DEPTH} levels; flatten it."
            )
        pending.extend((child, depth + 1) for child in children)


def _from_mapping(params: Mapping[str, Any]) -> GraphQLRequest:
    return GraphQLRequest(
        query=_string_or_none(params.get("query"), "query"),
        variables=_object_or_none(params.get("variables"), "variables"),
        operation_name=_string_or_none(params.get("operationName"), "operationName"),
        extensions=_object_or_none(params.get("extensions"), "extensions"),
    )


async def _bounded_body(request: Request, max_bytes: int) -> bytes:
    """The body, refused as soon as it is known to pass ``max_bytes``: before reading it when it
    says its length, while reading it otherwise. A huge document costs no memory and no parsing."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_bytes: int) -> RequestFailure:
    return RequestFailure.request(
        "PAYLOAD_TOO_LARGE",
        f"The request body is larger than {max_bytes:,} bytes (FLASHBACK_MAX_BODY_BYTES); send a smaller"
        " document, or a persisted query's hash.",
        413,
    )


async def read_request(request: Request, max_bytes: int) -> GraphQLRequest:
    """The GraphQL request carried by an HTTP request, or a ``RequestFailure`` saying what is wrong."""
    if request.method == "GET":
        params = request.query_params
        return GraphQLRequest(
            query=params.get("query"),
            variables=_json_parameter(params.get("variables"), "variables"),
            operation_name=params.get("operationName") or None,
            extensions=_json_parameter(params.get("extensions"), "extensions"),
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise RequestFailure.request(
            "BAD_REQUEST", "POST a JSON body with `Content-Type: application/json`.", status=415
        )
    body = await _bounded_body(request, max_bytes)
    if not body:
        raise RequestFailure.request("BAD_REQUEST", 'The request body is empty; POST {"query": "..."}.')
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestFailure.request("BAD_REQUEST", "The request body is not valid JSON.") from None
    if isinstance(parsed, list):
        raise RequestFailure.request(
            "BAD_REQUEST",
            "Batched requests (a JSON array) are not accepted: send one operation per request, or ask"
            " for everything in one document, as several root fields (one cost estimate, shared calls).",
        )
    if not isinstance(parsed, dict):
        raise RequestFailure.request("BAD_REQUEST", "The request body must be a JSON object.")
    return _from_mapping(parsed)


def respond(
    body: Mapping[str, object], status: int, media_type: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer; every error in it carries the request's id, for the user to quote."""
    ident = request_id()
    errors = body.get("errors")
    if ident is not None and isinstance(errors, list):
        for error in errors:
            error["extensions"] = {**(error.get("extensions") or {}), "requestId": ident}
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=dict(headers or {}),
    )


ContextFactory = Callable[[Request, PreparedDocument, bool], RequestContext]  # bool: report upstream calls
# Apollo routers ask a subgraph for a trace with this header; such an answer is never kept.
FEDERATION_TRACE_HEADER = "apollo-federation-include-trace"


class GraphQLEndpoint:
    """``/graphql``: one request in, one JSON answer out."""

    def __init__(
        self,
        schema: Any,
        documents: DocumentCache,
        persisted: PersistedQueries,
        context: ContextFactory,
        graphiql: Callable[[], Response],
        wants_report: Callable[[Request], bool],
        budget: cost.Budget,
        breaker: CircuitBreaker,
        tracing: Tracing,
        answers: AnswerCache | None = None,
        plans: PlanCache | None = None,
    ) -> None:
        self.schema = schema
        self.graphql_schema: GraphQLSchema = schema._schema
        self.documents = documents
        self.persisted = persisted
        self.context = context
        self.graphiql = graphiql
        self.wants_report = wants_report
        self.budget = budget
        self.estimates = cost.EstimateCache(documents.size, documents.max_bytes)
        self.breaker = breaker
        self.tracing = tracing
        self.answers = answers
        self.plans = plans if runs_directly(schema) else None

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        outcome: dict[str, Any] = {}
        response = await self._handle(request, outcome)
        seconds = time.perf_counter() - started
        calls: list[UpstreamCall] = outcome.get("calls", [])
        codes: list[str] = outcome.get("codes", [])
        lookups: list[CacheLookup] = outcome.get("lookups", [])
        request_line(
            {
                "requestId": request_id(),
                "method": request.method,
                "status": response.status_code,
                "operationName": outcome.get("operation"),
                "durationMs": round(seconds * 1000, 2),
                "upstreamCalls": len(calls),
                "cacheHits": sum(lookup.result in ("hit", "coalesced") for lookup in lookups),
                "answerCache": outcome.get("answer"),
                "errorCodes": sorted(set(codes)),
            }
        )
        if outcome.get("page"):
            return response
        executed = response.status_code in (200, 304) and "answered" in outcome
        metrics.record_request(
            outcome.get("operation"), executed, seconds, codes, calls, lookups, outcome.get("answer")
        )
        metrics.record_breaker(self.breaker.state)
        return response

    async def _handle(self, request: Request, outcome: dict[str, Any]) -> Response:
        if request.method not in ("GET", "POST"):
            outcome["codes"] = ["METHOD_NOT_ALLOWED"]
            return respond(
                RequestFailure.request("METHOD_NOT_ALLOWED", "Use GET or POST.", 405).body(),
                405,
                JSON,
                {"Allow": "GET, POST"},
            )
        media_type = negotiate(request.headers.get("accept"))
        if request.method == "GET" and "query" not in request.query_params and _wants_html(request):
            outcome["page"] = True
            return self.graphiql()
        if media_type is None:
            failure = RequestFailure.request(
                "NOT_ACCEPTABLE",
                f"Accept {GRAPHQL_RESPONSE} or {JSON}; this endpoint answers nothing else.",
                406,
            )
            outcome["codes"] = [failure.code]
            return respond(failure.body(), failure.status, JSON)
        try:
            with self.tracing.operation(request.headers) as span:
                outcome["span"] = span
                return await self._run(request, media_type, outcome)
        except RequestFailure as failure:
            outcome["codes"] = [failure.code]
            status = failure.status if media_type == GRAPHQL_RESPONSE else failure.legacy_status
            body = failure.body()
            if self.wants_report(request):
                extensions = dict(body.get("extensions") or {})  # type: ignore[call-overload]
                extensions["upstream"] = {"count": 0, "calls": [], "totalMs": 0}
                body["extensions"] = extensions
            return respond(body, status, media_type)

    async def _run(self, request: Request, media_type: str, outcome: dict[str, Any]) -> Response:
        graphql_request = await read_request(request, self.documents.limits.max_body_bytes)
        resolved = self.persisted.resolve(graphql_request.query, graphql_request.extensions)
        prepared = self.documents.prepare(resolved.text, resolved.key)
        self.persisted.keep(resolved)
        operation = operation_of(prepared, graphql_request.operation_name)
        outcome["operation"] = operation.name.value if operation.name else None
        name_operation(outcome["span"], operation.operation.value, outcome["operation"], prepared.key)
        if request.method == "GET" and operation.operation.value != "query":
            raise RequestFailure.request(
                "METHOD_NOT_ALLOWED", "Only queries may be sent with GET; POST it.", 405
            )
        variables = check_variables(self.graphql_schema, operation, graphql_request.variables)
        encoded_variables = orjson.dumps(graphql_request.variables, option=orjson.OPT_SORT_KEYS)
        # Keyed by a digest, not the variables themselves: a 200 KB id is not kept three times over.
        estimate_key = (
            prepared.key,
            outcome["operation"],
            hashlib.blake2b(encoded_variables, digest_size=16).digest(),
        )
        estimate = self.estimates.get(
            estimate_key,
            lambda: cost.estimate(
                self.graphql_schema,
                prepared.document,
                operation,
                variables,
                self.documents.limits.max_representations,
                self.budget.max_calls,
            ),
        )
        estimated = self.budget.check(estimate)
        report = self.wants_report(request)
        context = self.context(request, prepared, report)
        kept_as = self._answer_key(request, operation, context, estimate_key, report)
        if kept_as is not None:
            assert self.answers is not None
            kept = await self.answers.recall(*kept_as)
            outcome["answer"] = "miss" if kept is None else "hit"
            if kept is not None:
                outcome["answered"] = True
                return self._plain(request, kept.body, kept.seconds, media_type)
        plan = None
        if self.plans is not None:
            plan = self.plans.get(
                estimate_key,
                lambda: plan_for(
                    self.graphql_schema, prepared.document, graphql_request.variables, outcome["operation"]
                ),
                prepared.size() + 2 * len(encoded_variables),
            )
        try:
            result = await execute_prepared(
                self.schema,
                prepared,
                graphql_request.variables,
                graphql_request.operation_name,
                context,
                plan,
            )
        finally:
            context.release()
        # The answer is counted when its estimate is no bound (legacy records), when the bound
        # passes the budget, or for the report: a pass over the whole answer (150 us for the
        # reference dashboard's columns, 7 ms for its rows) that most requests' bound makes needless.
        values = 0
        if report or estimate.guessed or estimate.most_values() > self.budget.max_values:
            values = cost.count_values(result.data)
            too_many = cost.refuse_actual(values, self.budget)
            if too_many is not None:
                raise too_many
        body: dict[str, object] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        extensions = dict(result.extensions or {})
        if report:
            actual = {"calls": len(context.log.calls), "values": values}
            extensions["cost"] = {**estimated, "actual": actual}
        if extensions:
            body["extensions"] = extensions
        outcome["answered"] = True
        outcome["calls"] = context.log.calls
        outcome["lookups"] = context.log.lookups
        outcome["codes"] = [str((e.extensions or {}).get("code")) for e in result.errors or ()]
        if list(body) == ["data"] and (kept_as is not None or request.method == "GET"):
            encoded = orjson.dumps(body)
            if kept_as is not None:
                assert self.answers is not None
                await self.answers.keep(*kept_as, encoded, context.log.lookups)
            return self._plain(request, encoded, freshness(context.log.lookups), media_type)
        headers = cache_headers(None, 0) if request.method == "GET" else None
        return respond(body, 200, media_type, headers)

    @staticmethod
    def _plain(request: Request, encoded: bytes, seconds: float, media_type: str) -> Response:
        """A plain answer (data only); to a GET, cacheable for ``seconds`` and revalidated by ETag."""
        if request.method != "GET":
            return Response(encoded, status_code=200, media_type=f"{media_type}; charset=utf-8")
        headers = cache_headers(encoded, seconds)
        unchanged = not_modified(request, headers)
        if unchanged is not None:
            return unchanged
        return Response(encoded, status_code=200, media_type=f"{media_type}; charset=utf-8", headers=headers)

    def _answer_key(
        self,
        request: Request,
        operation: OperationDefinitionNode,
        context: RequestContext,
        estimate_key: tuple[str, str | None, bytes],
        report: bool,
    ) -> tuple[str, str] | None:
        """The credentials and target a query's answer is kept under; None when it is not kept."""
        if self.answers is None or context.loaders is None or operation.operation.value != "query":
            return None
        if report or request.headers.get(FEDERATION_TRACE_HEADER):
            return None
        return context.loaders.upstream.authorization, answer_target(*estimate_key)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept
