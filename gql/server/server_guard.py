"""The HTTP server's own bounds: what uvicorn leaves open, closed at the protocol.

uvicorn closes a keep-alive connection left idle after a response, and that is all. A connection
that sends nothing, trickles its headers a byte at a time or holds a half-sent body is kept for
ever; nothing caps connections below the file-descriptor limit, so once it is reached every new
connection, the orchestrator's probes included, is reset; and what the parser refuses gets a
``text/plain`` 400. ``GuardedProtocol`` is uvicorn's httptools protocol with, in addition:

- a deadline on a request's headers, from the connection's first byte (or its opening), and one
  on its body: a client too slow for either gets a 408 and the connection is closed;
- caps on the request target's and the headers' bytes, refused with 414 and 431;
- a cap on open connections: past it the connection idle the longest is closed to make room; when
  none is idle, the new connection is answered only on ``/healthz`` and ``/readyz`` (every other
  path gets a 503 with ``Retry-After``), and past a reserve kept for those probes it gets a 503 at
  once, without a read;
- every refusal is a JSON body with a stable ``extensions.code``, as everywhere else;
- ``GET /healthz`` is answered here, as soon as its request is read: no task, no middleware, no
  queue behind the application's work, so liveness reports the process, not its load.
"""

from __future__ import annotations

import asyncio
import http
import time
from dataclasses import dataclass
from typing import Any

import httptools
import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

LIVENESS_PATH = b"/healthz"
PROBE_PATHS = frozenset({LIVENESS_PATH, b"/readyz"})
_LIVENESS_BODY = b'{"status":"ok"}'
PROBE_RESERVE = 32  # connections past the cap still read, for the probes among them
# File descriptors kept free of client connections: the upstream pool, the response cache's Redis,
# log and metric files, the local backend's database.
FD_RESERVE = 256


def connection_cap(wanted: int, fd_limit: int) -> int:
    """The most client connections that fit under ``fd_limit`` with the reserves: above it, new
    connections would be reset by the kernel, probes included."""
    return max(16, min(wanted, fd_limit - FD_RESERVE - PROBE_RESERVE))


@dataclass(frozen=True, slots=True)
class ServerBounds:
    """Defaults: docs/protection.md, the server's bounds."""

    max_connections: int = 1_000
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    max_target_bytes: int = 16_384
    max_header_bytes: int = 32_768


@dataclass(frozen=True, slots=True)
class _Refusal:
    status: int
    code: str
    message: str


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol under ``ServerBounds`` (module docstring)."""

    def __init__(self, *args: Any, bounds: ServerBounds = ServerBounds(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bounds = bounds
        self._timer: asyncio.TimerHandle | None = None
        self._refusal: _Refusal | None = None
        self._probes_only = False
        self._target_bytes = 0
        self._header_bytes = 0
        self._reading = True  # a request is being read (or none has begun)
        self._liveness = False  # the request being read is GET /healthz, answered here
        self.idle_since = time.monotonic()

    # -- connections ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        cap = self.bounds.max_connections
        if len(self.connections) > cap:
            self._shed_idle()
        if len(self.connections) > cap + PROBE_RESERVE:
            self._refuse(_Refusal(503, "SERVICE_UNAVAILABLE", "The server has too many connections; retry."))
            return
        self._probes_only = len(self.connections) > cap
        self._arm(self.bounds.header_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _shed_idle(self) -> None:
        """Close the connection that has waited the longest without a request under way."""
        idle = [
            c
            for c in self.connections
            if isinstance(c, GuardedProtocol) and c is not self and c._idle() and not c.transport.is_closing()
        ]
        if idle:
            min(idle, key=lambda c: c.idle_since).transport.close()

    def _idle(self) -> bool:
        """Between requests, or still reading the headers of one: nothing of it has reached the app."""
        return self.cycle is None or self.cycle.response_complete

    # -- what the parser reads ------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            self._refuse(
                self._refusal or _Refusal(400, "BAD_REQUEST", "The HTTP request could not be parsed.")
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._target_bytes = self._header_bytes = 0
        self._reading = True
        self._arm(self.bounds.header_seconds)

    def on_url(self, url: bytes) -> None:
        self._target_bytes += len(url)
        if self._target_bytes > self.bounds.max_target_bytes:
            self._refusal = _Refusal(
                414,
                "URI_TOO_LONG",
                f"The request target is longer than {self.bounds.max_target_bytes:,} bytes; POST the"
                " query as JSON instead.",
            )
            raise ValueError("target too long")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > self.bounds.max_header_bytes:
            self._refusal = _Refusal(
                431,
                "REQUEST_HEADER_FIELDS_TOO_LARGE",
                f"The request's headers are larger than {self.bounds.max_header_bytes:,} bytes.",
            )
            raise ValueError("headers too large")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        path = httptools.parse_url(self.url).path
        if self._probes_only and path not in PROBE_PATHS:
            self._refusal = _Refusal(
                503, "SERVICE_UNAVAILABLE", "The server is at its connection limit; retry shortly."
            )
            raise ValueError("over the connection cap")
        self._liveness = path == LIVENESS_PATH and self.parser.get_method() == b"GET" and self._idle()
        if not self._liveness:
            super().on_headers_complete()
        self._arm(self.bounds.body_seconds)

    def on_body(self, body: bytes) -> None:
        if not self._liveness:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        self._reading = False
        if self._liveness:
            self._liveness = False
            self._answer_liveness()
            return
        super().on_message_complete()

    def _answer_liveness(self) -> None:
        keep_alive = self.parser.get_http_version() == "1.1" and self.parser.should_keep_alive()
        self._write(200, _LIVENESS_BODY, () if keep_alive else ("connection: close",))
        if keep_alive:
            self.on_response_complete()
        else:
            self.transport.close()

    def _write(self, status: int, body: bytes, extra: tuple[str, ...]) -> None:
        """One JSON answer written on the transport as it is: status line, headers, body."""
        head = [
            f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
            "content-type: application/json; charset=utf-8",
            f"content-length: {len(body)}",
            *extra,
        ]
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def on_response_complete(self) -> None:
        self.idle_since = time.monotonic()
        super().on_response_complete()

    # -- deadlines and refusals -----------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if not self._reading or self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started:
                self.transport.close()
                return
            cycle.disconnected = True  # the app, waiting on the body, sees the client go
            cycle.message_event.set()
        self._refuse(_Refusal(408, "REQUEST_TIMEOUT", "The request was not received in time; send it again."))

    def _refuse(self, refusal: _Refusal) -> None:
        """A JSON error, then the connection closed: what follows on it is not read."""
        self._disarm()
        body = orjson.dumps({"errors": [{"message": refusal.message, "extensions": {"code": refusal.code}}]})
        extra = ("connection: close", "retry-after: 1") if refusal.status == 503 else ("connection: close",)
        if not self.transport.is_closing():
            self._write(refusal.status, body, extra)
            self.transport.close()
