"""Prepared operations compiled to plans, run without graphql-core's per-field machinery.

graphql-core executes every field of every request afresh: it looks the field up, builds its
arguments from the AST and the variables, builds its resolve info, collects the sub-selection
(fragments, aliases, ``@include``/``@skip``) and dispatches the value's completion on its type.
For a document the gateway has prepared (``gql.pipeline.documents``), all of that depends only on the
document, the operation and the variables: about a sixth of a small query's CPU, redone on every
request. A ``Plan`` does it once per (document, operation, variables) and keeps, for each response
key, the field, how its value is had (an attribute, a resolver of the object alone, or a resolver
with its arguments already coerced) and how it is completed.

Running a plan calls the resolvers, awaits what they return concurrently (so the loaders still
batch one tick's loads), and completes values as graphql-core does, with its errors: the same
messages, paths and locations, the same null propagation, the same errors kept once a parent is
nulled (graphql-core's own ``CollectedErrors``). A list of ``Rows`` whose items select only
their columns and ``__typename`` is built in bulk, as ``gql.pipeline.row_form`` does. A value under which
nothing is resolved with arguments or info (only attributes and direct resolvers: a breakdown's
entities and their columns) is completed in one pass, without a path or an awaitable check per
field; anything unusual in it, and it is completed again field by field, for graphql-core's errors.

A plan is made only for what it answers exactly as graphql-core would: a query whose selections
reach object types only (no union or interface to resolve, no introspection but ``__typename``,
no type with ``is_type_of``), without operation directives, whose arguments coerce, in a schema
that does not deliver incrementally (``@defer``, ``@stream``). Anything else, and every operation
while an extension wraps the resolvers, runs through the executor (``gql.pipeline.execution``).
``tests/test_plans.py`` compares both on generated documents, every field, and failures.

Making a plan costs about a tenth of a small query's request (44 µs) and a twenty-fifth of the
reference dashboard's (0.5 ms), so an operation whose variables change on every request pays that
much more. Plans are kept like documents, at most ``FLASHBACK_DOCUMENT_CACHE_SIZE`` of them, the
least recently used let go; the reference dashboard's takes about 48 KiB.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields, collect_subfields
from graphql.execution.executor import Executor
from graphql.execution.values import get_argument_values

from gql.pipeline.field_sources import (
    TYPENAME,
    Attribute,
    DirectResolver,
    field_sources,
)

LOG = logging.getLogger("gql.pipeline.plans")

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
    plain: bool = (
        True  # nothing under it is resolved with arguments or info (see ``gql.pipeline.plain_values``)
    )


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
    _check_not_incremental(schema)
    root = schema.query_type
    assert root is not None
    collected = collect_fields(
        schema, executor.fragments, executor.variable_values, root, operation, executor.hide_suggestions
    )
    planner = _Planner(schema, executor)
    return Plan(schema, executor, planner.steps(root, collected.grouped_field_set))


def _check_not_incremental(schema: GraphQLSchema) -> None:
    if any(directive.name in ("defer", "stream") for directive in schema.directives):
        raise NotPlannable("the schema delivers incrementally")  # graphql-core's executor does that


def completion_of(
    schema: GraphQLSchema, executor: Executor[Any], type_: GraphQLOutputType, details: FieldDetailsList
) -> Completion | None:
    """How a value of ``type_`` selected by ``details`` is completed, or None when only the
    executor can complete it (see ``make_plan``)."""
    try:
        _check_not_incremental(schema)
        return _Planner(schema, executor).completion(type_, details)
    except NotPlannable:
        return None


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
