"""What period-over-period costs: a KPI dashboard with comparisons against the same without. Not in CI.

The dashboard is six tiles, one per time series (storage, AI, private chat, policies, policy
tokens, credits), each a sparkline and its summary over the last 24 hours. With comparisons, each
tile also shows how its main metric moved from the 24 hours before. Over REST that is twelve
calls; here each tile's comparison and sparkline come from one call of the longer window.

One gateway, a replay upstream (``bench.replay``) so the gateway's own CPU shows, ``wrk`` loading
the two documents in alternating rounds so both see the machine in the same state. Printed: the
upstream calls of each document (counted by the replay server), and the gateway's CPU per request
for each, round by round, with their ratio (the goal: at most 1.3).

    uv run python -m bench.comparison --rounds 6
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import PINNED_NOW
from bench.speed import Load, free_port, gateway_command, post, started, upstream_calls, wrk
from local_backend.settings import BackendSettings
from local_backend.store import Store

TILES = [
    ("storage", "timeSeries", "ts requests", "REQUESTS"),
    ("ai", "timeSeries", "ts tokensIn", "TOKENS_IN"),
    ("privateChat", "timeSeries", "ts requests", "REQUESTS"),
    ("policies", "timeSeries", "ts violations", "VIOLATIONS"),
    ("policies", "tokens", "ts policyTokensIn", "POLICY_TOKENS_IN"),
    ("credits", "timeSeries", "ts creditsTotal", "CREDITS_TOTAL"),
]
GOAL = 1.3


def dashboard(compared: bool, window: str = "LAST_24H") -> str:
    """The six tiles; with ``compared``, each with its main metric's change."""
    tiles = []
    for index, (domain, series, columns, metric) in enumerate(TILES):
        change = f" comparison {{ change(metric: {metric}) {{ current previous percent direction }} }}"
        tiles.append(
            f"t{index}: {domain} {{ {series} {{ columns {{ {columns} }} summary {{ total }}"
            f"{change if compared else ''} }} }}"
        )
    return f"{{ stats(window: {window}) {{ {' '.join(tiles)} }} }}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6, help="load rounds per document")
    parser.add_argument("--seconds", type=int, default=4, help="seconds per round")
    parser.add_argument(
        "--window", default="LAST_24H", help="the dashboard's window (its default bucket size)"
    )
    parser.add_argument(
        "--cache", action="store_true", help="with the response cache on, as the gateway runs by default"
    )
    args = parser.parse_args()
    documents = {"plain": dashboard(False, args.window), "compared": dashboard(True, args.window)}
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "comparison.sqlite3"
        backend = BackendSettings.from_env({}, db_path=str(db), now=PINNED_NOW)
        Store(backend.db_path, backend.seed).ensure(backend.now())
        upstream_port, port = free_port(), free_port()
        upstream = f"http://127.0.0.1:{upstream_port}"
        command, env = gateway_command(port, upstream, cache=args.cache)
        with (
            started(
                [sys.executable, "-m", "bench.replay", str(upstream_port), str(db), PINNED_NOW], upstream_port
            ),
            started(command, port, env) as pid,
        ):
            url = f"http://127.0.0.1:{port}"
            calls = {name: upstream_calls(upstream, url, query) for name, query in documents.items()}
            for query in documents.values():
                post(url, query)
                wrk(url, query, 2, pid, 16)
            loads: dict[str, list[Load]] = {name: [] for name in documents}
            for round_number in range(args.rounds):
                order = list(documents) if round_number % 2 == 0 else list(reversed(documents))
                for name in order:
                    loads[name].append(wrk(url, documents[name], args.seconds, pid, 16))
    report(calls, loads, args)


def report(calls: dict[str, int], loads: dict[str, list[Load]], args: argparse.Namespace) -> None:
    cache = "on" if args.cache else "off"
    print(
        f"KPI dashboard of {len(TILES)} tiles over {args.window}, response cache {cache},"
        f" {args.rounds} rounds of {args.seconds} s\n"
    )
    print("| document | upstream calls | CPU per request, median [min-max] | req/s, median |")
    print("|---|---|---|---|")
    for name in loads:
        cpu = [load.cpu_ms for load in loads[name]]
        rate = statistics.median(load.per_second for load in loads[name])
        label = "with comparisons" if name == "compared" else "without"
        print(
            f"| {label} | {calls[name]} | {statistics.median(cpu):.3f} ms [{min(cpu):.3f}-{max(cpu):.3f}] | {rate:,.0f} |"
        )
    ratios = [c.cpu_ms / p.cpu_ms for c, p in zip(loads["compared"], loads["plain"], strict=True)]
    print(
        f"\nCPU per request, with / without comparisons, by round: {' '.join(f'{r:.3f}' for r in ratios)};"
        f" median {statistics.median(ratios):.3f} (goal: at most {GOAL})"
    )


if __name__ == "__main__":
    main()
