"""How a field's value can be had without executing it: read as an attribute of the object, or
computed by a *direct* resolver (synchronous, taking nothing but the object, with no arguments,
field extensions or permissions). Plans (``gql.pipeline.plans``) and the plain-value completer
(``gql.pipeline.plain_values``) decide from this which fields they may complete in one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLLeafType, GraphQLObjectType, GraphQLOutputType
from graphql.pyutils import Undefined
from strawberry.types.fields.resolver import SELF_PARAMSPEC

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
