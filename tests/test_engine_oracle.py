"""The gateway's engine held to plain Strawberry: the same documents through the production setup
(``FLASHBACK_ENGINE=plans``: plans, the row form, lean resolvers) and through Strawberry's own
execution (``strawberry``: its executor, its argument conversion, ``Schema.execute``), and the
answers compared: data, and each error's message, path and code.

The corpus: every field of every series and breakdown, the reference dashboards, and 2,000
documents hypothesis-graphql generates from the schema (a seeded, bounded run). Both gateways
read the same local backend on a pinned clock, with no response cache, so any difference is the
engine's. Beside them, the awkward toy schemas of ``tests/test_plans.py`` (nulls in non-null
places, errors now and later, scalars that write nothing, lists that are not) run through each
engine the settings offer, plans and the executor with the row form, against plain Strawberry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from inspect import isawaitable
from typing import Any

import httpx
import pytest
from graphql import execute, parse
from hypothesis import HealthCheck, given, seed, settings
from hypothesis_graphql import Mode, from_schema
from starlette.applications import Starlette

from bench.speed import CHART, ROW, SMALL
from gql.pipeline import lean_resolvers
from gql.pipeline.engine import schema
from gql.pipeline.plan_runs import run
from gql.pipeline.plans import plan_for
from gql.pipeline.row_form import RowFormExecutor
from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings
from tests.conftest import per_module
from tests.gateway import Gateway
from tests.test_every_field import every_field_queries
from tests.test_fuzz import SCALARS
from tests.test_plans import TOY_DOCUMENTS, toy_schema

GENERATED = 2_000
ORACLE = settings(
    max_examples=GENERATED, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@pytest.fixture(scope=per_module)
def engines(backend_app: Starlette) -> Iterator[tuple[Gateway, Gateway]]:
    """The production engine and the reference, on one backend."""
    built = [
        Gateway(
            create_app(
                GatewaySettings(response_cache=False, engine=engine),
                transport=httpx.ASGITransport(app=backend_app),
            )
        )
        for engine in ("plans", "strawberry")
    ]
    yield built[0], built[1]
    for gateway in built:
        gateway.close()


def _answer(gateway: Gateway, query: str) -> tuple[int, Any, list[tuple[str, Any, Any]]]:
    async def post() -> httpx.Response:
        return await gateway._client.post("/graphql", json={"query": query})

    response = gateway._runner.run(post())
    body = response.json()
    errors = [
        (error["message"], error.get("path"), (error.get("extensions") or {}).get("code"))
        for error in body.get("errors") or []
    ]
    return response.status_code, body.get("data"), sorted(errors, key=repr)


def _same(engines: tuple[Gateway, Gateway], query: str) -> None:
    production, reference = engines
    assert _answer(production, query) == _answer(reference, query), query


CORPUS = [*every_field_queries(), REFERENCE_QUERY, SMALL, CHART, ROW]


@pytest.mark.parametrize("query", CORPUS, ids=range(len(CORPUS)))
def test_every_field_and_the_reference_dashboards_answer_as_plain_strawberry(
    engines: tuple[Gateway, Gateway], query: str
) -> None:
    production, _ = engines
    assert _answer(production, query)[1] is not None, "the corpus asks for data, not refusals"
    _same(engines, query)


@pytest.mark.slow
@ORACLE
@seed(24)
@given(query=from_schema(schema._schema, custom_scalars=SCALARS, mode=Mode.POSITIVE))
def test_generated_documents_answer_as_plain_strawberry(engines: tuple[Gateway, Gateway], query: str) -> None:
    _same(engines, query)


def _formatted(result: Any) -> tuple[Any, list[str]]:
    return result.data, sorted(str(error.formatted) for error in result.errors or [])


@pytest.mark.parametrize(("query", "document"), TOY_DOCUMENTS)
def test_every_engine_answers_the_awkward_toy_schemas_as_plain_strawberry(
    query: type[Any], document: str
) -> None:
    """Plans and the executor with the row form, each on a schema with lean resolvers as in
    production, give plain Strawberry's data and errors (messages, paths, locations)."""
    production = toy_schema(query)
    lean_resolvers.install(production)
    prepared = parse(document)
    plan = plan_for(production._schema, prepared, None, None)
    assert plan is not None

    async def answers() -> tuple[Any, Any, Any]:
        executed = execute(production._schema, prepared, executor_class=RowFormExecutor)
        reference = await toy_schema(query).execute(document)
        return (
            await run(plan, None),
            await executed if isawaitable(executed) else executed,
            reference,
        )

    planned, executed, reference = asyncio.run(answers())
    assert _formatted(planned) == _formatted(reference), "plans"
    assert _formatted(executed) == _formatted(reference), "executor"
