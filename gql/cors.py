"""Cross-origin access for browser apps: Starlette's CORS middleware, answering in JSON.

Origins come from ``FLASHBACK_CORS_ORIGINS``; preflights are answered for GET and POST with the
headers a dashboard sends (``Authorization``, ``Content-Type``, the upstream report, request ids
and trace context). A refused preflight says why, as JSON like every other answer.
"""

from __future__ import annotations

import orjson
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept",
    "X-Upstream-Report",
    "X-Request-Id",
    "traceparent",
]


class JsonCorsMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return Response(status_code=204, headers=dict(response.headers))
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


def cors(origins: list[str]) -> Middleware:
    return Middleware(
        JsonCorsMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=["X-Request-Id"],
        max_age=600,
    )
