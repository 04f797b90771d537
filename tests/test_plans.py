"""Operations run by their plans (gql.pipeline.plans) answer and fail exactly as the executor answers them.

Each document is asked of the gateway, which runs it by its plan, and of one whose operations all
run through graphql-core's executor, over the same backend: data, errors (message, path,
locations, code) and upstream calls must be the same. The documents: generated row-form
selections (aliases, fragments, ``@include``/``@skip`` on variables), every field of every series
and breakdown, the reference dashboard under several variables, entity links, legacy fields,
refused arguments (a null propagated through a non-null field), upstream refusals, and the
operations no plan is made for.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from inspect import isawaitable
from typing import Any, NewType

import httpx
import pytest
import strawberry
from graphql import execute, parse
from hypothesis import HealthCheck, given, settings
from starlette.applications import Starlette
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.pipeline import lean_resolvers, plain_values, plan_runs
from gql.pipeline.documents import DocumentCache
from gql.pipeline.engine import schema
from gql.pipeline.plan_runs import run
from gql.pipeline.plans import Plan, plan_for
from gql.schema.scalars import SCALARS
from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings
from resolvers.bounded_cache import BoundedCache
from tests.conftest import per_module
from tests.gateway import Gateway
from tests.test_every_field import every_field_queries
from tests.test_lean_resolvers import LINKS
from tests.test_row_form import EntityQuery, PlainQuery, documents

UNKNOWN_TOKEN = "s3cret-token-value"
PLANNED = [
    *every_field_queries(),
    LINKS,
    "{ legacy { creditsMonthly(months: 3) { totals { balance } months { month balance } } } }",
    "{ legacy { creditsMonthly(months: 25) { totals { balance } } } }",
    "{ stats(window: LAST_30D, bucketSize: MIN_5) { ai { timeSeries { summary { total } } } } }",
    "{ stats(window: LAST_7D) { storage { timeSeries { summary { total } } }"
    " ai { breakdown(by: REPOS, limit: 0) { total } } } }",
    "{ a: stats(window: LAST_7D) { __typename scope } b: stats(scope: REPO, window: LAST_7D) { scope } }",
    '{ stats(scope: REPO, id: "no-such-repo", window: LAST_7D) { ai { timeSeries { summary { total } } } } }',
    "{ _service { sdl } }",
    # fragments and conditions at the root
    "query($yes: Boolean = true, $no: Boolean = false) { ...Root a: stats(window: LAST_24H) @include(if: $yes)"
    " { scope } b: stats(window: LAST_24H) @skip(if: $yes) { scope } c: stats(window: LAST_24H)"
    " @include(if: $no) { scope } ... on Query { d: stats(window: LAST_30D) { window } } }"
    " fragment Root on Query { stats(window: LAST_7D) { window } }",
]
UNPLANNED = [
    '{ _entities(representations: [{__typename: "Repo", id: "x"}]) { ... on Repo { id } } }',
    "{ __schema { queryType { name } } }",
]


@pytest.fixture(scope=per_module)
def executor_only(backend_app: Starlette) -> Iterator[Gateway]:
    app = create_app(
        GatewaySettings(response_cache=False, engine="executor"),
        transport=httpx.ASGITransport(app=backend_app),
    )
    client = Gateway(app)
    yield client
    client.close()


def _plan(query: str, variables: dict[str, Any] | None = None) -> object:
    document = DocumentCache(schema._schema, 1).prepare(query).document
    return plan_for(schema._schema, document, variables, None)


def _same(
    planned: Gateway,
    executed: Gateway,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str = "demo",
) -> None:
    ours, theirs = planned.query(query, variables, token), executed.query(query, variables, token)
    assert ours.data == theirs.data
    assert _comparable(ours.errors) == _comparable(theirs.errors)
    assert sorted(ours.paths) == sorted(theirs.paths)


def _comparable(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors without their request ids, in path order (concurrent fields fail in any order)."""
    bare = [
        {**e, "extensions": {k: v for k, v in e["extensions"].items() if k != "requestId"}} for e in errors
    ]
    return sorted(bare, key=lambda e: str(e.get("path")))


@pytest.mark.parametrize("query", PLANNED, ids=range(len(PLANNED)))
@pytest.mark.parametrize("token", ["demo", UNKNOWN_TOKEN])
def test_a_planned_operation_answers_and_fails_as_the_executor(
    gateway: Gateway, executor_only: Gateway, query: str, token: str
) -> None:
    assert _plan(query) is not None
    _same(gateway, executor_only, query, token=token)


@pytest.mark.parametrize(
    "variables",
    [
        None,
        {"window": "LAST_24H", "limit": 3},
        {"scope": "REPO", "limit": 1},
        {"window": "LAST_30D", "limit": 2},
    ],
)
def test_the_reference_dashboard_by_its_plan_under_several_variables(
    gateway: Gateway, executor_only: Gateway, variables: dict[str, Any] | None
) -> None:
    assert _plan(REFERENCE_QUERY, variables) is not None
    _same(gateway, executor_only, REFERENCE_QUERY, variables)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents())
def test_generated_row_selections_by_their_plans(
    gateway: Gateway, executor_only: Gateway, document: str
) -> None:
    assert _plan(document) is not None
    _same(gateway, executor_only, document)


@pytest.mark.parametrize("query", UNPLANNED, ids=range(len(UNPLANNED)))
def test_what_no_plan_is_made_for_runs_through_the_executor(
    gateway: Gateway, executor_only: Gateway, query: str
) -> None:
    assert _plan(query) is None
    _same(gateway, executor_only, query)


def test_a_variable_the_operation_cannot_take_makes_no_plan() -> None:
    query = "query($w: Window!) { stats(window: $w) { scope } }"
    assert _plan(query, {"w": "LAST_7D"}) is not None
    assert _plan(query, {"w": "FORTNIGHT"}) is None


Blank = NewType("Blank", str)
BLANK = strawberry.scalar(name="Blank", serialize=lambda value: None, parse_value=str)


@strawberry.type
class Awkward:
    @strawberry.field
    def blank(self) -> Blank:  # a scalar that serializes to nothing
        return Blank("x")

    @strawberry.field
    def maybe_blank(self) -> Blank | None:
        return Blank("x")

    @strawberry.field
    async def slow(self, fail: bool) -> int:
        await asyncio.sleep(0)
        if fail:
            raise ValueError("slow failed")
        return 1

    @strawberry.field
    async def items(self, count: int) -> list[int | None]:
        return [*range(count), None]

    @strawberry.field
    def lazy_items(self, fail_at: int) -> list[int | None]:  # items graphql-core awaits one by one
        return [_later(n, n == fail_at) for n in range(3)]  # type: ignore[misc]

    @strawberry.field
    def lazy_strict(self) -> list[int]:
        return [_later(0, False), _later(1, True)]  # type: ignore[list-item]

    @strawberry.field
    def lazy_one(self) -> int:  # a plain resolver handing back an awaitable, which graphql-core awaits
        return _later(5, False)  # type: ignore[return-value]

    @strawberry.field
    def lazy_then_null(self) -> list[int]:  # an item fails at once while one before it is pending
        return [_later(0, False), None]  # type: ignore[list-item]

    @strawberry.field
    def many(self) -> list[Awkward]:
        return [Awkward(), Awkward()]

    @strawberry.field
    def many_maybe(self) -> list[Awkward | None]:
        return [Awkward(), Awkward()]

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        """What a resolver's info says of its place."""
        raw = info._raw_info
        return (
            f"{raw.field_name} {raw.path.as_list()} {raw.return_type} {raw.parent_type}"
            f" {raw.operation.operation.value} {raw.schema is not None} {raw.is_awaitable(1)}"
            f" {raw.async_helpers is not None} {raw.variable_values!r}"
        )

    @strawberry.field
    def handed_back(self) -> int | None:
        return ValueError("an error returned, not raised")  # type: ignore[return-value]  # graphql-core raises it

    @strawberry.field
    def not_a_list(self) -> list[int]:
        return 7  # type: ignore[return-value]  # not iterable


async def _later(value: int, fail: bool) -> int:
    await asyncio.sleep(0)
    if fail:
        raise ValueError(f"item {value} failed")
    return value


@strawberry.type
class AwkwardQuery:
    @strawberry.field
    def awkward(self) -> Awkward:
        return Awkward()

    @strawberry.field
    def maybe(self) -> Awkward | None:
        return Awkward()


# Toy schemas of every awkward shape, with documents that meet each; tests/test_engine_oracle.py
# holds every engine to plain Strawberry over them too.
TOY_DOCUMENTS: list[tuple[type[Any], str]] = [
    (PlainQuery, "{ plain(count: 3) { count label ratio t: __typename } }"),
    (PlainQuery, '{ plain(count: 3, label: "x") { ... on Plain { label } again: count } }'),
    (PlainQuery, "{ broken { count ratio } }"),
    (EntityQuery, "{ entities(count: 4) { key doubled fragile parts { count ratio } } }"),
    (EntityQuery, "{ entities(count: 2) { key missing } }"),
    (EntityQuery, "{ entities(count: 2) { key scaled(by: 3) } }"),
    (EntityQuery, "{ holes { key doubled } strictHoles { key } }"),
    (AwkwardQuery, "{ maybe { blank } awkward { maybeBlank } }"),
    (
        AwkwardQuery,
        "{ maybe { a: slow(fail: false) b: slow(fail: true) } awkward { c: slow(fail: false) } }",
    ),
    (AwkwardQuery, "{ awkward { slow(fail: true) } }"),
    (AwkwardQuery, "{ maybe { items(count: 3) notAList } awkward { handedBack } }"),
    (AwkwardQuery, "{ awkward { lazyOne blank } maybe { many { lazyOne } } }"),
    (AwkwardQuery, "{ maybe { a: lazyItems(failAt: 1) b: lazyItems(failAt: 9) } }"),
    (AwkwardQuery, "{ maybe { lazyStrict } awkward { lazyItems(failAt: 0) } }"),
    # a non-null field fails at once while a sibling is still pending, then fails too
    (AwkwardQuery, "{ maybe { s: slow(fail: true) blank } }"),
    (AwkwardQuery, "{ awkward { s: slow(fail: true) t: slow(fail: false) blank } }"),
    (AwkwardQuery, "{ maybe { lazyThenNull } awkward { many { s: slow(fail: false) where } } }"),
    (AwkwardQuery, "{ maybe { many { slow(fail: true) } } }"),
    (AwkwardQuery, "{ awkward { manyMaybe { slow(fail: true) } } }"),
]


def toy_schema(query: type[Any]) -> strawberry.Schema:
    return strawberry.Schema(query, scalar_overrides={**SCALARS, Blank: BLANK})


@pytest.mark.parametrize(("query", "document"), TOY_DOCUMENTS)
def test_plans_fail_as_the_executor_on_schemas_of_every_shape(query: type[Any], document: str) -> None:
    """Nulls in non-null fields and list items, errors raised now and later, a scalar that serializes
    to nothing, a list that is not one: the same data and the same errors, in the same places."""
    built = toy_schema(query)
    lean_resolvers.install(built)
    prepared = parse(document)
    plan = plan_for(built._schema, prepared, None, None)
    assert plan is not None

    async def both() -> tuple[Any, Any]:
        executed = execute(built._schema, prepared, executor_class=StrawberryGraphQLCoreExecutionContext)
        return await run(plan, None), await executed if isawaitable(executed) else executed

    ours, theirs = asyncio.run(both())
    assert ours.data == theirs.data
    assert sorted(map(str, (e.formatted for e in ours.errors or []))) == sorted(
        map(str, (e.formatted for e in theirs.errors or []))
    )


CALLS: Counter[str] = Counter()


@strawberry.type
class Branch:
    n: int
    label: str | None = None

    @strawberry.field
    def twice(self) -> int:
        CALLS["twice"] += 1
        return self.n * 2

    @strawberry.field
    def children(self) -> list[Branch]:
        CALLS["children"] += 1
        return [Branch(n=self.n + 1 + i) for i in range(2)] if self.n < 2 else []


@strawberry.type
class BranchQuery:
    @strawberry.field
    def root(self, n: int) -> Branch:
        return Branch(n=n)


def _fields_completed_one_by_one(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The response keys a plan's run completes field by field (not in one pass), counted."""
    counts: Counter[str] = Counter()
    one_by_one = plan_runs._Run.field

    def counted(self: Any, step: Any, source: Any, path: Any) -> Any:
        counts[step.key] += 1
        return one_by_one(self, step, source, path)

    monkeypatch.setattr(plan_runs._Run, "field", counted)
    return counts


def test_a_value_of_attributes_and_plain_resolvers_is_completed_in_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under ``root`` only attributes and resolvers of the object alone run: the plan completes it
    in one pass, calling each of those resolvers once as the executor does (completing again field
    by field would call them twice), and answers the same, ``__typename``, aliases and nulls
    included."""
    document = parse(
        "{ root(n: 0) { t: __typename twice n label kids: children { __typename twice n label"
        " children { n twice } } } }"
    )
    built = strawberry.Schema(BranchQuery)
    lean_resolvers.install(built)
    plan = plan_for(built._schema, document, None, None)
    assert plan is not None
    CALLS.clear()
    theirs = execute(built._schema, document, executor_class=StrawberryGraphQLCoreExecutionContext)
    executed = dict(CALLS)
    CALLS.clear()
    one_by_one = _fields_completed_one_by_one(monkeypatch)
    ours = asyncio.run(run(plan, None))
    assert not isawaitable(theirs) and theirs.errors is None and ours.errors is None
    assert ours.data is not None and ours.data == theirs.data
    assert ours.data["root"]["t"] == "Branch" and len(ours.data["root"]["kids"]) == 2
    assert dict(CALLS) == executed == {"twice": 5, "children": 3}
    assert one_by_one == {"root": 1}, "a plain value was completed field by field"


def test_a_series_in_row_form_is_built_from_its_columns_when_the_plan_runs(
    gateway: Gateway, executor_only: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the gateway: the points are built in bulk, no field of theirs completed one by one."""
    built: list[int] = []
    bulk = plain_values.build_rows

    def counted(rows: Any, *args: Any) -> Any:
        built.append(len(rows))
        return bulk(rows, *args)

    monkeypatch.setattr(plain_values, "build_rows", counted)
    one_by_one = _fields_completed_one_by_one(monkeypatch)
    query = "{ stats(window: LAST_24H) { ai { timeSeries { series { ts r: requests __typename } } } } }"
    _same(gateway, executor_only, query)
    assert built == [144, 144]  # the plan run and the executor each build the points in bulk
    assert set(one_by_one) == {"stats", "ai", "timeSeries"}  # the series is within a plain value


def test_the_row_form_is_planned_in_bulk_and_anything_else_item_by_item() -> None:
    """A list of points that selects only columns and ``__typename`` is built from the columns."""

    def rows_of(selection: str) -> object:
        query = "{ stats(window: LAST_24H) { ai { timeSeries { series { " + selection + " } } } } }"
        plan = _plan(query)
        assert isinstance(plan, Plan)
        (stats,) = plan.steps
        ai = _only(stats)
        series = _only(_only(ai))
        assert series.complete is not None
        return series.complete.rows

    assert rows_of("ts r: requests __typename") == (("ts", "r", "__typename"), ("ts", "requests", None))
    assert rows_of("ts") == (("ts",), ("ts",))


def _only(step: Any) -> Any:
    (inner,) = step.complete.steps
    return inner


def test_plans_are_kept_most_recently_used_first_and_bounded() -> None:
    """Plans are kept with their compiled operation (``gql.pipeline.operations``), in this cache."""
    made: list[str] = []
    cache: BoundedCache[None] = BoundedCache(2, 64 << 20)

    def make(key: str) -> None:
        made.append(key)

    def get(key: str, size: int = 1) -> object:
        return cache.get(key, lambda: make(key), lambda _: size)

    for key in ("a", "b", "a", "c", "a", "b"):
        get(key)
    assert made == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came


def test_plans_are_bounded_in_bytes_too() -> None:
    """Two plans of large operations do not fit where two small ones do."""
    made: list[str] = []
    cache: BoundedCache[None] = BoundedCache(100, max_bytes=1_000)
    for key in ("a", "b", "a"):
        cache.get(key, lambda key=key: made.append(key), lambda _: 600)  # type: ignore[misc]
    assert made == ["a", "b", "a"]  # "a" went when "b" came: 1,200 bytes do not fit in 1,000
    cache.get("huge", lambda: made.append("huge"), lambda _: 5_000)
    cache.get("a", lambda: made.append("a"), lambda _: 600)
    assert made[-1] == "huge"  # larger than the bound: made, not kept, and "a" stayed


def test_a_plan_that_cannot_be_made_costs_speed_not_the_answer(
    gateway: Gateway,
    executor_only: Gateway,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in planning is logged, and the operation runs through the executor as before."""

    def broken(*_: object) -> None:
        raise RuntimeError("planning bug")

    monkeypatch.setattr("gql.pipeline.plans._Planner.steps", broken)
    query = "{ stats(window: LAST_30D) { storage { timeSeries { summary { total avg } } } } }"
    _same(gateway, executor_only, query)
    assert "could not plan the operation" in caplog.text
