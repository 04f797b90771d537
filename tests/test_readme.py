"""README's two commands stay true: CI runs exactly its test command, and its run command names the CLI."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())[:2]


def test_readme_opens_with_a_run_and_a_test_command() -> None:
    run, check = _commands()
    assert "flashback-gql" in run
    assert "scripts/check" in check


def test_ci_runs_exactly_the_readme_test_command() -> None:
    check = _commands()[1]
    lines = [
        line for line in (ROOT / ".ci/run").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert lines[-1] == check


def test_readme_shows_the_reference_dashboard_query_graphiql_opens_with() -> None:
    query = (ROOT / "gql" / "server" / "reference_query.graphql").read_text().strip()
    assert f"```graphql\n{query}\n```" in (ROOT / "README.md").read_text()
