"""What one GraphQL request carries: its loaders, its credentials' verdict and its call log."""

from __future__ import annotations

from dataclasses import dataclass, field

from resolvers.client import CallLog, Deadline, UpstreamClient
from resolvers.entity_batch import EntitySeriesLoader
from resolvers.errors import MissingCredentials
from resolvers.loaders import CallCache, UpstreamLoader


@dataclass(frozen=True, slots=True)
class Loaders:
    """The per-request loaders: REST calls, and many entities' series answered together."""

    upstream: UpstreamLoader
    entity_series: EntitySeriesLoader


@dataclass(slots=True)
class RequestContext:
    """Built per request; ``loaders`` is None when the request carries no credentials at all."""

    loaders: Loaders | None
    report_upstream: bool = False
    log: CallLog = field(default_factory=CallLog)
    request: object | None = None  # the HTTP request, for extensions that read its headers
    prepared: object | None = None  # the request's checked document (gql.pipeline.documents.PreparedDocument)

    @classmethod
    def create(
        cls,
        client: UpstreamClient,
        authorization: str | None,
        concurrency: int,
        report_upstream: bool,
        entity_batching: str = "auto",
        request: object | None = None,
        max_calls: int | None = None,
        deadline_seconds: float | None = None,
        cache: CallCache | None = None,
    ) -> RequestContext:
        """``entity_batching``: "auto" by the rule in resolvers.entity_batch, "never" or "always";
        ``max_calls`` and ``deadline_seconds`` bound the request's upstream calls in number and time;
        ``cache``, when given, answers calls it holds and shares calls in flight."""
        log = CallLog()
        loaders = None
        if authorization is not None:
            deadline = None if deadline_seconds is None else Deadline.after(deadline_seconds)
            upstream = UpstreamLoader(client, authorization, concurrency, log, max_calls, deadline, cache)
            loaders = Loaders(upstream, EntitySeriesLoader(upstream, entity_batching))
        return cls(loaders, report_upstream, log, request)

    def release(self) -> None:
        """Let go of everything the request loaded, once it has executed.

        The executor that held this context may still sit in a reference cycle when execution
        ended early (``gql.pipeline.row_form`` breaks it when an operation finishes); a context emptied
        here keeps the request's payloads out of that cycle, so reference counting frees them
        with the answer rather than the cycle collector later (the loaders make no cycle of
        their own: ``resolvers.loaders.batch_function``)."""
        self.loaders = None

    def require_loaders(self) -> Loaders:
        """The loaders, or ``MissingCredentials`` when there is no token to send upstream."""
        if self.loaders is None:
            raise MissingCredentials()
        return self.loaders
