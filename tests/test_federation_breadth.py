"""Every federated field of every entity type, and every breakdown link, as a supergraph uses them.

Each federated field must answer what the root ``stats`` field answers for the same scope or
filter. Representations of several types arrive shuffled, asking for several windows and bucket
sizes at once; batching must give exactly the per-entity answer.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests.conftest import Api
from tests.gateway import Gateway
from tests.test_gateway_paging import BREAKDOWNS

ENTITIES = "query($reps: [_Any!]!) { _entities(representations: $reps) { %s } }"
SERIES = (
    "timeSeries { meta { scope scopeId window bucketSize resourceFilter { type value } } summary { total }"
)
# Each domain's time series with a few of its metrics, and a breakdown where the domain has one
# that the filter allows.
DOMAIN_SELECTIONS = {
    "storage": f"{SERIES} columns {{ ts uplBytes requests }} }}",
    "ai": f"{SERIES} columns {{ ts tokensIn requests latencyMs }} }}"
    " breakdown(by: PROVIDERS, limit: 3) { total entities { entityId totals { requests } } }",
    "privateChat": f"{SERIES} columns {{ ts tokensOut requests }} }}",
    "policies": f"{SERIES} columns {{ ts violations blocks }} }}",
    "credits": f"{SERIES} columns {{ ts creditsAi creditsTotal }} }}",
}
# (type, its federated field, the domains under it, the root arguments that mean the same, the
# REST breakdown that lists ids of that type)
FIELDS = [
    (
        "Workspace",
        "stats",
        ("storage", "ai", "credits"),
        "scope: WORKSPACE, id: $id",
        "/v2/stats/ai/breakdown/workspaces",
    ),
    ("Repo", "stats", ("storage", "ai", "credits"), "scope: REPO, id: $id", "/v2/stats/ai/breakdown/repos"),
    ("Repo", "stats", ("privateChat", "policies"), "scope: REPO, id: $id", "/v2/stats/ai/breakdown/repos"),
    ("Bucket", "storage", ("storage",), "bucketId", "/v2/stats/storage/breakdown/buckets"),
    ("AiConfig", "ai", ("ai",), "aiLlmId", "/v2/stats/ai/breakdown/aiConfigs"),
    ("AiConfig", "privateChat", ("privateChat",), "aiLlmId", "/v2/stats/ai/breakdown/aiConfigs"),
    ("AiConfig", "credits", ("credits",), "aiLlmId", "/v2/stats/ai/breakdown/aiConfigs"),
    ("User", "privateChat", ("privateChat",), "userId", "/v2/stats/private-chat/breakdown/users"),
    ("User", "policies", ("policies",), "userId", "/v2/stats/policies/breakdown/users"),
    ("PolicyRule", "policies", ("policies",), "ruleId", "/v2/stats/policies/breakdown/rules"),
    ("Model", "ai", ("ai",), "model", "/v2/stats/ai/breakdown/models"),
    ("Model", "privateChat", ("privateChat",), "model", "/v2/stats/private-chat/breakdown/models"),
]
# What each link field of a breakdown entity points at, by the breakdown's dimension.
LINKS = {
    "workspace": "workspaces",
    "repo": "repos",
    "bucket": "buckets",
    "model": "models",
    "aiConfig": "aiConfigs",
    "user": "users",
    "rule": "rules",
}


def _ids(api: Api, path: str, count: int) -> list[str]:
    body = api.ok(path, scope="org", window="30d", limit=count)
    return [e["entityId"] for e in body["entities"]]


def _domain(name: str) -> str:
    body = DOMAIN_SELECTIONS[name]
    return body if name in ("ai", "credits") else body.split(" breakdown(")[0]


def _root_query(domains: tuple[str, ...], arguments: str) -> str:
    if arguments.startswith("scope"):
        inner = " ".join(f"{d} {{ {_domain(d)} }}" for d in domains)
        return f"query($id: ID) {{ stats(window: LAST_30D, {arguments}) {{ {inner} }} }}"
    kind = "String" if arguments == "model" else "ID"
    inner = " ".join(f"{d}({arguments}: $id) {{ {_domain(d)} }}" for d in domains)
    return f"query($id: {kind}) {{ stats(window: LAST_30D) {{ {inner} }} }}"


def _federated_selection(type_name: str, field: str, domains: tuple[str, ...]) -> str:
    if field == "stats":
        inner = " ".join(f"{d} {{ {_domain(d)} }}" for d in domains)
        return f"... on {type_name} {{ id {field}(window: LAST_30D) {{ {inner} }} }}"
    return f"... on {type_name} {{ id {field}(window: LAST_30D) {{ {_domain(domains[0])} }} }}"


@pytest.mark.parametrize("count", [1, 8], ids=["one", "several"])
@pytest.mark.parametrize(
    ("type_name", "field", "domains", "arguments", "listing"), FIELDS, ids=[f"{t}.{f}" for t, f, *_ in FIELDS]
)
def test_every_federated_field_answers_what_the_root_field_answers(
    gateway: Gateway,
    api: Api,
    type_name: str,
    field: str,
    domains: tuple[str, ...],
    arguments: str,
    listing: str,
    count: int,
) -> None:
    ids = _ids(api, listing, count)
    assert len(ids) == count or len(ids) >= 4  # the demo data has 4 workspaces
    reps = [{"__typename": type_name, "id": value} for value in ids]
    result = gateway.query(ENTITIES % _federated_selection(type_name, field, domains), {"reps": reps})
    assert not result.errors, result.errors
    for value, entity in zip(ids, result.data["_entities"], strict=True):
        assert entity["id"] == value
        root = gateway.ok(_root_query(domains, arguments), {"id": value})["stats"]
        federated = entity[field]
        assert (federated if field == "stats" else {domains[0]: federated}) == root
        series = root[domains[0]]["timeSeries"]
        assert series["meta"]["scopeId"] == value or series["meta"]["resourceFilter"]["value"] == value


def _link_fields(gateway: Gateway, type_name: str) -> list[str]:
    fields = gateway.ok(f'{{ __type(name: "{type_name}") {{ fields {{ name type {{ name }} }} }} }}')[
        "__type"
    ]
    return [f["name"] for f in fields["fields"] if f["name"] in LINKS]


def _entity_type(gateway: Gateway, field: str, call: str) -> str:
    name = call.split("(")[0]
    domain_type = gateway.ok('{ __type(name: "Stats") { fields { name type { name ofType { name } } } } }')[
        "__type"
    ]["fields"]
    type_name = next(
        f["type"]["name"] or f["type"]["ofType"]["name"] for f in domain_type if f["name"] == field
    )
    fields = gateway.ok(f'{{ __type(name: "{type_name}") {{ fields {{ name type {{ name }} }} }} }}')[
        "__type"
    ]
    breakdown_type = next(f["type"]["name"] for f in fields["fields"] if f["name"] == name)
    entities = gateway.ok(
        f'{{ __type(name: "{breakdown_type}") {{ fields {{ name'
        " type { ofType { ofType { ofType { name } } } } } } }"
    )["__type"]["fields"]
    return str(
        next(f["type"]["ofType"]["ofType"]["ofType"]["name"] for f in entities if f["name"] == "entities")
    )


@pytest.mark.parametrize(
    ("field", "call", "by"),
    [(f, c, b) for f, _, c, b in BREAKDOWNS],
    ids=[f"{f}-{b}" for f, _, _, b in BREAKDOWNS],
)
def test_every_breakdown_entity_links_to_the_entity_its_dimension_names(
    gateway: Gateway, field: str, call: str, by: str
) -> None:
    links = _link_fields(gateway, _entity_type(gateway, field, call))
    if by in LINKS.values():
        assert any(LINKS[link] == by for link in links), f"{field} by {by} has no link to its entities"
    separator = "" if call.endswith("(") else ", "
    selection = " ".join(f"{link} {{ id }}" for link in links)
    page = gateway.ok(
        f"{{ stats(window: LAST_30D) {{ {field} {{ page: {call}{separator}limit: 4)"
        f" {{ entities {{ entityId {selection} }} }} }} }} }}"
    )["stats"][field]["page"]["entities"]
    assert page
    for entity in page:
        for link in links:
            expected = {"id": entity["entityId"]} if LINKS[link] == by else None
            assert entity[link] == expected, (by, link)


MIXED = {
    "Repo": "... on Repo { id week: stats(window: LAST_7D) {"
    " ai { timeSeries { meta { bucketSize } columns { ts requests } } } }"
    " quarters: stats(window: LAST_7D, bucketSize: HOUR_6) {"
    " ai { timeSeries { meta { bucketSize } columns { ts requests } } }"
    " credits { timeSeries { columns { ts creditsTotal } } } }"
    " month: stats(window: LAST_30D) { storage { timeSeries { columns { ts uplBytes } } } } }",
    "Model": "... on Model { id ai(window: LAST_7D) { timeSeries { columns { ts tokensIn } } }"
    " coarse: ai(window: LAST_7D, bucketSize: HOUR_12) { timeSeries { meta { bucketSize } columns { ts tokensIn } } }"
    " privateChat(window: LAST_30D) { timeSeries { columns { ts requests } } } }",
    "User": "... on User { id privateChat(window: LAST_7D) { timeSeries { columns { ts requests } } }"
    " daily: privateChat(window: LAST_7D, bucketSize: DAY_1) { timeSeries { columns { ts requests } } } }",
    "Bucket": "... on Bucket { id storage(window: LAST_30D) { timeSeries { columns { ts dwlBytes } } }"
    " hourly: storage(window: LAST_30D, bucketSize: HOUR_1) { timeSeries { columns { ts dwlBytes } } } }",
}


def test_shuffled_types_windows_and_bucket_sizes_give_the_per_entity_answer(
    gateway: Gateway, per_entity: Gateway, api: Api
) -> None:
    reps = (
        [{"__typename": "Repo", "id": i} for i in _ids(api, "/v2/stats/ai/breakdown/repos", 12)]
        + [{"__typename": "Model", "id": i} for i in _ids(api, "/v2/stats/ai/breakdown/models", 8)]
        + [{"__typename": "User", "id": i} for i in _ids(api, "/v2/stats/private-chat/breakdown/users", 7)]
        + [{"__typename": "Bucket", "id": i} for i in _ids(api, "/v2/stats/storage/breakdown/buckets", 6)]
    )
    random.Random(7).shuffle(reps)
    query = ENTITIES % " ".join(MIXED.values())
    batched = gateway.query(query, {"reps": reps})
    reference = per_entity.query(query, {"reps": reps})
    assert not batched.errors and not reference.errors
    assert [e["id"] for e in batched.data["_entities"]] == [r["id"] for r in reps]
    assert batched.data == reference.data
    assert batched.upstream["count"] < reference.upstream["count"] / 3
    repo = next(e for e in batched.data["_entities"] if "week" in e)
    assert repo["week"]["ai"]["timeSeries"]["meta"]["bucketSize"] == "HOUR_1"
    assert repo["quarters"]["ai"]["timeSeries"]["meta"]["bucketSize"] == "HOUR_6"
    assert len(repo["quarters"]["ai"]["timeSeries"]["columns"]["ts"]) * 6 in {
        len(repo["week"]["ai"]["timeSeries"]["columns"]["ts"]) + k for k in range(-6, 7)
    }


def _columns(entity: dict[str, Any]) -> list[list[float]]:
    """Every metric column under an entity's series (``ts`` left out)."""
    found: list[list[float]] = []
    for key, value in entity.items():
        if key == "columns":
            found += [column for name, column in value.items() if name != "ts"]
        elif isinstance(value, dict):
            found += _columns(value)
    return found


def test_batching_always_gives_the_per_entity_answer(
    backend_app: Starlette, per_entity: Gateway, api: Api
) -> None:
    always = Gateway(
        create_app(
            GatewaySettings(response_cache=False, entity_batching="always", max_upstream_calls=500),
            transport=httpx.ASGITransport(app=backend_app),
        )
    )
    try:
        reps = [{"__typename": "Model", "id": i} for i in _ids(api, "/v2/stats/ai/breakdown/models", 3)]
        query = ENTITIES % MIXED["Model"]
        batched = always.query(query, {"reps": reps})
        reference = per_entity.query(query, {"reps": reps})
        assert batched.data == reference.data
        assert batched.codes() == reference.codes()
        assert "/v2/stats/ai/breakdown/models" in batched.paths
        # A model the complete page does not list had no activity visible to the caller: zeros,
        # where its own call would say NOT_FOUND (docs/gateway.md, federation).
        unknown = always.query(query, {"reps": [*reps, {"__typename": "Model", "id": "no-such-model"}]})
        assert not unknown.errors and unknown.data["_entities"][:3] == batched.data["_entities"]
        assert all(not any(column) for column in _columns(unknown.data["_entities"][3]))
        alone = always.query(query, {"reps": reps[:1]})  # a batch of one is a page too
        assert alone.data == per_entity.query(query, {"reps": reps[:1]}).data and not alone.errors
        assert "/v2/stats/ai/breakdown/models" in alone.paths
    finally:
        always.close()


@pytest.mark.parametrize("count", [2, 3, 5])
@pytest.mark.parametrize(
    ("type_name", "field", "domains", "arguments", "path"),
    FIELDS,
    ids=[f"{t}.{f}:{d[0]}" for t, f, d, _, _ in FIELDS],
)
def test_entities_never_cost_more_calls_than_there_are_entities(
    gateway: Gateway,
    per_entity: Gateway,
    api: Api,
    type_name: str,
    field: str,
    domains: tuple[str, ...],
    arguments: str,
    path: str,
    count: int,
) -> None:
    """The entities ranked last of every type (past a page sized for them, where the breakdown is
    longer than that), each domain's series: calls(N) <= N, and the per-entity answer."""
    listed = _ids(api, path, 500)
    variables = {"reps": [{"__typename": type_name, "id": i} for i in listed[-count:]]}
    series = {d: DOMAIN_SELECTIONS[d].split(" breakdown(")[0] for d in domains}
    inner = " ".join(f"{d} {{ {series[d]} }}" for d in domains) if field == "stats" else series[domains[0]]
    query = ENTITIES % f"... on {type_name} {{ id {field}(window: LAST_30D) {{ {inner} }} }}"
    batched = gateway.query(query, variables)
    assert batched.upstream["count"] <= count * len(domains), batched.paths  # N calls per domain at most
    assert batched.data == per_entity.query(query, variables).data
    assert batched.codes() == per_entity.query(query, variables).codes()
