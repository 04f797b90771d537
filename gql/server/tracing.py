"""OpenTelemetry traces: one span per GraphQL operation, one child span per upstream call, and the
caller's W3C ``traceparent`` continued into the upstream's.

Configured by the standard ``OTEL_*`` variables (``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_TRACES_EXPORTER``, ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES`` ...) and off when none
is set, so a deployment without a collector pays nothing. The upstream spans are
opentelemetry-instrumentation-httpx's, on the gateway's one upstream client; per-resolver spans
(Strawberry's extension, ``FLASHBACK_TRACE_RESOLVERS``) are off by default: a dashboard resolves
thousands of fields.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Generator, Iterator, Mapping
from typing import Any

import httpx
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, SpanKind
from strawberry.extensions import LifecycleStep
from strawberry.extensions.tracing import OpenTelemetryExtension

log = logging.getLogger(__name__)

# Any of these set turns tracing on; OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none keeps it off.
SWITCHES = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SERVICE_NAME",
)
SERVICE_NAME = "flashback-gql"


def _exporter(name: str) -> SpanExporter | None:
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    log.warning("OTEL_TRACES_EXPORTER names %r, which this gateway does not have (otlp, console)", name)
    return None


def provider_from_environment(environ: Mapping[str, str] = os.environ) -> TracerProvider | None:
    """The tracer provider the ``OTEL_*`` variables describe, or None when they turn tracing off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if not any(environ.get(name) for name in SWITCHES):
        return None
    names = [n.strip() for n in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",") if n.strip()]
    exporters = [e for e in map(_exporter, names) if e is not None] if names != ["none"] else []
    if not exporters:
        return None
    defaults = {} if environ.get("OTEL_SERVICE_NAME") else {"service.name": SERVICE_NAME}
    processors: list[SpanProcessor] = [BatchSpanProcessor(e) for e in exporters]
    return traced(Resource.create(defaults), processors)


def traced(resource: Resource, processors: list[SpanProcessor]) -> TracerProvider:
    provider = TracerProvider(resource=resource)
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


class Tracing:
    """The gateway's spans, or none at all when ``provider`` is None."""

    def __init__(self, provider: TracerProvider | None, resolver_spans: bool = False) -> None:
        self.provider = provider
        self.resolver_spans = resolver_spans and provider is not None
        self.tracer = trace.get_tracer(SERVICE_NAME, tracer_provider=provider or trace.NoOpTracerProvider())

    def instrument(self, client: httpx.AsyncClient) -> None:
        """A child span per upstream call, and ``traceparent`` on every upstream request."""
        if self.provider is not None:
            HTTPXClientInstrumentor.instrument_client(client, tracer_provider=self.provider)

    def aiohttp_trace_configs(self) -> list[Any]:
        """The same for a real upstream, reached through aiohttp (``resolvers.upstream_http``)."""
        if self.provider is None:
            return []
        return [create_trace_config(tracer_provider=self.provider)]

    @contextlib.contextmanager
    def operation(self, headers: Mapping[str, str]) -> Iterator[Span]:
        """The operation's span, current while the request runs, continuing the caller's trace."""
        if self.provider is None:
            yield trace.INVALID_SPAN
            return
        with self.tracer.start_as_current_span(
            "graphql", context=propagate.extract(headers), kind=SpanKind.SERVER
        ) as span:
            yield span

    @contextlib.contextmanager
    def refresh(self, operation: str | None, subscribers: int) -> Iterator[None]:
        """A live cohort's refresh (``gql.live``): a span of its own, its upstream calls below it."""
        if self.provider is None:
            yield
            return
        with self.tracer.start_as_current_span("graphql.live.refresh", kind=SpanKind.INTERNAL) as span:
            span.set_attribute("graphql.operation.name", operation or "")
            span.set_attribute("flashback.live.subscribers", subscribers)
            yield

    def extension(self) -> type[OpenTelemetryExtension] | None:
        """Strawberry's per-resolver spans under the operation span, when asked for."""
        if not self.resolver_spans:
            return None
        provider = self.provider

        class ResolverSpans(OpenTelemetryExtension):
            def __init__(self, *, execution_context: Any = None) -> None:
                super().__init__(execution_context=execution_context, tracer_provider=provider)

            def on_operation(self) -> Generator[None, None, None]:
                # The operation span is the gateway's own (Tracing.operation), already current.
                self._span_holder[LifecycleStep.OPERATION] = trace.get_current_span()
                yield

        return ResolverSpans


def name_operation(span: Span, kind: str, name: str | None, document_hash: str) -> None:
    """Name the span as OpenTelemetry's GraphQL conventions do: ``query Dashboard``."""
    if not span.is_recording():
        return
    span.update_name(f"{kind} {name}" if name else kind)
    span.set_attribute("graphql.operation.type", kind)
    if name:
        span.set_attribute("graphql.operation.name", name)
    span.set_attribute("graphql.document.hash", document_hash)
