"""A newcomer's first start of `flashback-gql serve`: the demo data's progress and a closing line with
its duration, a plain sentence when the npm registry cannot be reached (and the API served anyway),
the "GraphQL on" line only once the server answers, and a warm start that says nothing about data
it did not prepare."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PINNED_NOW
from tests.servers import free_port

pytestmark = pytest.mark.slow  # server processes

QUERY = {"query": "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"}


def _start(tmp_path: Path, registry_port: int) -> tuple[list[str], str, float]:
    """Run the command until it says it serves; the lines before, the URL and how long the
    GraphiQL verdict took. The server is stopped before returning."""
    port = free_port()
    env = {
        **os.environ,
        "FLASHBACK_GQL_PORT": str(port),
        "FLASHBACK_BACKEND_DB": str(tmp_path / "demo.sqlite3"),
        "FLASHBACK_BACKEND_NOW": PINNED_NOW,
        "FLASHBACK_GRAPHIQL_DIR": str(tmp_path / "graphiql"),
        # Nothing listens there: the registry is unreachable, as on a machine without network.
        "npm_config_registry": f"http://127.0.0.1:{registry_port}/",
    }
    env.pop("FLASHBACK_API_URL", None)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "flashback-gql"), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    started = time.monotonic()
    lines: list[str] = []
    verdict = float("inf")
    url = f"http://127.0.0.1:{port}"
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "GraphiQL is unavailable" in line:
                verdict = time.monotonic() - started
            if line.startswith("GraphQL on "):
                # Said only once it answers: a request made at once must succeed.
                answer = httpx.post(f"{url}/graphql", json=QUERY, timeout=30)
                assert answer.status_code == 200 and "errors" not in answer.json()
                break
            assert time.monotonic() - started < 240, lines
        else:
            pytest.fail(f"the command ended before serving: {lines}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=30)
    return lines, url, verdict


def test_a_first_start_shows_progress_then_a_warm_start_is_quiet(tmp_path: Path) -> None:
    registry_port = free_port()
    cold, url, verdict = _start(tmp_path, registry_port)
    plain = [line for line in cold if not line.startswith("{")]  # the JSON log lines aside

    assert verdict < 10, cold
    assert any(
        f"the npm registry http://127.0.0.1:{registry_port}/ cannot be reached" in line for line in plain
    )
    assert plain[-1].startswith(f"GraphQL on {url}/graphql (GraphiQL unavailable)")
    generating = [line for line in plain if "demo data" in line]
    assert generating[0].startswith("Generating demo data in ") and generating[0].endswith(" ...")
    progress = [line for line in plain if line.startswith("  Generating demo data")]
    assert progress and progress[-1].split(": ")[-1].split(" ")[0].count("/") == 1
    done, total = progress[-1].split(": ")[-1].split(" ")[0].split("/")
    assert done == total and int(total) > 30
    assert any(line.startswith("Generating demo data") and ": done in " in line for line in plain)

    warm, _, _ = _start(tmp_path, registry_port)
    assert not [line for line in warm if "demo data" in line], warm
