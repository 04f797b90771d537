"""Resolvers called without Strawberry's per-call argument conversion, where it converts nothing.

For every field with a resolver, Strawberry wraps the call: it builds its ``Info``, converts each
argument by walking its type (an import, name conversion and a chain of ``isinstance`` checks per
argument, per call), chains the field's extensions, and wraps an async resolver in one more
coroutine. For an argument of a scalar or enum type that conversion returns the value graphql-core
already parsed, under its Python name; ``stats``' four arguments alone cost a tenth of a small
query's CPU.

``install`` replaces the ``resolve`` of each field whose arguments are all such leaves, and that
has no field extensions or permissions, with a call of the resolver itself: arguments renamed by
a table computed once, ``self``, ``root``/``parent`` and ``info`` passed as Strawberry passes
them. Every other field keeps Strawberry's resolver. Schema extensions that hook resolvers
(OpenTelemetry spans, Apollo traces) still wrap these, as graphql-core middleware.
``tests/test_lean_resolvers.py`` checks that each field's answer and errors are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    get_nullable_type,
    is_leaf_type,
)
from strawberry.types.base import StrawberryMaybe
from strawberry.types.field import StrawberryField

from gql.pipeline.field_sources import DEFINITION


def install(schema: Any) -> None:
    """Give every eligible field of ``schema`` (a Strawberry schema) its lean resolver."""
    for field, resolve in lean_fields(schema).values():
        field.resolve = resolve


def lean_fields(schema: Any) -> dict[str, tuple[GraphQLField, Callable[..., Any]]]:
    """``Type.field`` -> (the field, its lean resolver), for every eligible field of ``schema``."""
    graphql_schema: GraphQLSchema = schema._schema
    found = {}
    for type_ in graphql_schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            resolve = lean_resolver(field.extensions.get(DEFINITION), field.args, schema.config)
            if resolve is not None:
                found[f"{type_.name}.{name}"] = (field, resolve)
    return found


def lean_resolver(definition: object, args: dict[str, Any], config: Any) -> Callable[..., Any] | None:
    """The resolve function of a field, or None when Strawberry's own must stay."""
    if not isinstance(definition, StrawberryField) or definition.base_resolver is None:
        return None
    if definition.is_subscription:  # its resolver is the event stream; the field resolves to the event
        return None
    resolver = definition.base_resolver
    if definition.extensions or definition.permission_classes or not callable(resolver.wrapped_func):
        return None
    names: dict[str, str] = {}
    for argument in resolver.arguments:
        graphql_name = config.name_converter.from_argument(argument)
        leaf = graphql_name in args and is_leaf_type(get_nullable_type(args[graphql_name].type))
        if not leaf or isinstance(argument.type, StrawberryMaybe) or argument.python_name is None:
            return None
        names[graphql_name] = argument.python_name
    if set(names) != set(args):
        return None
    function = resolver.wrapped_func
    takes_self = resolver.self_parameter is not None
    source_names = [p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p is not None]
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
    info_class = config.info_class

    def resolve(source: Any, info: GraphQLResolveInfo[Any], **kwargs: Any) -> Any:
        named = {names[name]: value for name, value in kwargs.items()}
        for source_name in source_names:
            named[source_name] = source
        if info_name is not None:
            named[info_name] = info_class(_raw_info=info, _field=definition)
        return function(source, **named) if takes_self else function(**named)

    return resolve
