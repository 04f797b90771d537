"""What one GraphQL request carries: its loader, its credentials' verdict and its call log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from resolvers.errors import UNAUTHENTICATED, GatewayError
from resolvers.loaders import UpstreamLoader
from resolvers.upstream import CallLog, UpstreamClient


@dataclass(slots=True)
class RequestContext:
    """Built per request; ``loader`` is None when the request carries no credentials at all."""

    loader: UpstreamLoader | None
    report_upstream: bool = False
    log: CallLog = field(default_factory=CallLog)
    # "auto": by the rule in resolvers.entity_batch; "never": per entity; "always": by breakdown
    entity_batching: str = "auto"
    request: object | None = None  # the HTTP request, for extensions that read its headers
    batchers: dict[str, Any] = field(default_factory=dict)  # per-request loaders built on ``loader``

    @classmethod
    def create(
        cls,
        client: UpstreamClient,
        authorization: str | None,
        concurrency: int,
        report_upstream: bool,
        entity_batching: str = "auto",
        request: object | None = None,
    ) -> RequestContext:
        log = CallLog()
        loader = None if authorization is None else UpstreamLoader(client, authorization, concurrency, log)
        return cls(loader, report_upstream, log, entity_batching, request)

    def upstream(self) -> UpstreamLoader:
        if self.loader is None:
            raise GatewayError(
                UNAUTHENTICATED,
                "No credentials: send 'Authorization: Bearer <token>' (or run the gateway with"
                " FLASHBACK_API_TOKEN set).",
            )
        return self.loader
