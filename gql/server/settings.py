"""The gateway's settings: read once at the edge, checked, and passed down as one value.

``GatewaySettings.from_env`` is the only reader of the ``FLASHBACK_*`` variables of the gateway.
An invalid or out-of-range value is a ``SettingsError`` whose one line names the variable and what
it accepts; the command prints that line and exits with status 2. Worker processes get the checked
settings from the command that started them (``to_launch``/``from_launch``), not from the
environment again.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from gql.pipeline.execution import Engine
from gql.pipeline.limits import Limits
from gql.server.cors import DEFAULT_ALLOWED_HEADERS
from gql.server.graphiql import default_folder
from gql.server.server_guard import ServerBounds, connection_cap
from resolvers.response_cache import DEFAULT_SECONDS as CACHE_SECONDS
from resolvers.response_cache import MAX_SECONDS as CACHE_MAX_SECONDS
from resolvers.upstream_http import DEFAULT_MAX_BYTES as DEFAULT_MAX_UPSTREAM_BYTES

DEMO_TOKEN = "demo"
_SERVER = ServerBounds()
_LIMITS = Limits()  # the limits' defaults, measured in docs/protection.md


def _env(name: str, about: str, **bounds: Any) -> Any:
    return Field(validation_alias=name, description=about, **bounds)


def _secret(name: str, about: str) -> Any:
    """An optional setting that may hold credentials: unset by default, never in ``repr``."""
    return Field(default=None, validation_alias=name, description=about, repr=False)


# An empty variable counts as unset, except where empty is itself a choice.
_EMPTY_MEANS_NONE = {"FLASHBACK_CORS_ORIGINS"}


class SettingsError(ValueError):
    """One line for an operator: which variable is wrong and what it accepts."""


class GatewaySettings(BaseModel):
    """``api_url`` None means: run the local backend in-process and default to the demo token."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    host: str = _env("FLASHBACK_GQL_HOST", "Address to listen on.", default="127.0.0.1")
    port: int = _env("FLASHBACK_GQL_PORT", "Port to listen on.", default=8000, ge=0, le=65_535)
    workers: int = _env(
        "FLASHBACK_GQL_WORKERS", "Worker processes (uvloop and httptools above 1).", default=1, ge=1, le=64
    )
    api_url: str | None = _env(
        "FLASHBACK_API_URL", "The upstream's base URL; unset runs the local backend in-process.", default=None
    )
    service_token: str | None = _secret(
        "FLASHBACK_API_TOKEN",
        "Token for callers that send none (with FLASHBACK_API_URL).",
    )
    max_upstream_bytes: int = _env(
        "FLASHBACK_MAX_UPSTREAM_BYTES",
        "Upstream bytes one request reads, all its calls together; a call past it fails its fields with UPSTREAM_ERROR.",
        default=DEFAULT_MAX_UPSTREAM_BYTES,
        ge=65_536,
        le=1 << 34,
    )
    timeout_seconds: float = _env(
        "FLASHBACK_API_TIMEOUT", "Seconds per upstream call.", default=15.0, gt=0, le=300
    )
    concurrency: int = _env(
        "FLASHBACK_UPSTREAM_CONCURRENCY",
        "Upstream calls at once per GraphQL request.",
        default=8,
        ge=1,
        le=256,
    )
    report_upstream: bool = _env(
        "FLASHBACK_REPORT_UPSTREAM", "Report upstream calls in every response.", default=False
    )
    entity_batching: Literal["auto", "never", "always"] = _env(
        "FLASHBACK_ENTITY_BATCHING", "When federated entities share a breakdown.", default="auto"
    )
    engine: Engine = _env(
        "FLASHBACK_ENGINE", "How operations run (gql/pipeline/execution.py).", default="plans"
    )
    federation_tracing: bool = _env(
        "FLASHBACK_FEDERATION_TRACING", "Answer FTV1 trace requests.", default=False
    )
    trace_resolvers: bool = _env(
        "FLASHBACK_TRACE_RESOLVERS",
        "A span per resolved field under each operation's span, when OTEL_* tracing is on.",
        default=False,
    )
    graphiql_folder: Path = _env(
        "FLASHBACK_GRAPHIQL_DIR", "Where GraphiQL's files are installed.", default_factory=default_folder
    )
    cors_origins: str | None = _env(
        "FLASHBACK_CORS_ORIGINS",
        "Origins a browser app may call from, comma-separated, or *; empty: none. Unset: * on the local"
        " backend (demo data), none otherwise.",
        default=None,
    )
    cors_headers: str = _env(
        "FLASHBACK_CORS_HEADERS",
        "Request headers a browser app may send cross-origin, comma-separated (replaces the list).",
        default=", ".join(DEFAULT_ALLOWED_HEADERS),
    )
    apq: bool = _env("FLASHBACK_APQ", "Accept Apollo's automatic persisted queries.", default=True)
    apq_cache_size: int = _env(
        "FLASHBACK_APQ_CACHE_SIZE",
        "Automatic persisted queries kept (10 MB at most).",
        default=1_000,
        ge=1,
        le=100_000,
    )
    document_cache_size: int = _env(
        "FLASHBACK_DOCUMENT_CACHE_SIZE",
        "Parsed and validated documents kept, by the hash of their text.",
        default=1_000,
        ge=1,
        le=100_000,
    )
    document_cache_bytes: int = _env(
        "FLASHBACK_DOCUMENT_CACHE_BYTES",
        "Bytes each of the document, plan and estimate caches may hold (their text, fields and variables).",
        default=64 * 1024 * 1024,
        ge=1_048_576,
        le=1 << 40,
    )
    trusted_documents: Path | None = _env(
        "FLASHBACK_TRUSTED_DOCUMENTS",
        "A persisted-query manifest (Apollo's format) served by id.",
        default=None,
    )
    trusted_documents_only: bool = _env(
        "FLASHBACK_TRUSTED_DOCUMENTS_ONLY", "Refuse every document not in the manifest.", default=False
    )

    request_deadline: float = _env(
        "FLASHBACK_REQUEST_DEADLINE",
        "Seconds a request may wait for the upstream in all; then pending calls are cancelled.",
        default=10.0,
        gt=0,
        le=300,
    )
    max_upstream_calls: int = _env(
        "FLASHBACK_MAX_UPSTREAM_CALLS",
        "Distinct upstream calls one request may make.",
        default=30,
        ge=1,
        le=10_000,
    )
    max_values: int = _env(
        "FLASHBACK_MAX_VALUES",
        "Values (points x entities x metrics) one request may produce.",
        default=320_000,
        ge=1,
        le=100_000_000,
    )
    max_body_bytes: int = _env(
        "FLASHBACK_MAX_BODY_BYTES",
        "Largest request body.",
        default=_LIMITS.max_body_bytes,
        ge=1_024,
        le=100_000_000,
    )
    max_tokens: int = _env(
        "FLASHBACK_MAX_TOKENS", "Most tokens in a document.", default=_LIMITS.max_tokens, ge=10, le=1_000_000
    )
    max_depth: int = _env(
        "FLASHBACK_MAX_DEPTH", "Deepest nesting of fields.", default=_LIMITS.max_depth, ge=1, le=1_000
    )
    max_aliases: int = _env(
        "FLASHBACK_MAX_ALIASES", "Most aliases in a document.", default=_LIMITS.max_aliases, ge=0, le=100_000
    )
    max_root_fields: int = _env(
        "FLASHBACK_MAX_ROOT_FIELDS",
        "Most root fields in an operation.",
        default=_LIMITS.max_root_fields,
        ge=1,
        le=10_000,
    )
    max_directives: int = _env(
        "FLASHBACK_MAX_DIRECTIVES",
        "Most directives in a document.",
        default=_LIMITS.max_directives,
        ge=0,
        le=100_000,
    )
    max_fields: int = _env(
        "FLASHBACK_MAX_FIELDS",
        "Most fields in an operation once its fragments are spread where they are used.",
        default=_LIMITS.max_fields,
        ge=1,
        le=1_000_000,
    )
    max_representations: int = _env(
        "FLASHBACK_MAX_REPRESENTATIONS",
        "Most representations in one _entities call.",
        default=_LIMITS.max_representations,
        ge=1,
        le=100_000,
    )
    breaker_threshold: int = _env(
        "FLASHBACK_BREAKER_THRESHOLD",
        "Upstream faults in a row that open the circuit breaker.",
        default=5,
        ge=1,
        le=1_000,
    )
    breaker_cool_down: float = _env(
        "FLASHBACK_BREAKER_COOL_DOWN",
        "Seconds the open breaker fails fast before probing.",
        default=10.0,
        gt=0,
        le=600,
    )

    live_min_refresh: int = _env(
        "FLASHBACK_LIVE_MIN_REFRESH",
        "Fewest seconds between two refreshes of a live subscription; a smaller refreshSeconds is raised to it.",
        default=10,
        ge=1,
        le=86_400,
    )
    live_per_connection: int = _env(
        "FLASHBACK_LIVE_PER_CONNECTION",
        "Most live subscriptions on one connection.",
        default=50,
        ge=1,
        le=10_000,
    )
    live_per_caller: int = _env(
        "FLASHBACK_LIVE_PER_CALLER",
        "Most live subscriptions of one set of credentials in one worker.",
        default=500,
        ge=1,
        le=1_000_000,
    )
    live_per_worker: int = _env(
        "FLASHBACK_LIVE_PER_WORKER",
        "Most live subscriptions in one worker.",
        default=10_000,
        ge=1,
        le=1_000_000,
    )
    live_init_timeout: float = _env(
        "FLASHBACK_LIVE_INIT_TIMEOUT",
        "Seconds a WebSocket may take to send connection_init before it is closed (4408).",
        default=3.0,
        gt=0,
        le=600,
    )

    response_cache: bool = _env(
        "FLASHBACK_RESPONSE_CACHE",
        "Share upstream answers across requests for a few seconds (docs/gateway.md, the response cache).",
        default=True,
    )
    cache_redis_url: str | None = _secret(
        "FLASHBACK_CACHE_REDIS_URL",
        "Redis that every worker and replica keeps the response cache in; unset keeps it in"
        " each process's memory.",
    )
    cache_bytes: int = _env(
        "FLASHBACK_CACHE_BYTES",
        "Bytes of upstream answers the in-process response cache holds.",
        default=64 * 1024 * 1024,
        ge=1_048_576,
        le=1 << 40,
    )
    cache_seconds: float = _env(
        "FLASHBACK_CACHE_SECONDS",
        "Seconds an answer without Cache-Control is served from the cache; 0 keeps only what the upstream"
        " marks fresh.",
        default=float(CACHE_SECONDS),
        ge=0,
        le=CACHE_MAX_SECONDS,
    )
    cache_secret: str | None = _secret(
        "FLASHBACK_CACHE_SECRET",
        "Key of the keyed hash that stands for callers in cache keys; unset, each process"
        " makes one, or the first stores one in Redis for all.",
    )

    max_connections: int = _env(
        "FLASHBACK_MAX_CONNECTIONS",
        "Open client connections per worker; past it idle ones are closed, then only probes are"
        " answered. Lowered to fit the file-descriptor limit.",
        default=_SERVER.max_connections,
        ge=16,
        le=1_000_000,
    )
    header_seconds: float = _env(
        "FLASHBACK_HEADER_TIMEOUT",
        "Seconds a client may take to send a request's headers; then 408 and the connection closes.",
        default=_SERVER.header_seconds,
        gt=0,
        le=600,
    )
    body_seconds: float = _env(
        "FLASHBACK_BODY_TIMEOUT",
        "Seconds a client may take to send a request's body once its headers are in.",
        default=_SERVER.body_seconds,
        gt=0,
        le=600,
    )
    keep_alive_seconds: float = _env(
        "FLASHBACK_KEEP_ALIVE_TIMEOUT",
        "Seconds an idle keep-alive connection is kept open after a response.",
        default=5.0,
        gt=0,
        le=600,
    )
    drain_seconds: float = _env(
        "FLASHBACK_DRAIN_SECONDS",
        "On SIGTERM, seconds in-flight requests may take to finish before they are cut off.",
        default=20.0,
        gt=0,
        le=600,
    )

    def limits(self) -> Limits:
        """The document limits: each a setting of the same name (``FLASHBACK_MAX_...``)."""
        return Limits(**{limit.name: getattr(self, limit.name) for limit in dataclasses.fields(Limits)})

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GatewaySettings:
        """The settings from ``FLASHBACK_*`` variables; an empty variable counts as unset."""
        names = {field.validation_alias for field in cls.model_fields.values()}
        given = {
            name: value.strip()
            for name, value in env.items()
            if name in names and (value.strip() or name in _EMPTY_MEANS_NONE)
        }
        try:
            settings = cls.model_validate(given)
        except ValidationError as exc:
            raise SettingsError(_describe(exc, given)) from None
        settings.check_together()
        return settings

    @field_validator("api_url", "cache_redis_url")
    @classmethod
    def _a_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A URL with its scheme and host, checked at start rather than at the first call."""
        if value is None:
            return None
        parsed = urllib.parse.urlsplit(value)
        schemes = ("http", "https") if info.field_name == "api_url" else ("redis", "rediss", "unix")
        if parsed.scheme not in schemes or not (parsed.netloc or parsed.scheme == "unix"):
            raise ValueError(f"expected a {' or '.join(s + '://' for s in schemes)} URL")
        return value

    def check_together(self) -> None:
        """Refuse settings that are each valid but unsafe together."""
        if self.service_token and "*" in self.allowed_origins():
            raise SettingsError(
                "FLASHBACK_CORS_ORIGINS='*' with FLASHBACK_API_TOKEN set would let any website read"
                " the service token's data; list the origins that may call, or unset the token."
            )

    def server_bounds(self, fd_limit: int) -> ServerBounds:
        """The HTTP server's bounds, the connection cap fitted under ``fd_limit``."""
        return ServerBounds(
            max_connections=connection_cap(self.max_connections, fd_limit),
            header_seconds=self.header_seconds,
            body_seconds=self.body_seconds,
        )

    def secrets(self) -> tuple[str | None, ...]:
        """Credentials the gateway holds: never shown to a caller, whatever the upstream sends."""
        return (self.service_token, self.cache_secret)

    def to_launch(self) -> str:
        """The checked settings as JSON, for worker processes (``from_launch``)."""
        return self.model_dump_json()

    @classmethod
    def from_launch(cls, text: str) -> GatewaySettings:
        return cls.model_validate_json(text)

    def allowed_origins(self) -> list[str]:
        """The CORS origins: the setting's list, or every origin on the demo data when it is unset."""
        if self.cors_origins is None:
            return ["*"] if self.api_url is None else []
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    def allowed_headers(self) -> list[str]:
        """The request headers a cross-origin caller may send (CORS-safelisted ones always)."""
        return [header.strip() for header in self.cors_headers.split(",") if header.strip()]

    def authorization(self, header: str | None) -> str | None:
        """The Authorization to send upstream: the caller's, else the service or demo token."""
        if header:
            return header
        if self.api_url is None:
            return f"Bearer {DEMO_TOKEN}"
        return f"Bearer {self.service_token}" if self.service_token else None


def allowed_values(name: str) -> str:
    """What a setting accepts, in words: for its one-line error and the reference table."""
    field = next(f for f in GatewaySettings.model_fields.values() if f.validation_alias == name)
    low = next((m for m in field.metadata if isinstance(m, annotated_types.Ge | annotated_types.Gt)), None)
    high = next((m for m in field.metadata if isinstance(m, annotated_types.Le)), None)
    if field.annotation is bool:
        return "1, true, yes or on; 0, false, no or off"
    if get_origin(field.annotation) is Literal:
        *others, last = get_args(field.annotation)
        return f"{', '.join(others)} or {last}"
    if low is not None and high is not None:
        start = f"{low.ge}" if isinstance(low, annotated_types.Ge) else f"more than {low.gt}"
        return f"{start} to {high.le}"
    return "any"


def _describe(error: ValidationError, given: Mapping[str, str]) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0])
    return f"{name}={given.get(name, '')!r} is not valid ({first['msg'].lower()}); allowed: {allowed_values(name)}"
