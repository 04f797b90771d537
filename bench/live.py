"""Live subscriptions at scale: 1,000 subscribers in 50 cohorts, on one worker and on three. Not in CI.

A replay upstream (``bench.replay``) over a pinned local backend whose clock the bench moves on
(``POST /_advance``): the numbers change only when it does. Fifty documents, ten per domain of five
(differing in aliases, so that each is a cohort of its own), each subscribed by twenty WebSocket
clients; every cohort refreshes every ``--refresh`` seconds. Printed, for one worker and for three
replicas sharing a Redis (``redis-server`` on loopback):

- upstream calls per refresh, against the distinct REST resources the cohorts touch (5);
- the gateway's CPU per refresh per cohort (rounds where nothing changed), and per push per
  subscriber (the extra CPU of a round that pushed to every subscriber);
- RSS per idle subscriber (the worker's RSS with every subscriber connected, less before, over 1,000);
- the 99th percentile from the refresh that saw a change to the last subscriber's message;
- whether each cohort's answer equals the query's at the same instant.

    uv run python -m bench.live --subscribers 1000 --cohorts 50
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.common import PINNED_NOW
from bench.speed import cpu_seconds, free_port, gateway_command, started
from local_backend.settings import BackendSettings
from local_backend.store import Store

DOMAINS = {
    "ai": "tokensIn",
    "storage": "uplBytes",
    "privateChat": "tokensOut",
    "policies": "violations",
    "credits": "creditsTotal",
}
GOALS = "calls per refresh = distinct resources; RSS <= 50 KiB per idle subscriber; p99 <= 250 ms"


def documents(cohorts: int, refresh: int) -> list[tuple[str, str]]:
    """(subscription, the same selection as a query): ``cohorts`` of them, spread over the domains."""
    made = []
    for index in range(cohorts):
        domain, metric = list(DOMAINS.items())[index % len(DOMAINS)]
        stats = (
            f"stats(window: LAST_24H, bucketSize: MIN_5) {{ {domain} {{ timeSeries {{"
            f" c{index}: columns {{ ts {metric} }} summary {{ total }} }} }} }}"
        )
        made.append(
            (
                f"subscription {{ live(refreshSeconds: {refresh}) {{ revision asOf {stats} }} }}",
                f"{{ {stats} }}",
            )
        )
    return made


class Subscriber:
    def __init__(self, url: str, query: str) -> None:
        self.url, self.query = url, query
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.socket: Any = None

    async def start(self) -> None:
        self.socket = await websockets.connect(self.url, subprotocols=["graphql-transport-ws"], max_size=None)  # type: ignore[list-item]
        await self.socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer demo"}})
        )
        await self.socket.recv()
        await self.socket.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": self.query}}))

    async def listen(self) -> None:
        with contextlib.suppress(Exception):
            async for text in self.socket:
                self.messages.append((time.time(), json.loads(text)["payload"]))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def run_load(
    urls: list[str], upstream: str, pids: list[int], subscribers: int, cohorts: int, refresh: int
) -> dict[str, Any]:
    pairs = documents(cohorts, refresh)
    rss_before = sum(rss_kib(pid) for pid in pids)
    clients = [
        Subscriber(urls[i % len(urls)].replace("http", "ws") + "/graphql", pairs[i % cohorts][0])
        for i in range(subscribers)
    ]
    for batch in range(0, subscribers, 100):
        await asyncio.gather(*(c.start() for c in clients[batch : batch + 100]))
    listeners = [asyncio.create_task(c.listen()) for c in clients]
    deadline = time.monotonic() + 60
    while any(not c.messages for c in clients) and time.monotonic() < deadline:  # noqa: ASYNC110  polls other tasks' lists
        await asyncio.sleep(0.1)
    # Idle: every subscriber has its first answer; wait for a refresh boundary, then measure.
    await asyncio.sleep(refresh - time.time() % refresh + 0.5)
    rss_after = sum(rss_kib(pid) for pid in pids)
    async with httpx.AsyncClient(timeout=60) as http:
        calls_before = int((await http.get(f"{upstream}/_calls")).text)
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        quiet_rounds = 3
        await asyncio.sleep(refresh * quiet_rounds)
        cpu_quiet = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        calls_quiet = int((await http.get(f"{upstream}/_calls")).text) - calls_before
        counts = [len(c.messages) for c in clients]
        await http.post(f"{upstream}/_advance", params={"seconds": "300"})
        changed_at = (time.time() // refresh + 1) * refresh  # the refresh that sees the change
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        await asyncio.sleep(changed_at - time.time() + refresh - 0.3)
        cpu_push = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        latencies = [
            c.messages[n][0] - changed_at for c, n in zip(clients, counts, strict=True) if len(c.messages) > n
        ]
        equal = 0
        for index, (_, query) in enumerate(pairs):
            sample = clients[index]
            answer = (
                await http.post(
                    urls[0] + "/graphql", json={"query": query}, headers={"Authorization": "Bearer demo"}
                )
            ).json()
            live = sample.messages[-1][1]["data"]["live"]
            equal += {"stats": live["stats"]} == answer.get("data")
    for task in listeners:
        task.cancel()
    for client in clients:
        with contextlib.suppress(Exception):
            await client.socket.close()
    ordered = sorted(latencies)
    return {
        "subscribers": subscribers,
        "pushed": len(latencies),
        "calls per refresh": calls_quiet / quiet_rounds,
        "CPU per refresh per cohort, ms": cpu_quiet / quiet_rounds / cohorts * 1000,
        "CPU per push per subscriber, ms": max(0.0, cpu_push - cpu_quiet / quiet_rounds) / subscribers * 1000,
        "RSS per idle subscriber, KiB": (rss_after - rss_before) / subscribers,
        "p50 change to message, ms": statistics.median(ordered) * 1000 if ordered else None,
        "p99 change to last message, ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000 if ordered else None,
        "last message, ms": ordered[-1] * 1000 if ordered else None,
        "answers equal to the query": f"{equal}/{cohorts}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1_000)
    parser.add_argument("--cohorts", type=int, default=50)
    parser.add_argument("--refresh", type=int, default=3, help="seconds between refreshes")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for replicas in (1, 3):
            db = Path(folder) / f"live-{replicas}.sqlite3"
            backend = BackendSettings.from_env({}, db_path=str(db), now=PINNED_NOW)
            Store(backend.db_path, backend.seed).ensure(backend.now())
            upstream_port = free_port()
            upstream = f"http://127.0.0.1:{upstream_port}"
            with contextlib.ExitStack() as stack:
                stack.enter_context(
                    started(
                        [sys.executable, "-m", "bench.replay", str(upstream_port), str(db), PINNED_NOW],
                        upstream_port,
                    )
                )
                # Every WebSocket is a connection: a worker holding 1,000 needs a cap above them.
                env_extra = {
                    "FLASHBACK_LIVE_MIN_REFRESH": "1",
                    "FLASHBACK_LIVE_PER_CALLER": "100000",
                    "FLASHBACK_MAX_CONNECTIONS": "4000",
                }
                if replicas > 1:
                    env_extra["FLASHBACK_CACHE_REDIS_URL"] = stack.enter_context(_redis())
                urls, pids = [], []
                for _ in range(replicas):
                    port = free_port()
                    command, env = gateway_command(port, upstream, cache=replicas > 1)
                    pids.append(stack.enter_context(started(command, port, {**env, **env_extra})))
                    urls.append(f"http://127.0.0.1:{port}")
                results[replicas] = asyncio.run(
                    run_load(urls, upstream, pids, args.subscribers, args.cohorts, args.refresh)
                )
    report(results, args)


@contextlib.contextmanager
def _redis() -> Any:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


def report(results: dict[int, dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"{args.subscribers} subscribers in {args.cohorts} cohorts over {len(DOMAINS)} REST resources,"
        f" refresh every {args.refresh} s\n"
    )
    keys = list(results[1])
    print("| | one worker | three replicas, Redis |")
    print("|---|---|---|")
    for key in keys:
        cells = [_shown(results[r][key]) for r in (1, 3)]
        print(f"| {key} | {cells[0]} | {cells[1]} |")
    print(f"\nGoals: {GOALS}.")


def _shown(value: Any) -> str:
    return f"{value:,.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
