"""Backend figures: data generation time, database size and per-endpoint median latency.

Run with ``uv run python -m bench.backend``. Latency is measured in-process through httpx's
ASGI transport (routing, SQL, JSON encoding; no socket), as the median of several calls after
a warm-up call, for the heaviest parameters the contract allows at the default data size:
365-day windows and 50-entity breakdowns with series.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings

HEAVY = "scope=org&window=365d"
BREAKDOWN = "scope=org&window=365d&includeSeries=true&limit=50"
CASES = (
    f"/v2/stats/storage?{HEAVY}",
    "/v2/stats/storage?scope=org&window=7d&timeBucketSize=5m",
    f"/v2/stats/storage/breakdown/repos?{BREAKDOWN}",
    f"/v2/stats/storage/breakdown/buckets?{BREAKDOWN}",
    f"/v2/stats/storage/breakdown/providers?{BREAKDOWN}",
    f"/v2/stats/ai?{HEAVY}",
    "/v2/stats/ai?scope=org&window=90d&timeBucketSize=1h",
    f"/v2/stats/ai/breakdown/repos?{BREAKDOWN}",
    "/v2/stats/ai/breakdown/repos?scope=org&window=24h&includeSeries=true&limit=50",
    f"/v2/stats/private-chat?{HEAVY}",
    f"/v2/stats/private-chat/breakdown/models?{BREAKDOWN}",
    f"/v2/stats/private-chat/breakdown/users?{BREAKDOWN}",
    f"/v2/stats/policies?{HEAVY}",
    f"/v2/stats/policies/tokens?{HEAVY}",
    f"/v2/stats/policies/breakdown/users?{BREAKDOWN}",
    f"/v2/stats/policies/breakdown/rules?{BREAKDOWN}",
    f"/v2/stats/credits?{HEAVY}",
    f"/v2/stats/credits/breakdown/repos?{BREAKDOWN}",
    "/stats/daily?",
    "/stats/minute?",
    "/aistats/daily?",
    "/aistats/minute?",
    "/ai/llm/stats",
    "/credits/stats/monthly?months=24",
)


async def measure(app: object, runs: int) -> list[tuple[str, float, int]]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    results = []
    async with httpx.AsyncClient(
        transport=transport, base_url="http://backend", headers={"Authorization": "Bearer demo"}
    ) as client:
        for path in CASES:
            (await client.get(path)).raise_for_status()
            times = []
            size = 0
            for _ in range(runs):
                started = time.perf_counter()
                response = await client.get(path)
                times.append(time.perf_counter() - started)
                size = len(response.content)
            results.append((path, statistics.median(times) * 1000, size))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--now", default="2026-11-20T15:07:00Z")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite3"
        settings = BackendSettings.from_env({}, db_path=str(db), now=args.now)
        started = time.perf_counter()
        app = create_backend_app(settings)
        generation = time.perf_counter() - started
        size_mb = db.stat().st_size / 1e6
        print(f"data generation: {generation:.1f} s (limit 30 s)")
        print(f"database size:   {size_mb:.0f} MB (limit 300 MB)")
        results = asyncio.run(measure(app, args.runs))
    print(f"\n{'median ms':>9}  {'bytes':>9}  endpoint")
    for path, median, size in results:
        flag = "" if median < 50 else "  <-- over 50 ms"
        print(f"{median:9.1f}  {size:9d}  {path}{flag}")
    worst = max(r[1] for r in results)
    print(f"\nslowest median: {worst:.1f} ms (limit 50 ms)")


if __name__ == "__main__":
    main()
