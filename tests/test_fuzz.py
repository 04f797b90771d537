"""Generated documents, valid and invalid, from the live schema: every answer is JSON below 500,
every error carries ``extensions.code``, and nothing leaks a traceback.

hypothesis-graphql builds queries from the schema the gateway serves; the run is bounded in
examples and time (about a minute on this machine's size).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import NameNode, ObjectFieldNode, ObjectValueNode, StringValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema
from starlette.applications import Starlette

from gql.pipeline.engine import schema
from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests.conftest import per_module
from tests.gateway import Gateway

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _representation(type_name: str, key: str) -> ObjectValueNode:
    return ObjectValueNode(
        fields=(
            ObjectFieldNode(name=NameNode(value="__typename"), value=StringValueNode(value=type_name)),
            ObjectFieldNode(name=NameNode(value="id"), value=StringValueNode(value=key)),
        )
    )


SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "DateTime": st.datetimes().map(lambda moment: StringValueNode(value=moment.isoformat())),
    "_Any": st.builds(
        _representation,
        st.sampled_from(["Repo", "Workspace", "Model", "User", "Bucket", "AiConfig", "PolicyRule", "Nope"]),
        st.text(min_size=0, max_size=12),
    ),
    "Long": st.integers(min_value=-(2**64), max_value=2**64).map(lambda n: StringValueNode(value=str(n))),
    "EpochSeconds": st.integers(min_value=0, max_value=2**40).map(lambda n: StringValueNode(value=str(n))),
    "JSON": st.just(StringValueNode(value="{}")),
    "LongList": st.just(StringValueNode(value="[]")),
    "FloatList": st.just(StringValueNode(value="[]")),
}


@pytest.fixture(scope=per_module)
def client(backend_app: Starlette) -> Iterator[Gateway]:
    gateway = Gateway(
        create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend_app))
    )
    yield gateway
    gateway.close()


def _check(client: Gateway, query: object) -> None:
    async def post() -> httpx.Response:
        return await client._client.post("/graphql", json={"query": query})

    response = client._runner.run(post())
    assert response.status_code < 500, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "Traceback" not in response.text and 'File "' not in response.text
    for error in body.get("errors") or []:
        assert error.get("extensions", {}).get("code"), error
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", error


@pytest.mark.slow
@FUZZ
@given(query=from_schema(schema._schema, custom_scalars=SCALARS, mode=Mode.POSITIVE))
def test_generated_valid_queries_answer_with_codes(client: Gateway, query: str) -> None:
    _check(client, query)


@pytest.mark.slow
@FUZZ
@given(query=from_schema(schema._schema, custom_scalars=SCALARS, mode=Mode.NEGATIVE))
def test_generated_invalid_queries_answer_with_codes(client: Gateway, query: str) -> None:
    _check(client, query)


@pytest.mark.slow
@FUZZ
@given(query=st.one_of(st.text(max_size=200), st.integers(), st.lists(st.integers(), max_size=3), st.none()))
def test_arbitrary_bodies_answer_with_codes(client: Gateway, query: object) -> None:
    _check(client, query)
