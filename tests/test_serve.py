"""`flashback-gql serve` started with README's run command, queried over HTTP, and stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from gql.server.graphiql import REFERENCE_QUERY
from local_backend.settings import BackendSettings
from tests.conftest import PINNED_NOW
from tests.servers import free_port, wait_until_healthy

pytestmark = pytest.mark.slow  # a subprocess, a browser or node: left out of mutation runs

ROOT = Path(__file__).resolve().parent.parent


def readme_run_command() -> str:
    commands: list[str] = re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())
    return commands[0]


def test_readme_run_command_serves_the_gateway_on_the_local_backend(settings: BackendSettings) -> None:
    command = readme_run_command()
    assert command.endswith("flashback-gql serve")
    port = free_port()
    env = {
        **os.environ,
        "FLASHBACK_GQL_PORT": str(port),
        "FLASHBACK_BACKEND_NOW": PINNED_NOW,
        "FLASHBACK_BACKEND_DB": str(settings.db_path),
    }
    env.pop("FLASHBACK_API_URL", None)
    # As on a user's shell: `python3` is the system one, not this test run's virtual environment.
    venv = env.pop("VIRTUAL_ENV", None)
    if venv:
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(venv))
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, 180)
        response = httpx.post(
            f"{url}/graphql", json={"query": REFERENCE_QUERY, "variables": {"limit": 5}}, timeout=60
        )
        assert response.status_code == 200
        body = response.json()
        assert "errors" not in body
        assert len(body["data"]["stats"]["ai"]["byModel"]["entities"]) == 5
        assert len(body["data"]["stats"]["storage"]["timeSeries"]["columns"]["ts"]) == 168
        page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "<html" in page.text
        served_by = ROOT / ".venv-serve" / "lib" / "python3.11" / "site-packages"
        installed = {path.name.split("-")[0].lower() for path in served_by.iterdir()}
        assert "strawberry_graphql" in installed
        assert not installed & {"pytest", "mypy", "ruff", "playwright", "mutmut", "hypothesis"}, (
            "no dev tools"
        )
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert f"GraphQL on http://127.0.0.1:{port}/graphql" in output
    assert "Finished server process" in output
