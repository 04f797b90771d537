"""Mixed legitimate and abusive traffic against one gateway worker, on loopback. Not run in CI.

The gateway runs as ``flashback-gql serve`` (one worker, the local backend in-process, the server
bounds of ``gql.server.server_guard``). First, for ``--idle`` seconds, only the reference dashboard and
the probes: the idle figures. Then, for ``--seconds`` (5 minutes by default), the same with abuse
beside it, every kind at once:

- fragment bombs (each fragment spreading the next twice or four times), 2,000-token documents,
  4,000 duplicate fields, variables nested 300 deep, 200 KB ids, made-up operation names;
- over-long URLs and oversized headers on raw connections;
- 100 connections trickling their headers and 50 holding half-sent bodies, reopened as closed;
- 300 connections opened and left idle.

Printed: the dashboard's p50 and p99, idle and under abuse, and their ratio (goal p99 within 3x);
``/healthz`` and ``/readyz`` p99 (goal under 50 ms) and their non-2xx answers (goal 0); the
worker's RSS and open files before and after (goal RSS within +150 MB).

Run with ``uv run python -m bench.abuse`` (``--seconds 60`` for a shorter run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = (ROOT / "gql" / "server" / "reference_query.graphql").read_text()


def bomb(levels: int, copies: int) -> str:
    """Fragments each spreading the next ``copies`` times: exponential if walked once per path."""
    parts = ["query Bomb { stats(window: LAST_7D) { ...F0 } }"]
    for i in range(levels):
        parts.append(f"fragment F{i} on Stats {{ " + " ".join([f"...F{i + 1}"] * copies) + " }")
    parts.append(f"fragment F{levels} on Stats {{ window }}")
    return "\n".join(parts)


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


ABUSIVE_BODIES = [
    {"query": bomb(22, 2)},
    {"query": bomb(30, 4)},
    {"query": "{ " + "a " * 2_500 + "}"},
    {"query": "{ stats(window: LAST_7D) { " + "window " * 4_000 + "} }"},
    {"query": "{ __typename }", "variables": {"v": _nested(300)}},
    {
        "query": "query($id: ID) { stats(scope: REPO, id: $id, window: LAST_7D) { window } }",
        "variables": {"id": "r" * 200_000},
    },
]


@dataclass
class Figures:
    dashboard: list[float] = field(default_factory=list)
    healthz: list[float] = field(default_factory=list)
    readyz: list[float] = field(default_factory=list)
    probe_failures: int = 0
    abusive: int = 0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else float("nan")


def _process(pid: int) -> tuple[float, int]:
    """RSS in MB and open files of the worker."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


async def _dashboards(client: httpx.AsyncClient, until: float, figures: Figures) -> None:
    while time.monotonic() < until:
        started = time.monotonic()
        response = await client.post("/graphql", json={"query": DASHBOARD, "operationName": "Dashboard"})
        assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
        figures.dashboard.append(time.monotonic() - started)


async def _probes(client: httpx.AsyncClient, until: float, figures: Figures) -> None:
    while time.monotonic() < until:
        for path, into in (("/healthz", figures.healthz), ("/readyz", figures.readyz)):
            started = time.monotonic()
            try:
                response = await client.get(path, timeout=5)
                figures.probe_failures += response.status_code >= 300
            except httpx.HTTPError:
                figures.probe_failures += 1
            into.append(time.monotonic() - started)
        await asyncio.sleep(0.1)


async def _abusive_requests(url: str, until: float, figures: Figures) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            body = ABUSIVE_BODIES[n % len(ABUSIVE_BODIES)]
            await client.post("/graphql", json=body)
            await client.post("/graphql", json={"query": f"query Made{n} {{ __typename }}"})
            figures.abusive += 2


async def _raw(host: str, port: int, data: bytes) -> None:
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(data)
        await writer.drain()
        await asyncio.wait_for(reader.read(), 15)
        writer.close()


async def _slow_clients(port: int, until: float, figures: Figures) -> None:
    """Trickling headers, held bodies, over-long URLs, oversized headers: reopened as closed."""
    trickle = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    held = (
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999\r\n\r\n{"
    )
    long_url = b"GET /graphql?query=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    headers = (
        b"GET /healthz HTTP/1.1\r\n"
        + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1_000) for i in range(64))
        + b"\r\n"
    )

    async def keep(data: bytes) -> None:
        while time.monotonic() < until:
            await _raw("127.0.0.1", port, data)
            figures.abusive += 1

    await asyncio.gather(
        *(keep(trickle) for _ in range(100)),
        *(keep(held) for _ in range(50)),
        *(keep(long_url) for _ in range(5)),
        *(keep(headers) for _ in range(5)),
    )


async def _idle_connections(port: int, until: float) -> None:
    held = []
    for _ in range(300):
        with contextlib.suppress(OSError):
            held.append(await asyncio.open_connection("127.0.0.1", port))
    await asyncio.sleep(max(0.0, until - time.monotonic()))
    for _, writer in held:
        writer.close()


async def _phase(url: str, port: int, seconds: float, abuse: bool) -> Figures:
    figures = Figures()
    until = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        tasks = [_dashboards(client, until, figures) for _ in range(4)] + [_probes(client, until, figures)]
        if abuse:
            tasks += [_abusive_requests(url, until, figures) for _ in range(4)]
            tasks += [_slow_clients(port, until, figures), _idle_connections(port, until)]
        await asyncio.gather(*tasks)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=300.0, help="abuse phase length (default 300)")
    parser.add_argument("--idle", type=float, default=20.0, help="idle phase length (default 20)")
    parser.add_argument("--port", type=int, default=18_765)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    command = [
        str(Path(sys.executable).parent / "flashback-gql"),
        "serve",
        "--port",
        str(args.port),
        "--no-graphiql-install",
    ]
    env = {**os.environ, "FLASHBACK_GQL_WORKERS": "1", "FLASHBACK_RESPONSE_CACHE": "0"}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("the gateway did not start")
            time.sleep(0.2)
        idle = asyncio.run(_phase(url, args.port, args.idle, abuse=False))
        before = _process(process.pid)
        abused = asyncio.run(_phase(url, args.port, args.seconds, abuse=True))
        time.sleep(2)
        after = _process(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    p50_idle, p99_idle = _percentile(idle.dashboard, 0.5), _percentile(idle.dashboard, 0.99)
    p50, p99 = _percentile(abused.dashboard, 0.5), _percentile(abused.dashboard, 0.99)
    print(f"abuse phase: {args.seconds:.0f} s, {abused.abusive:,} abusive requests and connections")
    print(f"dashboard p50 {p50:.1f} ms (idle {p50_idle:.1f}, {p50 / p50_idle:.2f}x)")
    print(f"dashboard p99 {p99:.1f} ms (idle {p99_idle:.1f}, {p99 / p99_idle:.2f}x; goal <= 3x)")
    print(f"dashboards answered under abuse: {len(abused.dashboard):,} (idle phase {len(idle.dashboard):,})")
    print(
        f"/healthz p99 {_percentile(abused.healthz, 0.99):.1f} ms,"
        f" /readyz p99 {_percentile(abused.readyz, 0.99):.1f} ms (goal < 50)"
    )
    print(
        f"probe answers not 2xx: {abused.probe_failures} of {len(abused.healthz) + len(abused.readyz)} (goal 0)"
    )
    print(
        f"RSS {before[0]:.0f} -> {after[0]:.0f} MB ({after[0] - before[0]:+.0f}; goal <= +150);"
        f" open files {before[1]} -> {after[1]}"
    )
    print(f"mean dashboard {statistics.mean(abused.dashboard) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
