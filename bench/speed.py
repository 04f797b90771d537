"""Speed: every figure of the speed table in docs/gateway.md from one run, each as a ratio against
a baseline measured in the same run. Not run in CI.

Processes, all on loopback: a replay upstream (``bench.replay``: the local backend answers each
request once, then memory does), bare Starlette (``bench.bare``), and the gateway twice under
uvicorn with one worker, once with the response cache off (cold) and once on (warm). Load comes
from ``wrk`` (Debian's package) at concurrency 32; CPU per request is the gateway process's own
CPU time (``/proc``) over the requests it answered. Each load figure is the median of
``--rounds`` rounds with the spread in brackets.

GraphQL Mesh is measured beside it when ``bench/mesh`` has its packages (``npm ci`` there; see
``bench/mesh/README.md``).

Run with ``uv run python -m bench.speed`` (``--seconds`` per load round, ``--rounds``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.common import PINNED_NOW
from bench.gateway import FIELDS, median_ms, values_in
from gql.server.graphiql import REFERENCE_QUERY
from local_backend.settings import BackendSettings
from local_backend.store import Store
from resolvers import dimensions, requests
from resolvers.v2_payloads import breakdown_parser

SMALL = "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"
BREAKDOWN = "{ stats(window: LAST_24H) { policies { breakdown(by: USERS, limit: 50) { entities { entityId %s } } } } }"
ROW = BREAKDOWN % f"series {{ {FIELDS} }}"
CHART = BREAKDOWN % f"columns {{ {FIELDS} }}"
TOKEN = "demo"
MESH = Path(__file__).parent / "mesh"
MESH_RUN = Path(__file__).parent.parent / ".cache" / "mesh"
OPENAPI = Path(__file__).parent.parent / "local_backend" / "openapi.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def started(
    command: list[str], port: int, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[int]:
    """Run ``command`` until the block ends; yields its pid once ``port`` accepts connections."""
    log = tempfile.TemporaryFile()  # noqa: SIM115  (it lives as long as the process it logs)
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=log, stderr=log, cwd=cwd)
    deadline = time.monotonic() + 180
    try:
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise SystemExit(f"{command} did not start: {log.read().decode()[-2000:]}")
            time.sleep(0.1)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Load:
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # the server's CPU per request; 0 when not measured


def _milliseconds(text: str) -> float:
    """A latency as wrk prints it (its units run from microseconds to hours)."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        raise SystemExit(f"wrk printed a latency this cannot read: {text!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}[unit]


def wrk(url: str, query: str, seconds: int, pid: int | None = None, connections: int = 32) -> Load:
    body = orjson.dumps({"query": query}).decode()
    script = (
        'wrk.method = "POST"\n'
        f"wrk.body = {orjson.dumps(body).decode()}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {TOKEN}"\n'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    before = cpu_seconds(pid) if pid else 0.0
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", file.name, f"{url}/graphql"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    used = cpu_seconds(pid) - before if pid else 0.0
    os.unlink(file.name)
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in output:
        raise SystemExit(f"wrk saw errors:\n{output}")
    return Load(
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        p50_ms=_milliseconds(re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        p99_ms=_milliseconds(re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        cpu_ms=used * 1000 / max(total, 1),
    )


@dataclass(frozen=True)
class Spread:
    values: list[float]

    def __str__(self) -> str:
        middle = statistics.median(self.values)
        digits = 0 if middle >= 100 else 2
        return f"{middle:,.{digits}f} [{min(self.values):,.{digits}f}-{max(self.values):,.{digits}f}]"

    @property
    def median(self) -> float:
        return statistics.median(self.values)


def post(url: str, query: str, report: bool = True) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}", **({"X-Upstream-Report": "1"} if report else {})}
    response = httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=120)
    answer: dict[str, Any] = response.json()
    assert response.status_code == 200 and "errors" not in answer, answer
    return answer


def http_ms(url: str, query: str, runs: int) -> tuple[float, dict[str, Any]]:
    """The median time of ``query`` over HTTP, and one answer."""
    answer = post(url, query)
    # Uncompressed, as orjson.dumps is: the compression a client may ask for is measured on its own.
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept-Encoding": "identity"}
    with httpx.Client(headers=headers, timeout=120) as client:
        return median_ms(lambda: client.post(f"{url}/graphql", json={"query": query}).content, runs), answer


def direct_dashboard_ms(upstream: str, calls: list[dict[str, Any]], runs: int) -> float:
    """The reference dashboard's calls made by a client itself: concurrently, httpx and orjson."""

    async def once(client: httpx.AsyncClient) -> None:
        async def one(call: dict[str, Any]) -> object:
            target = call["path"] + (f"?{call['query']}" if call["query"] else "")
            return orjson.loads((await client.get(target)).content)

        await asyncio.gather(*(one(call) for call in calls))

    async def run() -> float:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=upstream, headers=headers, timeout=120) as client:
            await once(client)
            times = []
            for _ in range(runs):
                started_at = time.perf_counter()
                await once(client)
                times.append(time.perf_counter() - started_at)
            return statistics.median(times) * 1000

    return asyncio.run(run())


def decoder_figures(upstream: str) -> tuple[int, float, float]:
    """The 50-entity, 144-point breakdown body: our typed decoding against ``orjson.loads``."""
    dimension = dimensions.dimension("policies", "users")
    body = httpx.get(
        f"{upstream}/v2/stats/policies/breakdown/users?scope=org&window=24h&limit=50&includeSeries=true",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).content
    parse = breakdown_parser(dimension, True, requests.Selection("org", None, "24h", None), 50)
    return len(body), median_ms(lambda: parse(body), 30), median_ms(lambda: orjson.loads(body), 30)


def mesh_folder() -> Path | None:
    """bench/mesh installed into .cache/mesh (``npm ci`` when its lock file changed) and composed over
    the local backend's OpenAPI document; None without npm."""
    npm = shutil.which("npm")
    if npm is None:
        return None
    MESH_RUN.mkdir(parents=True, exist_ok=True)
    for path in MESH.iterdir():
        if path.is_file():
            shutil.copyfile(path, MESH_RUN / path.name)
    shutil.copyfile(OPENAPI, MESH_RUN / "openapi.json")
    lock = (MESH / "package-lock.json").read_bytes()
    installed = MESH_RUN / "node_modules" / ".installed-lock"
    if not installed.is_file() or installed.read_bytes() != lock:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=MESH_RUN, check=True)
        installed.write_bytes(lock)
    compose = MESH_RUN / "node_modules" / ".bin" / "mesh-compose"
    subprocess.run([str(compose), "-o", "supergraph.graphql"], cwd=MESH_RUN, check=True, capture_output=True)
    return MESH_RUN


def mesh_command(folder: Path, port: int, jit: bool) -> list[str]:
    gateway = folder / "node_modules" / ".bin" / "hive-gateway"
    return [
        str(gateway),
        "supergraph",
        "supergraph.graphql",
        "--port",
        str(port),
        "--fork",
        "0",
        *(["--jit"] if jit else []),
    ]


def upstream_calls(upstream: str, url: str, query: str) -> int:
    """How many upstream calls one request of ``query`` to ``url`` makes, counted by the replay server."""
    before = int(httpx.get(f"{upstream}/_calls").text)
    post(url, query, report=False)
    return int(httpx.get(f"{upstream}/_calls").text) - before


def mesh_figures(upstream: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """The reference dashboard through Mesh, with and without --jit: req/s at concurrency 16, CPU."""
    folder = mesh_folder()
    if folder is None:
        return None
    query = (MESH / "dashboard.graphql").read_text()
    figures: dict[str, Any] = {}
    for jit in (False, True):
        port = free_port()
        with started(mesh_command(folder, port, jit), port, {"FLASHBACK_API_URL": upstream}, folder) as pid:
            url = f"http://127.0.0.1:{port}"
            figures["calls"] = upstream_calls(upstream, url, query)
            loads = [wrk(url, query, args.seconds, pid, connections=16) for _ in range(args.rounds)]
            figures["jit" if jit else "plain"] = loads
    return figures


def gateway_command(port: int, upstream: str, cache: bool) -> tuple[list[str], dict[str, str]]:
    env = {
        "FLASHBACK_GQL_PORT": str(port),
        "FLASHBACK_API_URL": upstream,
        "FLASHBACK_RESPONSE_CACHE": "1" if cache else "0",
    }
    return [sys.executable, "-m", "gql.server.cli", "serve", "--log-level", "warning"], env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=5, help="seconds per load round")
    parser.add_argument("--rounds", type=int, default=3, help="load rounds per figure (median shown)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per single-request figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "speed.sqlite3"
        backend = BackendSettings.from_env({}, db_path=str(db), now=PINNED_NOW)
        Store(backend.db_path, backend.seed).ensure(backend.now())
        ports = {name: free_port() for name in ("upstream", "bare", "cold", "warm")}
        upstream = f"http://127.0.0.1:{ports['upstream']}"
        cold_command, cold_env = gateway_command(ports["cold"], upstream, cache=False)
        warm_command, warm_env = gateway_command(ports["warm"], upstream, cache=True)
        with (
            started(
                [sys.executable, "-m", "bench.replay", str(ports["upstream"]), str(db), PINNED_NOW],
                ports["upstream"],
            ),
            started([sys.executable, "-m", "bench.bare", str(ports["bare"])], ports["bare"]) as bare_pid,
            started(cold_command, ports["cold"], cold_env) as cold_pid,
            started(warm_command, ports["warm"], warm_env) as warm_pid,
        ):
            cold, warm, bare = (f"http://127.0.0.1:{ports[n]}" for n in ("cold", "warm", "bare"))
            for url in (cold, warm):
                for query in (SMALL, ROW, CHART, REFERENCE_QUERY):
                    post(url, query)
            rounds: dict[str, list[Load]] = {"bare": [], "cold": [], "warm": []}
            for _ in range(args.rounds):
                rounds["bare"].append(wrk(bare, SMALL, args.seconds, bare_pid))
                rounds["cold"].append(wrk(cold, SMALL, args.seconds, cold_pid))
                rounds["warm"].append(wrk(warm, SMALL, args.seconds, warm_pid))
            row_ms, row_answer = http_ms(cold, ROW, args.runs)
            chart_ms, chart_answer = http_ms(cold, CHART, args.runs)
            row_dumps = median_ms(lambda: orjson.dumps(row_answer["data"]), 30)
            chart_dumps = median_ms(lambda: orjson.dumps(chart_answer["data"]), 30)
            dashboard_ms, dashboard = http_ms(cold, REFERENCE_QUERY, args.runs)
            warm_dashboard_ms, _ = http_ms(warm, REFERENCE_QUERY, args.runs)
            calls = dashboard["extensions"]["upstream"]["calls"]
            direct_ms = direct_dashboard_ms(upstream, calls, args.runs)
            size, decode_ms, loads_ms = decoder_figures(upstream)
            ours_calls = upstream_calls(upstream, cold, REFERENCE_QUERY)
            dashboards = [
                wrk(cold, REFERENCE_QUERY, args.seconds, cold_pid, connections=16) for _ in range(args.rounds)
            ]
            mesh = mesh_figures(upstream, args)
    report(args, rounds, locals())


def report(args: argparse.Namespace, rounds: dict[str, list[Load]], m: dict[str, Any]) -> None:
    def spread(name: str, pick: Callable[[Load], float]) -> Spread:
        return Spread([pick(load) for load in rounds[name]])

    def per_second(name: str) -> Spread:
        return spread(name, lambda load: load.per_second)

    def cpu(name: str) -> Spread:
        return spread(name, lambda load: load.cpu_ms)

    chart, row = m["chart_ms"] / m["chart_dumps"], m["row_ms"] / m["row_dumps"]
    dashboard = m["dashboard_ms"] / m["direct_ms"]
    rows = [
        ("small query, req/s per worker, cache off", ">= 2,400", f"{per_second('cold')}"),
        ("small query, req/s per worker, cache on", "> 2,400", f"{per_second('warm')}"),
        ("the same, bare Starlette (the floor)", "", f"{per_second('bare')}"),
        ("small query, gateway CPU per request, off / on", "", f"{cpu('cold')} / {cpu('warm')} ms"),
        (
            "small query p99 / p50, cache off",
            "<= 3",
            f"{Spread([x.p99_ms / x.p50_ms for x in rounds['cold']])}",
        ),
        (
            f"chart form ({values_in(m['chart_answer']['data']):,} values) over HTTP / orjson.dumps",
            "<= 5x",
            f"{chart:.1f}x ({m['chart_ms']:.1f} ms)",
        ),
        ("row form over HTTP / orjson.dumps", "<= 15x", f"{row:.1f}x ({m['row_ms']:.1f} ms)"),
        (
            f"reference dashboard / its {len(m['calls'])} REST calls by httpx + orjson",
            "<= 1.3x",
            f"{dashboard:.2f}x ({m['dashboard_ms']:.1f} vs {m['direct_ms']:.1f} ms;"
            f" cache on {m['warm_dashboard_ms']:.1f} ms)",
        ),
        (
            f"{m['size'] / 1000:.0f} KB breakdown body, typed decoding / orjson.loads",
            "<= 1.5x",
            f"{m['decode_ms'] / m['loads_ms']:.2f}x ({m['decode_ms']:.2f} vs {m['loads_ms']:.2f} ms)",
        ),
    ]
    rows.append(mesh_row(m))
    print(
        f"speed: {args.rounds} rounds of {args.seconds} s at concurrency 32, one worker; median [min-max]\n"
    )
    print("| figure | goal | measured |\n|---|---|---|")
    for figure, goal, measured in rows:
        print(f"| {figure} | {goal} | {measured} |")


def mesh_row(m: dict[str, Any]) -> tuple[str, str, str]:
    figure = "reference dashboard, our req/s / GraphQL Mesh's, concurrency 16, no cache"
    mesh = m["mesh"]
    if mesh is None:
        return figure, ">= 10x", "not measured: npm is missing"
    best = max(("plain", "jit"), key=lambda k: statistics.median(x.per_second for x in mesh[k]))
    ours, theirs = m["dashboards"], mesh[best]
    ratios = Spread([a.per_second / b.per_second for a, b in zip(ours, theirs, strict=True)])
    return (
        figure,
        ">= 10x",
        f"{ratios}x: {Spread([x.per_second for x in ours])} vs {Spread([x.per_second for x in theirs])} req/s"
        f" (Mesh {'with' if best == 'jit' else 'without'} --jit, the faster);"
        f" CPU {Spread([x.cpu_ms for x in ours])} vs {Spread([x.cpu_ms for x in theirs])} ms per request;"
        f" upstream calls {m['ours_calls']} vs {mesh['calls']}",
    )


if __name__ == "__main__":
    main()
