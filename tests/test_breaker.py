"""The circuit breaker, on a clock the test moves: closed, open after faults in a row, one probe
after the cool-down, closed again by its success or open again by its failure."""

from __future__ import annotations

import pytest

from resolvers.breaker import CircuitBreaker, State
from resolvers.errors import UpstreamUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_faults_in_a_row_open_it_and_a_success_between_resets_the_count() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cool_down=10, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.failed()
    breaker.succeeded()
    assert breaker.state.value == "closed" and breaker.failures == 0
    for _ in range(3):
        breaker.before_call()
        breaker.failed()
    assert breaker.state.value == "open"
    with pytest.raises(UpstreamUnavailable) as held:
        breaker.before_call()
    assert (
        held.value.why == "the last 3 calls to the statistics API failed; calls are held back for 10 s more"
    )
    clock.now += 4
    with pytest.raises(UpstreamUnavailable, match="for 6 s more"):
        breaker.before_call()


def test_after_the_cool_down_one_probe_goes_out_and_its_success_closes_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cool_down=5, clock=clock)
    breaker.failed()
    clock.now += 5
    assert breaker.state.value == "half_open"
    breaker.before_call()  # the probe
    with pytest.raises(UpstreamUnavailable):
        breaker.before_call()  # only one at a time
    breaker.succeeded()
    assert breaker.state.value == "closed"
    breaker.before_call()


def test_a_failed_probe_opens_it_for_another_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cool_down=5, clock=clock)
    breaker.failed()
    breaker.failed()
    clock.now += 6
    breaker.before_call()
    breaker.failed()
    states = [breaker.state]
    clock.now += 4.9
    states.append(breaker.state)
    clock.now += 0.2
    states.append(breaker.state)
    assert states == [State.OPEN, State.OPEN, State.HALF_OPEN]
