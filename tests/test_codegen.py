"""A typed client from schema.graphql: GraphQL Code Generator's client preset with every scalar
mapped (strictScalars), and a dashboard module over its types that compiles with ``tsc --strict``.
README's codegen configuration is the one this test runs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import node
from tests.conftest import ROOT


def _run(folder: Path, *command: str) -> str:
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return done.stdout


@pytest.mark.slow
def test_generated_types_compile_with_tsc_strict() -> None:
    folder = node.install("clients")
    (folder / "input").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "schema.graphql", folder / "input" / "schema.graphql")
    shutil.copyfile(ROOT / "gql" / "reference_query.graphql", folder / "input" / "reference_query.graphql")
    shutil.rmtree(folder / "generated", ignore_errors=True)
    _run(folder, str(folder / "node_modules" / ".bin" / "graphql-codegen"), "--config", "codegen.yml")
    generated = (folder / "generated" / "graphql.ts").read_text()
    # Every scalar the dashboard selects has its mapped type, not unknown or any.
    assert "lastActiveAt: number | null" in generated and "latencyMs: number[]" in generated
    query_type = generated.split("export type DashboardQuery =")[1].split(";\n")[0]
    assert not re.search(r":\s*(any|unknown)\b", query_type)
    _run(folder, str(folder / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json")


def test_readme_shows_the_codegen_configuration_the_test_runs() -> None:
    config = (ROOT / "tests" / "clients" / "codegen.yml").read_text()
    body = "\n".join(line for line in config.splitlines() if not line.startswith("#"))
    assert f"```yaml\n{body.strip()}\n```" in (ROOT / "README.md").read_text()
