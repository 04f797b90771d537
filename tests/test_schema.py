"""The published SDL matches the code, and everything a GraphiQL user reads is documented."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLScalarType,
)

from gql.pipeline.engine import schema, sdl
from gql.schema.federated import ENTITY_TYPES
from gql.server.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_is_in_sync_with_the_code() -> None:
    assert (ROOT / "schema.graphql").read_text() == sdl(), (
        "schema.graphql is stale: run `uv run flashback-gql export-schema --output schema.graphql`"
    )


def test_export_schema_prints_the_sdl(capsys: object) -> None:
    assert main(["export-schema"]) == 0
    assert capsys.readouterr().out == sdl()  # type: ignore[attr-defined]


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    missing = []
    for name, graphql_type in schema._schema.type_map.items():
        # GraphQL's own types, and Federation's (_Any, _Entity, _Service, _entities, _service).
        if name.startswith(("_", "link__", "federation__")) or name in {
            "String",
            "Int",
            "Float",
            "Boolean",
            "ID",
        }:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInputObjectType):
            for field_name, field in graphql_type.fields.items():
                if field_name.startswith("_"):
                    continue
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        elif isinstance(graphql_type, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in graphql_type.values.items() if not value.description]
        else:
            assert isinstance(graphql_type, GraphQLScalarType)
    assert missing == []


def test_no_32_bit_int_carries_a_count_or_an_instant() -> None:
    ints = []
    for name, graphql_type in schema._schema.type_map.items():
        if isinstance(graphql_type, GraphQLObjectType) and not name.startswith("__"):
            ints += [
                f"{name}.{f}"
                for f, field in graphql_type.fields.items()
                if str(field.type) in {"Int", "Int!"}
            ]
    # Only entity counts, paging and a comparison's offset (180 days at most), far below 2^31.
    assert sorted({f.split(".")[1] for f in ints}) == [
        "entityCount",
        "limit",
        "offset",
        "offsetSeconds",
        "total",
        "totalEntities",
    ]


def test_only_federated_entities_have_an_id() -> None:
    """Apollo Client and urql's Graphcache merge every object with the same ``__typename`` and ``id``
    into one cache record. Statistics depend on the window, scope and filters they were asked with,
    so a type that holds them must have no ``id`` (or ``_id``): only entities whose fields are the
    same wherever they appear, the federated ones with a ``@key``, may."""
    federated = {t.__name__ for t in ENTITY_TYPES}
    with_id = {
        name
        for name, graphql_type in schema._schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType)
        and not name.startswith("_")
        and ({"id", "_id"} & set(graphql_type.fields))
    }
    assert with_id == federated
    for name in federated:
        assert f'type {name} @key(fields: "id")' in sdl()
