"""Fields called through lean resolvers (gql.pipeline.lean_resolvers) answer and fail exactly as they do
through Strawberry's own: every field of every series and breakdown, entity links with their
arguments, legacy fields, federated entities and refused arguments, compared over the same backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.pipeline import lean_resolvers
from gql.pipeline.engine import create_schema
from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings
from tests.conftest import per_module
from tests.gateway import Gateway
from tests.test_every_field import every_field_queries

LINKS = (
    "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 3) { entities { entityId"
    " repo { id stats(window: LAST_24H, bucketSize: HOUR_1) { scope scopeId window bucketSize"
    " ai { timeSeries { summary { total } } } } } } } } } }"
)
QUERIES = [
    *every_field_queries(),
    REFERENCE_QUERY,
    LINKS,
    '{ stats(scope: REPO, id: "no-such-repo", window: LAST_7D) { scope ai { timeSeries { summary { total } } } } }',
    "{ stats(window: LAST_30D, bucketSize: MIN_5) { ai { timeSeries { summary { total } } } } }",
    "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 501) { total } } } }",
    "{ legacy { creditsMonthly(months: 3) { totals { balance } months { month balance } } } }",
    "{ legacy { creditsMonthly(months: 25) { totals { balance } } } }",
    '{ _entities(representations: [{__typename: "Repo", id: "x"}]) { ... on Repo { id } } }',
]


@pytest.fixture(scope=per_module)
def strawberrys_own(backend_app: Starlette) -> Iterator[Gateway]:
    app = create_app(
        GatewaySettings(response_cache=False),
        transport=httpx.ASGITransport(app=backend_app),
        schema=create_schema(lean=False),
    )
    client = Gateway(app)
    yield client
    client.close()


def test_the_fields_that_take_arguments_are_among_the_lean_ones() -> None:
    lean = set(lean_resolvers.lean_fields(create_schema(lean=False)))
    assert {"Query.stats", "Repo.stats", "AiStats.breakdown", "Legacy.creditsMonthly"} <= lean
    assert "Query._entities" not in lean  # its argument is a list of representations


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_lean_resolvers_answer_and_fail_as_strawberrys_own(
    gateway: Gateway, strawberrys_own: Gateway, query: str
) -> None:
    lean, own = gateway.query(query), strawberrys_own.query(query)
    assert lean.data == own.data
    assert _without_request_ids(lean.errors) == _without_request_ids(own.errors)
    assert sorted(lean.paths) == sorted(own.paths)


def _without_request_ids(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**e, "extensions": {k: v for k, v in e["extensions"].items() if k != "requestId"}} for e in errors
    ]
