"""Federated entity resolution: calls and server time of one scoped call per entity against one
breakdown for all, for N = 1, 10 and 100 repos asking for their AI time series.

Run with ``uv run python -m bench.federation``. The gateway runs in-process over the local
backend (no sockets); "auto" is the rule in ``resolvers.entity_batch`` (which answers N = 1 with a
scoped call), "breakdown" uses the breakdown whatever N, "per entity" never does.
Times are medians of several runs; compare strategies within one run.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx

from bench.common import arguments, fresh_backend
from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from resolvers import entity_batch

QUERY = (
    "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Repo { id stats(window: LAST_30D)"
    " { ai { timeSeries { summary { total } columns { ts tokensIn tokensOut requests latencyMs } } } } } } }"
)


async def run(app: Any, repos: list[str], runs: int) -> tuple[int, float]:
    variables = {"reps": [{"__typename": "Repo", "id": r} for r in repos]}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=120) as client:
        times, calls = [], 0
        for _ in range(runs + 1):
            started = time.perf_counter()
            response = await client.post(
                "/graphql", json={"query": QUERY, "variables": variables}, headers={"X-Upstream-Report": "1"}
            )
            times.append((time.perf_counter() - started) * 1000)
            body = response.json()
            assert "errors" not in body, body["errors"]
            calls = body["extensions"]["upstream"]["count"]
        return calls, statistics.median(times[1:])


def main() -> None:
    args = arguments(__doc__)
    with fresh_backend(args.now) as backend:

        async def repo_ids() -> list[str]:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=backend), base_url="http://b"
            ) as c:
                body = (
                    await c.get(
                        "/v2/stats/ai/breakdown/repos?scope=org&window=30d&limit=500",
                        headers={"Authorization": "Bearer demo"},
                    )
                ).json()
                return [e["entityId"] for e in body["entities"]]

        repos = asyncio.run(repo_ids())
        per_entity = create_app(
            GatewaySettings(entity_batching="never", max_upstream_calls=500, response_cache=False),
            transport=httpx.ASGITransport(app=backend),
        )
        auto = create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend))
        always = create_app(
            GatewaySettings(entity_batching="always", max_upstream_calls=500, response_cache=False),
            transport=httpx.ASGITransport(app=backend),
        )
        print(
            f"breakdown size: {len(repos)} repos; rule: from N >= {entity_batch.MIN_ENTITIES}, one page of"
            f" {entity_batch.TOTAL_PER_ENTITY} x N entities (at most {entity_batch.PAGE}), then the missing ones\n"
        )
        print(f"{'N':>4}  {'strategy':<11} {'calls':>5} {'server ms':>9}")
        for n in (1, 3, 10, 100):
            chosen = repos[:n]
            for name, app in (("per entity", per_entity), ("breakdown", always), ("auto", auto)):
                calls, ms = asyncio.run(run(app, chosen, args.runs))
                print(f"{n:>4}  {name:<11} {calls:>5} {ms:>9.1f}")


if __name__ == "__main__":
    main()
