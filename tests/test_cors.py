"""A browser app on another origin calls the gateway: an allowed origin gets data, any other is blocked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings
from tests.browser import chromium
from tests.conftest import per_module
from tests.servers import serve

FETCH = """async ([url, query, extra]) => {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer demo", "X-Upstream-Report": "1", ...extra},
      body: JSON.stringify({query, variables: {limit: 3}}),
    });
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {blocked: String(error)};
  }
}"""


def _page_app() -> Starlette:
    return Starlette(
        routes=[Route("/", lambda request: HTMLResponse("<!doctype html><title>dashboard</title>"))]
    )


@pytest.fixture(scope=per_module)
def origins() -> Iterator[tuple[str, str]]:
    """Two loopback origins serving a dashboard page: the first is allowed, the second is not."""
    with serve(_page_app()) as allowed, serve(_page_app()) as other:
        yield allowed, other


@pytest.fixture(scope=per_module)
def gateway_url(backend_app: Starlette, origins: tuple[str, str]) -> Iterator[str]:
    settings = GatewaySettings(cors_origins=origins[0])
    with serve(create_app(settings, transport=httpx.ASGITransport(app=backend_app))) as url:
        yield url


# What common browser clients add to a GraphQL request: Apollo Client's client awareness, W3C trace
# context with baggage (OpenTelemetry's browser SDK), Sentry's tracing.
CLIENT_HEADERS = {
    "apollographql-client-name": "dashboard",
    "apollographql-client-version": "1.4.2",
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "tracestate": "vendor=opaque",
    "baggage": "userId=alice,release=1.4.2",
    "sentry-trace": "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
}


def _fetch_from(origin: str, gateway_url: str, extra: dict[str, str] | None = None) -> Any:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(origin)
        return page.evaluate(FETCH, [f"{gateway_url}/graphql", REFERENCE_QUERY, extra or {}])


@pytest.mark.slow
def test_the_allowed_origin_runs_the_dashboard_in_a_browser(
    origins: tuple[str, str], gateway_url: str
) -> None:
    answer = _fetch_from(origins[0], gateway_url)
    assert answer["status"] == 200, answer
    assert "errors" not in answer["body"]
    assert answer["body"]["data"]["stats"]["ai"]["timeSeries"]["summary"]["total"] > 0
    assert answer["body"]["extensions"]["upstream"]["count"] == 9


@pytest.mark.slow
def test_a_browser_app_with_apollo_tracing_and_sentry_headers_gets_its_data(
    origins: tuple[str, str], gateway_url: str
) -> None:
    """The browser preflights every header below; each is allowed by default, so the fetch is not
    blocked ("Failed to fetch") and the data arrives."""
    answer = _fetch_from(origins[0], gateway_url, CLIENT_HEADERS)
    assert answer.get("status") == 200, answer
    assert answer["body"]["data"]["stats"]["ai"]["timeSeries"]["summary"]["total"] > 0


@pytest.mark.parametrize("header", sorted(CLIENT_HEADERS))
def test_an_allowed_preflight_is_an_empty_204_the_browser_may_cache(
    origins: tuple[str, str], gateway_url: str, header: str
) -> None:
    allowed = _preflight(gateway_url, origins[0], f"authorization, content-type, {header}")
    assert allowed.status_code == 204
    assert allowed.content == b"" and "content-length" not in allowed.headers
    assert "content-type" not in allowed.headers
    assert header in allowed.headers["access-control-allow-headers"].lower()
    assert int(allowed.headers["access-control-max-age"]) >= 600


def test_the_allowed_request_headers_are_a_setting(backend_app: Starlette, origins: tuple[str, str]) -> None:
    """FLASHBACK_CORS_HEADERS replaces the list: a header it adds is allowed, one it leaves out is not."""
    settings = GatewaySettings(cors_origins=origins[0], cors_headers="Authorization, Content-Type, X-Tenant")
    with serve(create_app(settings, transport=httpx.ASGITransport(app=backend_app))) as url:
        assert _preflight(url, origins[0], "authorization, x-tenant").status_code == 204
        refused = _preflight(url, origins[0], "authorization, baggage")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "CORS_REJECTED"


@pytest.mark.slow
def test_any_other_origin_is_blocked_by_the_browser(origins: tuple[str, str], gateway_url: str) -> None:
    answer = _fetch_from(origins[1], gateway_url)
    assert "blocked" in answer, answer


def _preflight(gateway_url: str, origin: str, headers: str) -> httpx.Response:
    return httpx.options(
        f"{gateway_url}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )


def test_preflights_allow_the_dashboard_headers_for_the_allowed_origin_only(
    origins: tuple[str, str], gateway_url: str
) -> None:
    allowed = _preflight(gateway_url, origins[0], "authorization, content-type, x-upstream-report")
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == origins[0]
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    refused = _preflight(gateway_url, origins[1], "authorization, content-type")
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    assert refused.json()["errors"][0]["extensions"]["code"] == "CORS_REJECTED"
    # JSON like every other answer, saying which part was refused; the cache hint kept.
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["errors"][0]["message"] == (
        "Disallowed CORS origin: this origin, method or header may not call the API."
    )
    assert refused.headers["vary"].startswith("Origin")
    odd_header = _preflight(gateway_url, origins[0], "authorization, x-unknown")
    assert odd_header.status_code == 403
    assert odd_header.json()["errors"][0]["message"].startswith("Disallowed CORS headers:")


@pytest.mark.parametrize(
    ("settings", "allowed"),
    [
        (GatewaySettings(), ["*"]),
        (GatewaySettings(api_url="http://127.0.0.1:9"), []),
        (
            GatewaySettings(
                api_url="http://127.0.0.1:9", cors_origins="https://a.example, https://b.example"
            ),
            ["https://a.example", "https://b.example"],
        ),
        (GatewaySettings(cors_origins=""), []),
    ],
)
def test_cross_origin_access_is_off_by_default_except_on_the_demo_data(
    settings: GatewaySettings, allowed: list[str]
) -> None:
    assert settings.allowed_origins() == allowed


def test_a_cross_origin_answer_lets_the_page_read_its_request_id(
    origins: tuple[str, str], gateway_url: str
) -> None:
    """A dashboard quotes the request id to support: the browser must let its script read it."""
    response = httpx.post(
        f"{gateway_url}/graphql", json={"query": "{ __typename }"}, headers={"Origin": origins[0]}
    )
    assert response.headers["access-control-allow-origin"] == origins[0]
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower().split(", ")
    assert response.headers["x-request-id"]
