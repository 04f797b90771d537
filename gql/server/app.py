"""The gateway's HTTP app: ``/graphql`` (POST, GET for queries, GraphiQL in a browser), the
GraphiQL files, ``/healthz`` (liveness) and ``/readyz`` (the upstream answers, the breaker is closed)."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from gql.live.service import ContextMaker, LiveLimits, LiveService
from gql.live.sharing import RefreshCalls, RefreshShare
from gql.live.websocket import Connection
from gql.pipeline.budget import Budget
from gql.pipeline.documents import DocumentCache, PreparedDocument
from gql.pipeline.engine import engine_schema
from gql.pipeline.execution import runs_directly
from gql.pipeline.operations import OperationCache
from gql.pipeline.persisted import PersistedQueries, load_manifest
from gql.server import logs, metrics
from gql.server.answers import AnswerCache
from gql.server.compression import compression
from gql.server.cors import cors
from gql.server.graphiql import GraphiQL
from gql.server.http import CallerContext, ContextFactory, EndpointParts, GraphQLEndpoint
from gql.server.readiness import Readiness
from gql.server.request_ids import RequestIdMiddleware
from gql.server.settings import GatewaySettings
from gql.server.tracing import Tracing, provider_from_environment
from local_backend.settings import BackendSettings
from resolvers.breaker import CircuitBreaker
from resolvers.cache_stores import CacheStore, MemoryStore, RedisStore
from resolvers.client import UpstreamClient
from resolvers.context import RequestContext
from resolvers.response_cache import DEFAULT_SECONDS as CACHE_SECONDS
from resolvers.response_cache import ResponseCache
from resolvers.upstream_http import AiohttpUpstream, HttpxUpstream, UpstreamHttp

REPORT_HEADER = "x-upstream-report"
MAX_UPSTREAM_CONNECTIONS = 100
GC_YOUNG_THRESHOLD = 50_000
LOCAL_BASE_URL = "http://local-backend"


def _report_requested(settings: GatewaySettings, request: Request) -> bool:
    return settings.report_upstream or request.headers.get(REPORT_HEADER, "").lower() in {"1", "true"}


def _response_cache(settings: GatewaySettings) -> ResponseCache | None:
    """The response cache the settings ask for: None, in this process, or in a shared Redis."""
    if not settings.response_cache:
        return None
    store: CacheStore = (
        RedisStore(settings.cache_redis_url)
        if settings.cache_redis_url
        else MemoryStore(settings.cache_bytes)
    )
    secret = settings.cache_secret.encode() if settings.cache_secret else None
    return ResponseCache(store, settings.cache_seconds, secret)


def _context_factory(
    settings: GatewaySettings, client: UpstreamClient, cache: ResponseCache | None
) -> ContextFactory:
    def context(request: Request, prepared: PreparedDocument, report: bool) -> CallerContext:
        credential = settings.authorization(request.headers.get("authorization"))
        built = RequestContext.create(
            client,
            credential,
            settings.concurrency,
            report,
            settings.entity_batching,
            request,
            settings.max_upstream_calls,
            settings.request_deadline,
            cache,
        )
        built.prepared = prepared
        return CallerContext(built, credential)

    return context


def _live_context(settings: GatewaySettings, client: UpstreamClient) -> ContextMaker:
    """A live refresh's request context: an HTTP request's loaders and bounds, with the refresh's
    sharing (``gql.live.sharing``) in front of the upstream."""

    def context(credential: str | None, share: RefreshCalls) -> RequestContext:
        return RequestContext.create(
            client,
            credential,
            settings.concurrency,
            False,
            settings.entity_batching,
            None,
            settings.max_upstream_calls,
            settings.request_deadline,
            share,
        )

    return context


def _persisted_queries(settings: GatewaySettings) -> PersistedQueries:
    trusted = load_manifest(settings.trusted_documents) if settings.trusted_documents else None
    return PersistedQueries(
        trusted, settings.trusted_documents_only, settings.apq, max_entries=settings.apq_cache_size
    )


def _local_backend(settings: BackendSettings) -> tuple[httpx.AsyncBaseTransport, Any]:
    """The local backend in-process, behind an httpx transport: no port, no network."""
    from local_backend.app import create_backend_app

    backend = create_backend_app(settings)
    return httpx.ASGITransport(app=backend), backend


def _upstream(
    settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None, tracing: Tracing
) -> UpstreamHttp:
    """aiohttp's pool for a real upstream; an httpx client over ``transport`` (the in-process local
    backend, or a test's) otherwise."""
    if transport is None:
        assert settings.api_url is not None
        return AiohttpUpstream(
            settings.api_url,
            MAX_UPSTREAM_CONNECTIONS,
            tracing.aiohttp_trace_configs(),
            settings.max_upstream_bytes,
        )
    http = httpx.AsyncClient(
        transport=transport,
        base_url=settings.api_url or LOCAL_BASE_URL,
        timeout=settings.timeout_seconds,
        limits=httpx.Limits(max_connections=MAX_UPSTREAM_CONNECTIONS, max_keepalive_connections=20),
    )
    tracing.instrument(http)
    return HttpxUpstream(http, settings.max_upstream_bytes)


def create_app(
    settings: GatewaySettings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    schema: Any = None,
    backend_settings: BackendSettings | None = None,
    tracing: Tracing | None = None,
) -> Starlette:
    """The gateway. ``transport`` replaces the upstream connection (tests pass a backend app's);
    without it and without ``api_url``, the local backend runs in-process with ``backend_settings``.
    ``schema`` replaces the one the settings' engine runs on."""
    settings = settings or GatewaySettings()
    backend: Any = None
    if transport is None and settings.api_url is None:
        transport, backend = _local_backend(backend_settings or BackendSettings.from_env({}))
    breaker = CircuitBreaker(settings.breaker_threshold, settings.breaker_cool_down)
    tracing = tracing or Tracing(provider_from_environment(), settings.trace_resolvers)
    upstream = _upstream(settings, transport, tracing)
    cache = _response_cache(settings)
    schema = schema or engine_schema(settings.engine, settings.federation_tracing, tracing.extension())
    graphiql = GraphiQL(settings.graphiql_folder)
    budget = Budget(settings.max_upstream_calls, settings.max_values, settings.entity_batching)
    client = UpstreamClient(upstream, settings.timeout_seconds, breaker, settings.secrets())
    documents = DocumentCache(
        schema._schema,
        settings.document_cache_size,
        settings.limits(),
        settings.document_cache_bytes,
        metrics.record_document_lookup,
    )
    operations = OperationCache(
        schema._schema,
        settings.limits(),
        budget.max_calls,
        settings.document_cache_size,
        settings.document_cache_bytes,
        plans=settings.engine == "plans" and runs_directly(schema),
    )
    live = LiveService(
        schema,
        settings.engine,
        documents,
        operations,
        budget,
        _live_context(settings, client),
        RefreshShare(cache, CACHE_SECONDS),
        LiveLimits(
            settings.live_min_refresh,
            settings.live_per_connection,
            settings.live_per_caller,
            settings.live_per_worker,
            settings.live_init_timeout,
        ),
        metrics.LiveMeter(),
        tracing.refresh,
    )
    endpoint = GraphQLEndpoint(
        EndpointParts(
            schema=schema,
            engine=settings.engine,
            documents=documents,
            operations=operations,
            persisted=_persisted_queries(settings),
            context=_context_factory(settings, client, cache),
            graphiql=graphiql.html,
            wants_report=lambda request: _report_requested(settings, request),
            budget=budget,
            breaker=breaker,
            tracing=tracing,
            answers=None if cache is None else AnswerCache(cache),
            live=live,
            credentials=settings.authorization,
        )
    )

    async def live_socket(socket: WebSocket) -> None:
        await Connection(socket, live, settings.authorization).serve()

    async def metrics_endpoint(request: Request) -> Response:
        metrics.record_breaker(breaker.state)
        return await metrics.endpoint(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def favicon(request: Request) -> Response:
        """Browsers ask for it on every GraphiQL visit: no icon, and no 404 in logs and metrics."""
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if backend is not None:
                await stack.enter_async_context(backend.router.lifespan_context(backend))
            stack.push_async_callback(upstream.close)
            if cache is not None:
                await cache.start()
                stack.push_async_callback(cache.close)
            # Everything built so far (schema, tables, modules) lives as long as the process: moved
            # out of the collector's generations, it is not traversed again by every collection.
            gc.collect()
            gc.freeze()
            # A request allocates tens of thousands of short-lived objects (decoded points, their
            # columns, result dicts) that reference counting frees. Collected every 700 allocations,
            # as by default, the survivors of each pass were scanned again and again: 20% of the
            # reference dashboard's CPU. Every 50,000, most are gone before a pass sees them.
            gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 100)
            stack.push_async_callback(live.close)
            yield

    app = Starlette(
        routes=[
            Route("/graphql", endpoint.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
            WebSocketRoute("/graphql", live_socket),
            Route("/graphiql/{name}", graphiql.asset, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/favicon.ico", favicon, methods=["GET"]),
            Route("/readyz", Readiness(upstream, breaker).endpoint, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(RequestIdMiddleware),
            cors(settings.allowed_origins(), settings.allowed_headers()),
            # JSON and GraphiQL's files in brotli, zstd or gzip, as the client accepts: the reference
            # dashboard's 214 KB and GraphiQL's 3.5 MB script shrink several times over (docs/gateway.md).
            *compression(),
        ],
    )
    app.state.settings = settings
    app.state.live = live
    return app


LAUNCH_VARIABLE = "FLASHBACK_GQL_LAUNCH"


def launch_environment(settings: GatewaySettings, backend: BackendSettings) -> dict[str, str]:
    """What a worker process needs to build the app the command checked: both settings, as JSON."""
    fields = {**dataclasses.asdict(backend), "db_path": str(backend.db_path)}
    return {LAUNCH_VARIABLE: orjson.dumps({"gateway": settings.to_launch(), "backend": fields}).decode()}


def launched_app(environment: Mapping[str, str] = os.environ) -> Starlette:
    """The app of a worker process (uvicorn's factory), from ``launch_environment``."""
    logs.configure()
    launch = orjson.loads(environment[LAUNCH_VARIABLE])
    backend = BackendSettings(**{**launch["backend"], "db_path": Path(launch["backend"]["db_path"])})
    return create_app(GatewaySettings.from_launch(launch["gateway"]), backend_settings=backend)
