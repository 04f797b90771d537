"""A real Redis for the tests of the shared response cache: Debian's ``redis-server`` on a loopback
port, with nothing saved to disk, started and stopped by the tests (``.ci/run`` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from tests.servers import free_port


@contextmanager
def redis_server() -> Iterator[str]:
    """Yield the ``redis://`` URL of a fresh server; stop it on exit."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: `apt-get install redis-server` (.ci/run does)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if redis.Redis.from_url(url).ping():
                        break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise AssertionError(f"redis-server did not start on port {port}") from None
                    time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
