"""Every pass over a document is linear in its size, whatever its fragments do.

Fragment graphs are generated (fan-out, depth, reuse, cycles) and the work each pass does is
counted, not timed: measuring visits each selection set once; the fields it reports are the exact
count of fields with fragments spread in place (checked against a brute-force expansion); the cost
walk visits no more fields than that; and the overlapping-fields rule, run on a merged copy,
agrees with graphql-core's own rule on every generated document.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import DocumentNode, FieldNode, FragmentDefinitionNode, SelectionSetNode, parse, validate
from graphql.execution.values import get_variable_values
from graphql.validation import OverlappingFieldsCanBeMergedRule
from hypothesis import given, settings
from hypothesis import strategies as st

from gql.pipeline import cost, limits
from gql.pipeline.engine import schema
from gql.pipeline.limits import Limits
from gql.pipeline.overlaps import OTHER_RULES, overlapping_fields
from tests.gateway import Gateway

SCHEMA = schema._schema
LEAVES = ("window", "bucketSize", "ai { timeSeries { summary { total } } }")


@st.composite
def fragment_graphs(draw: Any) -> str:
    """A document whose fragments on ``Stats`` spread each other: forwards (reuse, fan-out up to
    four copies of one spread), and sometimes backwards (a cycle, which validation refuses)."""
    count = draw(st.integers(1, 9))
    cycles = draw(st.booleans())
    parts = ["query { stats(window: LAST_7D) { ...F0 } }"]
    for i in range(count):
        body = [draw(st.sampled_from(LEAVES))]
        later = list(range(i + 1, count)) + (list(range(i + 1)) if cycles else [])
        for target in draw(st.lists(st.sampled_from(later), max_size=3)) if later else []:
            body += [f"...F{target}"] * draw(st.integers(1, 4))
        parts.append(f"fragment F{i} on Stats {{ {' '.join(body)} }}")
    return "\n".join(parts)


def _expanded(document: DocumentNode) -> int:
    """Fields with every fragment spread in place, by brute force (a cycle's back edge counts 0)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def walk(selection_set: SelectionSetNode | None, path: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if selection.kind == "field":
                total += 1 + walk(selection.selection_set, path)  # type: ignore[attr-defined]
            elif selection.kind == "inline_fragment":
                total += walk(selection.selection_set, path)  # type: ignore[attr-defined]
            else:
                name = selection.name.value  # type: ignore[attr-defined]
                if name in fragments and name not in path:
                    total += walk(fragments[name].selection_set, path | {name})
        return total

    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    return walk(operation.selection_set, frozenset())  # type: ignore[attr-defined]


def _selections_and_fields(document: DocumentNode) -> int:
    """Selection sets and fields written in the document: each is measured at most once."""
    found = 0
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        found += isinstance(node, SelectionSetNode | FieldNode)
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, tuple | list):
                stack += [v for v in value if hasattr(v, "keys")]
            elif hasattr(value, "keys") and not isinstance(value, dict):
                stack.append(value)
    return found


@settings(max_examples=150, deadline=None)
@given(fragment_graphs())
def test_measuring_visits_each_selection_set_once_and_counts_fields_exactly(text: str) -> None:
    document = parse(text)
    calls = [0]
    original = limits._Measurer.selections

    def counting(self: limits._Measurer, selection_set: SelectionSetNode | None) -> limits._Measure:
        calls[0] += 1
        return original(self, selection_set)

    limits._Measurer.selections = counting  # type: ignore[method-assign]
    try:
        shape = limits.measure(document)
    finally:
        limits._Measurer.selections = original  # type: ignore[method-assign]
    assert calls[0] <= _selections_and_fields(document)
    if not validate(SCHEMA, document, OTHER_RULES):  # a cycle is refused by validation, counted or not
        assert shape.fields == min(_expanded(document), 1 << 40)


@settings(max_examples=100, deadline=None)
@given(fragment_graphs())
def test_the_cost_walk_visits_no_more_fields_than_the_measure_admits(text: str) -> None:
    document = parse(text)
    if validate(SCHEMA, document, OTHER_RULES):
        return  # a cycle: refused before any walk
    shape = limits.measure(document)
    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    walk = cost.CostWalk(SCHEMA, document, get_variable_values(SCHEMA, (), {}), 500)  # type: ignore[arg-type]
    walk.run(operation)  # type: ignore[arg-type]
    assert walk._visits <= shape.fields


ARGUMENT = st.sampled_from(["", "(metric: REQUESTS)", "(metric: TOKENS_IN)"])


@st.composite
def overlapping_documents(draw: Any) -> str:
    """Repeated fields, some with differing arguments or aliases, directly and through fragments
    and inline fragments: the cases the overlapping-fields rule exists for."""

    def summaries() -> str:
        picked = draw(st.lists(st.tuples(st.sampled_from(["", "s: "]), ARGUMENT), min_size=1, max_size=3))
        return " ".join(f"{alias}summary{argument} {{ total }}" for alias, argument in picked)

    def ai() -> str:
        wrap = draw(st.sampled_from(["{}", "... on AiStats {{ {} }}", "...A"]))
        inner = f"timeSeries {{ {summaries()} }}"
        return inner if wrap == "...A" else wrap.format(inner)

    blocks = " ".join(f"ai {{ {ai()} }}" for _ in range(draw(st.integers(1, 4))))
    fragment = f"fragment A on AiStats {{ timeSeries {{ {summaries()} }} }}"
    text = f"{{ stats(window: LAST_7D) {{ {blocks} ...B }} }}\nfragment B on Stats {{ ai {{ {ai()} }} }}"
    return text + ("\n" + fragment if "...A" in text else "")


@settings(max_examples=300, deadline=None)
@given(overlapping_documents())
def test_the_linear_overlap_rule_agrees_with_graphql_core(text: str) -> None:
    document = parse(text)
    if validate(SCHEMA, document, OTHER_RULES):
        return
    ours = overlapping_fields(SCHEMA, document)
    theirs = validate(SCHEMA, document, [OverlappingFieldsCanBeMergedRule])
    assert bool(ours) == bool(theirs), (text, [e.message for e in ours], [e.message for e in theirs])


def _doubling(levels: int, copies: int) -> str:
    parts = ["query { stats(window: LAST_7D) { ...F0 } }"]
    for i in range(levels):
        parts.append(f"fragment F{i} on Stats {{ " + " ".join([f"...F{i + 1}"] * copies) + " }")
    parts.append(f"fragment F{levels} on Stats {{ ai {{ timeSeries {{ summary {{ total }} }} }} }}")
    return "\n".join(parts)


@pytest.mark.parametrize(("levels", "copies"), [(22, 2), (30, 4), (12, 8)])
def test_fragments_that_fan_out_are_refused_by_the_fields_limit(
    gateway: Gateway, levels: int, copies: int
) -> None:
    """The 941-byte and 1.6 KB documents that hung a worker, and one fanning out wider."""
    result = gateway.query(_doubling(levels, copies))
    assert {e["extensions"]["code"] for e in result.errors} == {"MAX_FIELDS_LIMIT"}
    assert "FLASHBACK_MAX_FIELDS" in result.errors[0]["message"]
    assert result.upstream["count"] == 0


def test_nested_repeated_fields_are_validated_and_answered(gateway: Gateway) -> None:
    """10 copies of ``ai`` each holding 10 copies of ``timeSeries``: 311 fields and 734 tokens,
    within the limits, valid; graphql-core's rule compares them in pairs, the merged copy at once.
    The answer is one series, from one call."""
    inner = "timeSeries { summary { total } } " * 10
    result = gateway.query("{ stats(window: LAST_7D) { " + f"ai {{ {inner}}} " * 10 + "} }")
    assert result.errors == []
    assert result.data["stats"]["ai"]["timeSeries"]["summary"]["total"] >= 0
    assert result.upstream["count"] == 1


def test_duplicate_fields_past_the_limit_are_refused_naming_it(gateway: Gateway) -> None:
    """Within the token limit, past the fields limit: refused by the fields limit, named."""
    most = Limits().max_fields
    result = gateway.query("{ stats(window: LAST_7D) { " + "window " * (most + 100) + "} }")
    assert {e["extensions"]["code"] for e in result.errors} == {"MAX_FIELDS_LIMIT"}
    assert f"at most {most}" in result.errors[0]["message"].replace(",", "")
