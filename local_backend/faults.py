"""Fault injection, for tests of how callers survive a misbehaving upstream.

Only present when the backend is started with fault injection enabled; in default mode the
middleware is not installed and the control route does not exist, so no ordinary request can
trigger a fault. Modes:

* ``status``: answer with the given HTTP status and a JSON error body;
* ``slow``: wait ``delay_ms`` and then answer normally (``delay_ms`` also delays every other mode);
* ``truncate``: the real answer, cut in half, with a matching Content-Length;
* ``malformed``: status 200, a JSON content type and a body that is not JSON;
* ``drop``: send the status line and headers, then close the connection before the body.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
from dataclasses import asdict, dataclass
from typing import Literal

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultMode = Literal["status", "slow", "truncate", "malformed", "drop"]
FAULT_MODES: tuple[FaultMode, ...] = ("status", "slow", "truncate", "malformed", "drop")


class ConnectionDropped(Exception):
    """Raised after the response start so that the server closes the socket mid-response."""


@dataclass(slots=True)
class Fault:
    id: int
    path: str  # a path prefix; "/" matches every path
    mode: FaultMode
    status: int = 503
    delay_ms: int = 0
    times: int | None = None  # None: until cleared
    rate: float = 1.0  # the share of matching requests it fires on, drawn at random

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class FaultPlan:
    """The active faults; thread-safe because the server's worker threads read it."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._random = random.Random(20_260_501)  # seeded: a fault run draws the same faults each time

    def add(
        self,
        path: str,
        mode: FaultMode,
        status: int = 503,
        delay_ms: int = 0,
        times: int | None = None,
        rate: float = 1.0,
    ) -> Fault:
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
        if not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status between 100 and 599")
        if delay_ms < 0 or delay_ms > 120_000:
            raise ValueError("delay_ms must be between 0 and 120000")
        if not 0 < rate <= 1:
            raise ValueError("rate must be more than 0 and at most 1")
        fault = Fault(next(self._ids), path, mode, status, delay_ms, times, rate)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path) and (fault.rate >= 1 or self._random.random() < fault.rate):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None


class FaultInjector:
    """ASGI middleware applying the first matching fault to a request."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_faults"):
            await self.app(scope, receive, send)
            return
        fault = self.plan.take(scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.mode == "slow":
            await self.app(scope, receive, send)
        elif fault.mode == "status":
            body = orjson.dumps(
                {"success": False, "message": "Injected fault.", "error_code": "INJECTED_FAULT"}
            )
            await _send(send, fault.status, body)
        elif fault.mode == "malformed":
            await _send(send, 200, b'{"success": true, "meta": {"start": 17,, "series": [')
        elif fault.mode == "truncate":
            status, body = await _capture(self.app, scope, receive)
            await _send(send, status, body[: max(1, len(body) // 2)])
        else:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
                }
            )
            raise ConnectionDropped("connection dropped by fault injection")


async def _send(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, bytes]:
    status = 500
    chunks: list[bytes] = []

    async def collect(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, collect)
    return status, b"".join(chunks)
