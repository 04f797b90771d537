"""The first start's progress, as a newcomer reads it: a bar redrawn in place on a terminal, a line
every few seconds in a log, and one closing line with the step's duration either way."""

from __future__ import annotations

import io
import re
import time

import pytest

from gql.server.progress import Step


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_is_redrawn_in_place() -> None:
    screen = Terminal()
    with Step("Generating demo data", screen) as step:
        for day in range(1, 11):
            step.advance(day, 10)
    lines = screen.getvalue().split("\n")
    assert lines[0] == "Generating demo data ..."
    assert lines[1].count("\r") == 10 and lines[1].endswith("[" + "#" * 30 + "] 10/10")
    assert "\r  [" + "#" * 15 + "-" * 15 + "] 5/10" in lines[1]
    assert re.fullmatch(r"Generating demo data: done in \d+\.\d s", lines[2])


def test_in_a_log_a_line_comes_every_few_seconds_and_at_the_end() -> None:
    log = io.StringIO()
    with Step("Generating demo data", log, every=3600) as step:
        for day in range(1, 401):
            step.advance(day, 400)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines[0] == "Generating demo data ..."
    assert re.fullmatch(r"  Generating demo data: 400/400 \(\d+ s\)", lines[1])
    assert lines[2].startswith("Generating demo data: done in ") and len(lines) == 3


def test_a_step_with_nothing_to_count_says_it_is_still_working() -> None:
    log = io.StringIO()
    with Step("Installing GraphiQL", log, every=0.01) as step:
        step.tick_while_waiting()
        time.sleep(0.1)
    lines = log.getvalue().splitlines()
    assert any(line.startswith("  Installing GraphiQL: still working (") for line in lines)
    assert lines[-1].startswith("Installing GraphiQL: done in ")


def test_a_failed_step_does_not_claim_to_be_done() -> None:
    log = io.StringIO()
    with pytest.raises(OSError), Step("Generating demo data", log):
        raise OSError("disk full")
    assert "done" not in log.getvalue()


def _seconds(line: str) -> float:
    found = re.search(r"(\d+(?:\.\d+)?) s\)?$", line)
    assert found, line
    return float(found.group(1))


def test_every_duration_is_the_time_the_step_took() -> None:
    log = io.StringIO()
    started = time.perf_counter()
    with Step("Installing GraphiQL", log, every=0.05) as step:
        step.tick_while_waiting()
        time.sleep(0.3)
        step.advance(1, 2)
    took = time.perf_counter() - started
    lines = log.getvalue().splitlines()[1:]
    assert len(lines) >= 3
    assert all(0 <= _seconds(line) <= took + 0.5 for line in lines), lines
    assert _seconds(lines[-1]) >= 0.3


def test_with_no_pause_asked_for_every_advance_is_a_line() -> None:
    log = io.StringIO()
    with Step("Generating demo data", log, every=0) as step:
        for day in range(1, 4):
            step.advance(day, 3)
    assert [line.split("(")[0] for line in log.getvalue().splitlines()[1:4]] == [
        f"  Generating demo data: {day}/3 " for day in range(1, 4)
    ]


def test_a_single_part_fills_the_bar() -> None:
    screen = Terminal()
    with Step("Building the index", screen) as step:
        step.advance(1, 1)
    assert "\r  [" + "#" * 30 + "] 1/1" in screen.getvalue()
