"""OpenTelemetry: a request's trace holds the operation's span and one child span per upstream call,
continues the caller's trace, and carries it to the upstream in ``traceparent``; with no ``OTEL_*``
variable set there is no tracing at all."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from gql.server.tracing import Tracing, provider_from_environment, traced
from tests.gateway import Gateway
from tests.servers import serve

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"
DASHBOARD = (
    "query Dashboard { stats(window: LAST_24H) { ai { timeSeries { summary { total } } }"
    " storage { timeSeries { summary { total } } } } }"
)


class HeaderRecorder(httpx.AsyncBaseTransport):
    """The local backend, noting the ``traceparent`` of every request it gets."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.traceparents: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.traceparents.append(request.headers.get("traceparent"))
        return await self.inner.handle_async_request(request)


@pytest.fixture
def traced_gateway(backend_app: Starlette) -> Iterator[tuple[Gateway, InMemorySpanExporter, HeaderRecorder]]:
    exporter = InMemorySpanExporter()
    tracing = Tracing(traced(Resource.create({}), [SimpleSpanProcessor(exporter)]))
    upstream = HeaderRecorder(backend_app)
    gateway = Gateway(create_app(GatewaySettings(response_cache=False), transport=upstream, tracing=tracing))
    yield gateway, exporter, upstream
    gateway.close()


def _ask(gateway: Gateway, query: str, headers: dict[str, str]) -> httpx.Response:
    return gateway._runner.run(
        gateway._client.post(
            "/graphql",
            json={"query": query},
            headers={"Authorization": "Bearer demo", "X-Upstream-Report": "1", **headers},
        )
    )


def test_the_trace_holds_the_operation_and_one_child_per_upstream_call(
    traced_gateway: tuple[Gateway, InMemorySpanExporter, HeaderRecorder],
) -> None:
    gateway, exporter, _ = traced_gateway
    answer = _ask(gateway, DASHBOARD, {"traceparent": TRACEPARENT}).json()
    calls = answer["extensions"]["upstream"]["calls"]
    spans = exporter.get_finished_spans()
    [operation] = [s for s in spans if s.name == "query Dashboard"]
    children = [s for s in spans if s.parent is not None and s.parent.span_id == operation.context.span_id]

    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Dashboard"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert len(str(operation.attributes["graphql.document.hash"])) == 64
    assert f"{operation.context.trace_id:032x}" == CALLER_TRACE
    assert len(calls) == 2 and len(children) == len(calls)
    assert sorted(_path(s) for s in children) == sorted(c["path"] for c in calls)
    assert all(s.context.trace_id == operation.context.trace_id for s in spans)


def _path(span: ReadableSpan) -> str:
    attributes = span.attributes or {}
    url = str(attributes.get("url.full") or attributes.get("http.url"))
    return httpx.URL(url).path


def test_the_upstream_receives_the_callers_trace_id(
    traced_gateway: tuple[Gateway, InMemorySpanExporter, HeaderRecorder],
) -> None:
    gateway, _, upstream = traced_gateway
    _ask(gateway, DASHBOARD, {"traceparent": TRACEPARENT})
    assert len(upstream.traceparents) == 2
    assert all(t is not None and t.split("-")[1] == CALLER_TRACE for t in upstream.traceparents)


def test_a_request_without_traceparent_starts_its_own_trace(
    traced_gateway: tuple[Gateway, InMemorySpanExporter, HeaderRecorder],
) -> None:
    gateway, exporter, upstream = traced_gateway
    _ask(gateway, DASHBOARD, {})
    [operation] = [s for s in exporter.get_finished_spans() if s.name == "query Dashboard"]
    assert operation.parent is None
    assert all(
        t is not None and t.split("-")[1] == f"{operation.context.trace_id:032x}"
        for t in upstream.traceparents
    )


def test_per_resolver_spans_only_when_asked_for(backend_app: Starlette) -> None:
    names = {}
    for resolver_spans in (False, True):
        exporter = InMemorySpanExporter()
        tracing = Tracing(traced(Resource.create({}), [SimpleSpanProcessor(exporter)]), resolver_spans)
        gateway = Gateway(
            create_app(
                GatewaySettings(response_cache=False),
                transport=httpx.ASGITransport(app=backend_app),
                tracing=tracing,
            )
        )
        try:
            _ask(gateway, DASHBOARD, {})
        finally:
            gateway.close()
        names[resolver_spans] = {s.name for s in exporter.get_finished_spans()}
    assert not any(n.startswith("GraphQL Resolving") for n in names[False])
    assert "GraphQL Resolving: stats" in names[True]


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"FLASHBACK_API_URL": "http://127.0.0.1:1"}, False),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_SERVICE_NAME": "stats", "OTEL_TRACES_EXPORTER": "none"}, False),
    ],
)
def test_tracing_is_on_only_when_an_otel_variable_asks_for_it(environ: dict[str, str], on: bool) -> None:
    provider = provider_from_environment(environ)
    assert (provider is not None) == on
    if provider is not None:
        assert provider.resource.attributes["service.name"] == "flashback-gql"
        provider.shutdown()


def test_a_real_upstream_gets_the_trace_and_a_span_per_call_too(backend_app: Starlette) -> None:
    """With ``FLASHBACK_API_URL`` the upstream is reached through aiohttp over a socket."""
    seen: list[str | None] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(dict(scope["headers"]).get(b"traceparent", b"").decode() or None)
        await backend_app(scope, receive, send)

    exporter = InMemorySpanExporter()
    tracing = Tracing(traced(Resource.create({}), [SimpleSpanProcessor(exporter)]))
    with serve(recording) as url:
        gateway = Gateway(create_app(GatewaySettings(api_url=url, response_cache=False), tracing=tracing))
        try:
            answer = _ask(gateway, DASHBOARD, {"traceparent": TRACEPARENT}).json()
        finally:
            gateway.close()
    assert "errors" not in answer and answer["extensions"]["upstream"]["count"] == 2
    spans = exporter.get_finished_spans()
    [operation] = [s for s in spans if s.name == "query Dashboard"]
    children = [s for s in spans if s.parent is not None and s.parent.span_id == operation.context.span_id]
    assert len(children) == 2
    assert len(seen) == 2 and all(t is not None and t.split("-")[1] == CALLER_TRACE for t in seen)


def test_every_exporter_named_gets_the_spans() -> None:
    provider = provider_from_environment({"OTEL_TRACES_EXPORTER": "console, otlp"})
    assert provider is not None
    try:
        exporters = [p.span_exporter for p in provider._active_span_processor._span_processors]  # type: ignore[attr-defined]
        assert sorted(type(e).__name__ for e in exporters) == ["ConsoleSpanExporter", "OTLPSpanExporter"]
    finally:
        provider.shutdown()


def test_exporter_none_turns_tracing_off_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert provider_from_environment({"OTEL_TRACES_EXPORTER": "none"}) is None
    assert caplog.records == []


def test_otel_service_name_names_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "stats-gateway")
    provider = provider_from_environment(
        {"OTEL_SERVICE_NAME": "stats-gateway", "OTEL_TRACES_EXPORTER": "console"}
    )
    assert provider is not None
    try:
        assert provider.resource.attributes["service.name"] == "stats-gateway"
    finally:
        provider.shutdown()
