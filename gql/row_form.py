"""The row form on a fast path: a series' points built as result objects in bulk; and every other
object whose fields are plain data (totals, chart columns, summaries) completed in one step.

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

The same holds for one object whose type is plain data: every field a scalar or enum without
arguments, read as an attribute (no resolver, no field extension). Such an object is completed
as a dict of the selected attributes, each serialized by its scalar as ordinary execution would;
a null in a non-null field, or a value its scalar refuses, falls back to ordinary execution so
that the error is the same. On the reference dashboard that is about 1,400 field executions.

``tests/test_row_form.py`` compares both paths on generated selections and on every field of
every series and breakdown.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.v2_payloads import Columns

TYPENAME = "__typename"
DEFINITION = "strawberry-definition"  # where Strawberry keeps a GraphQL field's own definition

PlainField = tuple[str, GraphQLLeafType, bool]  # attribute, scalar or enum, non-null
_PLAIN: dict[GraphQLObjectType, dict[str, PlainField] | None] = {}


def plain_fields(object_type: GraphQLObjectType) -> dict[str, PlainField] | None:
    """The fields of a plain-data type by GraphQL name, or None when any field needs its resolver."""
    if object_type not in _PLAIN:
        _PLAIN[object_type] = _find_plain_fields(object_type)
    return _PLAIN[object_type]


def _find_plain_fields(object_type: GraphQLObjectType) -> dict[str, PlainField] | None:
    if object_type.is_type_of is not None:
        return None
    fields: dict[str, PlainField] = {}
    for name, field in object_type.fields.items():
        definition = (field.extensions or {}).get(DEFINITION)
        leaf = get_nullable_type(field.type)
        if (
            definition is None
            or field.args
            or getattr(definition, "base_resolver", True) is not None
            or getattr(definition, "extensions", True)
            or getattr(definition, "permission_classes", True)
            or not is_leaf_type(leaf)
        ):
            return None
        fields[name] = (definition.python_name, leaf, isinstance(field.type, GraphQLNonNull))
    return fields


class Rows:
    """A series in row form: one ``point_type`` object per bucket when iterated (ordinary
    execution), or its columns when ``RowFormExecutor`` builds the rows in bulk."""

    __slots__ = ("columns", "point_type")

    def __init__(self, columns: Columns, point_type: type[Any]) -> None:
        self.columns = columns
        self.point_type = point_type

    def __iter__(self) -> Iterator[Any]:
        names = self.columns.names
        sources = [self.columns.column(name) for name in names]
        point = self.point_type
        return (point(**dict(zip(names, row, strict=True))) for row in zip(*sources, strict=True))

    def __len__(self) -> int:
        return len(self.columns)

    def column(self, name: str) -> Sequence[Any]:
        return self.columns.column(name)


class RowFormExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with lists of ``Rows`` completed in bulk when their selection allows."""

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        if isinstance(result, Rows):
            item_type = return_type.of_type
            if isinstance(item_type, GraphQLNonNull):
                item_type = item_type.of_type
            if isinstance(item_type, GraphQLObjectType):
                rows = self._rows(item_type, field_details_list, result)
                if rows is not None:
                    return rows
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
        plain = plain_fields(return_type)
        if plain is not None:
            built = self._plain_object(return_type, plain, field_details_list, result)
            if built is not None:
                return built
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plain_object(
        self,
        object_type: GraphQLObjectType,
        plain: dict[str, PlainField],
        field_details_list: FieldDetailsList,
        source: Any,
    ) -> dict[str, Any] | None:
        """The completed object, or None when ordinary execution must give the answer (or error)."""
        grouped, deferred, _ = self.collect_subfields(object_type, field_details_list)
        if deferred:
            return None
        completed: dict[str, Any] = {}
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name == TYPENAME:
                completed[key] = object_type.name
                continue
            attribute, leaf, non_null = plain[name]
            value = getattr(source, attribute)
            if value is None:
                if non_null:
                    return None
                completed[key] = None
                continue
            try:
                completed[key] = leaf.serialize(value)
            except Exception:  # the error ordinary execution gives, with its path
                return None
        return completed

    def _rows(
        self, item_type: GraphQLObjectType, field_details_list: FieldDetailsList, rows: Rows
    ) -> list[dict[str, Any]] | None:
        """The completed list, or None when the selection needs ordinary execution."""
        grouped, deferred, _ = self.collect_subfields(item_type, field_details_list)
        if deferred:
            return None
        keys: list[str] = []
        sources: list[Any] = []
        names = set(rows.columns.names)
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name == TYPENAME:
                sources.append(itertools.repeat(item_type.name, len(rows)))
            elif name in names and _plain_leaf(item_type, name):
                sources.append(rows.column(name))
            else:
                return None
            keys.append(key)
        if not keys:  # every field skipped: an empty object per point, as ordinary execution gives
            return [{} for _ in range(len(rows))]
        return [dict(zip(keys, row, strict=True)) for row in zip(*sources, strict=True)]


def _plain_leaf(parent: GraphQLObjectType, name: str) -> bool:
    field = parent.fields.get(name)
    return field is not None and not field.args and is_leaf_type(get_nullable_type(field.type))
