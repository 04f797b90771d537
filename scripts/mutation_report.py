"""The mutation score and the surviving mutants, from mutmut's results, as a Markdown report.

A surviving mutant is *equivalent* when no caller could tell it from the original. Two kinds are
recognised from the mutant's own diff, by rule:

- ``sql-case``: only the letter case of an SQL string in the local backend changed; SQLite's
  keywords and identifiers are case-insensitive.
- ``header-case``: only the letter case of an HTTP header's name changed; header names are
  case-insensitive (RFC 9110 §5.1), and Starlette and httpx read and write them so.
- ``zip-strict``: ``zip(..., strict=True)`` lost its ``strict``; the lengths are equal by
  construction there, and ``strict`` only guards against a bug that cannot happen.

Others are judged by hand and listed, each with its reason, in docs/testing.md's table. Both
count as neither killed nor survived. The score is killed / (checked - equivalent), per part: the
gateway (gql/ and resolvers/) and the local backend. ``--equivalents FILE`` writes the mutants
the rules found, with their rule, to FILE (docs/mutation-equivalents.md holds the last run's).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import math
import re
import subprocess
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / ".cache" / "mutation" / "report.md"
SAMPLE = ROOT / ".cache" / "mutation" / "sample.txt"  # written by scripts/mutation_run.py --sample
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
NOT_RUN = {"not checked", "skipped", "check was interrupted by user"}
PARTS = {"gateway": ("gql.", "resolvers."), "local backend": ("local_backend.",)}
_EQUIVALENT = re.compile(r"^\|\s*`([\w.ǁ]+__mutmut_\d+)`\s*\|", re.MULTILINE)
_SQL = re.compile(
    r"\b(SELECT|FROM|WHERE|GROUP BY|ORDER BY|INSERT|CREATE|DELETE|UPDATE|JOIN|SUM|COUNT|MAX|MIN)\b", re.I
)


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


def judged_equivalent() -> set[str]:
    """The mutants docs/testing.md judges equivalent by hand (its table's first column)."""
    return set(_EQUIVALENT.findall((ROOT / "docs" / "testing.md").read_text(encoding="utf-8")))


class Diffs:
    """The changed lines of each mutant, read from mutmut's mutated copy of its module."""

    def __init__(self) -> None:
        self._functions: dict[str, dict[str, str]] = {}

    def _module(self, module: str) -> dict[str, str]:
        if module not in self._functions:
            path = ROOT / "mutants" / (module.replace(".", "/") + ".py")
            source = path.read_text(encoding="utf-8") if path.is_file() else ""
            functions = {}
            lines = source.splitlines(keepends=True)  # once: ast.get_source_segment splits per call
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
                    functions[node.name] = "".join(lines[node.lineno - 1 : node.end_lineno])
            self._functions[module] = functions
        return self._functions[module]

    def changed(self, name: str) -> tuple[list[str], list[str]]:
        """(original lines, mutant lines) that differ."""
        module, _, function = name.rpartition(".")
        functions = self._module(module)
        mutant = functions.get(function, "")
        original = functions.get(re.sub(r"__mutmut_\d+$", "__mutmut_orig", function), "")
        before = [line.strip() for line in original.splitlines()[1:]]
        after = [line.strip() for line in mutant.splitlines()[1:]]
        # Line by line only: ndiff's character-level matching took minutes over a few hundred mutants.
        removed: list[str] = []
        added: list[str] = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if tag != "equal":
                removed += before[i1:i2]
                added += after[j1:j2]
        return removed, added


_LITERAL = re.compile(r"""b?(["'])(.*?)\1""")
HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "age",
        "authorization",
        "cache-control",
        "content-length",
        "content-type",
        "retry-after",
        "traceparent",
        "x-request-id",
        "x-upstream-report",
        "apollo-federation-include-trace",
    }
)


def _case_changed_literal(old: str, new: str) -> str | None:
    """The one string literal whose letter case alone differs between the lines, if that is all."""
    if old == new or old.lower() != new.lower():
        return None
    pairs = list(zip(_LITERAL.findall(old), _LITERAL.findall(new), strict=False))
    changed = [a[1] for a, b in pairs if a[1] != b[1]]
    return changed[0] if len(changed) == 1 else None


def rule(name: str, before: list[str], after: list[str]) -> str | None:
    """The equivalence rule a mutant's diff meets, if any."""
    if len(before) != 1 or len(after) != 1:
        return None
    old, new = before[0], after[0]
    literal = _case_changed_literal(old, new)
    if literal is not None and name.startswith("local_backend.") and _SQL.search(literal):
        return "sql-case"
    if literal is not None and literal.lower() in HEADERS:
        return "header-case"
    if "strict=True" in old and re.sub(r",?\s*strict=\w*", "", old) == re.sub(r",?\s*strict=\w*", "", new):
        return "zip-strict"
    return None


def report(statuses: dict[str, str], patterns: list[str], by_hand: set[str]) -> tuple[str, dict[str, str]]:
    chosen = {
        name: status
        for name, status in statuses.items()
        if status not in NOT_RUN and any(fnmatch.fnmatch(name, p) for p in patterns)
    }
    diffs = Diffs()
    by_rule = {}
    for name, status in chosen.items():
        if status not in KILLED and name not in by_hand and (found := rule(name, *diffs.changed(name))):
            by_rule[name] = found
    equivalent = by_hand | set(by_rule)
    lines = ["# Mutation report", "", f"Modules: {' '.join(patterns)}", ""]
    lines += ["| part | killed | survived | equivalent | score |", "|---|---|---|---|---|"]
    for part, prefixes in PARTS.items():
        mine = {n: s for n, s in chosen.items() if n.startswith(prefixes)}
        if not mine:
            continue
        same = sum(1 for n in mine if n in equivalent)
        killed = sum(1 for n, s in mine.items() if s in KILLED and n not in equivalent)
        counted = len(mine) - same
        score = 100 * killed / counted if counted else 100.0
        lines.append(f"| {part} | {killed} | {counted - killed} | {same} | {score:.1f}% |")
    lines += _whole_part_estimate(statuses, patterns, chosen, equivalent)
    survivors = sorted(n for n, s in chosen.items() if s not in KILLED and n not in equivalent)
    kinds = Counter(chosen[n] for n in survivors)
    lines += ["", f"## Surviving mutants ({len(survivors)}: {dict(kinds)})", ""]
    for name in survivors:
        before, after = diffs.changed(name)
        lines.append(
            f"- `{name}` ({chosen[name]}): `{' / '.join(before)[:140]}` -> `{' / '.join(after)[:140]}`"
        )
    return "\n".join(lines) + "\n", by_rule


def _whole_part_estimate(
    statuses: dict[str, str], patterns: list[str], chosen: dict[str, str], equivalent: set[str]
) -> list[str]:
    """Each part's score over all its mutants, checked or not, estimated from the random sample
    ``scripts/mutation_run.py --sample`` checked (``.cache/mutation/sample.txt``): the unchecked
    mutants and the sample are taken to score as the sample did. 95% interval by the normal
    approximation to the sample's kill rate."""
    if not SAMPLE.is_file():
        return []
    sample = set(SAMPLE.read_text(encoding="utf-8").split())
    lines = ["", "Estimated over every mutant, from a random sample of the unchecked ones:", ""]
    lines += ["| part | mutants | checked in order | sampled | estimated score |", "|---|---|---|---|---|"]
    for part, prefixes in PARTS.items():
        mine = [
            n for n in statuses if n.startswith(prefixes) and any(fnmatch.fnmatch(n, p) for p in patterns)
        ]
        sampled = [n for n in mine if n in sample and n in chosen and n not in equivalent]
        if not sampled:
            continue
        ordered = [n for n in mine if n in chosen and n not in sample]
        rest = len(mine) - len(ordered)  # the unchecked ones, the sample among them
        killed_ordered = sum(1 for n in ordered if chosen[n] in KILLED and n not in equivalent)
        counted_ordered = sum(1 for n in ordered if n not in equivalent)
        rate = sum(1 for n in sampled if chosen[n] in KILLED) / len(sampled)
        share_counted = len(sampled) / sum(1 for n in mine if n in sample and n in chosen)
        counted_rest = rest * share_counted
        total = counted_ordered + counted_rest
        score = (killed_ordered + counted_rest * rate) / total
        margin = 1.96 * math.sqrt(rate * (1 - rate) / len(sampled)) * counted_rest / total
        lines.append(
            f"| {part} | {len(mine)} | {len(ordered)} | {len(sampled)} of {rest} |"
            f" {100 * score:.1f}% ± {100 * margin:.1f} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("patterns", nargs="*", default=["*"])
    parser.add_argument("--equivalents", type=Path, help="write the rule-judged equivalent mutants here")
    args = parser.parse_args()
    text, by_rule = report(results(), args.patterns, judged_equivalent())
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    if args.equivalents:
        rows = [
            "| mutant | rule |",
            "|---|---|",
            *(f"| {name} | {why} |" for name, why in sorted(by_rule.items())),
        ]
        args.equivalents.write_text(
            "# Equivalent mutants found by rule\n\nWritten by `scripts/mutation_report.py --equivalents`;"
            " the rules are in its docstring.\n\n" + "\n".join(rows) + "\n",
            encoding="utf-8",
        )
    print(text.split("## Surviving")[0].rstrip())
    print(f"\nsurviving mutants listed in {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
