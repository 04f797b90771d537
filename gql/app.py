"""The gateway's HTTP app: ``/graphql`` (POST, GET for queries, GraphiQL in a browser), the
GraphiQL files, and ``/healthz``."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gql.graphiql import GraphiQL
from gql.schema import create_schema
from gql.settings import GatewaySettings
from local_backend.settings import BackendSettings
from resolvers.client import UpstreamClient
from resolvers.context import RequestContext

REPORT_HEADER = "x-upstream-report"
LOCAL_BASE_URL = "http://local-backend"


class GatewayView(GraphQL[RequestContext, None]):
    def __init__(self, settings: GatewaySettings, client: UpstreamClient, schema: Any) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.settings = settings
        self.client = client
        self.graphiql = GraphiQL(settings.graphiql_folder)

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        header = request.headers.get("authorization")
        report = self.settings.report_upstream or request.headers.get(REPORT_HEADER, "").lower() in {
            "1",
            "true",
        }
        return RequestContext.create(
            self.client,
            self.settings.authorization(header),
            self.settings.concurrency,
            report,
            self.settings.entity_batching,
            request,
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return self.graphiql.html()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def _local_backend(settings: BackendSettings) -> tuple[httpx.AsyncBaseTransport, Any]:
    """The local backend in-process, behind an httpx transport: no port, no network."""
    from local_backend.app import create_backend_app

    backend = create_backend_app(settings)
    return httpx.ASGITransport(app=backend), backend


def create_app(
    settings: GatewaySettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    schema: Any = None,
    backend_settings: BackendSettings | None = None,
) -> Starlette:
    """The gateway. ``transport`` replaces the upstream connection (tests pass a backend app's);
    without it and without ``api_url``, the local backend runs in-process with ``backend_settings``."""
    settings = settings or GatewaySettings()
    backend: Any = None
    if transport is None and settings.api_url is None:
        transport, backend = _local_backend(backend_settings or BackendSettings.from_env({}))
    http = httpx.AsyncClient(
        transport=transport,
        base_url=settings.api_url or LOCAL_BASE_URL,
        timeout=settings.timeout_seconds,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )
    view = GatewayView(settings, UpstreamClient(http), schema or create_schema(settings.federation_tracing))

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if backend is not None:
                await stack.enter_async_context(backend.router.lifespan_context(backend))
            stack.push_async_callback(http.aclose)
            yield

    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            Route("/graphiql/{name}", view.graphiql.asset, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app


LAUNCH_VARIABLE = "FLASHBACK_GQL_LAUNCH"


def launch_environment(settings: GatewaySettings, backend: BackendSettings) -> dict[str, str]:
    """What a worker process needs to build the app the command checked: both settings, as JSON."""
    fields = {**dataclasses.asdict(backend), "db_path": str(backend.db_path)}
    return {LAUNCH_VARIABLE: orjson.dumps({"gateway": settings.to_launch(), "backend": fields}).decode()}


def launched_app(environment: Mapping[str, str] = os.environ) -> Starlette:
    """The app of a worker process (uvicorn's factory), from ``launch_environment``."""
    launch = orjson.loads(environment[LAUNCH_VARIABLE])
    backend = BackendSettings(**{**launch["backend"], "db_path": Path(launch["backend"]["db_path"])})
    return create_app(GatewaySettings.from_launch(launch["gateway"]), backend_settings=backend)
