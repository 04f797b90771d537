"""Run mutmut over the named modules, checking only the mutants that have no result yet.

mutmut 3.8 runs again every mutant a name pattern matches, killed or not: a second run over a
module started from the beginning instead of carrying on, and a bounded run never got past the
mutants it had already checked. This keeps mutmut's own filter for patterns and drops mutants that
already have a result (a function changed since its run has none: mutmut resets it). A mutant named
exactly, without a wildcard, is checked again as mutmut intends.

Usage: ``python scripts/mutation_run.py PATTERN...`` (``gql.*``, ``resolvers.stats.*``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import mutmut.__main__ as mutmut_main


def only_unchecked(collect: Callable[..., tuple[list[Any], dict[str, Any]]]) -> Callable[..., Any]:
    """Wrap mutmut's mutant selection so that patterns pick only mutants without a result."""

    def collect_unchecked(*, mutant_names: tuple[str, ...] | list[str]) -> tuple[list[Any], dict[str, Any]]:
        mutants, by_path = collect(mutant_names=mutant_names)
        exact = {name for name in mutant_names if "*" not in name and "?" not in name}
        chosen = [(data, name, result) for data, name, result in mutants if result is None or name in exact]
        print(f"    {len(chosen)} of {len(mutants)} matching mutants have no result yet", flush=True)
        return chosen, by_path

    return collect_unchecked


def main(patterns: list[str]) -> None:
    mutmut_main.collect_source_file_mutation_data = only_unchecked(
        mutmut_main.collect_source_file_mutation_data
    )
    mutmut_main.cli(["run", *patterns])


if __name__ == "__main__":
    main(sys.argv[1:])
