"""The row form on a fast path: a series' points built as result objects in bulk; and every object
whose selected fields are plain data or plain functions of it completed in one step.

The row form (``series { ts violations ... }``) is a list of objects whose fields are all scalar
leaves read straight from the series' columns. Executed field by field, each of its values costs
a resolver call, argument handling and value completion: about 4 µs, or a quarter of a second for
50 entities x 144 points x 8 metrics. ``RowFormExecutor`` completes such a list in one step
instead: it collects the selection as graphql-core would (aliases, fragments, ``@include`` and
``@skip``), then zips the selected columns into one dict per point.

It takes the fast path only when the whole selection can be answered that way: the list is a
``Rows`` (the series fields return one), every selected field is ``__typename`` or a column of
the series, and nothing is deferred. Anything else runs through ordinary execution. The values
need no completion: the upstream decoder checked every one against the scalar's range
(``resolvers.v2_payloads``), as the chart form's columns rely on too.

The same holds for any object whose selected fields are each an attribute (no resolver, no field
extension) or a *direct* resolver: synchronous, taking nothing but the object itself, with no
arguments, field extensions or permissions (``BreakdownEntity.totals``, ``Breakdown.entities``,
``TimeSeries.columns``...). Such an object is completed as a dict: each value is read or
computed, then completed by its type as ordinary execution would (leaves serialized by their
scalar, objects and lists of objects completed the same way, rows built in bulk). Anything else, a
resolver that raises, a null in a non-null field or a value its scalar refuses, makes the object
fall back to ordinary execution, which gives the same error at the same path: the resolvers are
pure functions of the object. When an extension wraps every resolver (OpenTelemetry spans, Apollo
traces), resolvers always run through it. On the reference dashboard, this leaves per-field
execution to the fields that take arguments or reach the upstream: about a hundred instead of
about 2,000.

``tests/test_row_form.py`` compares both paths on generated selections, on every field of every
series and breakdown, and on the fallbacks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.fields.resolver import SELF_PARAMSPEC

from gql.schema.rows import Rows

TYPENAME = "__typename"
DEFINITION = "strawberry-definition"  # where Strawberry keeps a GraphQL field's own definition


@dataclass(frozen=True, slots=True)
class Attribute:
    """A field read as an attribute of the object."""

    name: str
    type: GraphQLOutputType


@dataclass(frozen=True, slots=True)
class DirectResolver:
    """A field computed by calling its resolver with the object alone."""

    function: Callable[[Any], Any]
    type: GraphQLOutputType


FieldSource = Attribute | DirectResolver
_SOURCES: dict[GraphQLObjectType, dict[str, FieldSource | None] | None] = {}
FALL_BACK: Any = object()  # a value only ordinary execution can complete (or fail) as it should


def leaf_value(leaf: GraphQLLeafType, value: Any) -> Any:
    """``value`` as its scalar or enum writes it, or ``FALL_BACK`` when the type refuses it or
    writes nothing: ordinary completion then raises that error at its path."""
    try:
        written = leaf.coerce_output_value(value)
    except Exception:
        return FALL_BACK
    return FALL_BACK if written is None or written is Undefined else written


def field_sources(object_type: GraphQLObjectType) -> dict[str, FieldSource | None] | None:
    """How each field of a type can be had without executing it (None: it cannot), or None for a
    type whose objects must be checked by ``is_type_of``."""
    if object_type not in _SOURCES:
        _SOURCES[object_type] = (
            None
            if object_type.is_type_of is not None
            else {name: _field_source(field) for name, field in object_type.fields.items()}
        )
    return _SOURCES[object_type]


def _field_source(field: Any) -> FieldSource | None:
    definition = (field.extensions or {}).get(DEFINITION)
    if (
        definition is None
        or field.args
        or getattr(definition, "extensions", True)
        or getattr(definition, "permission_classes", True)
    ):
        return None
    resolver = getattr(definition, "base_resolver", None)
    if resolver is None:
        return Attribute(definition.python_name, field.type)
    if (
        resolver.is_async
        or resolver.arguments
        or len(resolver.signature.parameters) != 1
        or resolver.reserved_parameters.get(SELF_PARAMSPEC) is None
    ):
        return None
    return DirectResolver(resolver.wrapped_func, field.type)


def _finished(*_: Any) -> Any:
    raise RuntimeError("this operation has finished executing")


_FINISHED = GraphQLResolveInfoHelpers(gather=_finished, track=_finished)


class RowFormExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with lists of ``Rows`` and objects of plain fields completed in one
    step when their selection allows, and let go of when the operation has finished."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        """The operation's result; the executor's own reference cycle is broken once it is known.

        graphql-core's executor keeps its resolver helpers as its own bound methods: a cycle that
        holds the request's context, variables and collected fields until the cycle collector
        finds it, about 200 objects per small query. Their mere number made a young collection
        every few hundred requests spend 30 ms freeing them, a tenth of the CPU; broken here,
        reference counting frees them with the request.
        """
        result = super().execute_operation(serially)
        if not self.is_awaitable(result):
            self._finish(result)
            return result

        async def finished() -> Any:
            completed = await result
            self._finish(completed)
            return completed

        return finished()

    def _finish(self, result: Any) -> None:
        if isinstance(result, ExecutionResult):  # not an incremental result still delivering
            self.async_helpers = _FINISHED

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        completed = self._list(return_type, field_details_list, result)
        if completed is not FALL_BACK:
            return completed  # type: ignore[no-any-return]
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        completed = self._object(return_type, field_details_list, result)
        if completed is not None:
            return completed
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _object(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList, source: Any
    ) -> dict[str, Any] | None:
        """The completed object, or None when ordinary execution must give the answer (or error)."""
        sources = field_sources(object_type)
        if sources is None:
            return None
        grouped, deferred, _ = self.collect_subfields(object_type, field_details_list)
        if deferred:
            return None
        completed: dict[str, Any] = {}
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name == TYPENAME:
                completed[key] = object_type.name
                continue
            field = sources.get(name)
            if field is None:
                return None
            if isinstance(field, Attribute):
                value = getattr(source, field.name)
            elif self.middleware_manager and self.middleware_manager.middlewares:
                return None  # an extension wraps every resolver: let it see this one
            else:
                try:
                    value = field.function(source)
                except Exception:  # the error ordinary execution gives, with its path
                    return None
            value = self._value(field.type, details, value)
            if value is FALL_BACK:
                return None
            completed[key] = value
        return completed

    def _value(self, value_type: GraphQLOutputType, details: FieldDetailsList, value: Any) -> Any:
        """``value`` completed as ``value_type``, or ``FALL_BACK``."""
        if value is None:
            return FALL_BACK if isinstance(value_type, GraphQLNonNull) else None
        nullable = get_nullable_type(value_type)
        if is_leaf_type(nullable):
            return leaf_value(nullable, value)
        if isinstance(nullable, GraphQLObjectType):
            completed = self._object(nullable, details, value)
            return FALL_BACK if completed is None else completed
        if isinstance(nullable, GraphQLList):
            return self._list(nullable, details, value)
        return FALL_BACK

    def _list(self, list_type: GraphQLList[Any], details: FieldDetailsList, value: Any) -> Any:
        item_type = list_type.of_type
        if isinstance(value, Rows):
            item = get_nullable_type(item_type)
            rows = self._rows(item, details, value) if isinstance(item, GraphQLObjectType) else None
            return FALL_BACK if rows is None else rows
        if not isinstance(value, list | tuple):
            return FALL_BACK
        completed = []
        for item in value:
            item_value = self._value(item_type, details, item)
            if item_value is FALL_BACK:
                return FALL_BACK
            completed.append(item_value)
        return completed

    def _rows(
        self, item_type: GraphQLObjectType, field_details_list: FieldDetailsList, rows: Rows
    ) -> list[dict[str, Any]] | None:
        """The completed list, or None when the selection needs ordinary execution."""
        grouped, deferred, _ = self.collect_subfields(item_type, field_details_list)
        if deferred:
            return None
        keys: list[str] = []
        columns: list[str | None] = []
        names = set(rows.columns.names)
        fields = field_sources(item_type) or {}
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name == TYPENAME:
                columns.append(None)
            elif name in names and _is_leaf_attribute(fields.get(name)):
                columns.append(name)
            else:
                return None
            keys.append(key)
        return build_rows(rows, keys, columns, item_type.name)


def build_rows(
    rows: Rows, keys: Sequence[str], columns: Sequence[str | None], type_name: str
) -> list[dict[str, Any]]:
    """One dict per point: under each key its column's value, or ``type_name`` where the column
    is None (``__typename``). The values are not completed: the decoder checked every one."""
    if not keys:  # every field skipped: an empty object per point, as ordinary execution gives
        return [{} for _ in range(len(rows))]
    sources = [
        rows.column(column) if column is not None else itertools.repeat(type_name, len(rows))
        for column in columns
    ]
    return [dict(zip(keys, row, strict=True)) for row in zip(*sources, strict=True)]


def _is_leaf_attribute(field: FieldSource | None) -> bool:
    """A scalar or enum read straight from the object: what a column of the series can answer."""
    return isinstance(field, Attribute) and is_leaf_type(get_nullable_type(field.type))
