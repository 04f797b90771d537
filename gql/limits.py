"""The shape of a document, and the limits on it that are checked before anything costly.

A document is measured once, after parsing (which itself stops at ``max_tokens``) and before
validation: its depth (fields nested through fragments), its aliases, its root fields and its
directives. Each limit has a setting; going past one is refused with Apollo Router's code for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from gql.failures import RequestFailure


@dataclass(frozen=True, slots=True)
class Limits:
    """Defaults: see docs/protection.md for the measurements behind each."""

    max_body_bytes: int = 262_144
    max_tokens: int = 4_000
    max_depth: int = 14
    max_aliases: int = 60
    max_root_fields: int = 12
    max_directives: int = 50
    max_representations: int = 500


@dataclass(frozen=True, slots=True)
class Shape:
    depth: int
    aliases: int
    root_fields: int
    directives: int


def measure(document: DocumentNode) -> Shape:
    """The largest operation's depth and root fields, and the whole document's aliases and directives."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    counts = {"aliases": 0, "directives": 0}

    def walk(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        """The depth below a selection set; fragments are followed once per path (cycles are a
        validation error, reported there)."""
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            counts["directives"] += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                counts["aliases"] += selection.alias is not None
                deepest = max(deepest, 1 + walk(selection.selection_set, seen))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, walk(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    deepest = max(deepest, walk(fragments[name].selection_set, seen | {name}))
        return deepest

    depth = root_fields = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            counts["directives"] += len(definition.directives or ())
            depth = max(depth, walk(definition.selection_set, frozenset()))
            root_fields = max(root_fields, _root_fields(definition.selection_set, fragments))
    return Shape(depth, counts["aliases"], root_fields, counts["directives"])


def _root_fields(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]) -> int:
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += 1
        elif isinstance(selection, InlineFragmentNode):
            total += _root_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            total += _root_fields(fragments[selection.name.value].selection_set, {})
    return total


def check(shape: Shape, limits: Limits) -> None:
    """Refuse a document past any limit, naming the limit and the setting that raises it."""
    for code, found, allowed, setting, what in (
        ("MAX_DEPTH_LIMIT", shape.depth, limits.max_depth, "FLASHBACK_MAX_DEPTH", "levels of nested fields"),
        ("MAX_ALIASES_LIMIT", shape.aliases, limits.max_aliases, "FLASHBACK_MAX_ALIASES", "aliases"),
        (
            "MAX_ROOT_FIELDS_LIMIT",
            shape.root_fields,
            limits.max_root_fields,
            "FLASHBACK_MAX_ROOT_FIELDS",
            "root fields",
        ),
        (
            "MAX_DIRECTIVES_LIMIT",
            shape.directives,
            limits.max_directives,
            "FLASHBACK_MAX_DIRECTIVES",
            "directives",
        ),
    ):
        if found > allowed:
            raise RequestFailure.document(
                code,
                [
                    GraphQLError(
                        f"The document has {found} {what}; at most {allowed} are allowed ({setting})."
                    )
                ],
            )
