"""Run mutmut over the named modules, checking only the mutants that have no result yet.

mutmut 3.8 runs again every mutant a name pattern matches, killed or not: a second run over a
module started from the beginning instead of carrying on, and a bounded run never got past the
mutants it had already checked. This keeps mutmut's own filter for patterns and drops mutants that
already have a result (a function changed since its run has none: mutmut resets it). A mutant named
exactly, without a wildcard, is checked again as mutmut intends.

``--sample N`` checks instead N mutants drawn at random (seeded by ``--seed``) from each part's
unchecked ones (the gateway, gql/ and resolvers/; the local backend), and writes their names to
``.cache/mutation/sample.txt``; ``--add-to-sample`` keeps the names an earlier sample left there,
so samples drawn over time make one larger sample. Mutants named exactly are checked as well.
mutmut runs the mutants it expects to be quickest first, so the mutants a bounded run has checked
are not a fair picture of those it has not; a uniform sample of the rest is, and
``scripts/mutation_report.py`` estimates the whole part's score from it.

Usage: ``python scripts/mutation_run.py [--sample N [--seed S] [--add-to-sample]] PATTERN...`` (``gql.*``,
``resolvers.stats.*``).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from typing import Any

import mutmut.__main__ as mutmut_main
from mutation_report import PARTS, SAMPLE  # this script's folder is on the path when it runs


def only_unchecked(
    collect: Callable[..., tuple[list[Any], dict[str, Any]]],
    sample: int | None = None,
    seed: int = 1,
    add_to_sample: bool = False,
    order: dict[str, float] | None = None,
) -> Callable[..., Any]:
    """Wrap mutmut's mutant selection so that patterns pick only mutants without a result, or a
    random ``sample`` of them per part; mutants named exactly are checked as well either way.
    ``order`` gets the rank each chosen mutant runs at: the named ones first, then the sample in a
    random order, so that a run stopped early has checked a uniform part of its sample."""

    def collect_unchecked(*, mutant_names: tuple[str, ...] | list[str]) -> tuple[list[Any], dict[str, Any]]:
        mutants, by_path = collect(mutant_names=mutant_names)
        exact = {name for name in mutant_names if "*" not in name and "?" not in name}
        named = [m for m in mutants if m[1] in exact]
        unchecked = [m for m in mutants if m[2] is None and m[1] not in exact]
        print(f"    {len(unchecked)} of {len(mutants)} matching mutants have no result yet", flush=True)
        if sample is None:
            return named + unchecked, by_path
        draw = random.Random(seed)
        picked = []
        for prefixes in PARTS.values():
            part = sorted((m for m in unchecked if m[1].startswith(prefixes)), key=lambda m: str(m[1]))
            picked += draw.sample(part, min(sample, len(part)))
        earlier = SAMPLE.read_text(encoding="utf-8") if add_to_sample and SAMPLE.is_file() else ""
        SAMPLE.parent.mkdir(parents=True, exist_ok=True)
        SAMPLE.write_text(earlier + "".join(f"{name}\n" for _, name, _ in picked), encoding="utf-8")
        print(f"    checking a random sample of {len(picked)}, listed in {SAMPLE}", flush=True)
        if order is not None:
            order.update({name: -1.0 for _, name, _ in named})
            order.update({name: draw.random() for _, name, _ in picked})
        return named + picked, by_path

    return collect_unchecked


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("patterns", nargs="+")
    parser.add_argument("--sample", type=int, help="check this many random unchecked mutants per part")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--add-to-sample",
        action="store_true",
        help="keep the mutants an earlier sample listed and add this one's (a larger sample over time)",
    )
    args = parser.parse_args()
    order: dict[str, float] = {}
    mutmut_main.collect_source_file_mutation_data = only_unchecked(
        mutmut_main.collect_source_file_mutation_data, args.sample, args.seed, args.add_to_sample, order
    )
    if args.sample is not None:
        # mutmut runs the quickest first (its estimate of a mutant's worst case); a sample runs in
        # the random order drawn above instead, so stopping early leaves no bias toward quick ones.
        mutmut_main.estimated_worst_case_time = lambda mutant_name: order.get(mutant_name, 0.0)
    mutmut_main.cli(["run", *args.patterns])


if __name__ == "__main__":
    main()
