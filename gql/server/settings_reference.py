"""The settings' reference, rendered from their model: docs/configuration.md holds this table, and a
test keeps it so, so the documentation cannot drift from the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from gql.server.settings import GatewaySettings, allowed_values


def reference_table() -> str:
    """Every setting as a Markdown table row: docs/configuration.md holds this, a test keeps it so."""
    rows = ["| variable | type | default | allowed | what it does |", "|---|---|---|---|---|"]
    for field in GatewaySettings.model_fields.values():
        variable = str(field.validation_alias)
        kind = _kind(field.annotation)
        default = field.get_default(call_default_factory=True)
        shown = (
            "unset"
            if default is None
            else str(default).lower()
            if isinstance(default, bool)
            else str(default)
        )
        rows.append(
            f"| `{variable}` | {kind} | `{shown}` | {allowed_values(variable)} | {field.description} |"
        )
    return "\n".join(rows) + "\n"


def _kind(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return "choice"
    names = {bool: "flag", int: "integer", float: "number", str: "text", Path: "path"}
    for python, name in names.items():
        if annotation is python or python in get_args(annotation):
            return name
    return str(annotation)
