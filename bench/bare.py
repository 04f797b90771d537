"""Bare Starlette under the same uvicorn: the floor a Python ASGI server sets on this machine.

It answers ``POST /graphql`` with a fixed body the size of the small query's answer, so the speed
bench can state the gateway's throughput as a share of it. Run as ``python -m bench.bare PORT``.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"data":{"stats":{"ai":{"timeSeries":{"summary":{"total":123456.0}}}}}}'


async def answer(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/graphql", answer, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
