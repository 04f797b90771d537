"""A prepared document gives the same answer whether graphql-core's executor runs it directly (only
the gateway's own extensions installed) or Strawberry's ``execute`` does (an extension of its own
installed, here Apollo's FTV1 traces): data, errors, their codes and paths, and the upstream report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.pipeline.engine import create_schema
from gql.pipeline.execution import runs_directly
from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings
from tests.conftest import per_module
from tests.gateway import Gateway

QUERIES = [
    REFERENCE_QUERY,
    "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }",
    # refused input: an error at its field, the rest answered
    "{ stats(window: LAST_7D) { storage { timeSeries { summary { total } } }"
    " ai { breakdown(by: REPOS, limit: 0) { total } } } }",
    # refused by the upstream for a token that may not read the scope
    '{ stats(scope: REPO, id: "no-such-repo", window: LAST_7D) { ai { timeSeries { summary { total } } } } }',
    # a null in a non-null field propagates to its nullable parent the same way
    '{ legacy { storage(startDate: "2026-11-10T00:00:00Z", endDate: "2026-11-01T00:00:00Z") { ts } } }',
    '{ _entities(representations: [{__typename: "Repo", id: "x"}, {__typename: "Nope"}]) { __typename } }',
]
UNKNOWN_TOKEN = "s3cret-token-value"  # the upstream refuses it: UNAUTHENTICATED at each field


@pytest.fixture(scope=per_module)
def through_strawberry(backend_app: Starlette) -> Iterator[Gateway]:
    app = create_app(
        GatewaySettings(response_cache=False, federation_tracing=True),
        transport=httpx.ASGITransport(app=backend_app),
    )
    client = Gateway(app)
    yield client
    client.close()


def test_the_two_gateways_take_the_two_paths() -> None:
    assert runs_directly(create_schema(federation_tracing=False))
    assert not runs_directly(create_schema(federation_tracing=True))


@pytest.mark.parametrize("token", ["demo", UNKNOWN_TOKEN])
@pytest.mark.parametrize("query", QUERIES)
def test_both_paths_give_the_same_answer(
    gateway: Gateway, through_strawberry: Gateway, query: str, token: str
) -> None:
    direct, strawberry = gateway.query(query, token=token), through_strawberry.query(query, token=token)
    assert direct.data == strawberry.data
    assert [(e["message"], e.get("path"), e["extensions"]["code"]) for e in direct.errors] == [
        (e["message"], e.get("path"), e["extensions"]["code"]) for e in strawberry.errors
    ]
    assert sorted(direct.paths) == sorted(strawberry.paths)


def test_the_queries_compared_include_failures(gateway: Gateway) -> None:
    codes = {
        code
        for query in QUERIES
        for token in ("demo", UNKNOWN_TOKEN)
        for code in gateway.query(query, token=token).codes().values()
    }
    assert {"BAD_USER_INPUT", "UNAUTHENTICATED"} <= codes, codes


def test_an_extension_of_strawberrys_still_runs_on_every_operation(through_strawberry: Gateway) -> None:
    """With FTV1 traces on, operations go through Strawberry's execute, plans or none: a router
    that asks for a trace gets one."""

    async def asked() -> dict[str, Any]:
        response = await through_strawberry._client.post(
            "/graphql",
            json={"query": "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"},
            headers={"apollo-federation-include-trace": "ftv1", "Authorization": "Bearer demo"},
        )
        body: dict[str, Any] = response.json()
        return body

    body = through_strawberry._runner.run(asked())
    assert body["data"]["stats"]["ai"]["timeSeries"]["summary"]["total"] > 0
    assert len(body["extensions"]["ftv1"]) > 100
