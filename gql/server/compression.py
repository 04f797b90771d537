"""Response compression: brotli, zstd or gzip, as the client accepts, brotli first.

starlette-compress prefers zstd whenever a client lists it. Brotli is preferred here instead, for
two reasons measured on our own bodies and clients (docs/gateway.md, compression): it is the
smaller of the two on every body we send (the reference dashboard: 22,076 bytes against 22,684),
and a client may list an encoding it cannot decode: `@whatwg-node/node-fetch`, which codegen and
the Guild's tools fetch with, lists zstd on Node 20, which has no zstd decoder, and crashes on the
answer. Every client that lists brotli decodes it. A client that lists zstd alone still gets zstd.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette_compress import CompressMiddleware, add_compress_type

MINIMUM_SIZE = 1_024  # bodies under 1 KB are sent as they are: compressing them saves nothing

# GraphQL over HTTP's own media type is JSON too; the middleware's list predates it.
add_compress_type("application/graphql-response+json")


class BrotliFirst:
    """Drops zstd from an ``Accept-Encoding`` that also lists brotli, before compression reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            for index, (name, value) in enumerate(headers):
                if name == b"accept-encoding" and b"zstd" in value and b"br" in value:
                    kept = b", ".join(
                        part for part in value.split(b",") if not part.strip().lower().startswith(b"zstd")
                    )
                    scope = dict(
                        scope, headers=[*headers[:index], (name, kept.strip()), *headers[index + 1 :]]
                    )
                    break
        await self.app(scope, receive, send)


def compression() -> list[Middleware]:
    """The compression middlewares, outermost first."""
    return [Middleware(BrotliFirst), Middleware(CompressMiddleware, minimum_size=MINIMUM_SIZE)]
