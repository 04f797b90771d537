"""CPU to analyse the worst documents the limits admit, and how it grows with their size. Not in CI.

Analysis is what happens before any upstream call: parsing under the token limit, measuring the
shape, validating (the overlapping-fields rule on its merged copy), the cost walk. Every document
here is one a client can send within the body and token limits, built to make one pass or another
do the most work it can: many fields in one selection, many copies of one nested field, many
fragments, fragments spreading fragments. Each is analysed from a fresh cache (no step is saved),
and the median CPU of ``--runs`` is printed beside the goal (20 ms for any admitted document).

Then the growth law: the same shapes at half and full size. Linear work doubles; the printed ratio
is the full size's time over the half size's (2.0 is linear, 4.0 quadratic).

Last, memory over 10,000 distinct refused documents through one document cache: it must stay flat
(a refusal is kept without its parse's tracebacks, and tokens hold no cycles).

Run with ``uv run python -m bench.analysis``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from graphql import OperationDefinitionNode

from bench.abuse import bomb
from gql.pipeline import cost
from gql.pipeline.documents import DocumentCache, check_variables
from gql.pipeline.engine import schema
from gql.pipeline.failures import RequestFailure
from gql.pipeline.limits import Limits

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = (ROOT / "gql" / "server" / "reference_query.graphql").read_text()
GOAL_MS = 20.0


def many_fields(count: int) -> str:
    """``count`` copies of one leaf in one selection."""
    return "{ stats(window: LAST_7D) { " + " ".join(["window"] * count) + " } }"


def nested_copies(count: int) -> str:
    """``count`` unaliased copies of one nested field: merged by execution, compared by validation."""
    return (
        "{ stats(window: LAST_7D) { " + " ".join(["ai { timeSeries { summary { total } } }"] * count) + " } }"
    )


def variable_copies(count: int) -> str:
    """``count`` copies of a nested field whose argument is a variable: the variables' rules walk too."""
    body = " ".join(["ai(model: $m) { timeSeries { summary { total } } }"] * count)
    return f"query Q($m: String) {{ stats(window: LAST_7D) {{ {body} }} }}"


def side_by_side(count: int) -> str:
    """``count`` fragments, each spread once, side by side."""
    spreads = " ".join(f"...F{i}" for i in range(count))
    fragments = "\n".join(f"fragment F{i} on Stats {{ window }}" for i in range(count))
    return f"{{ stats(window: LAST_7D) {{ {spreads} }} }}\n{fragments}"


def tokens_cap(count: int) -> str:
    """A document just past the token limit: parsing stops there."""
    return "{ " + "a " * count + "}"


def analyse(text: str) -> str:
    """Parse, measure, validate and estimate ``text`` from nothing; the refusal's code, or "—"."""
    documents = DocumentCache(schema._schema, 10, Limits())
    try:
        prepared = documents.prepare(text)
    except RequestFailure as failure:
        return failure.code
    operation = next(d for d in prepared.document.definitions if isinstance(d, OperationDefinitionNode))
    try:
        variables = check_variables(schema._schema, operation, {"m": "gpt-4o"} if "$m" in text else {})
        cost.estimate(schema._schema, prepared.document, operation, variables)
    except RequestFailure as failure:
        return failure.code
    return "—"


def cpu_ms(text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.process_time()
        analyse(text)
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


# Each shape at the largest size the default limits admit (tokens and fields): ``window`` is one
# token and one field; a nested copy 10 tokens and 4 fields; a fragment 8 tokens and 1 field.
_LIMITS = Limits()
CASES: list[tuple[str, Callable[[int], str], int]] = [
    ("fields in one selection", many_fields, min(_LIMITS.max_fields - 1, _LIMITS.max_tokens - 10)),
    (
        "copies of ai { timeSeries { summary { total } } }",
        nested_copies,
        min(_LIMITS.max_fields // 4 - 1, (_LIMITS.max_tokens - 10) // 10),
    ),
    (
        "copies of ai(model: $m) { timeSeries { summary { total } } }",
        variable_copies,
        min(_LIMITS.max_fields // 4 - 1, (_LIMITS.max_tokens - 20) // 16),
    ),
    ("fragments side by side", side_by_side, min(_LIMITS.max_fields - 1, (_LIMITS.max_tokens - 10) // 10)),
    ("fragments spreading the next twice, levels", lambda levels: bomb(levels, 2), 22),
    ("tokens, past the limit", tokens_cap, _LIMITS.max_tokens + 100),
]


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def refusals_rss(count: int) -> tuple[float, float, float]:
    """RSS before, after half and after ``count`` distinct refused documents, each past the token
    limit, through one document cache of the default bounds (every refusal is kept, so the cache
    fills and evicts as it would in a worker)."""
    documents = DocumentCache(schema._schema, 4_096, Limits())
    filler = "a " * (Limits().max_tokens + 50)
    before = _rss_mb()
    middle = before
    for i in range(count):
        with contextlib.suppress(RequestFailure):
            documents.prepare(f"query Q{i} {{ {filler}}}")
        if i == count // 2:
            middle = _rss_mb()
    return before, middle, _rss_mb()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    print(f"{'document':<62} {'bytes':>7} {'refused with':<18} {'CPU ms':>7} {'half':>7} {'ratio':>6}")
    for name, make, size in CASES:
        text = make(size)
        full = cpu_ms(text, runs)
        half = cpu_ms(make(size // 2), runs)
        label = f"{size:,} {name}"
        print(
            f"{label:<62} {len(text):>7,} {analyse(text):<18} {full:>7.1f} {half:>7.1f} {full / half:>6.2f}"
        )
    dashboard = cpu_ms(DASHBOARD, runs)
    print(f"{'the reference dashboard':<62} {len(DASHBOARD):>7,} {analyse(DASHBOARD):<18} {dashboard:>7.1f}")
    print(f"goal: every admitted document under {GOAL_MS:g} ms of CPU, and linear (ratio near 2)")
    before, middle, after = refusals_rss(10_000)
    print(
        f"RSS over 10,000 refused documents: {before:.0f} MB, {middle:.0f} MB after 5,000,"
        f" {after:.0f} MB after 10,000 (goal: flat)"
    )


if __name__ == "__main__":
    main()
