"""``graphql-transport-ws`` at ``/graphql``: the ``graphql-ws`` client's protocol, and Apollo's and urql's.

A connection must say ``connection_init`` within the init timeout (4408 otherwise), once (4429); its
payload may carry the credentials (``{"Authorization": "Bearer ..."}``), else the upgrade request's
``Authorization`` header is used, else the gateway's own token. Each ``subscribe`` is refused with an
``error`` message (the GraphQL errors an HTTP request would get) or answered with ``next`` messages
until the client sends ``complete``; an id already in use closes with 4409, a subscribe before the
ack with 4401, a message outside the protocol with 4400. A subscription the upstream refuses the
credentials for closes the connection with 4403; a worker that stops closes it with 1012.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from gql.live.mailbox import Ending
from gql.live.protocol import SUBPROTOCOL, Close, Message, ProtocolError, credential_of, encode, parse
from gql.live.service import LiveService, Subscribed
from gql.pipeline.failures import RequestFailure

log = logging.getLogger("gql.live")
Credentials = Callable[[str | None], str | None]  # the caller's Authorization, or the gateway's own


class Connection:
    def __init__(self, socket: WebSocket, service: LiveService, credentials: Credentials) -> None:
        self.socket = socket
        self.service = service
        self.credentials = credentials
        self.credential: str | None = None
        self.acknowledged = False
        self.subscriptions: dict[str, tuple[Subscribed, asyncio.Task[None]]] = {}
        self.closing: tuple[int, str] | None = None

    async def serve(self) -> None:
        if SUBPROTOCOL not in self.socket.scope.get("subprotocols", []):
            await self.socket.accept()  # then closed with the code that says why
            await self.socket.close(Close.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        await self.socket.accept(SUBPROTOCOL)
        self.service.counters.connected(1)
        opened = time.monotonic()
        try:
            await self._receive()
        except ProtocolError as failure:
            self.closing = (failure.code, failure.reason)
        except WebSocketDisconnect:
            pass
        finally:
            self.service.counters.connected(-1)
            for subscribed, task in list(self.subscriptions.values()):
                task.cancel()
                self.service.unsubscribe(subscribed)
            self.subscriptions.clear()
            code, reason = self.closing or (1000, "")
            if self.socket.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await self.socket.close(code, reason)
            log.info(
                "live connection",
                extra={"fields": {"closeCode": code, "seconds": round(time.monotonic() - opened, 3)}},
            )

    async def _receive(self) -> None:
        try:
            first = await asyncio.wait_for(
                self.socket.receive_text(), self.service.limits.init_timeout_seconds
            )
        except TimeoutError:
            raise ProtocolError(Close.INIT_TIMEOUT, "Connection initialisation timeout") from None
        message = parse(first)
        if message.type != "connection_init":
            raise ProtocolError(Close.UNAUTHORIZED, "Unauthorized")
        header = self.socket.headers.get("authorization")
        self.credential = self.credentials(credential_of(message.payload) or header)
        self.acknowledged = True
        await self.socket.send_text(encode("connection_ack"))
        while self.closing is None:
            await self._handle(parse(await self.socket.receive_text()))

    async def _handle(self, message: Message) -> None:
        if message.type == "connection_init":
            raise ProtocolError(Close.TOO_MANY_INIT, "Too many initialisation requests")
        if message.type == "ping":
            await self.socket.send_text(encode("pong", payload=message.payload))
        elif message.type == "subscribe":
            assert message.id is not None
            if message.id in self.subscriptions:
                raise ProtocolError(Close.SUBSCRIBER_EXISTS, f"Subscriber for {message.id} already exists")
            await self._subscribe(message.id, message.payload)
        elif message.type == "complete":
            held = self.subscriptions.pop(message.id or "", None)
            if held is not None:
                held[1].cancel()
                self.service.unsubscribe(held[0])

    async def _subscribe(self, ident: str, payload: dict[str, object]) -> None:
        variables = payload.get("variables")
        name = payload.get("operationName")
        try:
            subscribed = self.service.subscribe(
                str(payload["query"]),
                variables if isinstance(variables, dict) else None,
                name if isinstance(name, str) else None,
                self.credential,
                len(self.subscriptions),
            )
        except RequestFailure as failure:
            await self.socket.send_text(encode("error", ident, failure.body()["errors"]))
            return
        self.subscriptions[ident] = (subscribed, asyncio.create_task(self._forward(ident, subscribed)))

    async def _forward(self, ident: str, subscribed: Subscribed) -> None:
        """Send the subscription's answers as they come, the latest only when the socket is slow."""
        while True:
            got = await subscribed.mailbox.get()
            if isinstance(got, Ending):
                self.subscriptions.pop(ident, None)
                self.service.unsubscribe(subscribed)
                if got.code is None:
                    await self.socket.send_text(encode("complete", ident))
                    return
                self.closing = (got.code, got.reason)
                await self.socket.close(got.code, got.reason)
                return
            await self.socket.send_text(encode("next", ident, got))
