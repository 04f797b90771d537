"""The ``graphql-transport-ws`` protocol (the ``graphql-ws`` library's), as this gateway speaks it.

Messages are JSON objects with a ``type``: the client sends ``connection_init`` (once, first),
``subscribe`` (an ``id`` and a GraphQL request), ``complete`` (an ``id``) and ``ping``; the server
answers ``connection_ack``, ``next``, ``error``, ``complete`` and ``pong``. Anything else closes the
socket with the protocol's code for it; the reason is short and names what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import orjson

SUBPROTOCOL = "graphql-transport-ws"
MAX_MESSAGE_BYTES = 256 << 10  # a subscribe message carries a document, which the body limit bounds on HTTP


class Close(IntEnum):
    """Close codes: the protocol's own, and WebSocket's for a restart."""

    BAD_MESSAGE = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406
    INIT_TIMEOUT = 4408
    SUBSCRIBER_EXISTS = 4409
    TOO_MANY_INIT = 4429
    RESTART = 1012  # the server is going away: reconnect (to another replica)


class ProtocolError(Exception):
    """A message the protocol does not allow: the socket closes with ``code``."""

    def __init__(self, code: Close, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:120]  # a close reason is at most 123 bytes


@dataclass(frozen=True, slots=True)
class Message:
    type: str
    id: str | None = None
    payload: Any = None


CLIENT_TYPES = frozenset({"connection_init", "subscribe", "complete", "ping", "pong"})


def parse(text: str | bytes) -> Message:
    """A client message, checked for the fields its type needs."""
    if len(text) > MAX_MESSAGE_BYTES:
        raise ProtocolError(Close.BAD_MESSAGE, f"Message over {MAX_MESSAGE_BYTES} bytes")
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ProtocolError(Close.BAD_MESSAGE, "Message is not JSON") from None
    if not isinstance(raw, dict) or raw.get("type") not in CLIENT_TYPES:
        raise ProtocolError(Close.BAD_MESSAGE, "Message has no type this protocol knows")
    kind = raw["type"]
    payload = raw.get("payload")
    if kind in ("subscribe", "complete"):
        ident = raw.get("id")
        if not isinstance(ident, str) or not ident or len(ident) > 256:
            raise ProtocolError(Close.BAD_MESSAGE, f"{kind} needs a string id")
        if kind == "subscribe" and (
            not isinstance(payload, dict) or not isinstance(payload.get("query"), str)
        ):
            raise ProtocolError(Close.BAD_MESSAGE, "subscribe needs a payload with a query")
        return Message(kind, ident, payload)
    if payload is not None and not isinstance(payload, dict):
        raise ProtocolError(Close.BAD_MESSAGE, f"{kind} payload must be an object")
    return Message(kind, None, payload)


def encode(kind: str, ident: str | None = None, payload: Any = None) -> str:
    message: dict[str, Any] = {"type": kind}
    if ident is not None:
        message["id"] = ident
    if payload is not None:
        message["payload"] = payload
    return orjson.dumps(message).decode()


def credential_of(payload: dict[str, Any] | None) -> str | None:
    """The ``Authorization`` a ``connection_init`` payload carries, as clients put it there: at the
    top (``{"Authorization": "Bearer ..."}``, any case) or under ``headers``."""
    if not payload:
        return None
    for source in (payload, payload.get("headers")):
        if isinstance(source, dict):
            for key, value in source.items():
                if isinstance(key, str) and key.lower() == "authorization" and isinstance(value, str):
                    return value
    return None
