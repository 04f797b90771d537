"""What a breakdown field's selection asks for, so the upstream sends series only when needed."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

SERIES_FIELDS = frozenset({"series", "columns", "summary"})


def _fields(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    """Fields of a selection set, looking through fragments and inline fragments."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def wants_entity_series(info: Info) -> bool:
    """True when any ``entities { series | columns | summary }`` sits under this field."""
    for field in _fields(info.selected_fields):
        for child in _fields(field.selections):
            if child.name == "entities" and any(g.name in SERIES_FIELDS for g in _fields(child.selections)):
                return True
    return False
