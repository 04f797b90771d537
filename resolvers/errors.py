"""What can go wrong below the GraphQL layer, as types that say what happened.

    GatewayFailure
    ├── BadInput                 the caller's arguments, refused before any upstream call
    ├── MissingCredentials       no token to send upstream
    ├── CallBudgetExceeded       the request has made all the upstream calls its budget allows
    ├── DeadlineExceeded         the request's deadline passed before this call could be made
    └── UpstreamFailure          the upstream did not give what was asked
        ├── UpstreamStatus       it answered with an error status (with its message and error_code)
        ├── UpstreamTimeout      it did not answer in time
        ├── UpstreamUnreachable  it could not be reached, or broke the connection
        ├── UpstreamUnavailable  the circuit breaker holds calls back after repeated failures
        ├── UpstreamTooLarge     its body passed the byte cap; the connection was closed
        └── MalformedBody        it answered, with a body outside its contract (what is wrong)

Nothing here knows GraphQL: ``gql.pipeline.errors`` is the one place that turns each of these into a
GraphQL error with a stable ``extensions.code`` and a message a client can act on.
"""

from __future__ import annotations


class GatewayFailure(Exception):
    """The base of every failure the gateway expects; anything else is a bug.

    ``reason`` names a case a client may need to tell apart from others of the same code without
    parsing the message (``COMPARISON_UNAVAILABLE``...); ``details`` are what it needs to act on it."""

    reason: str | None = None
    details: dict[str, object] | None = None


class BadInput(GatewayFailure):
    """Arguments the caller must change; the message says what to fix."""

    def __init__(
        self, message: str, reason: str | None = None, details: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


class MissingCredentials(GatewayFailure):
    """The request carries no token and the gateway has none to send for it."""


class CallBudgetExceeded(GatewayFailure):
    """The loaders refuse calls past the request's budget: the safety net under the cost estimate."""

    def __init__(self, budget: int) -> None:
        super().__init__(f"budget of {budget} calls")
        self.budget = budget


class DeadlineExceeded(GatewayFailure):
    """The request's deadline passed; the calls still pending were cancelled."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"deadline of {seconds:g} s")
        self.seconds = seconds


class UpstreamFailure(GatewayFailure):
    """The upstream did not give what was asked. ``status`` is its HTTP status, if it answered."""

    status: int | None = None


class UpstreamStatus(UpstreamFailure):
    """An answer with an error status; ``message`` and ``error_code`` are the upstream's own, if sent,
    and ``retry_after`` its ``Retry-After`` in seconds."""

    def __init__(
        self, status: int, message: str | None, error_code: str | None, retry_after: float | None = None
    ) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.message = message
        self.error_code = error_code
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamFailure):
    """No answer within the call's timeout."""


class UpstreamUnreachable(UpstreamFailure):
    """The connection could not be made or broke before a whole answer arrived."""


class UpstreamUnavailable(UpstreamFailure):
    """Calls are held back: the upstream failed repeatedly and the breaker is open (``why``)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class UpstreamTooLarge(UpstreamFailure):
    """A body longer than the cap: reading stopped there and the connection was closed."""

    def __init__(self, max_bytes: int, status: int) -> None:
        super().__init__(f"body over {max_bytes} bytes")
        self.max_bytes = max_bytes
        self.status = status


class MalformedBody(UpstreamFailure):
    """An answer whose body is not the JSON the contract describes; the text says what is wrong."""

    def __init__(self, problem: str, status: int | None = 200, reason: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status
        self.reason = reason
