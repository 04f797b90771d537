"""The shape of a document, and the limits on it that are checked before anything costly.

A document is measured once, after parsing (which itself stops at ``max_tokens``) and before
validation: its depth (fields nested through fragments), its aliases, its root fields, its
directives and its fields once every fragment is spread where it is used. Each limit has a setting;
going past one is refused with Apollo Router's code for it (``MAX_FIELDS_LIMIT`` is ours).

Measuring is linear in the document: each fragment's selections are measured once, whatever the
number of places that spread it, and a fragment met again on its own path (a cycle, which
validation reports) counts nothing. So is everything that walks an operation after this check:
each walk follows fragments where they are spread, and the fields limit bounds that walk's length
by construction (a fragment spread twice at each of 30 levels is 2^30 fields, refused here in
microseconds rather than walked for hours).
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
    Visitor,
    visit,
)

from gql.pipeline.failures import RequestFailure

# Counts are saturated here: past it, a document is refused whatever the exact figure.
_SATURATED = 1 << 40


INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class Limits:
    """Defaults: see docs/protection.md for the measurements behind each."""

    max_body_bytes: int = 262_144
    max_tokens: int = 1_000
    max_depth: int = 14
    max_aliases: int = 60
    max_root_fields: int = 12
    max_directives: int = 50
    max_fields: int = 600
    max_representations: int = 500


@dataclass(frozen=True, slots=True)
class Shape:
    depth: int
    aliases: int
    root_fields: int
    directives: int
    fields: int  # fields of the largest operation with its fragments spread in place


@dataclass(frozen=True, slots=True)
class _Measure:
    """One selection set's depth, fields (fragments spread in place) and fields at its top level."""

    depth: int
    fields: int
    top: int


_NOTHING = _Measure(0, 0, 0)


class _Counter(Visitor):
    """Aliases and directives, each node once (``visit`` does not follow fragment spreads)."""

    def __init__(self) -> None:
        super().__init__()
        self.aliases = 0
        self.directives = 0

    def enter_field(self, node: FieldNode, *_: object) -> None:
        self.aliases += node.alias is not None

    def enter_directive(self, *_: object) -> None:
        self.directives += 1


class _Measurer:
    """Selection sets measured bottom-up, each fragment once (memoised by name)."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.done: dict[str, _Measure] = {}
        self.open: set[str] = set()

    def fragment(self, name: str) -> _Measure:
        found = self.done.get(name)
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self.open:
            return _NOTHING  # unknown, or a cycle: validation reports both
        self.open.add(name)
        measured = self.done[name] = self.selections(definition.selection_set)
        self.open.discard(name)
        return measured

    def selections(self, selection_set: SelectionSetNode | None) -> _Measure:
        if selection_set is None:
            return _NOTHING
        depth = fields = top = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self.selections(selection.selection_set)
                # Introspection nests as deep as a type's wrappers (15 levels in the standard
                # query): bounded by graphql-core's introspection depth rule and by the fields
                # limit, not by the depth limit meant for data.
                below = 0 if selection.name.value in INTROSPECTION_ROOTS else inner.depth
                depth, fields, top = max(depth, 1 + below), fields + 1 + inner.fields, top + 1
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self.selections(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
            else:
                continue
            depth, fields, top = max(depth, inner.depth), fields + inner.fields, top + inner.top
        return _Measure(depth, min(fields, _SATURATED), min(top, _SATURATED))


def measure(document: DocumentNode) -> Shape:
    """The largest operation's depth, fields and root fields; the whole document's aliases and
    directives. Linear in the document's size."""
    counter = _Counter()
    visit(document, counter)
    measurer = _Measurer(document)
    depth = fields = root_fields = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            measured = measurer.selections(definition.selection_set)
            depth = max(depth, measured.depth)
            fields = max(fields, measured.fields)
            root_fields = max(root_fields, measured.top)
    return Shape(depth, counter.aliases, root_fields, counter.directives, fields)


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
        (
            "MAX_FIELDS_LIMIT",
            shape.fields,
            limits.max_fields,
            "FLASHBACK_MAX_FIELDS",
            "fields once its fragments are spread where they are used",
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
