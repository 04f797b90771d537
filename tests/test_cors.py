"""A browser app on another origin calls the gateway: an allowed origin gets data, any other is blocked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from gql.app import create_app
from gql.graphiql import REFERENCE_QUERY
from gql.settings import GatewaySettings
from tests.browser import chromium
from tests.conftest import per_module
from tests.servers import serve

FETCH = """async ([url, query]) => {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer demo", "X-Upstream-Report": "1"},
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


def _fetch_from(origin: str, gateway_url: str) -> Any:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(origin)
        return page.evaluate(FETCH, [f"{gateway_url}/graphql", REFERENCE_QUERY])


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
    assert response.headers["access-control-expose-headers"].lower() == "x-request-id"
    assert response.headers["x-request-id"]
