"""The ecosystem's tools introspect the gateway with their standard queries, under the default
limits: GraphiQL's Docs pane, codegen against the URL, IDE plugins, Postman, Apollo Sandbox.

Introspection nests as deep as a type's wrappers (the standard query has 15 levels), so it is
bounded by graphql-core's introspection depth rule and the fields limit, not by the data depth limit;
data stays bounded by the latter.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest
from graphql import build_client_schema, get_introspection_query, print_schema
from starlette.applications import Starlette

from gql.pipeline.limits import Limits
from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests import node
from tests.conftest import per_module
from tests.gateway import Gateway
from tests.servers import serve

OPTIONS = (
    "descriptions",
    "specified_by_url",
    "directive_is_repeatable",
    "schema_description",
    "input_value_deprecation",
    "one_of",
)


@pytest.mark.parametrize(
    "flags",
    list(itertools.product([False, True], repeat=len(OPTIONS))),
    ids=lambda f: "".join("01"[x] for x in f),
)
def test_graphql_cores_introspection_query_passes_the_default_limits_with_any_options(
    gateway: Gateway, flags: tuple[bool, ...]
) -> None:
    query = get_introspection_query(**dict(zip(OPTIONS, flags, strict=True)))
    result = gateway.query(query, token=None)
    assert result.errors == [], result.errors[:1]
    schema = build_client_schema(result.data)
    assert {"stats", "legacy", "_entities", "_service"} <= set(schema.query_type.fields)  # type: ignore[union-attr]


def test_the_whole_schema_comes_back_as_the_committed_sdl_has_it(gateway: Gateway) -> None:
    """What a tool rebuilds from introspection has every type and field of schema.graphql."""
    result = gateway.query(get_introspection_query(descriptions=True), token=None)
    printed = print_schema(build_client_schema(result.data))
    for name in ("type Stats", "type AiColumns", "enum Window", "scalar LongList", "type Repo"):
        assert name in printed


@pytest.fixture(scope=per_module)
def gateway_url(backend_app: Starlette) -> Iterator[str]:
    app = create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend_app))
    with serve(app) as url:
        yield url


@pytest.mark.slow
def test_graphql_js_introspection_with_every_option_is_answered(gateway_url: str) -> None:
    """graphql-js's getIntrospectionQuery, every option on (what GraphiQL 3 and codegen send)."""
    folder = node.install("clients")
    answer = node.run(folder, "introspect.mjs", f"{gateway_url}/graphql")
    assert answer["errors"] == [] and "stats" in answer["queryFields"], answer


def test_data_nested_past_the_depth_limit_is_still_refused(gateway: Gateway) -> None:
    """The exemption is for introspection's own fields only: 16 levels of linked statistics (each
    link is stats, ai, breakdown, entities, repo) with __typename at the bottom are refused."""
    linked = "stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 1) { entities { repo { %s } } } } }"
    query = "{ " + linked % (linked % (linked % "__typename")) + " }"
    assert Limits().max_depth < 16
    result = gateway.query(query)
    assert {e["extensions"]["code"] for e in result.errors} == {"MAX_DEPTH_LIMIT"}


def test_introspection_nested_past_its_own_rule_is_refused(gateway: Gateway) -> None:
    """graphql-core's introspection depth rule bounds what the exemption lets through: lists of
    fields of types of fields, four deep, are refused with a validation error."""
    query = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
    result = gateway.query(query, token=None)
    assert {e["extensions"]["code"] for e in result.errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection depth" in result.errors[0]["message"]
