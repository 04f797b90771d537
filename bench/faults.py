"""Fault load: the gateway serving thousands of requests while the upstream misbehaves, then while
it is down. Not run in CI.

The local backend runs on a loopback port with fault injection: 10% of its answers are 503, 2%
drop the connection, 5% are slow (300 ms). The gateway, on its own loopback port, gets several
thousand small dashboard requests at concurrency 32. Printed: the share of fields served (goal
99% or more, with retries), gateway 5xx (goal 0), the gateway's RSS before and after (goal flat),
then, with the upstream stopped, the time to answer once the breaker is open (goal under 5 ms per
request) and what /readyz says (goal 503); and the p99 of /healthz while three connections keep
sending oversized, over-long and over-budget documents (goal under 50 ms).

Run with ``uv run python -m bench.faults`` (``--requests N`` to change the count).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import uvicorn
from starlette.types import ASGIApp

from bench.common import PINNED_NOW, fresh_backend
from gql.server.app import create_app
from gql.server.settings import GatewaySettings

QUERY = (
    "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } }"
    " storage { timeSeries { summary { total } } } policies { timeSeries { summary { total } } } } }"
)
FIELDS_PER_REQUEST = 3
FAULTS = [
    {"path": "/v2/", "mode": "status", "status": 503, "rate": 0.10},
    {"path": "/v2/", "mode": "drop", "rate": 0.02},
    {"path": "/v2/", "mode": "slow", "delayMs": 300, "rate": 0.05},
]


@contextlib.contextmanager
def served(app: ASGIApp) -> Iterator[tuple[str, uvicorn.Server]]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclasses.dataclass
class Tally:
    requests: int = 0
    fields: int = 0
    served: int = 0
    gateway_5xx: int = 0


async def load(url: str, count: int, concurrency: int) -> Tally:
    tally = Tally()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            response = await client.post("/graphql", json={"query": QUERY})
            tally.requests += 1
            tally.fields += FIELDS_PER_REQUEST
            if response.status_code >= 500:
                tally.gateway_5xx += 1
                continue
            stats = (response.json().get("data") or {}).get("stats") or {}
            tally.served += sum(
                1 for domain in ("ai", "storage", "policies") if (stats.get(domain) or {}).get("timeSeries")
            )

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return tally


_BREAKDOWNS = " ".join(f"b{n}: breakdown(by: REPOS, limit: {n + 1}) {{ total }}" for n in range(2000))
ABUSIVE = [
    {"query": "{ " + " ".join(f"a{n}: __typename" for n in range(30_000)) + " }"},
    {"query": "{ stats(window: LAST_7D) { ai { " + _BREAKDOWNS + " } } }"},
    {
        "query": "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 500) { entities { repo {"
        " stats(window: LAST_7D) { ai { breakdown(by: MODELS) { total } } } } } } } } }"
    },
]


async def healthz_under_abuse(url: str, polls: int) -> float:
    """p99 seconds of /healthz while three connections keep sending abusive documents."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        stop = asyncio.Event()

        async def abuse() -> None:
            while not stop.is_set():
                await asyncio.gather(*(client.post("/graphql", json=body) for body in ABUSIVE))

        attackers = [asyncio.create_task(abuse()) for _ in range(3)]
        latencies = []
        for _ in range(polls):
            started = time.perf_counter()
            await client.get("/healthz")
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.005)
        stop.set()
        await asyncio.gather(*attackers, return_exceptions=True)
    latencies.sort()
    return latencies[int(len(latencies) * 0.99) - 1]


async def down(url: str, count: int) -> tuple[float, int]:
    """Median seconds per request with the upstream gone, and /readyz's status."""
    timings = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for _ in range(count):
            started = time.perf_counter()
            await client.post("/graphql", json={"query": QUERY})
            timings.append(time.perf_counter() - started)
        ready = await client.get("/readyz")
    return statistics.median(timings[count // 2 :]), ready.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with fresh_backend(PINNED_NOW) as backend:
        settings = dataclasses.replace(backend.state.backend.settings, faults_enabled=True)
        from local_backend.app import create_backend_app

        with served(create_backend_app(settings)) as (upstream, upstream_server):
            for fault in FAULTS:
                httpx.post(f"{upstream}/_faults", json=fault, headers={"Authorization": "Bearer demo"})
            gateway_settings = GatewaySettings(api_url=upstream, service_token="demo", breaker_cool_down=30)
            with served(create_app(gateway_settings)) as (gateway, _):
                asyncio.run(load(gateway, 200, args.concurrency))  # warm-up
                healthz_p99 = asyncio.run(healthz_under_abuse(gateway, 300))
                before = rss_mb()
                started = time.perf_counter()
                tally = asyncio.run(load(gateway, args.requests, args.concurrency))
                seconds = time.perf_counter() - started
                after = rss_mb()
                upstream_server.should_exit = True
                time.sleep(1)
                per_request, ready = asyncio.run(down(gateway, 200))
    print(f"requests: {tally.requests} at concurrency {args.concurrency} in {seconds:.1f} s")
    print(f"fields served: {tally.served / tally.fields:.2%} (goal >= 99%)")
    print(f"gateway 5xx: {tally.gateway_5xx} (goal 0)")
    print(
        f"RSS of bench + gateway + upstream process: {before:.0f} MB before, {after:.0f} MB after (goal flat)"
    )
    print(f"upstream down: {per_request * 1000:.2f} ms per request once the breaker is open (goal < 5 ms)")
    print(f"/readyz with the upstream down: {ready} (goal 503)")
    print(f"/healthz p99 while abusive documents arrive: {healthz_p99 * 1000:.1f} ms (goal < 50 ms)")


if __name__ == "__main__":
    main()
