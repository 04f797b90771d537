"""What must not happen, beside what must: statuses that are not retried and the calls they cost,
answers that are not cached, origins that are not allowed, and settings whose empty value differs
from their absence."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings, SettingsError
from tests.conftest import per_module
from tests.gateway import Gateway

QUERY = (
    "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } }"
    " storage { timeSeries { summary { total } } } } }"
)


class StatusUpstream(httpx.AsyncBaseTransport):
    """The local backend, except that the AI series answers ``status`` and is counted."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.status = 200
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/v2/stats/ai":
            return await self.inner.handle_async_request(request)
        self.calls += 1
        if self.status == 200:
            return await self.inner.handle_async_request(request)
        body = {"success": False, "message": "injected", "error_code": "INJECTED"}
        return httpx.Response(self.status, json=body)


@pytest.fixture(scope=per_module)
def status_gateway(backend_app: Starlette) -> Iterator[tuple[StatusUpstream, Gateway]]:
    upstream = StatusUpstream(backend_app)
    client = Gateway(create_app(GatewaySettings(response_cache=False), transport=upstream))
    yield upstream, client
    client.close()


@pytest.mark.parametrize(
    ("status", "calls", "code"),
    [
        (500, 1, "UPSTREAM_ERROR"),
        (501, 1, "UPSTREAM_ERROR"),
        (400, 1, "BAD_USER_INPUT"),
        (401, 1, "UNAUTHENTICATED"),
        (403, 1, "FORBIDDEN"),
        (404, 1, "NOT_FOUND"),
        (409, 1, "UPSTREAM_ERROR"),
        (429, 3, "UPSTREAM_ERROR"),
        (502, 3, "UPSTREAM_ERROR"),
        (503, 3, "UPSTREAM_ERROR"),
        (504, 3, "UPSTREAM_ERROR"),
    ],
)
def test_only_transient_statuses_are_retried_and_each_costs_what_it_says(
    status_gateway: tuple[StatusUpstream, Gateway], status: int, calls: int, code: str
) -> None:
    """A plain 500 (a bug upstream, not an overload) and every 4xx but 429 are asked once: asking
    again would give the same answer. 429, 502, 503 and 504 are asked three times in all."""
    upstream, client = status_gateway
    upstream.status, upstream.calls = status, 0
    result = client.query(QUERY)
    assert upstream.calls == calls
    assert result.codes() == {"stats.ai.timeSeries": code}
    assert result.data["stats"]["storage"]["timeSeries"]["summary"]["total"] >= 0  # only its field


def test_a_failed_answer_is_not_kept_by_the_response_cache(backend_app: Starlette) -> None:
    """With the cache on, a 503 is not remembered: the next request asks again and, the upstream
    back, gets the data."""
    upstream = StatusUpstream(backend_app)
    client = Gateway(create_app(GatewaySettings(), transport=upstream))
    try:
        upstream.status = 503
        assert client.query(QUERY).codes() == {"stats.ai.timeSeries": "UPSTREAM_ERROR"}
        asked = upstream.calls
        upstream.status = 200
        second = client.query(QUERY)
        assert upstream.calls == asked + 1  # asked again, not answered from a kept failure
        assert second.errors == [] and second.data["stats"]["ai"]["timeSeries"]["summary"]["total"] >= 0
        third = client.query(QUERY)
        assert upstream.calls == asked + 1 and third.data == second.data  # a success is kept
    finally:
        client.close()


@pytest.mark.parametrize(
    ("env", "allowed"),
    [
        ({}, ["*"]),
        ({"FLASHBACK_CORS_ORIGINS": ""}, []),
        ({"FLASHBACK_CORS_ORIGINS": "   "}, []),
        ({"FLASHBACK_CORS_ORIGINS": "https://a.example"}, ["https://a.example"]),
        ({"FLASHBACK_API_URL": "http://127.0.0.1:9"}, []),
        ({"FLASHBACK_API_URL": "http://127.0.0.1:9", "FLASHBACK_CORS_ORIGINS": ""}, []),
    ],
)
def test_an_empty_origins_variable_means_no_origin_not_unset(env: dict[str, str], allowed: list[str]) -> None:
    """Read from the environment, as the server reads it: empty is a choice (none), unlike absent
    (every origin on the demo data only)."""
    assert GatewaySettings.from_env(env).allowed_origins() == allowed


def test_an_origin_left_out_gets_no_cors_headers_on_a_real_request(backend_app: Starlette) -> None:
    settings = GatewaySettings.from_env({"FLASHBACK_CORS_ORIGINS": ""})
    client = Gateway(create_app(settings, transport=httpx.ASGITransport(app=backend_app)))
    try:
        response = client._runner.run(
            client._client.post(
                "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://elsewhere.example"}
            )
        )
    finally:
        client.close()
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FLASHBACK_MAX_TOKENS", "0"),
        ("FLASHBACK_MAX_DEPTH", "-1"),
        ("FLASHBACK_MAX_UPSTREAM_BYTES", "1024"),
        ("FLASHBACK_BREAKER_THRESHOLD", "0"),
        ("FLASHBACK_CACHE_SECONDS", "-5"),
        ("FLASHBACK_ENTITY_BATCHING", "sometimes"),
        ("FLASHBACK_API_URL", "not a url"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        GatewaySettings.from_env({name: value})
    assert name in str(refused.value) and "\n" not in str(refused.value)


def test_an_empty_numeric_variable_is_unset_not_zero() -> None:
    """Empty is absence for every setting but the origins: the default, not 0 or an error."""
    assert GatewaySettings.from_env({"FLASHBACK_MAX_TOKENS": ""}).max_tokens == GatewaySettings().max_tokens
    assert GatewaySettings.from_env({"FLASHBACK_API_URL": ""}).api_url is None
