"""The one place that speaks HTTP to the Flashback stats API.

Query strings are built the way the official TypeScript client builds them (CONTRACT.md §1.4),
so the gateway can stand in front of the real API unchanged. Every failure becomes a
``GatewayError`` whose code says whose fault it is; the caller's token is sent, never echoed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import orjson

from resolvers.errors import (
    BAD_USER_INPUT,
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHENTICATED,
    UPSTREAM_ERROR,
    GatewayError,
)

Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class UpstreamCall:
    path: str
    query: str
    status: int | None
    milliseconds: float


@dataclass(slots=True)
class CallLog:
    """What one GraphQL request cost upstream; reported in ``extensions.upstream`` on request."""

    calls: list[UpstreamCall] = field(default_factory=list)

    def report(self) -> dict[str, object]:
        return {
            "count": len(self.calls),
            "calls": [
                {"path": c.path, "query": c.query, "status": c.status, "ms": round(c.milliseconds, 2)}
                for c in self.calls
            ],
            "totalMs": round(sum(c.milliseconds for c in self.calls), 2),
        }


def query_string(params: Params) -> str:
    """``key=value`` pairs form-encoded in the given order, commas in lists left readable."""
    return urlencode(params, safe=",:")


def target(path: str, params: Params, always_query: bool) -> str:
    text = query_string(params)
    return f"{path}?{text}" if text or always_query else path


def _message(body: bytes) -> str | None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    message = parsed.get("message") if isinstance(parsed, dict) else None
    return message if isinstance(message, str) and message else None


def _status_error(status: int, body: bytes) -> GatewayError:
    if status == 400:
        upstream = _message(body) or "The statistics API rejected the request as invalid."
        return GatewayError(BAD_USER_INPUT, upstream, status)
    if status == 401:
        return GatewayError(
            UNAUTHENTICATED,
            "The statistics API did not accept the credentials; send a valid token as"
            " 'Authorization: Bearer <token>'.",
            status,
        )
    if status == 403:
        return GatewayError(
            FORBIDDEN,
            "The token may not read this scope, id or filter; ask with an id the token can see.",
            status,
        )
    if status == 404:
        return GatewayError(NOT_FOUND, "The statistics API has no such resource.", status)
    return GatewayError(
        UPSTREAM_ERROR,
        f"The statistics API failed with HTTP {status}; the fields that need it are null. Retry later.",
        status,
    )


class UpstreamClient:
    """Shared by every request (one connection pool); holds no caller state."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def get(self, path: str, params: Params, authorization: str, log: CallLog) -> object:
        """The parsed JSON body of a successful answer, or a ``GatewayError``."""
        url = target(path, params, always_query=path.startswith(("/stats/", "/aistats/")))
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self.http.get(
                url, headers={"Authorization": authorization, "Accept": "application/json"}
            )
            status = response.status_code
        except httpx.TimeoutException as exc:
            raise GatewayError(
                UPSTREAM_ERROR, "The statistics API did not answer in time; retry later."
            ) from exc
        except httpx.HTTPError as exc:
            raise GatewayError(
                UPSTREAM_ERROR, "The statistics API could not be reached or broke the connection."
            ) from exc
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.calls.append(UpstreamCall(path, query_string(params), status, elapsed))
        if status >= 400:
            raise _status_error(status, response.content)
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise GatewayError(
                UPSTREAM_ERROR, "The statistics API sent a body that is not JSON.", status
            ) from exc


def join_list(values: Sequence[str] | None) -> str | None:
    """Array filters go out as one comma-joined value; an empty list is left out (§1.4b)."""
    return ",".join(values) if values else None
