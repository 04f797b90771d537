"""Imports follow docs/architecture.md: the rooms of gql run one way (server → pipeline → schema),
gql may use resolvers, resolvers never uses gql, and only the composition root
(gql/server/app.py, gql/server/cli.py) knows the local backend exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gql", "resolvers", "local_backend")
# The rooms in the order data flows: each may import itself and those after it, never one before.
ROOMS = ("gql.server", "gql.live", "gql.pipeline", "gql.schema", "resolvers")
COMPOSITION_ROOT = {"gql/server/app.py", "gql/server/cli.py"}


def _modules() -> list[str]:
    return sorted(
        str(p.relative_to(ROOT))
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if p.name != "__init__.py"
    )


def _room(name: str) -> str | None:
    """``gql.server`` for ``gql.server.http``; the package for the others; None outside the project."""
    parts = name.split(".")
    if parts[0] == "gql":
        return ".".join(parts[:2]) if len(parts) > 1 else "gql"
    return parts[0] if parts[0] in PACKAGES else None


def _imported_packages(path: str) -> set[str]:
    """The rooms and packages a module imports, at module level or inside functions."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found |= {room for room in map(_room, names) if room is not None}
    return found


def _module_map() -> dict[str, set[str]]:
    """``package/module.py`` -> the rooms its row in docs/architecture.md lets it import."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    allowed: dict[str, set[str]] = {}
    for section in doc.split("\n## `")[1:]:
        package = section.split("/`")[0]
        for name, cell in re.findall(r"^\| `([\w.]+\.py)` \|[^\n]*\| ([^|\n]*) \|$", section, re.MULTILINE):
            allowed[f"{package}/{name}"] = {p.strip() for p in cell.split(",")} - {"—"}
    return allowed


def _own_room(path: str) -> str:
    return _room(path.removesuffix(".py").replace("/", ".")) or ""


def _allowed(path: str) -> set[str]:
    if path.startswith("local_backend/"):
        return {"local_backend"}
    rows = _module_map()
    assert path in rows, f"{path} is missing from docs/architecture.md"
    return rows[path] | {_own_room(path)}


def test_the_module_map_lists_every_module_and_no_other() -> None:
    listed = {path for path in _module_map() if not path.startswith("local_backend/")}
    assert listed == {path for path in _modules() if not path.startswith("local_backend/")}


@pytest.mark.parametrize("path", [p for p in _modules() if p.startswith(("gql/", "resolvers/"))])
def test_no_room_imports_a_room_before_it(path: str) -> None:
    """server → pipeline → schema → resolvers: a module's imports stay in its room or go on down."""
    own = _own_room(path)
    assert own in ROOMS, (
        f"{path} lies in no room: gql's modules live in gql/server, gql/pipeline or gql/schema"
    )
    before = set(ROOMS[: ROOMS.index(own)])
    assert _imported_packages(path) & before == set(), f"{path} imports a room before its own"


@pytest.mark.parametrize("path", _modules())
def test_every_import_runs_the_way_the_module_map_allows(path: str) -> None:
    imported = _imported_packages(path)
    assert imported <= _allowed(path), f"{path} imports {sorted(imported - _allowed(path))}"


def test_resolvers_never_import_the_graphql_layer() -> None:
    offenders = [p for p in _modules() if p.startswith("resolvers/") and "gql" in _imported_packages(p)]
    assert offenders == []
    graphql_core = [
        p
        for p in _modules()
        if p.startswith("resolvers/")
        and re.search(r"^(from|import) graphql\b", (ROOT / p).read_text(), re.MULTILINE)
    ]
    assert graphql_core == [], "failures are typed in resolvers; gql.pipeline.errors maps them to GraphQL"


def test_only_the_composition_root_knows_the_local_backend() -> None:
    knowing = {
        p
        for p in _modules()
        if not p.startswith("local_backend/") and "local_backend" in _imported_packages(p)
    }
    assert knowing <= COMPOSITION_ROOT
