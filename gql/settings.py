"""Gateway settings, from the environment (the CLI passes overrides)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gql.graphiql import default_folder

DEMO_TOKEN = "demo"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _batching(value: str | None) -> str:
    choice = (value or "auto").strip().lower()
    if choice not in {"auto", "never", "always"}:
        raise ValueError(f"FLASHBACK_ENTITY_BATCHING must be auto, never or always, not {value!r}")
    return choice


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """``api_url`` None means: run the local backend in-process and default to the demo token."""

    api_url: str | None = None
    service_token: str | None = None
    timeout_seconds: float = 15.0
    concurrency: int = 8
    report_upstream: bool = False
    entity_batching: str = "auto"
    federation_tracing: bool = False
    graphiql_folder: Path = field(default_factory=default_folder)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewaySettings:
        env = os.environ if env is None else env
        return cls(
            api_url=(env.get("FLASHBACK_API_URL") or None),
            service_token=(env.get("FLASHBACK_API_TOKEN") or None),
            timeout_seconds=float(env.get("FLASHBACK_API_TIMEOUT", "15")),
            concurrency=int(env.get("FLASHBACK_UPSTREAM_CONCURRENCY", "8")),
            report_upstream=_flag(env.get("FLASHBACK_REPORT_UPSTREAM")),
            entity_batching=_batching(env.get("FLASHBACK_ENTITY_BATCHING")),
            federation_tracing=_flag(env.get("FLASHBACK_FEDERATION_TRACING")),
            graphiql_folder=Path(env.get("FLASHBACK_GRAPHIQL_DIR") or default_folder()),
        )

    def authorization(self, header: str | None) -> str | None:
        """The Authorization to send upstream: the caller's, else the service or demo token."""
        if header:
            return header
        if self.api_url is None:
            return f"Bearer {DEMO_TOKEN}"
        return f"Bearer {self.service_token}" if self.service_token else None
