"""What a breakdown field's selection asks for, so the upstream sends series only when needed.

It reads graphql-core's field nodes two levels down, each fragment once per level (as execution
collects them), rather than Strawberry's ``selected_fields``, which converts the whole selection
below the field with every fragment spread again wherever it is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.types import Info

SERIES_FIELDS = frozenset({"series", "columns", "summary", "latencySummary"})


def _fields(
    sets: Iterable[SelectionSetNode | None], fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    """Fields of selection sets, through fragments and inline fragments, each fragment once."""
    visited: set[str] = set()
    pending = [s for s in sets if s is not None]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in visited:
                visited.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append(fragment.selection_set)


def wants_entity_series(info: Info) -> bool:
    """True when any ``entities { series | columns | summary }`` sits under this field."""
    raw = info._raw_info
    fragments = raw.fragments
    for child in _fields((node.selection_set for node in raw.field_nodes), fragments):
        if child.name.value == "entities" and any(
            g.name.value in SERIES_FIELDS for g in _fields((child.selection_set,), fragments)
        ):
            return True
    return False
