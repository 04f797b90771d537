"""GraphiQL: served by the gateway from local files, opened in headless Chromium with no network
beyond 127.0.0.1, it shows the reference dashboard query, runs it and shows data."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.server import graphiql
from gql.server.app import create_app
from gql.server.graphiql import OVERVIEW_QUERY
from gql.server.settings import GatewaySettings
from tests.browser import chromium
from tests.conftest import per_module
from tests.servers import serve

FOLDER = Path(".cache") / "graphiql"


@pytest.fixture(scope=per_module)
def assets() -> Path:
    missing = graphiql.install(FOLDER)
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"GraphiQL's files could not be installed: {missing}")
        pytest.skip(f"GraphiQL's files could not be installed: {missing}")
    return FOLDER


@pytest.fixture(scope=per_module)
def gateway_url(backend_app: Starlette, assets: Path) -> Iterator[str]:
    app = create_app(GatewaySettings(graphiql_folder=assets), transport=httpx.ASGITransport(app=backend_app))
    with serve(app) as url:
        yield url


def test_the_page_loads_everything_from_the_gateway(gateway_url: str) -> None:
    page = httpx.get(f"{gateway_url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(sources) == sorted(f"/graphiql/{name}" for name in graphiql.ASSETS)
    assert "unpkg" not in page.text and "cdn" not in page.text.lower()
    assert json.dumps(OVERVIEW_QUERY).replace("</", "<\\/") in page.text
    for source in sources:
        asset = httpx.get(gateway_url + source)
        assert asset.status_code == 200 and len(asset.content) > 1000
        assert asset.headers["content-type"].split(";")[0] in {"text/javascript", "text/css"}
    assert httpx.get(f"{gateway_url}/graphiql/../../pyproject.toml").status_code == 404


def test_queries_over_get_and_health(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/graphql", params={"query": "{ stats(window: LAST_24H) { window } }"})
    assert response.json() == {"data": {"stats": {"window": "LAST_24H"}}}
    assert httpx.get(f"{gateway_url}/healthz").json() == {"status": "ok"}


def test_without_installed_files_the_page_says_how_to_get_them(
    backend_app: Starlette, tmp_path: Path
) -> None:
    app = create_app(
        GatewaySettings(graphiql_folder=tmp_path), transport=httpx.ASGITransport(app=backend_app)
    )
    with serve(app) as url:
        page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"})
        assert "flashback-gql install-graphiql" in page.text
        assert httpx.post(
            f"{url}/graphql", json={"query": "{ stats(window: LAST_7D) { scope } }"}
        ).json() == {"data": {"stats": {"scope": "ORG"}}}


@pytest.mark.slow
def test_graphiql_runs_the_default_query_in_headless_chromium(gateway_url: str) -> None:
    from playwright.sync_api import Route

    outside: list[str] = []

    def loopback_only(route: Route) -> None:
        if route.request.url.startswith(gateway_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with chromium() as browser:
        page = browser.new_page()
        page.route("**/*", loopback_only)
        page.goto(f"{gateway_url}/graphql")
        page.wait_for_selector(".graphiql-container", timeout=30_000)
        assert "query Overview" in page.inner_text(".graphiql-query-editor")
        page.click(".graphiql-execute-button")
        # The response editor renders only the lines in view: the top of the overview's data.
        page.wait_for_function(
            "() => document.querySelector('.graphiql-response')?.innerText.includes('timeSeries')",
            timeout=30_000,
        )
        response = page.inner_text(".graphiql-response")
        assert '"data"' in response and '"ai"' in response and '"errors"' not in response
        assert re.search(r'"ts": \[\s*\d{10},', response), response[:500]

        # A token set in the header editor goes with the next query.
        page.get_by_role("button", name="Headers").click()
        page.locator(".graphiql-editor-tool .CodeMirror:visible").click()
        page.keyboard.insert_text('{"Authorization": "Bearer demo-other-org"}')
        with page.expect_request(lambda r: r.method == "POST") as sent:
            page.click(".graphiql-execute-button")
        assert sent.value.headers.get("authorization") == "Bearer demo-other-org"
    assert outside == []


def test_graphiql_docs_pane_shows_the_schema_in_headless_chromium(gateway_url: str) -> None:
    """GraphiQL fetches the schema with the standard introspection query when Docs is opened: it
    must pass the default limits, and the explorer list the root fields."""
    with chromium() as browser:
        page = browser.new_page()
        with page.expect_response(
            lambda r: r.request.method == "POST" and "__schema" in (r.request.post_data or ""), timeout=30_000
        ) as fetched:
            page.goto(f"{gateway_url}/graphql")
        page.wait_for_selector(".graphiql-container", timeout=30_000)
        page.get_by_label("Show Documentation Explorer").click()
        assert fetched.value.status == 200
        assert "errors" not in fetched.value.json(), str(fetched.value.json())[:500]
        page.get_by_text("Query", exact=True).first.click()
        page.wait_for_selector(".graphiql-doc-explorer-content", timeout=30_000)
        page.wait_for_function(
            "() => document.querySelector('.graphiql-doc-explorer-content')?.innerText.includes('legacy')",
            timeout=30_000,
        )
        shown = page.inner_text(".graphiql-doc-explorer-content")
        assert "stats" in shown and "Error fetching schema" not in page.content()


def test_the_browsers_favicon_request_is_no_404(gateway_url: str) -> None:
    icon = httpx.get(f"{gateway_url}/favicon.ico")
    assert icon.status_code == 204 and icon.content == b""
    assert "max-age" in icon.headers["cache-control"]


@pytest.fixture
def fake_install(tmp_path: Path) -> Path:
    """GraphiQL's four files where an install puts them, with stand-in content (no npm needed)."""
    for name, relative in graphiql.ASSETS.items():
        path = tmp_path / "node_modules" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {name} */")
    return tmp_path


def _get(app: Starlette, path: str, **headers: str) -> httpx.Response:
    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
            return await client.get(path, headers=headers)

    import asyncio

    return asyncio.run(get())


def test_each_file_is_served_with_its_type_and_cached_for_a_day(
    backend_app: Starlette, fake_install: Path
) -> None:
    app = create_app(
        GatewaySettings(graphiql_folder=fake_install), transport=httpx.ASGITransport(app=backend_app)
    )
    for name in graphiql.ASSETS:
        response = _get(app, f"/graphiql/{name}")
        assert response.status_code == 200
        assert response.text == f"/* {name} */"
        expected = "text/css" if name.endswith(".css") else "text/javascript"
        assert response.headers["content-type"].split(";")[0] == expected
        assert response.headers["cache-control"] == "public, max-age=86400"
    page = _get(app, "/graphql", accept="text/html")
    assert "GraphiQL" in page.text and "install-graphiql" not in page.text


def test_unknown_or_uninstalled_files_are_a_json_404(
    backend_app: Starlette, fake_install: Path, tmp_path: Path
) -> None:
    installed = create_app(
        GatewaySettings(graphiql_folder=fake_install), transport=httpx.ASGITransport(app=backend_app)
    )
    missing = create_app(
        GatewaySettings(graphiql_folder=tmp_path / "none"), transport=httpx.ASGITransport(app=backend_app)
    )
    for app, name in ((installed, "secrets.js"), (missing, "graphiql.js")):
        response = _get(app, f"/graphiql/{name}")
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert "graphiql.js" in response.json()["errors"][0]["message"]


def test_graphiql_files_are_compressed_for_browsers(backend_app: Starlette, fake_install: Path) -> None:
    script = fake_install / "node_modules" / graphiql.ASSETS["graphiql.js"]
    script.write_text("function graphiql() { return 'GraphiQL'; }\n" * 5_000)
    app = create_app(
        GatewaySettings(graphiql_folder=fake_install), transport=httpx.ASGITransport(app=backend_app)
    )
    packed = _get(app, "/graphiql/graphiql.js", **{"accept-encoding": "gzip, deflate, br, zstd"})
    assert packed.headers["content-encoding"] == "br"
    assert packed.text == script.read_text()
    assert packed.num_bytes_downloaded < script.stat().st_size / 10


@pytest.mark.slow  # npm ci from the registry
def test_a_fresh_install_says_what_it_does_and_how_long_it_took(tmp_path: Path, capfd: Any) -> None:
    missing = graphiql.install(tmp_path / "graphiql")
    if missing is not None and not os.environ.get("CI"):
        pytest.skip(f"GraphiQL's files could not be installed: {missing}")
    assert missing is None
    said = capfd.readouterr().err.splitlines()
    assert said[0] == f"Installing GraphiQL into {tmp_path / 'graphiql'} ..."
    assert said[-1].startswith(f"Installing GraphiQL into {tmp_path / 'graphiql'}: done in ")
    assert graphiql.installed(tmp_path / "graphiql")


@pytest.mark.slow
def test_graphiql_runs_a_subscription_in_headless_chromium(gateway_url: str) -> None:
    """Typed into the editor and run: the first answer of the live stream shows in the response."""
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{gateway_url}/graphql")
        page.wait_for_selector(".graphiql-container", timeout=30_000)
        page.locator(".graphiql-query-editor .CodeMirror").first.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.insert_text(
            "subscription Live { live(refreshSeconds: 10) { revision stats(window: LAST_24H) { window } } }"
        )
        page.wait_for_timeout(1_000)  # GraphiQL takes the new operation's name after a pause
        page.click(".graphiql-execute-button")
        page.wait_for_function(
            "() => document.querySelector('.graphiql-response')?.innerText.includes('revision')",
            timeout=30_000,
        )
        response = page.inner_text(".graphiql-response")
        assert '"revision": 1' in response and '"LAST_24H"' in response, response[:500]
