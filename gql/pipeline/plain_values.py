"""Values completed in one pass when nothing under them is resolved with arguments or info.

A breakdown's entities, their totals and columns, a series' points: every field under them is an
attribute or a direct resolver (``gql.pipeline.field_sources``), pure functions of the object.
Completing them field by field costs a path, an info and awaitable checks per value; here each is
read or computed and completed by its type as graphql-core would (leaves serialized by their scalar,
lists of ``Rows`` built in bulk from their columns). Anything unusual (a null in a non-null place, a
refused leaf, a resolver that raises, an awaitable) gives ``FALL_BACK``, and the caller completes
the value again its own way, which gives graphql-core's answer and errors at graphql-core's paths.

One completer for both engines that complete values themselves: plan runs (``gql.pipeline.plan_runs``)
and graphql-core's executor with the gateway's execution context (``gql.pipeline.row_form``), each
over the ``Completion`` that ``gql.pipeline.plans`` compiles from the collected fields.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from graphql.pyutils import Undefined
from strawberry.execution.is_awaitable import optimized_is_awaitable as is_awaitable

from gql.pipeline.field_sources import FALL_BACK, leaf_value
from gql.pipeline.plans import ATTRIBUTE, DIRECT, TYPE_NAME, Completion
from gql.schema.rows import Rows


def complete_plain(completion: Completion, value: Any, fresh: bool = False, direct: bool = True) -> Any:
    """``value`` completed in one pass when nothing under it is resolved with arguments or info,
    or ``FALL_BACK``.

    Attributes and direct resolvers (pure functions of the object, ``gql.pipeline.row_form``) need neither
    a path nor an info unless something fails; completing them through ``_Run.field`` cost a path,
    two awaitable checks and three calls per value. On any null in a non-null position, refused
    leaf, resolver failure or awaitable, the caller completes the value again its own way, which
    gives graphql-core's answer and errors at graphql-core's paths. ``fresh``: ``value`` was made by
    a direct resolver in this pass, so an awaitable in it is closed here (completing again makes
    another) rather than left never awaited. ``direct``: direct resolvers may be called here; not
    while an extension wraps every resolver, which must see each call."""
    if value is None or value is Undefined:
        return FALL_BACK if completion.non_null else None
    if isinstance(value, Exception) or is_awaitable(value):
        if fresh and hasattr(value, "close"):
            value.close()
        return FALL_BACK
    kind = completion.kind
    if kind == "leaf":
        return leaf_value(completion.nullable, value)
    if kind == "object":
        completed: dict[str, Any] = {}
        for step in completion.steps:
            how = step.how
            if how == TYPE_NAME:
                completed[step.key] = step.source
                continue
            if how == DIRECT and not direct:
                return FALL_BACK
            try:
                found = getattr(value, step.source) if how == ATTRIBUTE else step.source(value)
            except Exception:
                return FALL_BACK
            assert step.complete is not None
            done = complete_plain(step.complete, found, fresh or how == DIRECT, direct)
            if done is FALL_BACK:
                return FALL_BACK
            completed[step.key] = done
        return completed
    if isinstance(value, Rows) and completion.rows is not None:
        built = bulk_rows(completion, value)
        return FALL_BACK if built is None else built
    if not isinstance(value, list | tuple | Rows):
        return FALL_BACK
    item = completion.item
    assert item is not None
    items: list[Any] = []
    for each in value:
        done = complete_plain(item, each, fresh, direct)
        if done is FALL_BACK:
            if fresh:
                _close_all(value)
            return FALL_BACK
        items.append(done)
    return items


def _close_all(values: Any) -> None:
    """The coroutines among a list a direct resolver made in a pass that then fell back."""
    for each in values:
        if is_awaitable(each) and hasattr(each, "close"):
            each.close()


def bulk_rows(completion: Completion, rows: Rows) -> list[dict[str, Any]] | None:
    """The rows built from their columns, or None when a column is missing (then each point is
    completed as an object)."""
    assert completion.rows is not None and completion.item is not None
    keys, columns = completion.rows
    names = set(rows.columns.names)
    if any(column is not None and column not in names for column in columns):
        return None
    return build_rows(rows, keys, columns, completion.item.nullable.name)


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
