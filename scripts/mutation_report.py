"""The mutation score and the surviving mutants, from mutmut's results, as a Markdown report.

A mutant listed in docs/testing.md's table of equivalent mutants (a change no test can see,
with the reason) counts as neither killed nor survived. The score is killed / (checked - equivalent),
per part: the gateway (gql/ and resolvers/) and the local backend.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / ".cache" / "mutation" / "report.md"
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
NOT_RUN = {"not checked", "skipped", "check was interrupted by user"}
PARTS = {"gateway": ("gql.", "resolvers."), "local backend": ("local_backend.",)}
_EQUIVALENT = re.compile(r"^\|\s*`([\w.ǁ]+__mutmut_\d+)`\s*\|", re.MULTILINE)


def results() -> dict[str, str]:
    """Every mutant's status, from ``mutmut results --all true``."""
    output = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mutmut"), "results", "--all", "true"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    statuses = {}
    for line in output.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            statuses[name] = status
    return statuses


def equivalents() -> set[str]:
    """The mutants docs/testing.md judges equivalent (its table's first column)."""
    return set(_EQUIVALENT.findall((ROOT / "docs" / "testing.md").read_text(encoding="utf-8")))


def part_of(name: str) -> str:
    return next(part for part, prefixes in PARTS.items() if name.startswith(prefixes))


def report(statuses: dict[str, str], patterns: list[str], equivalent: set[str]) -> tuple[str, bool]:
    chosen = {
        name: status
        for name, status in statuses.items()
        if status not in NOT_RUN and any(fnmatch.fnmatch(name, p) for p in patterns)
    }
    lines = ["# Mutation report", "", f"Modules: {' '.join(patterns)}", ""]
    lines += ["| part | killed | survived | equivalent | score |", "|---|---|---|---|---|"]
    for part in PARTS:
        mine = {n: s for n, s in chosen.items() if part_of(n) == part}
        if not mine:
            continue
        same = sum(1 for n in mine if n in equivalent)
        killed = sum(1 for n, s in mine.items() if s in KILLED and n not in equivalent)
        counted = len(mine) - same
        score = 100 * killed / counted if counted else 100.0
        lines.append(f"| {part} | {killed} | {counted - killed} | {same} | {score:.1f}% |")
    survivors = sorted(n for n, s in chosen.items() if s not in KILLED and n not in equivalent)
    kinds = Counter(chosen[n] for n in survivors)
    lines += ["", f"## Surviving mutants ({len(survivors)}: {dict(kinds)})", ""]
    lines += [f"- `{name}` ({chosen[name]}): `mutmut show {name}`" for name in survivors]
    return "\n".join(lines) + "\n", bool(chosen)


def main(patterns: list[str]) -> int:
    text, any_checked = report(results(), patterns or ["*"], equivalents())
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    print(text.split("## Surviving")[0].rstrip())
    print(f"\nsurviving mutants listed in {REPORT.relative_to(ROOT)}")
    return 0 if any_checked else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
