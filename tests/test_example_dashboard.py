"""The example dashboard (examples/dashboard: Vite, React, TypeScript, Apollo Client, codegen with the
scalar map, persisted queries, a live panel over graphql-ws) built as a team would build it, served
on one loopback origin and driven in headless Chromium against the gateway on another: the numbers
it shows are the REST API's, in each window it switches to, and in its live panel."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests import node
from tests.browser import chromium
from tests.conftest import ROOT, Api, per_module
from tests.servers import serve

pytestmark = pytest.mark.slow  # npm, a build, a browser

WINDOWS = {"LAST_24H": "24h", "LAST_7D": "7d", "LAST_30D": "30d"}


@pytest.fixture(scope="module")
def built() -> Path:
    """examples/dashboard installed from its lock file and built (codegen, tsc --strict, vite)."""
    folder = node.install("example-dashboard", ROOT / "examples" / "dashboard")
    npm = shutil.which("npm")
    assert npm is not None
    done = subprocess.run(
        [npm, "run", "build"],
        cwd=folder,
        env={**os.environ, "FLASHBACK_SCHEMA": str(ROOT / "schema.graphql")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return folder / "dist"


@pytest.fixture(scope=per_module)
def urls(built: Path, backend_app: Starlette) -> Iterator[tuple[str, str]]:
    """The built page on one origin; the gateway, which lets that origin call it, on another."""
    page = Starlette()
    page.mount("/", StaticFiles(directory=built, html=True))
    with serve(page) as page_url:
        settings = GatewaySettings(cors_origins=page_url)
        with serve(create_app(settings, transport=httpx.ASGITransport(app=backend_app))) as gateway_url:
            yield page_url, gateway_url


def _shown(page: Any, window: str) -> dict[str, Any]:
    page.wait_for_selector(f'[data-testid="series"][data-window="{window}"]', timeout=30_000)
    rows = page.locator('[data-testid="models"] tbody tr')
    return {
        "total": int(page.inner_text('[data-testid="total"]')),
        "buckets": int(page.inner_text('[data-testid="buckets"]')),
        "models": [
            (
                rows.nth(i).locator("td").nth(0).inner_text(),
                int(rows.nth(i).locator("td").nth(1).inner_text()),
            )
            for i in range(rows.count())
        ],
    }


def _rest(api: Api, window: str) -> dict[str, Any]:
    series = api.ok("/v2/stats/ai", scope="org", window=window)
    models = api.ok("/v2/stats/ai/breakdown/models", scope="org", window=window, limit=5)
    return {
        "total": series["summary"]["total"],
        "buckets": len(series["series"]),
        "models": [(e["entityId"], e["totals"]["requests"]) for e in models["entities"]],
    }


def test_the_example_dashboard_shows_the_rest_apis_numbers_in_every_window(
    urls: tuple[str, str], api: Api
) -> None:
    page_url, gateway_url = urls
    expected = {window: _rest(api, wire) for window, wire in WINDOWS.items()}
    live = api.ok("/v2/stats/ai", scope="org", window="24h", timeBucketSize="5m")["summary"]["total"]
    requests: list[tuple[str, bool, int]] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on(
            "response",
            lambda r: (
                requests.append((r.request.method, "query=" in r.url, r.status))
                if r.url.startswith(gateway_url)
                else None
            ),
        )
        page.goto(f"{page_url}/index.html?gateway={gateway_url}/graphql")
        assert _shown(page, "LAST_24H") == expected["LAST_24H"]
        # The live panel: its first answer over the WebSocket, the REST API's numbers of now.
        page.wait_for_selector('[data-testid="live-total"]', timeout=30_000)
        assert int(page.inner_text('[data-testid="live-total"]')) == live
        assert page.inner_text('[data-testid="live-revision"]') == "1"
        for window in ("LAST_7D", "LAST_30D"):
            page.click(f'button[data-window="{window}"]')
            assert _shown(page, window) == expected[window]
    # Persisted queries: after the first registration, the document goes by hash alone, over GET.
    assert ("GET", False, 200) in requests, requests
