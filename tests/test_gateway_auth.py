"""Credentials: the demo default in-process, forwarding and the service token against a remote
upstream, and no crossing between callers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests.conftest import Api, per_module
from tests.gateway import Gateway
from tests.servers import serve

WORKSPACE_TOTALS = (
    "{ stats(window: LAST_7D) { ai { breakdown(by: WORKSPACES) {"
    " entities { entityId totals { requests } } } } } }"
)


def workspace_requests(result: Any) -> dict[str, int]:
    entities = result.data["stats"]["ai"]["breakdown"]["entities"]
    return {e["entityId"]: e["totals"]["requests"] for e in entities}


def rest_requests(api: Api, token: str) -> dict[str, int]:
    body = api.ok("/v2/stats/ai/breakdown/workspaces", token=token, scope="org", window="7d", limit=50)
    return {e["entityId"]: e["totals"]["requests"] for e in body["entities"]}


def test_two_callers_in_one_process_see_only_their_own_data(gateway: Gateway, api: Api) -> None:
    first, second, third = gateway.gather(
        (WORKSPACE_TOTALS, "demo"), (WORKSPACE_TOTALS, "demo-other-org"), (WORKSPACE_TOTALS, "demo")
    )
    assert workspace_requests(first) == workspace_requests(third) == rest_requests(api, "demo")
    assert workspace_requests(second) == rest_requests(api, "demo-other-org")
    assert not set(workspace_requests(first)) & set(workspace_requests(second))
    assert first.upstream["count"] == second.upstream["count"] == 1


def test_in_process_mode_uses_the_demo_token_when_none_is_sent(gateway: Gateway, api: Api) -> None:
    assert workspace_requests(gateway.query(WORKSPACE_TOTALS, token=None)) == rest_requests(api, "demo")


@pytest.fixture(scope=per_module)
def upstream_url(backend_app: Starlette) -> Iterator[str]:
    with serve(backend_app) as url:
        yield url


def remote_gateway(url: str, service_token: str | None = None) -> Gateway:
    return Gateway(
        create_app(GatewaySettings(response_cache=False, api_url=url, service_token=service_token))
    )


def test_remote_mode_forwards_the_callers_token(upstream_url: str, api: Api) -> None:
    client = remote_gateway(upstream_url, service_token="demo")
    try:
        other = client.query(WORKSPACE_TOTALS, token="demo-other-org")
        refused = client.query(WORKSPACE_TOTALS, token="demo-workspace-only")
    finally:
        client.close()
    assert workspace_requests(other) == rest_requests(api, "demo-other-org")
    assert refused.codes() == {"stats.ai.breakdown": "FORBIDDEN"}


def test_remote_mode_uses_the_service_token_for_callers_without_one(upstream_url: str, api: Api) -> None:
    client = remote_gateway(upstream_url, service_token="demo-other-org")
    try:
        result = client.query(WORKSPACE_TOTALS, token=None)
    finally:
        client.close()
    assert workspace_requests(result) == rest_requests(api, "demo-other-org")


def test_remote_mode_without_any_token_is_unauthenticated_before_any_call(upstream_url: str) -> None:
    client = remote_gateway(upstream_url)
    try:
        result = client.query(WORKSPACE_TOTALS, token=None)
    finally:
        client.close()
    assert result.codes() == {"stats.ai.breakdown": "UNAUTHENTICATED"}
    assert "http" not in result.errors[0]["extensions"]
    assert result.upstream["count"] == 0


class HeaderRecorder(httpx.AsyncBaseTransport):
    """Passes requests to the backend and keeps the headers each one carried."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.headers: list[httpx.Headers] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.headers.append(request.headers)
        return await self.inner.handle_async_request(request)


def test_each_upstream_call_carries_the_callers_token_and_asks_for_json(backend_app: Starlette) -> None:
    recorder = HeaderRecorder(backend_app)
    client = Gateway(create_app(GatewaySettings(response_cache=False), transport=recorder))
    try:
        client.ok(WORKSPACE_TOTALS, token="demo-other-org")
    finally:
        client.close()
    assert [(h["authorization"], h["accept"]) for h in recorder.headers] == [
        ("Bearer demo-other-org", "application/json")
    ]
