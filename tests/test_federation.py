"""The Federation 2 subgraph: entities in representation order, batched from breakdowns when many
ask for the same statistics, with values identical to one call per entity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests.conftest import Api
from tests.gateway import Gateway

ROOT = Path(__file__).resolve().parent.parent
SERIES = (
    "meta { start end scope scopeId window bucketSize resourceFilter { type value } }"
    " summary { total avg stdDev min max p10 p50 p90 }"
)
AI_COLUMNS = (
    "columns { ts tokensIn tokensOut policyTokensIn policyTokensOut requests activeConversations latencyMs }"
)
REPO_AI = (
    f"... on Repo {{ id stats(window: LAST_30D) {{ ai {{ timeSeries {{ {SERIES} {AI_COLUMNS} }} }} }} }}"
)
ENTITIES = "query($reps: [_Any!]!) { _entities(representations: $reps) { %s } }"


def ids(api: Api, path: str, window: str = "30d", token: str = "demo", **params: Any) -> list[str]:
    body = api.ok(path, token=token, scope="org", window=window, limit=500, **params)
    return [e["entityId"] for e in body["entities"]]


def reps(type_name: str, values: list[str]) -> dict[str, Any]:
    return {"reps": [{"__typename": type_name, "id": value} for value in values]}


def test_service_sdl_is_schema_graphql(gateway: Gateway) -> None:
    sdl = gateway.ok("{ _service { sdl } }")["_service"]["sdl"]
    published = (ROOT / "schema.graphql").read_text()
    assert sdl.strip() == published.strip()
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9"' in published
    assert 'type Repo @key(fields: "id")' in published


def test_a_hundred_repos_cost_two_calls_and_equal_per_entity_answers(
    gateway: Gateway, per_entity: Gateway, api: Api
) -> None:
    repos = ids(api, "/v2/stats/ai/breakdown/repos")
    assert len(repos) >= 100
    variables = reps("Repo", repos[:100])
    batched = gateway.query(ENTITIES % REPO_AI, variables)
    assert not batched.errors
    assert batched.upstream["count"] <= 2
    assert sorted(set(batched.paths)) == ["/v2/stats/ai/breakdown/repos"]
    reference = per_entity.query(ENTITIES % REPO_AI, variables)
    assert reference.paths == ["/v2/stats/ai"] * 100
    assert batched.data == reference.data
    first = batched.data["_entities"][0]["stats"]["ai"]["timeSeries"]
    assert first["meta"]["scope"] == "REPO" and first["meta"]["scopeId"] == repos[0]
    assert first["summary"]["total"] == sum(first["columns"]["requests"]) > 0


def test_one_repo_costs_one_call(gateway: Gateway, api: Api) -> None:
    result = gateway.query(ENTITIES % REPO_AI, reps("Repo", ids(api, "/v2/stats/ai/breakdown/repos")[:1]))
    assert result.paths == ["/v2/stats/ai"]


def test_results_follow_representation_order(gateway: Gateway, api: Api) -> None:
    repos = ids(api, "/v2/stats/ai/breakdown/repos")[:12]
    shuffled = repos[::-1]
    result = gateway.query(ENTITIES % "... on Repo { id }", reps("Repo", shuffled))
    assert [e["id"] for e in result.data["_entities"]] == shuffled


def test_a_bad_representation_costs_only_its_entity(gateway: Gateway, api: Api) -> None:
    repo = ids(api, "/v2/stats/ai/breakdown/repos")[0]
    variables = {
        "reps": [{"__typename": "Repo", "id": repo}, {"__typename": "Repo"}, {"__typename": "Repo", "id": 7}]
    }
    result = gateway.query(ENTITIES % REPO_AI, variables)
    assert result.codes() == {"_entities.1": "BAD_USER_INPUT", "_entities.2": "BAD_USER_INPUT"}
    assert "`id`" in result.errors[0]["message"]
    assert result.data["_entities"][0]["id"] == repo
    assert result.data["_entities"][1:] == [None, None]


def test_idle_entities_in_a_complete_page_are_answered_without_a_call_each(
    gateway: Gateway, per_entity: Gateway, api: Api, org: Any
) -> None:
    """The page holds every repo with activity (100 of 120 in 30 days): the 20 others had none, and
    their series are the zeros their own calls answer, from the page's one call."""
    active = ids(api, "/v2/stats/ai/breakdown/repos")
    quiet = [r.id for r in org.repos if r.id not in active]
    assert quiet
    variables = reps("Repo", [*active[:10], *quiet])
    batched = gateway.query(ENTITIES % REPO_AI, variables)
    assert not batched.errors
    assert batched.paths == ["/v2/stats/ai/breakdown/repos"]
    assert batched.data == per_entity.query(ENTITIES % REPO_AI, variables).data
    assert sum(batched.data["_entities"][10]["stats"]["ai"]["timeSeries"]["columns"]["requests"]) == 0


@pytest.mark.parametrize("window", ["LAST_24H", "LAST_7D", "LAST_30D"])
def test_a_catalog_page_of_every_repo_answers_every_row_within_the_call_budget(
    gateway: Gateway, per_entity: Gateway, org: Any, window: str
) -> None:
    """Every repo of the organization (120, half of them idle in 24 hours), as a catalog page
    sends them: no row is cut by the call budget, and each equals its own call's answer."""
    selection = REPO_AI.replace("LAST_30D", window)
    variables = reps("Repo", [r.id for r in org.repos])
    batched = gateway.query(ENTITIES % selection, variables)
    assert not batched.errors, batched.errors[:2]
    assert batched.paths == ["/v2/stats/ai/breakdown/repos"]
    assert batched.data == per_entity.query(ENTITIES % selection, variables).data


def test_the_rest_of_the_breakdown_is_read_when_that_takes_fewer_calls(
    gateway: Gateway, per_entity: Gateway, api: Api, org: Any
) -> None:
    """Five repos get a page of 50 of the 100 with activity: three idle ones are not in it. Reading
    the other page (one call) costs less than three calls of their own, and proves them idle."""
    active = ids(api, "/v2/stats/ai/breakdown/repos")
    quiet = [r.id for r in org.repos if r.id not in active]
    variables = reps("Repo", [*active[:2], *quiet[:3]])
    batched = gateway.query(ENTITIES % REPO_AI, variables)
    assert not batched.errors
    assert batched.paths == ["/v2/stats/ai/breakdown/repos"] * 2
    assert batched.data == per_entity.query(ENTITIES % REPO_AI, variables).data


def test_an_entity_past_an_incomplete_page_gets_its_own_call_and_its_refusal(
    gateway: Gateway, per_entity: Gateway, api: Api, other_org: Any
) -> None:
    """Where asking for the missing entities one by one is cheaper than reading the rest of the
    breakdown, they are: a repo of another organization then gets its own 403, as from REST."""
    active = ids(api, "/v2/stats/ai/breakdown/repos")
    foreign = other_org.repos[0].id
    variables = reps("Repo", [active[0], foreign])
    batched = gateway.query(ENTITIES % REPO_AI, variables)
    assert batched.codes() == {"_entities.1.stats.ai.timeSeries": "FORBIDDEN"}
    assert sorted(batched.paths) == ["/v2/stats/ai", "/v2/stats/ai/breakdown/repos"]
    assert batched.data == per_entity.query(ENTITIES % REPO_AI, variables).data


def test_a_refused_breakdown_falls_back_to_per_entity_calls(gateway: Gateway, api: Api, org: Any) -> None:
    workspace = org.workspaces[0].id
    repos = [r.id for r in org.repos if r.workspace_id == workspace][:5]
    result = gateway.query(ENTITIES % REPO_AI, reps("Repo", repos), token="demo-workspace-only")
    assert not result.errors
    assert sorted(result.paths) == ["/v2/stats/ai"] * 5 + ["/v2/stats/ai/breakdown/repos"]
    for repo, entity in zip(repos, result.data["_entities"], strict=True):
        rest = api.ok("/v2/stats/ai", token="demo-workspace-only", scope="repo", id=repo, window="30d")
        assert entity["stats"]["ai"]["timeSeries"]["columns"]["requests"] == [
            p["requests"] for p in rest["series"]
        ]


class FailingPathTransport(httpx.AsyncBaseTransport):
    """The local backend, except that one path answers the upstream's 404 error body."""

    def __init__(self, app: Starlette, path: str) -> None:
        self.inner, self.path = httpx.ASGITransport(app=app), path

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path:
            body = {"error": "gone", "error_code": "NOT_FOUND"}
            return httpx.Response(404, json=body)
        return await self.inner.handle_async_request(request)


def test_a_failed_breakdown_fails_every_entity_it_was_to_answer(backend_app: Starlette, api: Api) -> None:
    """Any refusal but 403 is the caller's answer for the whole group: each entity carries the
    error at its own path, and no per-entity calls follow the failed one."""
    repos = ids(api, "/v2/stats/ai/breakdown/repos")[:4]
    transport = FailingPathTransport(backend_app, "/v2/stats/ai/breakdown/repos")
    gateway = Gateway(create_app(GatewaySettings(response_cache=False), transport=transport))
    try:
        result = gateway.query(ENTITIES % REPO_AI, reps("Repo", repos))
    finally:
        gateway.close()
    assert result.paths == ["/v2/stats/ai/breakdown/repos"]
    codes = result.codes()
    assert sorted(codes) == [f"_entities.{i}.stats.ai.timeSeries" for i in range(4)], codes
    assert len(set(codes.values())) == 1 and "NOT_FOUND" in next(iter(codes.values())), codes
    assert [e["id"] for e in result.data["_entities"]] == repos


def on(type_name: str, field: str, columns: str) -> str:
    return f"... on {type_name} {{ id {field} {{ timeSeries {{ {SERIES} columns {{ {columns} }} }} }} }}"


@pytest.mark.parametrize(
    ("type_name", "path", "selection"),
    [
        (
            "Bucket",
            "/v2/stats/storage/breakdown/buckets",
            on("Bucket", "storage(window: LAST_7D)", "ts uplBytes"),
        ),
        (
            "AiConfig",
            "/v2/stats/ai/breakdown/aiConfigs",
            on("AiConfig", "ai(window: LAST_7D)", "ts tokensIn"),
        ),
        (
            "Model",
            "/v2/stats/ai/breakdown/models",
            on("Model", "ai(window: LAST_7D, bucketSize: HOUR_6)", "ts activeConversations latencyMs"),
        ),
        (
            "Model",
            "/v2/stats/private-chat/breakdown/models",
            on("Model", "privateChat(window: LAST_7D)", "ts requests"),
        ),
        (
            "User",
            "/v2/stats/private-chat/breakdown/users",
            on("User", "privateChat(window: LAST_30D)", "ts tokensIn"),
        ),
        (
            "Repo",
            "/v2/stats/credits/breakdown/repos",
            on("Repo", "stats(window: LAST_90D) { credits", "ts creditsTotal creditsAi") + " }",
        ),
    ],
)
def test_every_batchable_entity_type_gives_the_per_entity_answer(
    gateway: Gateway, per_entity: Gateway, api: Api, type_name: str, path: str, selection: str
) -> None:
    window = {"LAST_7D": "7d", "LAST_30D": "30d", "LAST_90D": "90d"}[
        selection.split("window: ")[1].split(")")[0].split(",")[0]
    ]
    entities = ids(api, path, window=window)
    assert len(entities) >= 3
    variables = reps(type_name, entities)
    batched = gateway.query(ENTITIES % selection, variables)
    reference = per_entity.query(ENTITIES % selection, variables)
    assert not batched.errors and not reference.errors
    assert batched.data == reference.data
    assert batched.paths == [path] and len(reference.paths) == len(entities)


@pytest.mark.parametrize("count", [*range(1, 13), 100])
def test_entities_cost_one_call_and_never_more_than_one_each(gateway: Gateway, api: Api, count: int) -> None:
    """One entity makes its own call; from two on, one page of the breakdown holds them all."""
    repos = ids(api, "/v2/stats/ai/breakdown/repos")[:count]
    result = gateway.query(ENTITIES % REPO_AI, reps("Repo", repos))
    assert not result.errors
    expected = ["/v2/stats/ai"] if count == 1 else ["/v2/stats/ai/breakdown/repos"]
    assert result.paths == expected
    assert len(result.paths) <= count


def test_breakdown_entities_link_to_federated_entities(gateway: Gateway) -> None:
    data = gateway.ok(
        "{ stats(window: LAST_7D) { ai { repos: breakdown(by: REPOS, limit: 3) { entities { entityId repo { id }"
        " workspace { id } model { id } } } models: breakdown(by: MODELS, limit: 2) { entities { entityId model { id }"
        " repo { id } } } } policies { breakdown(by: RULES, limit: 2) {"
        " entities { entityId rule { id } user { id } } } } } }"
    )["stats"]
    for entity in data["ai"]["repos"]["entities"]:
        assert (
            entity["repo"] == {"id": entity["entityId"]}
            and entity["workspace"] is None
            and entity["model"] is None
        )
    for entity in data["ai"]["models"]["entities"]:
        assert entity["model"] == {"id": entity["entityId"]} and entity["repo"] is None
    for entity in data["policies"]["breakdown"]["entities"]:
        assert entity["rule"] == {"id": entity["entityId"]} and entity["user"] is None


def test_federated_tracing_is_off_unless_enabled(gateway: Gateway, backend_app: Starlette) -> None:
    async def traced(app: Starlette) -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://g") as client:
            response = await client.post(
                "/graphql",
                json={"query": "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"},
                headers={"apollo-federation-include-trace": "ftv1"},
            )
            body: dict[str, Any] = response.json()
            return body

    import asyncio

    plain = asyncio.run(traced(gateway.app))
    assert "ftv1" not in plain.get("extensions", {})
    tracing = create_app(
        GatewaySettings(federation_tracing=True), transport=httpx.ASGITransport(app=backend_app)
    )
    body = asyncio.run(traced(tracing))
    assert body["data"]["stats"]["ai"]["timeSeries"]["summary"]["total"] > 0
    assert len(body["extensions"]["ftv1"]) > 100


def test_a_representation_of_no_type_of_ours_fails_at_its_index_only(gateway: Gateway, api: Api) -> None:
    models = ids(api, "/v2/stats/ai/breakdown/models")[:2]
    representations = [
        {"__typename": "Model", "id": models[0]},
        {"__typename": "Spaceship", "id": "x"},
        {"id": "no type"},
        {"__typename": "Model", "id": models[1]},
    ]
    result = gateway.query(ENTITIES % "... on Model { id }", {"reps": representations})
    assert result.codes() == {"_entities.1": "BAD_USER_INPUT", "_entities.2": "BAD_USER_INPUT"}
    assert result.errors[0]["message"] == (
        "representations[1] has __typename 'Spaceship'; this subgraph resolves"
        " AiConfig, Bucket, Model, PolicyRule, Repo, User, Workspace."
    )
    assert result.data["_entities"] == [{"id": models[0]}, None, None, {"id": models[1]}]


@pytest.mark.parametrize(
    "type_name", ["Workspace", "Repo", "Bucket", "AiConfig", "User", "PolicyRule", "Model"]
)
def test_a_representation_without_its_key_names_its_type(gateway: Gateway, type_name: str) -> None:
    result = gateway.query(
        ENTITIES % f"... on {type_name} {{ id }}", {"reps": [{"__typename": type_name, "id": ""}]}
    )
    assert result.codes() == {"_entities.0": "BAD_USER_INPUT"}
    assert (
        result.errors[0]["message"] == f"A {type_name} representation needs its key: a non-empty string `id`."
    )
