"""Apollo Client's InMemoryCache and urql's Graphcache keep each window's and scope's numbers apart.

Both normalize objects by ``__typename`` and ``id``; statistics have no ``id``, so each part of a
query that asks for the same breakdowns over two windows and two scopes keeps its own numbers,
exactly as REST gives them, and neither cache prints a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests import node
from tests.conftest import ROOT, Api, per_module
from tests.servers import serve

PARTS = {
    "week": {"scope": "org", "window": "7d"},
    "day": {"scope": "org", "window": "24h"},
    "workspaceWeek": {"scope": "workspace", "window": "7d"},
    "workspaceDay": {"scope": "workspace", "window": "24h"},
}


@pytest.fixture(scope=per_module)
def gateway_url(backend_app: Starlette) -> Iterator[str]:
    with serve(create_app(GatewaySettings(), transport=httpx.ASGITransport(app=backend_app))) as url:
        yield url


def _expected(api: Api, params: dict[str, str]) -> dict[str, Any]:
    models = api.ok("/v2/stats/ai/breakdown/models", limit=3, includeSeries="true", **params)
    users = api.ok("/v2/stats/private-chat/breakdown/users", limit=3, **params)
    return {
        "total": api.ok("/v2/stats/ai", **params)["summary"]["total"],
        "models": [
            (
                e["entityId"],
                e["totals"]["requests"],
                e["totals"]["tokensIn"],
                [p["requests"] for p in e["series"]],
            )
            for e in models["entities"]
        ],
        "users": [
            (e["entityId"], e["totals"]["requests"], e["totals"]["conversationsCount"])
            for e in users["entities"]
        ],
    }


def _shown(part: dict[str, Any]) -> dict[str, Any]:
    return {
        "total": part["ai"]["timeSeries"]["summary"]["total"],
        "models": [
            (e["entityId"], e["totals"]["requests"], e["totals"]["tokensIn"], e["columns"]["requests"])
            for e in part["ai"]["byModel"]["entities"]
        ],
        "users": [
            (e["entityId"], e["totals"]["requests"], e["totals"]["conversationsCount"])
            for e in part["privateChat"]["users"]["entities"]
        ],
    }


@pytest.mark.slow
def test_each_window_and_scope_shows_its_own_numbers_in_both_caches(
    gateway_url: str, api: Api, org: Any
) -> None:
    workspace = org.workspaces[0].id
    output = node.run(
        node.install("clients"),
        "caches.mjs",
        f"{gateway_url}/graphql",
        str(ROOT / "schema.graphql"),
        workspace,
    )
    assert output["warnings"] == []
    assert output["urqlErrors"] == []
    expected = {
        name: _expected(api, {**params, **({"id": workspace} if params["scope"] == "workspace" else {})})
        for name, params in PARTS.items()
    }
    assert expected["week"]["models"] != expected["day"]["models"], (
        "the windows must differ for this to test anything"
    )
    for client in ("apollo", "urql"):
        for name in PARTS:
            assert _shown(output[client][name]) == expected[name], (client, name)
