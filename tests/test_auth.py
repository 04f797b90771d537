"""Tokens, reach and isolation between organizations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CONTRACT_PATHS, Api, concrete

EVERY_PATH = [concrete(path) for path in CONTRACT_PATHS]


@pytest.mark.parametrize("path", EVERY_PATH)
@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_missing_or_unknown_token_is_401_on_every_endpoint(api: Api, path: str, token: str | None) -> None:
    response = api.get(path, token=token, scope="org", window="7d")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert "not-a-token" not in response.text


def test_the_other_organizations_ids_are_forbidden(api: Api, other_org: Any) -> None:
    workspace, repo = other_org.workspaces[0].id, other_org.repos[0].id
    assert api.get("/v2/stats/ai", scope="workspace", id=workspace, window="7d").status_code == 403
    assert api.get("/v2/stats/ai", scope="repo", id=repo, window="7d").status_code == 403
    assert (
        api.get("/v2/stats/storage", scope="org", window="7d", bucketId=other_org.buckets[0].id).status_code
        == 403
    )
    assert api.get("/stats/daily", repoId=repo).status_code == 403
    assert api.get("/ai/llm/stats", aiLlmId=other_org.ai_configs[0].id).status_code == 403


def test_unknown_ids_are_forbidden_too_so_existence_never_leaks(api: Api) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    response = api.get("/v2/stats/ai", scope="repo", id=unknown, window="7d")
    assert response.status_code == 403
    assert response.json()["error_code"] == "FORBIDDEN"


def test_each_organization_sees_only_its_own_entities(api: Api, org: Any, other_org: Any) -> None:
    mine = {r.id for r in org.repos}
    theirs = {r.id for r in other_org.repos}
    for token, own, foreign in (("demo", mine, theirs), ("demo-other-org", theirs, mine)):
        entities = api.ok(
            "/v2/stats/storage/breakdown/repos", token=token, scope="org", window="365d", limit=500
        )
        ids = {e["entityId"] for e in entities["entities"]}
        assert ids and ids <= own and not ids & foreign
        rows = api.ok("/aistats/daily", token=token)["data"]
        assert {r["repoId"] for r in rows} <= own
    first = api.ok("/v2/stats/ai", scope="org", window="30d")["summary"]
    second = api.ok("/v2/stats/ai", token="demo-other-org", scope="org", window="30d")["summary"]
    assert first["total"] != second["total"]


def test_workspace_token_reads_its_workspace_only(api: Api, org: Any) -> None:
    token = "demo-workspace-only"
    home, other = org.workspaces[0], org.workspaces[1]
    assert api.get("/v2/stats/ai", token=token, scope="org", window="7d").status_code == 403
    assert (
        api.ok("/v2/stats/ai", token=token, scope="workspace", id=home.id, window="7d")["summary"]["total"]
        > 0
    )
    assert (
        api.get("/v2/stats/ai", token=token, scope="workspace", id=other.id, window="7d").status_code == 403
    )
    home_repo = next(r for r in org.repos if r.workspace_id == home.id)
    other_repo = next(r for r in org.repos if r.workspace_id == other.id)
    assert api.get("/v2/stats/ai", token=token, scope="repo", id=home_repo.id, window="7d").status_code == 200
    assert (
        api.get("/v2/stats/ai", token=token, scope="repo", id=other_repo.id, window="7d").status_code == 403
    )
    rows = api.ok("/stats/daily", token=token)["data"]
    assert rows and {r["repoId"] for r in rows} <= {r.id for r in org.repos if r.workspace_id == home.id}
    configs = {s["aiLlmId"] for s in api.ok("/ai/llm/stats", token=token)["stats"]}
    assert configs == {c.id for c in org.ai_configs if c.workspace_id == home.id}
    assert api.get("/credits/stats/monthly", token=token).status_code == 403
