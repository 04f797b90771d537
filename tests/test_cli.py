"""`flashback-gql backend` started the way README says, queried over HTTP, and stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from local_backend.settings import BackendSettings
from tests.conftest import PINNED_NOW
from tests.servers import free_port, wait_until_healthy

pytestmark = pytest.mark.slow  # a subprocess, a browser or node: left out of mutation runs


def test_backend_command_serves_the_demo_tokens(settings: BackendSettings) -> None:
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "flashback-gql"),
        "backend",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {**os.environ, "FLASHBACK_BACKEND_NOW": PINNED_NOW, "FLASHBACK_BACKEND_DB": str(settings.db_path)}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process, 60)
        response = httpx.get(
            f"{url}/v2/stats/ai?scope=org&window=24h", headers={"Authorization": "Bearer demo"}
        )
        assert response.status_code == 200
        assert len(response.json()["series"]) == 144
        assert httpx.get(f"{url}/v2/stats/ai?scope=org&window=24h").status_code == 401
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode()
    assert f"Stats REST API on http://127.0.0.1:{port}" in output
    assert "Finished server process" in output, "SIGTERM shuts the server down gracefully"
