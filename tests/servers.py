"""Run an ASGI app under uvicorn on 127.0.0.1 in a background thread, for tests that need a socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import httpx
import uvicorn
from starlette.types import ASGIApp


@contextmanager
def serve(app: ASGIApp, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """Yield the base URL of ``app`` served on an ephemeral loopback port; stop it on exit, as
    SIGTERM stops the server. With ``lifespan="on"`` the app starts and stops as
    ``flashback-gql serve`` runs it (the response cache's shared secret, the live room's closing)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan=lifespan)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def gateway_command(port: int) -> list[str]:
    """The command that serves the gateway on ``port`` (GraphiQL's files left uninstalled)."""
    return [
        str(Path(sys.executable).parent / "flashback-gql"),
        "serve",
        "--port",
        str(port),
        "--no-graphiql-install",
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    """Poll ``url``/healthz until it answers; if the process dies or time runs out, fail with its output."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
                output = process.communicate(timeout=30)[0].decode()
                raise AssertionError(f"server did not become healthy:\n{output}") from None
            time.sleep(0.1)
