"""Before and after: the gateway of another checkout against this one, at the same time.

This machine's speed moves by up to a third from one run to the next, more than most changes are
worth. Two gateways, the other checkout's and this one's, run side by side on one replay upstream
(``bench.replay``), and ``wrk`` loads them in alternating rounds, so both see the machine in the
same state. Each round gives each gateway's CPU per request (its own process time over the
requests it answered); their ratio, round by round, is the figure to judge a change by.

    git worktree add /tmp/before HEAD~1
    uv run python -m bench.compare /tmp/before --query small --rounds 6

The other checkout runs with this checkout's Python environment. Not run in CI.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import PINNED_NOW
from bench.speed import CHART, ROW, SMALL, Load, free_port, gateway_command, post, started, wrk
from gql.server.graphiql import REFERENCE_QUERY
from local_backend.settings import BackendSettings
from local_backend.store import Store

QUERIES = {"small": SMALL, "chart": CHART, "row": ROW, "dashboard": REFERENCE_QUERY}
HERE = Path(__file__).parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("other", type=Path, help="the checkout to compare this one with")
    parser.add_argument("--query", choices=sorted(QUERIES), default="small")
    parser.add_argument("--rounds", type=int, default=6, help="load rounds per gateway")
    parser.add_argument("--seconds", type=int, default=4, help="seconds per round")
    args = parser.parse_args()
    query = QUERIES[args.query]
    connections = 32 if args.query == "small" else 16
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "compare.sqlite3"
        backend = BackendSettings.from_env({}, db_path=str(db), now=PINNED_NOW)
        Store(backend.db_path, backend.seed).ensure(backend.now())
        upstream_port = free_port()
        upstream = f"http://127.0.0.1:{upstream_port}"
        ports = {"other": free_port(), "this": free_port()}
        commands = {name: gateway_command(port, upstream, cache=False) for name, port in ports.items()}
        commands["other"] = (_module_of(args.other, commands["other"][0]), commands["other"][1])
        with (
            started(
                [sys.executable, "-m", "bench.replay", str(upstream_port), str(db), PINNED_NOW], upstream_port
            ),
            started(*_with_port(commands["other"], ports["other"]), cwd=args.other.resolve()) as other_pid,
            started(*_with_port(commands["this"], ports["this"]), cwd=HERE) as this_pid,
        ):
            pids = {"other": other_pid, "this": this_pid}
            urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            for name in ports:
                post(urls[name], query)
                wrk(urls[name], query, 2, pids[name], connections)
            loads: dict[str, list[Load]] = {"other": [], "this": []}
            for round_number in range(args.rounds):
                order = ("other", "this") if round_number % 2 == 0 else ("this", "other")
                for name in order:
                    loads[name].append(wrk(urls[name], query, args.seconds, pids[name], connections))
    report(loads, args)


def _module_of(checkout: Path, command: list[str]) -> list[str]:
    """The command's module as the other checkout names it: before the three rooms, ``gql.cli``."""
    if (checkout / "gql" / "server" / "cli.py").is_file():
        return command
    return [("gql.cli" if part == "gql.server.cli" else part) for part in command]


def _with_port(command: tuple[list[str], dict[str, str]], port: int) -> tuple[list[str], int, dict[str, str]]:
    return command[0], port, command[1]


def report(loads: dict[str, list[Load]], args: argparse.Namespace) -> None:
    print(f"{args.query} query, {args.rounds} alternating rounds of {args.seconds} s\n")
    print("| gateway | CPU per request, median [min-max] | req/s, median |")
    print("|---|---|---|")
    for name, label in (("other", str(args.other)), ("this", "this checkout")):
        cpu = [load.cpu_ms for load in loads[name]]
        rate = statistics.median(load.per_second for load in loads[name])
        print(f"| {label} | {statistics.median(cpu):.3f} ms [{min(cpu):.3f}-{max(cpu):.3f}] | {rate:,.0f} |")
    ratios = [other.cpu_ms / this.cpu_ms for other, this in zip(loads["other"], loads["this"], strict=True)]
    print(
        f"\nCPU per request, other / this, by round: {' '.join(f'{r:.3f}' for r in ratios)};"
        f" median {statistics.median(ratios):.3f} (above 1: this checkout is cheaper)"
    )


if __name__ == "__main__":
    main()
