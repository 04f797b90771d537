"""The errors a client can act on, each with a stable ``extensions.code``.

They are GraphQL errors from the start, so a resolver that raises one loses only its own field
(and what depends on it), and the message reaches the client as written here: never an upstream
body beyond a 400's message, never a header, never a stack trace.
"""

from __future__ import annotations

from graphql import GraphQLError

BAD_USER_INPUT = "BAD_USER_INPUT"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
UPSTREAM_ERROR = "UPSTREAM_ERROR"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class GatewayError(GraphQLError):
    """An error with a code; ``status`` is the upstream's HTTP status where it answered."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        extensions: dict[str, object] = {"code": code}
        if status is not None:
            extensions["http"] = {"status": status}
        super().__init__(message, extensions=extensions)
        self.code = code
        self.status = status


def bad_input(message: str) -> GatewayError:
    return GatewayError(BAD_USER_INPUT, message)


class MalformedBody(ValueError):
    """An upstream body that is not the JSON the contract describes."""
