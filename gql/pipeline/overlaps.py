"""The overlapping-fields rule in time linear in the document, not quadratic per repeated field.

graphql-core's ``OverlappingFieldsCanBeMergedRule`` compares every pair of fields that share a
response key, and for each pair the pairs below them: 20 copies of ``ai { timeSeries { ... } }``
nested under 20 copies of ``ai``, or 400 fragments that each select ``window``, take about a second
of CPU while staying inside every other limit. Copies that are identical (same field, arguments and
directives, under the same type condition) never conflict with each other, and execution merges
them into one field with all their selections. So the rule runs here on a copy of each operation
in which fragments are spread in place (``gql.pipeline.limits`` has bounded that size before validation
runs) and identical fields are merged as execution merges them, recursively. What conflicts there
conflicts in the document as sent: the copy keeps each field's parent type, its nodes and their
locations. A response key that already has two differing fields under one type condition is a
conflict the rule will report; further variants of it are left out of the copy rather than
compared in pairs.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    print_ast,
    validate,
)
from graphql.validation import OverlappingFieldsCanBeMergedRule, specified_rules

OTHER_RULES = tuple(rule for rule in specified_rules if rule is not OverlappingFieldsCanBeMergedRule)
_Group = tuple[str | None, tuple[str, ...]]  # (type condition, field identity)


def overlapping_fields(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """The rule's errors for ``document`` (which passed every other rule: no cycles, no unknown
    fragments), found on its merged copy."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = tuple(
        OperationDefinitionNode(
            operation=d.operation,
            name=d.name,
            variable_definitions=d.variable_definitions,
            directives=d.directives,
            selection_set=_merged((d.selection_set,), fragments),
            loc=d.loc,
        )
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )
    return validate(
        schema, DocumentNode(definitions=operations, loc=document.loc), [OverlappingFieldsCanBeMergedRule]
    )


def _merged(
    sets: Iterable[SelectionSetNode | None], fragments: dict[str, FragmentDefinitionNode]
) -> SelectionSetNode:
    """The fields of ``sets`` with fragments spread in place, identical ones merged; fields under
    a type condition inside an inline fragment on that type, as the rule reads parent types."""
    groups: dict[_Group, list[FieldNode]] = {}
    variants: dict[tuple[str | None, str], set[tuple[str, ...]]] = {}
    visited: set[tuple[str | None, str]] = set()

    def collect(selection_set: SelectionSetNode | None, condition: str | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                identity = _identity(selection)
                group = groups.get((condition, identity))
                if group is None:
                    seen = variants.setdefault((condition, identity[0]), set())
                    seen.add(identity[1:2] + identity[2 : identity.index("@")])
                    if len(seen) > 2:
                        continue  # a conflict already; the rule reports it from the first two
                    group = groups[(condition, identity)] = []
                group.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                inner = selection.type_condition.name.value if selection.type_condition else condition
                collect(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None and (condition, fragment.name.value) not in visited:
                    visited.add((condition, fragment.name.value))
                    collect(fragment.selection_set, fragment.type_condition.name.value)

    for selection_set in sets:
        collect(selection_set, None)
    direct = [_field(group, fragments) for (condition, _), group in groups.items() if condition is None]
    conditions = dict.fromkeys(condition for condition, _ in groups if condition is not None)
    typed = [
        InlineFragmentNode(
            type_condition=NamedTypeNode(name=NameNode(value=condition)),
            directives=(),
            selection_set=SelectionSetNode(
                selections=tuple(_field(g, fragments) for (c, _), g in groups.items() if c == condition)
            ),
        )
        for condition in conditions
    ]
    return SelectionSetNode(selections=(*direct, *typed))


def _field(group: list[FieldNode], fragments: dict[str, FragmentDefinitionNode]) -> FieldNode:
    first = group[0]
    inner = None
    if any(field.selection_set for field in group):
        inner = _merged((field.selection_set for field in group), fragments)
    return FieldNode(
        alias=first.alias,
        name=first.name,
        arguments=first.arguments,
        directives=first.directives,
        selection_set=inner,
        loc=first.loc,
    )


def _identity(field: FieldNode) -> tuple[str, ...]:
    """Response key, name, arguments (in any order), ``@``, directives: what makes two fields one."""
    return (
        (field.alias or field.name).value,
        field.name.value,
        *sorted(print_ast(argument) for argument in field.arguments or ()),
        "@",
        *(print_ast(directive) for directive in field.directives or ()),
    )
