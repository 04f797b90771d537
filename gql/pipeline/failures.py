"""Requests refused before execution, with the status GraphQL over HTTP asks for.

A refused request answers ``{"errors": [...]}`` with no ``data`` entry. A malformed HTTP request is
a 400 whatever the client accepts; a document that cannot run (parse, validation, operation,
variables) is a 400 for ``application/graphql-response+json`` and a 200 for legacy
``application/json`` clients, as the GraphQL over HTTP specification says.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql import GraphQLError


class RequestFailure(Exception):
    """A request the gateway refuses before execution."""

    def __init__(
        self,
        code: str,
        errors: Sequence[GraphQLError],
        status: int,
        legacy_status: int,
        extensions: dict[str, object] | None = None,
    ) -> None:
        super().__init__(errors[0].message if errors else code)
        self.code = code
        self.errors = list(errors)
        self.status = status  # for application/graphql-response+json
        self.legacy_status = legacy_status  # for application/json
        self.extensions = dict(extensions or {})  # the response's, beside the errors

    @classmethod
    def request(cls, code: str, message: str, status: int = 400) -> RequestFailure:
        """The HTTP request itself is wrong (its body, its parameters, its size)."""
        return cls(code, [GraphQLError(message)], status, status)

    @classmethod
    def document(cls, code: str, errors: Sequence[GraphQLError]) -> RequestFailure:
        """A well-formed request whose document cannot run."""
        return cls(code, errors, 400, 200)

    def body(self) -> dict[str, object]:
        errors = []
        for error in self.errors:
            formatted = dict(error.formatted)
            formatted["extensions"] = {**(error.extensions or {}), "code": self.code}
            errors.append(formatted)
        body: dict[str, object] = {"errors": errors}
        if self.extensions:
            body["extensions"] = dict(self.extensions)
        return body
