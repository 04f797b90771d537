"""Gateway figures: upstream calls and server time for the reference dashboard and for a 50-entity,
144-point breakdown in row and chart form, each against ``orjson.dumps`` of the same data in the
same run; and the upstream body parser against the standard library's.

Run with ``uv run python -m bench.gateway``. Requests go through httpx's ASGI transport to the
gateway, which reaches the local backend in-process, so "server" is the whole request: routing,
upstream calls, parsing, execution and encoding. "Gateway" leaves out the upstream's own work:
the same queries run again with every upstream answer replayed from memory. Ratios are what to
compare across machines.
"""

from __future__ import annotations

import asyncio
import functools
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from bench.common import arguments, fresh_backend
from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings

FIELDS = "ts violations alerts blocks severityLow severityMedium severityHigh"
BREAKDOWN = "{ stats(window: LAST_24H) { policies { breakdown(by: USERS, limit: 50) { entities { entityId %s } } } } }"
CASES = {
    "reference dashboard (limit 50)": REFERENCE_QUERY,
    "breakdown 50 x 144, row form": BREAKDOWN % f"series {{ {FIELDS} }}",
    "breakdown 50 x 144, chart form": BREAKDOWN % f"columns {{ {FIELDS} }}",
    # The same upstream call and parsing, with almost nothing executed: the baseline of both forms.
    "breakdown 50 x 144, baseline": BREAKDOWN % "summary(metric: VIOLATIONS) { total }",
}


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers each upstream request from memory once it has been seen: what remains is the gateway."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.seen: dict[str, tuple[int, bytes]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = str(request.url)
        if key not in self.seen:
            response = await self.inner.handle_async_request(request)
            self.seen[key] = (response.status_code, await response.aread())
        status, content = self.seen[key]
        return httpx.Response(status, content=content, headers={"content-type": "application/json"})


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def values_in(data: Any) -> int:
    if isinstance(data, dict):
        return sum(values_in(v) for v in data.values())
    if isinstance(data, list):
        return sum(values_in(v) for v in data) if data and isinstance(data[0], dict | list) else len(data)
    return 1


async def timed(app: Any, query: str, runs: int) -> tuple[float, dict[str, Any]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=120) as client:
        body, headers = {"query": query}, {"X-Upstream-Report": "1"}
        (await client.post("/graphql", json=body, headers=headers)).raise_for_status()
        times = []
        answer: dict[str, Any] = {}
        for _ in range(runs):
            started = time.perf_counter()
            response = await client.post("/graphql", json=body, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            answer = response.json()
            assert "errors" not in answer, answer["errors"]
        return statistics.median(times), answer


async def measure(live: Any, replayed: Any, runs: int) -> list[dict[str, Any]]:
    results = []
    for name, query in CASES.items():
        server, answer = await timed(live, query, runs)
        gateway, _ = await timed(replayed, query, runs)
        data = answer["data"]
        dumps = median_ms(functools.partial(orjson.dumps, data), max(runs, 20))
        results.append(
            {
                "case": name,
                "calls": answer["extensions"]["upstream"]["count"],
                "values": values_in(data),
                "server": server,
                "gateway": gateway,
                "dumps": dumps,
            }
        )
    return results


def parser_figures(app: Any) -> tuple[int, float, float]:
    async def fetch() -> bytes:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client:
            response = await client.get(
                "/v2/stats/storage?scope=org&window=7d&timeBucketSize=5m",
                headers={"Authorization": "Bearer demo"},
            )
            return response.content

    body = asyncio.run(fetch())
    return len(body), median_ms(lambda: orjson.loads(body), 50), median_ms(lambda: json.loads(body), 50)


def main() -> None:
    args = arguments(__doc__)
    with fresh_backend(args.now) as backend:
        live = create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend))
        replayed = create_app(GatewaySettings(response_cache=False), transport=ReplayTransport(backend))
        results = asyncio.run(measure(live, replayed, args.runs))
        size, fast, slow = parser_figures(backend)
    print(
        f"{'case':<32} {'calls':>5} {'values':>7} {'server ms':>9} {'gateway ms':>10} {'orjson ms':>9} {'ratio':>6}"
    )
    for r in results:
        ratio = r["gateway"] / r["dumps"]
        print(
            f"{r['case']:<32} {r['calls']:>5} {r['values']:>7} {r['server']:>9.1f} {r['gateway']:>10.1f}"
            f" {r['dumps']:>9.2f} {ratio:>6.0f}"
        )
    row, chart, baseline = (r["gateway"] for r in results[1:4])
    print(f"\nrow form / chart form, gateway time: {row / chart:.1f}x")
    print(
        f"execution beyond the baseline: row {row - baseline:.1f} ms, chart {chart - baseline:.1f} ms"
        f" ({(row - baseline) / max(chart - baseline, 0.1):.0f}x)"
    )
    print(
        f"parser on a {size / 1000:.0f} KB upstream body: orjson {fast:.2f} ms, json {slow:.2f} ms"
        f" ({slow / fast:.1f}x)"
    )


if __name__ == "__main__":
    main()
