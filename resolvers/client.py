"""The one place that speaks HTTP to the Flashback stats API.

It sends a ``RestRequest`` as it is (the request layer decides the query string) and raises a
typed failure (``resolvers.errors``) that says what happened: an error status with the
upstream's own message and ``error_code``, a timeout, a broken connection, a body that is not
JSON. The caller's token is sent, never kept or echoed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
import orjson

from resolvers.errors import MalformedBody, UpstreamStatus, UpstreamTimeout, UpstreamUnreachable
from resolvers.requests import RestRequest


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


def _status_failure(status: int, body: bytes) -> UpstreamStatus:
    """The upstream's ``message`` and ``error_code`` travel with the status, when its body has them."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    fields = parsed if isinstance(parsed, dict) else {}
    message, code = fields.get("message"), fields.get("error_code")
    return UpstreamStatus(
        status,
        message if isinstance(message, str) and message else None,
        code if isinstance(code, str) and code else None,
    )


class UpstreamClient:
    """Shared by every request (one connection pool); holds no caller state."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def get(self, request: RestRequest, authorization: str, log: CallLog) -> object:
        """The parsed JSON body of a successful answer; an ``UpstreamFailure`` otherwise."""
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await self.http.get(
                request.target, headers={"Authorization": authorization, "Accept": "application/json"}
            )
            status = response.status_code
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout() from exc
        except httpx.HTTPError as exc:
            raise UpstreamUnreachable() from exc
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.calls.append(UpstreamCall(request.path, request.query, status, elapsed))
        if status >= 400:
            raise _status_failure(status, response.content)
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise MalformedBody("not JSON", status) from exc
