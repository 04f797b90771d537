"""A typed client from schema.graphql: GraphQL Code Generator's client preset with every scalar
mapped (strictScalars), and a dashboard module over its types that compiles with ``tsc --strict``.
README's codegen configuration is the one this test runs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests import node
from tests.conftest import ROOT
from tests.servers import serve


def _run(folder: Path, *command: str) -> str:
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return done.stdout


@pytest.mark.slow
def test_generated_types_compile_with_tsc_strict() -> None:
    folder = node.install("clients")
    (folder / "input").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "schema.graphql", folder / "input" / "schema.graphql")
    shutil.copyfile(
        ROOT / "gql" / "server" / "reference_query.graphql", folder / "input" / "reference_query.graphql"
    )
    shutil.rmtree(folder / "generated", ignore_errors=True)
    _run(folder, str(folder / "node_modules" / ".bin" / "graphql-codegen"), "--config", "codegen.yml")
    generated = (folder / "generated" / "graphql.ts").read_text()
    # Every scalar the dashboard selects has its mapped type, not unknown or any.
    assert "lastActiveAt: number | null" in generated and "latencyMs: number[]" in generated
    query_type = generated.split("export type DashboardQuery =")[1].split(";\n")[0]
    assert not re.search(r":\s*(any|unknown)\b", query_type)
    _run(folder, str(folder / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json")


@pytest.mark.slow
def test_codegen_against_the_live_url_gives_the_same_types(backend_app: Starlette) -> None:
    """Codegen pointed at the running gateway introspects it (graphql-js's standard query, under
    the default limits) and generates the same operation types as from schema.graphql."""
    folder = node.install("clients")
    (folder / "input").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "schema.graphql", folder / "input" / "schema.graphql")
    shutil.copyfile(
        ROOT / "gql" / "server" / "reference_query.graphql", folder / "input" / "reference_query.graphql"
    )
    config = (folder / "codegen.yml").read_text()
    codegen = str(folder / "node_modules" / ".bin" / "graphql-codegen")
    generated: dict[str, str] = {}
    app = create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend_app))
    with serve(app) as url:
        for source, schema in (("sdl", "input/schema.graphql"), ("url", f"{url}/graphql")):
            (folder / f"codegen-{source}.yml").write_text(
                config.replace("schema: input/schema.graphql", f"schema: {schema}").replace(
                    "generated/:", f"generated-{source}/:"
                )
            )
            shutil.rmtree(folder / f"generated-{source}", ignore_errors=True)
            _run(folder, codegen, "--config", f"codegen-{source}.yml")
            text = (folder / f"generated-{source}" / "graphql.ts").read_text()
            generated[source] = text.split("export type DashboardQuery =")[1].split(";\n")[0]
    assert generated["url"] == generated["sdl"]


def test_readme_shows_the_codegen_configuration_the_test_runs() -> None:
    config = (ROOT / "tests" / "clients" / "codegen.yml").read_text()
    body = "\n".join(line for line in config.splitlines() if not line.startswith("#"))
    assert f"```yaml\n{body.strip()}\n```" in (ROOT / "README.md").read_text()
