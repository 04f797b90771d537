"""Composition proof: our SDL composes with a catalog subgraph under Apollo's composition library,
and a real Apollo Gateway answers a federated query by calling our subgraph over 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests import node
from tests.conftest import Api, per_module
from tests.servers import serve
from tests.test_gateway_calls import CountingTransport

pytestmark = pytest.mark.slow  # a subprocess, a browser or node: left out of mutation runs

ROOT = Path(__file__).resolve().parent.parent
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
    """Apollo's and The Guild's composers, Apollo Gateway and Hive Gateway, pinned by the lock file."""
    return node.install("federation")


@pytest.fixture(scope=per_module)
def subgraph(backend_app: Starlette) -> Iterator[tuple[str, CountingTransport]]:
    transport = CountingTransport(backend_app)
    with serve(create_app(GatewaySettings(), transport=transport)) as url:
        yield url, transport


def test_both_toolchains_compose_and_answer_the_federated_query(
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
    output = node.run(
        node_tools,
        "supergraph.mjs",
        url,
        str(ROOT / "schema.graphql"),
        str(tmp_path / "catalog.json"),
        str(tmp_path / "query.graphql"),
        timeout=180,
    )
    names = {w.id: w.name for w in org.workspaces}
    by_id = {r.id: r for r in repos}
    for router in ("answer", "hive"):
        answer = output[router]
        assert "errors" not in answer, (router, answer)
        assert [r["id"] for r in answer["data"]["repos"]] == [r.id for r in repos]
        for item in answer["data"]["repos"]:
            repo = by_id[item["id"]]
            assert item["name"] == repo.name and item["workspace"]["name"] == names[repo.workspace_id]
            series = item["stats"]["ai"]["timeSeries"]
            assert series["summary"]["total"] == sum(series["columns"]["requests"]) == totals[item["id"]]
    assert output["answer"] == output["hive"]
    assert output["statuses"] == {"answer": 200, "hive": 200}
    assert transport.calls <= 4, "per router, a hundred repos from one breakdown (and its size probe)"


PARTIAL = """{
  repos { id name stats(window: LAST_7D) { ai { timeSeries { summary { total } } } } }
}"""


def test_a_partial_answer_crosses_both_routers_as_200_with_its_data_and_codes(
    node_tools: Path,
    subgraph: tuple[str, CountingTransport],
    api: Api,
    org: Any,
    other_org: Any,
    tmp_path: Path,
) -> None:
    """One repo of the page belongs to another organization: the upstream refuses its statistics
    (403; the three others are the busiest, so the page holds them and the foreign one gets its own
    call). Through Apollo Gateway and Hive Gateway the client still gets HTTP 200, every other
    row's data, and the refused row's error with its code: nothing of ours reads as the router's
    own status."""
    busiest = [
        e["entityId"]
        for e in api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="7d", limit=3)["entities"]
    ]
    mine = [next(r for r in org.repos if r.id == repo) for repo in busiest]
    foreign = other_org.repos[0]
    catalog = {
        "workspaces": [{"id": w.id, "name": w.name} for w in (*org.workspaces, *other_org.workspaces)],
        "repos": [{"id": r.id, "name": r.name, "workspaceId": r.workspace_id} for r in (*mine, foreign)],
    }
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    (tmp_path / "query.graphql").write_text(PARTIAL)
    output = node.run(
        node_tools,
        "supergraph.mjs",
        subgraph[0],
        str(ROOT / "schema.graphql"),
        str(tmp_path / "catalog.json"),
        str(tmp_path / "query.graphql"),
        timeout=180,
    )
    assert output["statuses"] == {"answer": 200, "hive": 200}
    for router in ("answer", "hive"):
        rows = output[router]["data"]["repos"]
        assert [r["id"] for r in rows] == [r.id for r in (*mine, foreign)]
        assert all(r["stats"]["ai"]["timeSeries"]["summary"]["total"] >= 0 for r in rows[:3]), router
        assert rows[3]["name"] == foreign.name and rows[3]["stats"]["ai"]["timeSeries"] is None
        codes = {e.get("extensions", {}).get("code") for e in output[router]["errors"]}
        assert "FORBIDDEN" in codes, (router, output[router]["errors"])
