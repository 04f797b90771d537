"""Prepared operations compiled to plans, run without graphql-core's per-field machinery.

graphql-core executes every field of every request afresh: it looks the field up, builds its
arguments from the AST and the variables, builds its resolve info, collects the sub-selection
(fragments, aliases, ``@include``/``@skip``) and dispatches the value's completion on its type.
For a document the gateway has prepared (``gql.documents``), all of that depends only on the
document, the operation and the variables: about a sixth of a small query's CPU, redone on every
request. A ``Plan`` does it once per (document, operation, variables) and keeps, for each response
key, the field, how its value is had (an attribute, a resolver of the object alone, or a resolver
with its arguments already coerced) and how it is completed.

Running a plan calls the resolvers, awaits what they return concurrently (so the loaders still
batch one tick's loads), and completes values as graphql-core does, with its errors: the same
messages, paths and locations, the same null propagation, the same errors kept once a parent is
nulled (graphql-core's own ``CollectedErrors``). A list of ``Rows`` whose items select only
their columns and ``__typename`` is built in bulk, as ``gql.row_form`` does. A value under which
nothing is resolved with arguments or info (only attributes and direct resolvers: a breakdown's
entities and their columns) is completed in one pass, without a path or an awaitable check per
field; anything unusual in it, and it is completed again field by field, for graphql-core's errors.

A plan is made only for what it answers exactly as graphql-core would: a query whose selections
reach object types only (no union or interface to resolve, no introspection but ``__typename``,
no type with ``is_type_of``), without operation directives, whose arguments coerce, in a schema
that does not deliver incrementally (``@defer``, ``@stream``). Anything else, and every operation
while an extension wraps the resolvers, runs through the executor (``gql.execution``).
``tests/test_plans.py`` compares both on generated documents, every field, and failures.

Making a plan costs about a tenth of a small query's request (44 µs) and a twenty-fifth of the
reference dashboard's (0.5 ms), so an operation whose variables change on every request pays that
much more. Plans are kept like documents, at most ``FLASHBACK_DOCUMENT_CACHE_SIZE`` of them, the
least recently used let go; the reference dashboard's takes about 48 KiB.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    is_leaf_type,
    located_error,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields, collect_subfields
from graphql.execution.executor import CollectedErrors, Executor
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, gather_with_cancel, inspect, is_iterable
from graphql.type import GraphQLResolveInfoHelpers
from strawberry.execution.is_awaitable import optimized_is_awaitable as is_awaitable

from gql.bounded_cache import BoundedCache
from gql.row_form import (
    FALL_BACK,
    TYPENAME,
    Attribute,
    DirectResolver,
    Rows,
    build_rows,
    field_sources,
    leaf_value,
)

LOG = logging.getLogger("gql.plans")

# How a step has its value: read as an attribute, computed from the object alone, or resolved.
ATTRIBUTE, DIRECT, RESOLVER, TYPE_NAME = range(4)


class NotPlannable(Exception):
    """The operation needs something only the executor does (said in the message, for tests)."""


@dataclass(slots=True, eq=False)
class Completion:
    """How a value of one output type is completed; ``steps`` for objects, ``item`` for lists."""

    non_null: bool
    kind: str  # "leaf", "object" or "list"
    nullable: Any  # the type without its non-null wrapper
    steps: list[Step] = field(default_factory=list)
    item: Completion | None = None
    rows: tuple[tuple[str, ...], tuple[str | None, ...]] | None = None  # keys, columns (None: __typename)
    plain: bool = True  # nothing under it is resolved with arguments or info (see ``_plain``)


@dataclass(slots=True, eq=False)
class Step:
    """One response key of one object type."""

    key: str
    parent: GraphQLObjectType
    field_name: str
    field: GraphQLField | None
    nodes: list[FieldNode]
    how: int
    source: Any  # the attribute's name, the direct function, or the resolve function
    args: dict[str, Any]
    complete: Completion | None  # None for ``__typename``, whose value is the parent's name


@dataclass(slots=True, eq=False)
class Plan:
    schema: GraphQLSchema
    executor: Executor[Any]  # the fragments, operation and coerced variables resolvers' info carries
    steps: list[Step]


def make_plan(schema: GraphQLSchema, executor: Executor[Any]) -> Plan:
    """The plan of ``executor``'s operation, or ``NotPlannable``."""
    operation = executor.operation
    # The schema has no mutation type, and validation refuses directives on an operation (none is
    # defined for one): the guard is for the day either changes, since a plan runs fields at once.
    if operation.operation.value != "query" or operation.directives:
        raise NotPlannable("not a query without directives")
    if any(directive.name in ("defer", "stream") for directive in schema.directives):
        raise NotPlannable("the schema delivers incrementally")  # graphql-core's executor does that
    root = schema.query_type
    assert root is not None
    collected = collect_fields(
        schema, executor.fragments, executor.variable_values, root, operation, executor.hide_suggestions
    )
    planner = _Planner(schema, executor)
    return Plan(schema, executor, planner.steps(root, collected.grouped_field_set))


class _Planner:
    def __init__(self, schema: GraphQLSchema, executor: Executor[Any]) -> None:
        self.schema = schema
        self.executor = executor

    def steps(self, parent: GraphQLObjectType, grouped: Any) -> list[Step]:
        sources = field_sources(parent)
        if sources is None:
            raise NotPlannable(f"{parent.name} has is_type_of")
        steps = []
        for key, details in grouped.items():
            steps.append(self.step(parent, sources, key, details))
        return steps

    def step(
        self, parent: GraphQLObjectType, sources: dict[str, Any], key: str, details: FieldDetailsList
    ) -> Step:
        first = details[0]
        name = first.node.name.value
        nodes = [d.node for d in details]
        if name == TYPENAME:
            return Step(key, parent, name, None, nodes, TYPE_NAME, parent.name, {}, None)
        if name.startswith("__"):
            raise NotPlannable("introspection")
        field_def = parent.fields[name]
        source = sources.get(name)
        complete = self.completion(field_def.type, details)
        if isinstance(source, Attribute):
            return Step(key, parent, name, field_def, nodes, ATTRIBUTE, source.name, {}, complete)
        if isinstance(source, DirectResolver):
            return Step(key, parent, name, field_def, nodes, DIRECT, source.function, {}, complete)
        if field_def.resolve is None:
            raise NotPlannable(f"{parent.name}.{name} has no resolver")
        try:
            args = get_argument_values(
                field_def, first.node, self.executor.variable_values, None, self.executor.hide_suggestions
            )
        except GraphQLError as error:
            raise NotPlannable(f"arguments: {error.message}") from None
        return Step(key, parent, name, field_def, nodes, RESOLVER, field_def.resolve, args, complete)

    def completion(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Completion:
        non_null = isinstance(type_, GraphQLNonNull)
        nullable = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if is_leaf_type(nullable):
            return Completion(non_null, "leaf", nullable)
        if isinstance(nullable, GraphQLList):
            item = self.completion(nullable.of_type, details)
            return Completion(non_null, "list", nullable, item=item, rows=_rows_of(item), plain=item.plain)
        if isinstance(nullable, GraphQLObjectType):
            collected = collect_subfields(
                self.schema,
                self.executor.fragments,
                self.executor.variable_values,
                self.executor.operation,
                nullable,
                details,
                self.executor.hide_suggestions,
            )
            steps = self.steps(nullable, collected.grouped_field_set)
            plain = all(
                step.how == TYPE_NAME
                or (step.how != RESOLVER and step.complete is not None and step.complete.plain)
                for step in steps
            )
            return Completion(non_null, "object", nullable, steps=steps, plain=plain)
        raise NotPlannable(f"abstract type {nullable}")


def _rows_of(item: Completion) -> tuple[tuple[str, ...], tuple[str | None, ...]] | None:
    """The bulk form of a list of such items, when each selects only leaf attributes and
    ``__typename``."""
    if item.kind != "object":
        return None
    keys: list[str] = []
    columns: list[str | None] = []
    for step in item.steps:
        if step.how == TYPE_NAME:
            columns.append(None)
        elif step.how == ATTRIBUTE and step.complete is not None and step.complete.kind == "leaf":
            columns.append(step.field_name)  # the series' columns go by the field's name
        else:
            return None
        keys.append(step.key)
    return tuple(keys), tuple(columns)


def plan_for(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> Plan | None:
    """The plan of a prepared document's operation, or None when the executor must run it."""
    executor = Executor.build(
        schema, document, raw_variable_values=dict(variables or {}), operation_name=operation_name
    )
    if isinstance(executor, list):  # variables it cannot take: the executor says so, as before
        return None
    try:
        return make_plan(schema, executor)
    except (NotPlannable, RecursionError):  # deeper than planning goes: the executor says so
        return None
    except Exception:  # a bug here must cost speed, not the answer: the executor still runs it
        LOG.exception("could not plan the operation; it runs through the executor")
        return None


class PlanCache:
    """Plans (or the fact that there is none) by document key, operation and variables, the most
    recently used kept, at most ``size`` of them and ``max_bytes`` in all."""

    def __init__(self, size: int, max_bytes: int = 64 << 20) -> None:
        self.size = size
        self._plans: BoundedCache[Plan | None] = BoundedCache(size, max_bytes)

    def get(self, key: Any, make: Callable[[], Plan | None], size: int) -> Plan | None:
        """``size``: the bytes a plan of this operation holds, estimated by the caller."""
        return self._plans.get(key, make, lambda _: size)


async def run(plan: Plan, context: Any) -> ExecutionResult:
    """The plan's operation for one request: data and errors as graphql-core gives them."""
    running = _Run(plan, context)
    try:
        data = running.fields(plan.steps, None, None)
        if is_awaitable(data):
            data = await data
    except GraphQLError as error:
        running.errors.add(error, None)
        data = None
    if running.stragglers:
        await asyncio.gather(*running.stragglers, return_exceptions=True)
    return ExecutionResult(data, running.errors.errors or None)


_tracked: set[asyncio.Future[Any]] = set()


def _track(values: Sequence[Any]) -> None:
    """Work a resolver hands over to finish on its own (graphql-core's ``info.async_helpers.track``)."""
    for value in values:
        if is_awaitable(value):
            future = asyncio.ensure_future(value)
            _tracked.add(future)
            future.add_done_callback(_tracked.discard)


# Shared by every run: helpers bound to a run would make a reference cycle through each info.
HELPERS = GraphQLResolveInfoHelpers(gather=gather_with_cancel, track=_track)  # type: ignore[arg-type]


class _Run:
    __slots__ = ("context", "errors", "plan", "stragglers")

    def __init__(self, plan: Plan, context: Any) -> None:
        self.plan = plan
        self.context = context
        self.errors = CollectedErrors()
        self.stragglers: list[asyncio.Future[Any]] = []

    def _settle(self, awaitables: Sequence[Awaitable[Any]]) -> None:
        """Awaitables a failure left behind: still run to their end before the answer, as graphql-core
        settles them, their errors dropped under the nulled position."""
        self.stragglers.extend(asyncio.ensure_future(each) for each in awaitables)

    def info(self, step: Step, path: Path) -> GraphQLResolveInfo[Any]:
        executor = self.plan.executor
        assert step.field is not None
        return GraphQLResolveInfo(
            step.field_name,
            step.nodes,
            step.field.type,
            step.parent,
            path,
            self.plan.schema,
            executor.fragment_definitions,
            None,
            executor.operation,
            executor.variable_values.coerced,  # type: ignore[arg-type]  # resolvers get the plain dict, as Strawberry's executor gives them
            self.context,
            is_awaitable,  # type: ignore[arg-type]
            None,
            HELPERS,
        )

    def fields(self, steps: list[Step], source: Any, path: Path | None) -> Any:
        results: dict[str, Any] = {}
        waiting: list[str] = []
        try:
            for step in steps:
                value = self.field(step, source, Path(path, step.key, step.parent.name))
                results[step.key] = value
                if is_awaitable(value):
                    waiting.append(step.key)
        except Exception:
            self._settle([results[key] for key in waiting])
            raise
        return self._gathered(results, waiting) if waiting else results

    @staticmethod
    async def _gathered(results: Any, waiting: list[Any]) -> Any:
        """``results`` (an object's dict or a list) with its awaitables at ``waiting`` awaited
        concurrently; one alone is awaited in place."""
        if len(waiting) == 1:
            results[waiting[0]] = await results[waiting[0]]
        else:
            values = await gather_with_cancel(*(results[place] for place in waiting))
            for place, value in zip(waiting, values, strict=True):
                results[place] = value
        return results

    def field(self, step: Step, source: Any, path: Path) -> Any:
        how = step.how
        if how == TYPE_NAME:
            return step.source
        completion = step.complete
        assert completion is not None
        try:
            if how == ATTRIBUTE:
                value = getattr(source, step.source)
            elif how == DIRECT:
                value = step.source(source)
            else:
                value = step.source(source, self.info(step, path), **step.args)
            if is_awaitable(value):
                return self._awaited(completion, step, path, value)
            completed = self.complete(completion, step, path, value)
            if is_awaitable(completed):
                return self._completed_later(completion, step, path, completed)
            return completed
        except Exception as raw:
            return self.failed(raw, completion, step, path)

    def failed(self, raw: Exception, completion: Completion, step: Step, path: Path) -> Any:
        """graphql-core's ``handle_field_error``: raised on through a non-null position, else kept."""
        error = located_error(raw, step.nodes, path.as_list())
        if completion.non_null:
            raise error
        self.errors.add(error, path)
        return None

    async def _awaited(self, completion: Completion, step: Step, path: Path, value: Awaitable[Any]) -> Any:
        try:
            completed = self.complete(completion, step, path, await value)
            if is_awaitable(completed):
                completed = await completed
        except Exception as raw:
            return self.failed(raw, completion, step, path)
        return completed

    async def _completed_later(self, completion: Completion, step: Step, path: Path, completed: Any) -> Any:
        try:
            return await completed
        except Exception as raw:
            return self.failed(raw, completion, step, path)

    def complete(self, completion: Completion, step: Step, path: Path, value: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if completion.non_null:
                raise TypeError(f"Cannot return null for non-nullable field {step.parent}.{step.field_name}.")
            return None
        kind = completion.kind
        if kind != "leaf" and completion.plain:
            done = _plain(completion, value)
            if done is not FALL_BACK:
                return done
        if kind == "leaf":
            leaf = completion.nullable
            coerced = leaf.coerce_output_value(value)
            if coerced is Undefined or coerced is None:
                raise TypeError(
                    f"Expected `{inspect(leaf)}.coerce_output_value({inspect(value)})` to return"
                    f" non-nullable value, returned: {inspect(coerced)}"
                )
            return coerced
        if kind == "object":
            return self.fields(completion.steps, value, path)
        return self.complete_list(completion, step, path, value)

    def complete_list(self, completion: Completion, step: Step, path: Path, value: Any) -> Any:
        if isinstance(value, Rows) and completion.rows is not None:
            built = _bulk(completion, value)
            if built is not None:
                return built
        if not is_iterable(value):
            raise GraphQLError(
                f"Expected Iterable, but did not find one for field '{step.parent}.{step.field_name}'."
            )
        item = completion.item
        assert item is not None
        completed: list[Any] = []
        waiting: list[int] = []
        try:
            for index, each in enumerate(value):
                item_path = path.add_key(index, None)
                try:
                    if is_awaitable(each):
                        completed.append(self._awaited(item, step, item_path, each))
                        waiting.append(index)
                        continue
                    done = self.complete(item, step, item_path, each)
                    if is_awaitable(done):
                        completed.append(self._completed_later(item, step, item_path, done))
                        waiting.append(index)
                    else:
                        completed.append(done)
                except Exception as raw:
                    completed.append(self.failed(raw, item, step, item_path))
        except Exception:
            self._settle([completed[index] for index in waiting])
            raise
        return self._gathered(completed, waiting) if waiting else completed


def _plain(completion: Completion, value: Any, fresh: bool = False) -> Any:
    """``value`` completed in one pass when nothing under it is resolved with arguments or info,
    or ``FALL_BACK``.

    Attributes and direct resolvers (pure functions of the object, ``gql.row_form``) need neither
    a path nor an info unless something fails; completing them through ``_Run.field`` cost a path,
    two awaitable checks and three calls per value. On any null in a non-null position, refused
    leaf, resolver failure or awaitable, the caller completes the value again its own way, which
    gives graphql-core's answer and errors at graphql-core's paths. ``fresh``: ``value`` was made by
    a direct resolver in this pass, so an awaitable in it is closed here (completing again makes
    another) rather than left never awaited."""
    if value is None or value is Undefined:
        return FALL_BACK if completion.non_null else None
    if isinstance(value, Exception) or is_awaitable(value):
        if fresh and hasattr(value, "close"):
            value.close()
        return FALL_BACK
    kind = completion.kind
    if kind == "leaf":
        return leaf_value(completion.nullable, value)
    if kind == "object":
        completed: dict[str, Any] = {}
        for step in completion.steps:
            how = step.how
            if how == TYPE_NAME:
                completed[step.key] = step.source
                continue
            try:
                found = getattr(value, step.source) if how == ATTRIBUTE else step.source(value)
            except Exception:
                return FALL_BACK
            assert step.complete is not None
            done = _plain(step.complete, found, fresh or how == DIRECT)
            if done is FALL_BACK:
                return FALL_BACK
            completed[step.key] = done
        return completed
    if isinstance(value, Rows) and completion.rows is not None:
        built = _bulk(completion, value)
        return FALL_BACK if built is None else built
    if not isinstance(value, list | tuple | Rows):
        return FALL_BACK
    item = completion.item
    assert item is not None
    items: list[Any] = []
    for each in value:
        done = _plain(item, each, fresh)
        if done is FALL_BACK:
            if fresh:
                _close_all(value)
            return FALL_BACK
        items.append(done)
    return items


def _close_all(values: Any) -> None:
    """The coroutines among a list a direct resolver made in a pass that then fell back."""
    for each in values:
        if is_awaitable(each) and hasattr(each, "close"):
            each.close()


def _bulk(completion: Completion, rows: Rows) -> list[dict[str, Any]] | None:
    """The rows built from their columns, or None when a column is missing (then each point is
    completed as an object)."""
    assert completion.rows is not None and completion.item is not None
    keys, columns = completion.rows
    names = set(rows.columns.names)
    if any(column is not None and column not in names for column in columns):
        return None
    return build_rows(rows, keys, columns, completion.item.nullable.name)
