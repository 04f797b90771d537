"""A GraphQL request read from HTTP, and a JSON answer written back, to the letter of the GraphQL
over HTTP specification.

- ``POST`` with ``application/json``; ``GET`` with ``query``, ``variables``, ``operationName`` and
  ``extensions`` in the URL (queries only). A browser's ``GET`` for HTML gets GraphiQL.
- The answer is ``application/graphql-response+json`` when the client accepts it, else
  ``application/json``; always JSON, utf-8.
- A request of the wrong shape is refused with its code (``gql.pipeline.failures``); the endpoint
  (``gql.server.http``) answers it with the status the media type calls for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from gql.pipeline.failures import RequestFailure
from gql.server.request_ids import request_id

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
