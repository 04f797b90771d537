"""What can go wrong below the GraphQL layer, as types that say what happened.

    GatewayFailure
    ├── BadInput                 the caller's arguments, refused before any upstream call
    ├── MissingCredentials       no token to send upstream
    └── UpstreamFailure          the upstream did not give what was asked
        ├── UpstreamStatus       it answered with an error status (with its message and error_code)
        ├── UpstreamTimeout      it did not answer in time
        ├── UpstreamUnreachable  it could not be reached, or broke the connection
        └── MalformedBody        it answered, with a body outside its contract (what is wrong)

Nothing here knows GraphQL: ``gql.errors`` is the one place that turns each of these into a
GraphQL error with a stable ``extensions.code`` and a message a client can act on.
"""

from __future__ import annotations


class GatewayFailure(Exception):
    """The base of every failure the gateway expects; anything else is a bug."""


class BadInput(GatewayFailure):
    """Arguments the caller must change; the message says what to fix."""


class MissingCredentials(GatewayFailure):
    """The request carries no token and the gateway has none to send for it."""


class UpstreamFailure(GatewayFailure):
    """The upstream did not give what was asked. ``status`` is its HTTP status, if it answered."""

    status: int | None = None


class UpstreamStatus(UpstreamFailure):
    """An answer with an error status; ``message`` and ``error_code`` are the upstream's own, if sent."""

    def __init__(self, status: int, message: str | None, error_code: str | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.message = message
        self.error_code = error_code


class UpstreamTimeout(UpstreamFailure):
    """No answer within the call's timeout."""


class UpstreamUnreachable(UpstreamFailure):
    """The connection could not be made or broke before a whole answer arrived."""


class MalformedBody(UpstreamFailure):
    """An answer whose body is not the JSON the contract describes; the text says what is wrong."""

    def __init__(self, problem: str, status: int | None = 200) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status
