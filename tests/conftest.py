"""Shared fixtures: one backend per test session, on a pinned clock, reached in-process.

The database is kept in .cache/ keyed by seed and clock, so a second run starts at once.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings, parse_now
from tests.gateway import Gateway
from tests.rewriting import RewritingTransport

ROOT = Path(__file__).resolve().parent.parent
# The suite runs in a zone far from UTC (+12:45/+13:45): code that slips into local time gives
# wrong days, months and instants here instead of passing by the accident of a UTC machine.
os.environ["TZ"] = "Pacific/Chatham"
time.tzset()

PINNED_NOW = "2026-11-20T15:07:00Z"
# The 19 paths of the contract; {by} filled with a dimension valid for each domain by ``concrete``.
CONTRACT_PATHS = (
    "/v2/stats/storage",
    "/v2/stats/storage/breakdown/{by}",
    "/v2/stats/storage/breakdown/providers",
    "/v2/stats/ai",
    "/v2/stats/ai/breakdown/{by}",
    "/v2/stats/private-chat",
    "/v2/stats/private-chat/breakdown/models",
    "/v2/stats/private-chat/breakdown/users",
    "/v2/stats/policies",
    "/v2/stats/policies/tokens",
    "/v2/stats/policies/breakdown/{by}",
    "/v2/stats/credits",
    "/v2/stats/credits/breakdown/{by}",
    "/stats/daily",
    "/stats/minute",
    "/aistats/daily",
    "/aistats/minute",
    "/ai/llm/stats",
    "/credits/stats/monthly",
)
TIME_SERIES_PATHS = [path for path in CONTRACT_PATHS if path.startswith("/v2") and "/breakdown/" not in path]


def concrete(path: str) -> str:
    return path.replace("{by}", "rules" if "/policies/" in path else "repos")


NOW = parse_now(PINNED_NOW)


class Api:
    """A synchronous client for the in-process backend, speaking real HTTP semantics via httpx."""

    def __init__(self, app: Starlette) -> None:
        self._runner = asyncio.Runner()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend")
        self.app = app

    def get(self, path: str, token: str | None = "demo", **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        query = {k: v for k, v in params.items() if v is not None}
        # httpx replaces a URL's own query string with ``params`` when both are given.
        return self._runner.run(self._client.get(path, params=query or None, headers=headers))

    def ok(self, path: str, token: str | None = "demo", **params: Any) -> Any:
        response = self.get(path, token, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()


def shared(fixture_name: str, config: pytest.Config) -> Literal["session", "function"]:
    """Apps and clients are built once per session; while a mutation run maps which tests reach
    which code (its "stats" phase), once per test, so that building them counts for every test that
    uses them and not only for the first (scripts/mutation, docs/testing.md)."""
    return "function" if os.environ.get("MUTANT_UNDER_TEST") == "stats" else "session"


def per_module(fixture_name: str, config: pytest.Config) -> Literal["module", "function"]:
    """As ``shared``, for fixtures a test module builds for its own tests."""
    return "function" if os.environ.get("MUTANT_UNDER_TEST") == "stats" else "module"


@pytest.fixture(scope="session")
def settings() -> BackendSettings:
    return BackendSettings.from_env({}, now=PINNED_NOW)


@pytest.fixture(scope=per_module)
def facts(settings: BackendSettings) -> Iterator[sqlite3.Connection]:
    """The backend's database, read-only: the raw facts the oracles recompute figures from."""
    db = sqlite3.connect(f"file:{settings.db_path}?mode=ro", uri=True)
    yield db
    db.close()


@pytest.fixture(scope=shared)
def backend_app(settings: BackendSettings) -> Starlette:
    return create_backend_app(settings)


@pytest.fixture(scope=shared)
def api(backend_app: Starlette) -> Iterator[Api]:
    client = Api(backend_app)
    yield client
    client.close()


@pytest.fixture(scope=per_module)
def org_key(facts: sqlite3.Connection, org: Any) -> int:
    """The demo organization's key in the raw facts."""
    row = facts.execute("SELECT key FROM entities WHERE kind = 'org' AND id = ?", (org.id,)).fetchone()
    return int(row[0])


@pytest.fixture(scope=shared)
def org(backend_app: Starlette) -> Any:
    """The first demo organization (what the ``demo`` token reads)."""
    return backend_app.state.backend.store.orgs[0]


@pytest.fixture(scope=shared)
def other_org(backend_app: Starlette) -> Any:
    return backend_app.state.backend.store.orgs[1]


@pytest.fixture(scope=shared)
def gateway(backend_app: Starlette) -> Iterator[Gateway]:
    """The gateway in-process over the session's backend (no port on either side). The response cache
    is off: every request reaches the upstream, so tests can count its calls (test_response_cache.py
    covers the cache, and that it changes no answer)."""
    app = create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend_app))
    client = Gateway(app)
    yield client
    client.close()


@pytest.fixture(scope=shared)
def per_entity(backend_app: Starlette) -> Iterator[Gateway]:
    """The gateway with entity batching off: one scoped call per federated entity, the reference answer."""
    client = Gateway(
        create_app(
            GatewaySettings(entity_batching="never", max_upstream_calls=500, response_cache=False),
            transport=httpx.ASGITransport(app=backend_app),
        )
    )
    yield client
    client.close()


@pytest.fixture(scope=per_module)
def rewriting(backend_app: Starlette) -> Iterator[tuple[RewritingTransport, Gateway]]:
    """A gateway whose upstream rewrites one path's answers (``RewritingTransport.path``)."""
    transport = RewritingTransport(backend_app)
    client = Gateway(create_app(GatewaySettings(response_cache=False), transport=transport))
    yield transport, client
    client.close()
