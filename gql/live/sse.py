"""GraphQL over Server-Sent Events (the ``graphql-sse`` library's distinct connections mode).

For clients behind proxies that do not pass WebSockets: the subscription is a ``POST /graphql`` (or
a ``GET`` with the request in the query string) that accepts ``text/event-stream``. A refusal is the
usual JSON error answer with its status; otherwise the answer is a stream of ``next`` events, one per
change, ended by a ``complete`` event when the subscription ends (the upstream refused the
credentials, or the worker is stopping), and by the client closing it otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.responses import StreamingResponse

from gql.live.mailbox import Ending
from gql.live.service import LiveService

EVENT_STREAM = "text/event-stream"


def wants_stream(accept: str | None) -> bool:
    return accept is not None and EVENT_STREAM in accept


def stream(
    service: LiveService,
    query: str,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    credential: str | None,
) -> StreamingResponse:
    """The subscription's events; raises ``RequestFailure`` for a refusal, before any byte is sent."""
    subscribed = service.subscribe(query, variables, operation_name, credential, 0)

    async def events() -> AsyncIterator[bytes]:
        try:
            while True:
                got = await subscribed.mailbox.get()
                if isinstance(got, Ending):
                    yield b"event: complete\ndata: \n\n"
                    return
                yield b"event: next\ndata: " + orjson.dumps(got) + b"\n\n"
        finally:
            service.unsubscribe(subscribed)

    return StreamingResponse(
        events(),
        media_type=EVENT_STREAM,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
