"""`flashback-gql backend` started the way README says, queried over HTTP, and stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from local_backend.settings import BackendSettings
from tests.conftest import PINNED_NOW


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_backend_command_serves_the_demo_tokens(settings: BackendSettings) -> None:
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "flashback-gql"),
        "backend",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {**os.environ, "FLASHBACK_BACKEND_NOW": PINNED_NOW, "FLASHBACK_BACKEND_DB": str(settings.db_path)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        response = httpx.get(
            f"{url}/v2/stats/ai?scope=org&window=24h", headers={"Authorization": "Bearer demo"}
        )
        assert response.status_code == 200
        assert len(response.json()["series"]) == 144
        assert httpx.get(f"{url}/v2/stats/ai?scope=org&window=24h").status_code == 401
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode()
    assert "serving on http://127.0.0.1" in output
    assert "Finished server process" in output, "SIGTERM shuts the server down gracefully"
