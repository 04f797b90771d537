"""The row form's fast path (gql.pipeline.row_form) answers exactly what ordinary execution answers.

Selections are generated: any mix of a point's fields, aliases, ``__typename``, ``@include`` and
``@skip`` on variables, inline fragments and named fragments, on every domain's time series and on
breakdown entities' series. Each is asked of the gateway with the fast path and of one whose
executor is Strawberry's own, over the same backend; data and errors must be the same, and the
fast path must have built the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import strawberry
from graphql import GraphQLObjectType, get_named_type
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.pipeline import plain_values
from gql.pipeline.engine import create_schema, schema
from gql.pipeline.field_sources import FALL_BACK
from gql.pipeline.row_form import RowFormExecutor
from gql.schema.rows import Rows
from gql.schema.scalars import SCALARS, Long
from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from resolvers.resources import Metric
from resolvers.v2_payloads import Columns, point_type
from tests.conftest import per_module
from tests.gateway import Gateway
from tests.test_every_field import every_field_queries


class CountingExecutor(RowFormExecutor):
    """The fast path, counting the lists of rows it builds in bulk and the objects it completes in
    one step."""

    built = 0
    objects = 0

    def _plain(self, type_: Any, details: Any, value: Any) -> Any:
        completed = super()._plain(type_, details, value)
        if completed is not FALL_BACK and isinstance(get_named_type(type_), GraphQLObjectType):
            CountingExecutor.objects += 1
        return completed


_build_rows = plain_values.build_rows


def _counted_build_rows(*args: Any) -> Any:
    CountingExecutor.built += 1
    return _build_rows(*args)


@pytest.fixture(scope=per_module, autouse=True)
def _count_rows_built() -> Iterator[None]:
    """Rows built in bulk, by whichever completion they are under (counted on the fast path
    alone: Strawberry's own executor never builds rows in bulk)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plain_values, "build_rows", _counted_build_rows)
        yield


def _gateway(backend_app: Starlette, executor: type[Any]) -> Gateway:
    return Gateway(
        create_app(
            # the executor runs every operation (gql.pipeline.plans has its own comparison)
            GatewaySettings(response_cache=False, engine="executor"),
            transport=httpx.ASGITransport(app=backend_app),
            schema=create_schema(executor=executor),  # type: ignore[arg-type]  # a class is hashable
        )
    )


@pytest.fixture(scope=per_module)
def both(backend_app: Starlette) -> Iterator[tuple[Gateway, Gateway]]:
    fast, ordinary = (
        _gateway(backend_app, CountingExecutor),
        _gateway(backend_app, StrawberryGraphQLCoreExecutionContext),
    )
    yield fast, ordinary
    fast.close()
    ordinary.close()


# (where the series is, the point type): every domain's time series and two breakdowns' entities.
PLACES = [
    ("storage { timeSeries { series { %s } } }", "StoragePoint"),
    ("ai { timeSeries { series { %s } } }", "AiPoint"),
    ("privateChat { timeSeries { series { %s } } }", "PrivateChatPoint"),
    ("policies { timeSeries { series { %s } } }", "PolicyPoint"),
    ("policies { tokens { series { %s } } }", "PolicyTokenPoint"),
    ("credits { timeSeries { series { %s } } }", "CreditPoint"),
    (
        "policies { breakdown(by: USERS, limit: 3) { entities { entityId series { %s } } } }",
        "PolicyEnforcementPoint",
    ),
    ("ai { breakdown(by: MODELS, limit: 2) { entities { series { %s } } } }", "AiPoint"),
]


def _fields(type_name: str) -> list[str]:
    point = schema._schema.type_map[type_name]
    assert isinstance(point, GraphQLObjectType)
    return list(point.fields)


@st.composite
def selections(draw: st.DrawFn, type_name: str) -> tuple[str, str]:
    """A selection of ``type_name`` and the fragment definitions it uses."""
    fields = _fields(type_name)
    field = st.sampled_from(fields)
    condition = st.sampled_from(
        [
            "",
            " @include(if: $yes)",
            " @include(if: $no)",
            " @skip(if: $yes)",
            " @skip(if: $no)",
            " @skip(if: false)",
        ]
    )

    def leaf(name: str, aliased: bool, where: str) -> str:
        return (f"{name}_alias: {name}" if aliased else name) + where

    item = st.one_of(
        st.builds(leaf, field, st.booleans(), condition),
        st.builds(leaf, st.just("__typename"), st.booleans(), condition),
        st.builds(
            lambda names, where: f"... on {type_name}{where} {{ {' '.join(names)} }}",
            st.lists(field, min_size=1, max_size=3),
            condition,
        ),
        st.builds(lambda names: f"... {{ {' '.join(names)} }}", st.lists(field, min_size=1, max_size=3)),
    )
    items = draw(st.lists(item, min_size=1, max_size=8))
    fragment = ""
    if draw(st.booleans()):
        items.append("...Picked")
        picked = draw(st.lists(field, min_size=1, max_size=4))
        fragment = f" fragment Picked on {type_name} {{ {' '.join(picked)} }}"
    return " ".join(items), fragment


@st.composite
def documents(draw: st.DrawFn) -> str:
    place, type_name = draw(st.sampled_from(PLACES))
    selection, fragment = draw(selections(type_name))
    window = draw(st.sampled_from(["LAST_24H", "LAST_7D"]))
    declared = [(v, default) for v, default in (("yes", "true"), ("no", "false")) if f"${v}" in selection]
    variables = f"({', '.join(f'${v}: Boolean = {d}' for v, d in declared)})" if declared else ""
    return f"query Rows{variables} {{ stats(window: {window}) {{ {place % selection} }} }}" + fragment


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents())
def test_the_fast_path_answers_what_ordinary_execution_answers(
    both: tuple[Gateway, Gateway], document: str
) -> None:
    fast, ordinary = both
    before = CountingExecutor.built
    ours, theirs = fast.query(document), ordinary.query(document)
    assert ours.errors == theirs.errors == []
    assert ours.data == theirs.data
    assert CountingExecutor.built > before, "the fast path did not build the rows"


@strawberry.type
class Point:
    ts: int
    v: int

    @strawberry.field
    def scaled(self, by: int) -> int:
        return self.v * by


@strawberry.type
class Holder:
    point: Point


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Point]:
        decoded = [point_type((Metric("v"),))(ts=t, v=t * 2) for t in range(5)]
        return Rows(Columns(decoded, ("ts", "v")), Point)  # type: ignore[return-value]


@pytest.mark.parametrize(
    "selection",
    ["ts v", "t: __typename v", "ts scaled(by: 3)", "... on Point { v } ts"],
)
def test_rows_whose_selection_needs_resolvers_run_through_ordinary_execution(selection: str) -> None:
    """A field with arguments (or anything but a column) makes the fast path step aside."""
    document = f"{{ rows {{ {selection} }} }}"
    fast = strawberry.Schema(Query, execution_context_class=CountingExecutor).execute_sync(document)
    ordinary = strawberry.Schema(Query).execute_sync(document)
    assert fast.errors is None and ordinary.errors is None
    assert fast.data == ordinary.data
    assert len(fast.data["rows"]) == 5  # type: ignore[index]


EVERY_FIELD = every_field_queries()


@pytest.mark.parametrize("query", EVERY_FIELD, ids=range(len(EVERY_FIELD)))
def test_every_field_of_every_series_and_breakdown_is_the_same_on_both_paths(
    both: tuple[Gateway, Gateway], query: str
) -> None:
    """Totals, chart columns, summaries, meta and entities: the plain objects' fast path included."""
    fast, ordinary = both
    before = CountingExecutor.objects
    ours, theirs = fast.query(query), ordinary.query(query)
    assert ours.errors == theirs.errors == []
    assert ours.data == theirs.data
    assert CountingExecutor.objects > before, "no object was completed in one step"


@strawberry.type
class Plain:
    count: Long
    label: str | None
    ratio: float


@strawberry.type
class PlainQuery:
    @strawberry.field
    def plain(self, count: int, label: str | None = None) -> Plain:
        return Plain(count=Long(count), label=label, ratio=count / 4)

    @strawberry.field
    def broken(self) -> Plain:
        return Plain(count=Long(1), label=None, ratio=None)  # type: ignore[arg-type]  # a null in a non-null field


@pytest.mark.parametrize(
    "document",
    [
        "{ plain(count: 3) { count label ratio t: __typename } }",
        '{ plain(count: 3, label: "x") { ... on Plain { label } again: count } }',
        "{ plain(count: 9223372036854775807) { count } }",
        "{ broken { count ratio } }",
        "{ broken { count } }",
    ],
)
def test_plain_objects_answer_and_fail_as_ordinary_execution_does(document: str) -> None:
    fast = strawberry.Schema(PlainQuery, execution_context_class=CountingExecutor, scalar_overrides=SCALARS)
    ordinary = strawberry.Schema(PlainQuery, scalar_overrides=SCALARS)
    ours, theirs = fast.execute_sync(document), ordinary.execute_sync(document)
    assert ours.data == theirs.data
    assert [e.formatted for e in ours.errors or []] == [e.formatted for e in theirs.errors or []]


@strawberry.type
class Entity:
    key: str
    size: int

    @strawberry.field
    def doubled(self) -> int:
        return self.size * 2

    @strawberry.field
    def parts(self) -> list[Plain]:
        return [Plain(count=Long(n), label=None, ratio=n / 2) for n in range(self.size)]

    @strawberry.field
    def fragile(self) -> int:
        if self.size > 2:
            raise ValueError("too big")
        return self.size

    @strawberry.field
    def missing(self) -> int:
        return None  # type: ignore[return-value]  # a null in a non-null field

    @strawberry.field
    def scaled(self, by: int) -> int:
        return self.size * by


@strawberry.type
class EntityQuery:
    @strawberry.field
    def entities(self, count: int) -> list[Entity]:
        return [Entity(key=f"e{n}", size=n) for n in range(count)]

    @strawberry.field
    def holes(self) -> list[Entity | None]:
        return [Entity(key="a", size=1), None]

    @strawberry.field
    def strict_holes(self) -> list[Entity]:
        return [Entity(key="a", size=1), None]  # type: ignore[list-item]  # a null in a non-null list


class ResolverLog(SchemaExtension):
    """An extension that sees every resolver, as OpenTelemetry's and Apollo's tracing do."""

    seen: ClassVar[list[str]] = []

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        ResolverLog.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


def _both_ways(query: type[Any], document: str, extensions: list[Any] | None = None) -> tuple[Any, Any]:
    fast = strawberry.Schema(
        query,
        execution_context_class=CountingExecutor,
        extensions=extensions or [],
        scalar_overrides=SCALARS,
    )
    ordinary = strawberry.Schema(query, extensions=extensions or [], scalar_overrides=SCALARS)
    return fast.execute_sync(document), ordinary.execute_sync(document)


@pytest.mark.parametrize(
    ("document", "fast"),
    [
        ("{ entities(count: 3) { key doubled parts { count ratio } } }", True),
        ("{ entities(count: 2) { k: key __typename fragile } }", True),
        # Raises for the last entity only: the others are still completed in one step each.
        ("{ entities(count: 4) { key fragile } }", True),
        ("{ entities(count: 2) { key missing } }", False),
        ("{ entities(count: 2) { key scaled(by: 3) } }", False),  # arguments: ordinary execution
        ("{ holes { key doubled } }", True),
        ("{ strictHoles { key } }", True),
    ],
)
def test_objects_of_direct_resolvers_answer_and_fail_as_ordinary_execution_does(
    document: str, fast: bool
) -> None:
    before = CountingExecutor.objects
    ours, theirs = _both_ways(EntityQuery, document)
    assert ours.data == theirs.data
    assert [e.formatted for e in ours.errors or []] == [e.formatted for e in theirs.errors or []]
    assert (CountingExecutor.objects > before) is fast


def test_an_extension_that_wraps_every_resolver_still_sees_each_one() -> None:
    document = "{ entities(count: 3) { key doubled parts { count } } }"
    ResolverLog.seen.clear()
    ours, _ = _both_ways(EntityQuery, document, [ResolverLog])
    fast_seen = sorted(ResolverLog.seen[: len(ResolverLog.seen) // 2])
    ordinary_seen = sorted(ResolverLog.seen[len(ResolverLog.seen) // 2 :])
    assert ours.errors is None
    assert fast_seen.count("doubled") == ordinary_seen.count("doubled") == 3
    assert fast_seen.count("parts") == ordinary_seen.count("parts") == 3
