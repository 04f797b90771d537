"""Cross-origin access for browser apps: Starlette's CORS middleware, answering in JSON.

Origins come from ``FLASHBACK_CORS_ORIGINS``, the request headers a preflight may ask for from
``FLASHBACK_CORS_HEADERS`` (by default ``DEFAULT_ALLOWED_HEADERS``: what a dashboard and the common
clients send). An allowed preflight is a 204 with no body, cached by the browser for
``MAX_AGE_SECONDS``; a refused one says why, as JSON like every other answer.
"""

from __future__ import annotations

import orjson
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

# Request headers browser apps send to a GraphQL API, beyond the CORS-safelisted ones: the
# credentials and body type; ours (the upstream report, request ids); Apollo Client's
# client-awareness headers and Apollo's CSRF-prevention header; W3C trace context with baggage
# (OpenTelemetry's browser instrumentation); Sentry's tracing headers; conditional GETs.
DEFAULT_ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "X-Upstream-Report",
    "X-Request-Id",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
    "If-None-Match",
)
EXPOSED_HEADERS = ("X-Request-Id", "ETag")
MAX_AGE_SECONDS = 600


class JsonCorsMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            # Starlette's "OK" body goes, and its length and type with it: a 204 has no body.
            kept = {
                k: v
                for k, v in response.headers.items()
                if k.lower() not in {"content-length", "content-type"}
            }
            return Response(status_code=204, headers=kept)
        reason = bytes(response.body).decode()
        body = {
            "errors": [
                {
                    "message": f"{reason}: this origin, method or header may not call the API.",
                    "extensions": {"code": "CORS_REJECTED"},
                }
            ]
        }
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in {"content-length", "content-type"}
        }
        return Response(orjson.dumps(body), status_code=403, media_type="application/json", headers=headers)


def cors(origins: list[str], headers: list[str]) -> Middleware:
    """``origins`` that may call, and the request ``headers`` their preflights may ask for."""
    return Middleware(
        JsonCorsMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=headers,
        expose_headers=list(EXPOSED_HEADERS),
        max_age=MAX_AGE_SECONDS,
    )
