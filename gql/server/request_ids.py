"""Request ids: taken from ``X-Request-Id`` or made, echoed in the response, and put in every
error's ``extensions.requestId``, so a user can quote one and an operator find its log line."""

from __future__ import annotations

import itertools
import os
import re
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")  # what a proxy sends; anything else is replaced
current: ContextVar[str | None] = ContextVar("request_id", default=None)


# A made id: 64 random bits drawn once per process, then a counter. Unique across processes and
# restarts as a UUID is, without a system call for randomness on every request.
_PROCESS = os.urandom(8).hex()
_NEXT = itertools.count()


def _new_process() -> None:
    global _PROCESS, _NEXT  # a forked child must not repeat its parent's ids
    _PROCESS, _NEXT = os.urandom(8).hex(), itertools.count()


os.register_at_fork(after_in_child=_new_process)


def made_id() -> str:
    """A new request id: 32 hex digits."""
    return f"{_PROCESS}{next(_NEXT) & 0xFFFFFFFFFFFFFFFF:016x}"


def request_id() -> str | None:
    """The id of the request being served, if any."""
    return current.get()


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER.encode(), b"").decode("latin-1")
        ident = given if _ACCEPTED.fullmatch(given) else made_id()
        token = current.set(ident)

        async def echo(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = ident
            await send(message)

        try:
            await self.app(scope, receive, echo)
        finally:
            current.reset(token)
