"""A circuit breaker for the upstream: after repeated failures, fail fast for a cool-down.

Closed, every call goes out. ``threshold`` upstream faults in a row (5xx, timeouts, broken
connections; never a 4xx, which is the caller's) open it: calls then fail at once with
``UpstreamUnavailable`` instead of each waiting for a dead upstream. After ``cool_down`` seconds it
is half-open: one call goes out as a probe; its success closes the breaker, its failure opens it
again. The gateway has one upstream and so one breaker, shared by every request of a worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

from resolvers.errors import UpstreamUnavailable


class State(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self, threshold: int = 5, cool_down: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cool_down = cool_down
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.last_success = -float("inf")  # when a call last succeeded (``clock``)
        self._probing = False

    @property
    def state(self) -> State:
        if self.opened_at is None:
            return State.CLOSED
        if self.clock() - self.opened_at >= self.cool_down:
            return State.HALF_OPEN
        return State.OPEN

    def before_call(self) -> None:
        """Let a call through, or refuse it at once while the upstream is taken to be down."""
        state = self.state
        if state is State.CLOSED:
            return
        if state is State.HALF_OPEN and not self._probing:
            self._probing = True
            return
        assert self.opened_at is not None
        wait = max(0.0, self.cool_down - (self.clock() - self.opened_at))
        raise UpstreamUnavailable(
            f"the last {self.threshold} calls to the statistics API failed; calls are held back for"
            f" {wait:.0f} s more"
        )

    def succeeded(self) -> None:
        self.last_success = self.clock()
        self.failures = 0
        self.opened_at = None
        self._probing = False

    def failed(self) -> None:
        self._probing = False
        self.failures += 1
        if self.failures >= self.threshold or self.opened_at is not None:
            self.opened_at = self.clock()
