"""The container image, built and run the way CI can without a registry: a Debian base made with
mmdebstrap and imported into podman, the Containerfile built on it, the image run on a loopback port
with a read-only root. It serves the reference dashboard from its local backend exactly as the
gateway does outside the container, runs as a non-root user, passes its own HEALTHCHECK, and on
SIGTERM finishes the request in flight before it exits."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings
from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from tests.conftest import PINNED_NOW, ROOT
from tests.gateway import Gateway
from tests.servers import free_port, serve

pytestmark = pytest.mark.slow  # podman, mmdebstrap

BASE = "localhost/flashback-base:bookworm"
IMAGE = "localhost/flashback-gql:test"
ENV = {**os.environ, "CONTAINERS_CONF": str(ROOT / "deploy" / "container" / "containers.conf")}
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def _podman(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["podman", *args], env=ENV, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert not check or done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


@pytest.fixture(scope="module")
def image() -> str:
    """The base (once per machine: mmdebstrap, then podman import) and the image built on it."""
    missing = [tool for tool in ("podman", "mmdebstrap") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(
                f"{', '.join(missing)} missing: .ci/run installs Debian's podman, runc and mmdebstrap"
            )
        pytest.skip(f"{', '.join(missing)} not installed")
    if _podman("image", "exists", BASE, check=False).returncode != 0:
        with tempfile.TemporaryDirectory() as folder:
            rootfs = f"{folder}/rootfs.tar"
            subprocess.run(
                [
                    "mmdebstrap",
                    "--variant=minbase",
                    "--include=ca-certificates,python3,python3-venv",
                    "bookworm",
                    rootfs,
                ],
                capture_output=True,
                timeout=600,
                check=True,
            )
            _podman("import", "-q", rootfs, BASE)
    secret = ["--secret", f"id=ca,src={CA_BUNDLE}"] if os.path.isfile(CA_BUNDLE) else []
    _podman(
        "build", "-q", "--format", "docker", "--network", "host", *secret,
        "--build-arg", f"BASE={BASE}", "-t", IMAGE, "-f", str(ROOT / "Containerfile"), str(ROOT),
    )  # fmt: skip
    return IMAGE


def _wait_healthy(url: str, name: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, _podman("logs", name, check=False).stdout[-3000:]
        time.sleep(0.2)


def _run(image: str, name: str, *args: str) -> None:
    _podman("run", "-d", "--name", name, "--read-only", *args, image)


def _remove(name: str) -> None:
    _podman("rm", "-f", "-t", "0", name, check=False)


@pytest.fixture
def demo(image: str) -> Iterator[tuple[str, str]]:
    """The image on the demo data, its clock pinned as the tests' backend is."""
    name, port = f"flashback-demo-{os.getpid()}", free_port()
    volume = f"{name}-cache"
    _run(
        image, name, "-p", f"127.0.0.1:{port}:8000", "-v", f"{volume}:/app/.cache",
        "-e", f"FLASHBACK_BACKEND_NOW={PINNED_NOW}",
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, name)
        yield url, name
    finally:
        _remove(name)
        _podman("volume", "rm", "-f", volume, check=False)


def test_the_image_serves_the_dashboard_as_the_gateway_does_outside_it(
    demo: tuple[str, str], backend_app: Starlette
) -> None:
    url, _ = demo
    inside = httpx.post(
        f"{url}/graphql",
        json={"query": REFERENCE_QUERY, "variables": {"limit": 5}},
        headers={"Authorization": "Bearer demo"},
    )
    assert inside.status_code == 200 and "errors" not in inside.json()
    outside = Gateway(
        create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend_app))
    )
    try:
        reference = outside.ok(REFERENCE_QUERY, {"limit": 5})
    finally:
        outside.close()
    assert inside.json()["data"] == reference


def test_the_image_runs_as_a_non_root_user_on_a_read_only_root_and_passes_its_healthcheck(
    demo: tuple[str, str],
) -> None:
    _, name = demo
    assert _podman("exec", name, "id", "-u").stdout.strip() == "10001"
    refused = _podman("exec", name, "touch", "/app/anything", check=False)
    assert refused.returncode != 0 and "Read-only file system" in refused.stderr
    assert _podman("healthcheck", "run", name, check=False).returncode == 0
    labels = _podman("image", "inspect", IMAGE, "--format", "{{json .Labels}}").stdout
    assert '"org.opencontainers.image.title":"flashback-gql"' in labels


def test_on_sigterm_the_request_in_flight_finishes_and_the_container_exits(
    image: str, settings: BackendSettings
) -> None:
    """With a real upstream (FLASHBACK_API_URL, so no local backend inside) answering in 2 s: the
    request sent just before SIGTERM gets its answer, and the container exits well within the
    drain deadline."""
    import dataclasses

    slow = create_backend_app(dataclasses.replace(settings, faults_enabled=True))
    with serve(slow) as upstream:
        fault = {"path": "/v2/stats/ai", "mode": "slow", "delayMs": 2_000}
        assert (
            httpx.post(
                f"{upstream}/_faults", json=fault, headers={"Authorization": "Bearer demo"}
            ).status_code
            == 201
        )
        name, port = f"flashback-drain-{os.getpid()}", free_port()
        _run(
            image, name, "--network", "host", "-e", f"FLASHBACK_API_URL={upstream}",
            "-e", f"FLASHBACK_GQL_PORT={port}", "-e", "FLASHBACK_GQL_HOST=127.0.0.1", "-e", "FLASHBACK_DRAIN_SECONDS=15",
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, name)
            answers: list[Any] = []
            query = {"query": "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"}

            def ask() -> None:
                answers.append(
                    httpx.post(
                        f"{url}/graphql", json=query, headers={"Authorization": "Bearer demo"}, timeout=30
                    )
                )

            thread = threading.Thread(target=ask)
            thread.start()
            time.sleep(0.7)  # the request is waiting on the slow upstream
            started = time.monotonic()
            _podman("kill", "--signal", "TERM", name)
            thread.join(timeout=30)
            exited = _podman("wait", name, timeout=60).stdout.strip()
            elapsed = time.monotonic() - started
        finally:
            _remove(name)
    assert answers and answers[0].status_code == 200, answers
    assert answers[0].json()["data"]["stats"]["ai"]["timeSeries"]["summary"]["total"] >= 0
    assert exited == "0" and elapsed < 15
