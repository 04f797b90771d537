"""Composition proof: our SDL composes with a catalog subgraph under Apollo's composition library,
and a real Apollo Gateway answers a federated query by calling our subgraph over 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from gql.app import create_app
from gql.settings import GatewaySettings
from tests.conftest import Api
from tests.servers import serve
from tests.test_gateway_calls import CountingTransport

pytestmark = pytest.mark.slow  # a subprocess, a browser or node: left out of mutation runs

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".cache" / "federation-check"
QUERY = """{
  repos {
    id
    name
    workspace { name }
    stats(window: LAST_30D) { ai { timeSeries { summary { total } columns { requests } } } }
  }
}"""


@pytest.fixture(scope="module")
def node_tools() -> Path:
    """Apollo's composition, gateway and server from the npm registry, pinned by the lock file."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for the composition check")
        pytest.skip("node and npm are not installed")
    source = ROOT / "tests" / "federation"
    TOOLS.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "supergraph.mjs"):
        shutil.copyfile(source / name, TOOLS / name)
    if not (TOOLS / "node_modules" / "@apollo" / "gateway").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=TOOLS,
            check=True,
            timeout=600,
        )
    return TOOLS


@pytest.fixture(scope="module")
def subgraph(backend_app: Starlette) -> Iterator[tuple[str, CountingTransport]]:
    transport = CountingTransport(backend_app)
    with serve(create_app(GatewaySettings(), transport=transport)) as url:
        yield url, transport


def test_federated_query_through_apollo_gateway(
    node_tools: Path, subgraph: tuple[str, CountingTransport], api: Api, org: Any, tmp_path: Path
) -> None:
    url, transport = subgraph
    body = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="30d", limit=500)
    totals = {e["entityId"]: e["totals"]["requests"] for e in body["entities"]}
    repos = [r for r in org.repos if r.id in totals][:100]
    assert len(repos) == 100
    catalog = {
        "workspaces": [{"id": w.id, "name": w.name} for w in org.workspaces],
        "repos": [{"id": r.id, "name": r.name, "workspaceId": r.workspace_id} for r in repos],
    }
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    (tmp_path / "query.graphql").write_text(QUERY)
    transport.calls = 0
    done = subprocess.run(
        [
            "node",
            str(node_tools / "supergraph.mjs"),
            url,
            str(ROOT / "schema.graphql"),
            str(tmp_path / "catalog.json"),
            str(tmp_path / "query.graphql"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])["answer"]
    assert "errors" not in answer, answer
    names = {w.id: w.name for w in org.workspaces}
    by_id = {r.id: r for r in repos}
    assert [r["id"] for r in answer["data"]["repos"]] == [r.id for r in repos]
    for item in answer["data"]["repos"]:
        repo = by_id[item["id"]]
        assert item["name"] == repo.name and item["workspace"]["name"] == names[repo.workspace_id]
        series = item["stats"]["ai"]["timeSeries"]
        assert series["summary"]["total"] == sum(series["columns"]["requests"]) == totals[item["id"]]
    assert transport.calls <= 2, "a hundred repos from one breakdown (and its size probe)"
