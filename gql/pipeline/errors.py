"""The one boundary between the gateway's failures and the errors a GraphQL client reads.

Every failure in ``resolvers.errors`` becomes an error with a stable ``extensions.code`` (and
``extensions.upstreamStatus`` where the upstream answered, ``extensions.upstreamCode`` where it sent
an ``error_code``) and a message that says what to do; the
upstream's body reaches the client only as a 400's own message, bounded and scrubbed of
credentials by the upstream client. Anything unexpected is a bug: it
is masked as ``INTERNAL_SERVER_ERROR`` with no internals.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.context import RequestContext
from resolvers.errors import (
    BadInput,
    CallBudgetExceeded,
    DeadlineExceeded,
    GatewayFailure,
    MalformedBody,
    MissingCredentials,
    UpstreamStatus,
    UpstreamTimeout,
    UpstreamTooLarge,
    UpstreamUnavailable,
    UpstreamUnreachable,
)

log = logging.getLogger("gql")

BAD_USER_INPUT = "BAD_USER_INPUT"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
UPSTREAM_ERROR = "UPSTREAM_ERROR"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

_STATUS_CODES = {400: BAD_USER_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND}
_STATUS_MESSAGES = {
    400: "The statistics API rejected the request as invalid.",
    401: "The statistics API did not accept the credentials; send a valid token as"
    " 'Authorization: Bearer <token>'.",
    403: "The token may not read this scope, id or filter; ask with an id the token can see.",
    404: "The statistics API has no such resource.",
}


def code_and_message(failure: GatewayFailure) -> tuple[str, str]:
    """The public code and message of a failure."""
    if isinstance(failure, BadInput):
        return BAD_USER_INPUT, str(failure)
    if isinstance(failure, MissingCredentials):
        return (
            UNAUTHENTICATED,
            "No credentials: send 'Authorization: Bearer <token>' (or run the gateway with"
            " FLASHBACK_API_TOKEN set).",
        )
    if isinstance(failure, CallBudgetExceeded):
        return (
            "COST_ACTUAL_TOO_EXPENSIVE",
            f"This request has made the {failure.budget} upstream calls its budget allows; the fields that"
            " need more are null. Ask for fewer breakdowns, entities or scopes (FLASHBACK_MAX_UPSTREAM_CALLS).",
        )
    if isinstance(failure, DeadlineExceeded):
        return (
            "DEADLINE_EXCEEDED",
            f"The request's deadline of {failure.seconds:g} s passed before the statistics API answered this"
            " field; the rest of the response is complete. Retry, or ask for less at once.",
        )
    if isinstance(failure, UpstreamUnavailable):
        return UPSTREAM_ERROR, f"The statistics API is held back: {failure.why}. Retry later."
    if isinstance(failure, UpstreamStatus):
        if failure.status == 400 and failure.message:
            return BAD_USER_INPUT, failure.message
        if failure.status in _STATUS_CODES:
            return _STATUS_CODES[failure.status], _STATUS_MESSAGES[failure.status]
        return (
            UPSTREAM_ERROR,
            f"The statistics API failed with HTTP {failure.status}; the fields that need it are null."
            " Retry later.",
        )
    if isinstance(failure, UpstreamTooLarge):
        return (
            UPSTREAM_ERROR,
            f"The statistics API's answer is larger than {failure.max_bytes:,} bytes"
            " (FLASHBACK_MAX_UPSTREAM_BYTES); ask for a smaller window, page or bucket size.",
        )
    if isinstance(failure, UpstreamTimeout):
        return UPSTREAM_ERROR, "The statistics API did not answer in time; retry later."
    if isinstance(failure, UpstreamUnreachable):
        return UPSTREAM_ERROR, "The statistics API could not be reached or broke the connection."
    if isinstance(failure, MalformedBody):
        return (
            UPSTREAM_ERROR,
            f"The statistics API sent a body that does not match its contract ({failure.problem}).",
        )
    return UPSTREAM_ERROR, "The statistics API failed; the fields that need it are null."


def public_error(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: a failure mapped to its code, a bug masked."""
    original = error.original_error
    if isinstance(original, GatewayFailure):
        code, message = code_and_message(original)
        extensions: dict[str, object] = {"code": code}
        status = getattr(original, "status", None)
        if status is not None:
            # The upstream's status, named for what it is. Not under ``extensions.http``: federation
            # routers (Apollo Gateway, Hive Gateway) read that as their own response's status, and
            # a subgraph's partial answer would reach the client as a 4xx without its data.
            extensions["upstreamStatus"] = status
        if isinstance(original, UpstreamStatus) and original.error_code is not None:
            # The upstream's own reason (CREDITS_NOT_ENABLED, BUCKET_SIZE_NOT_ALLOWED...), for a UI
            # that must tell reasons apart without parsing the message.
            extensions["upstreamCode"] = original.error_code
        if original.reason is not None:
            extensions["reason"] = original.reason
            extensions.update(original.details or {})
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)
    if original is None or isinstance(original, GraphQLError):
        return error
    return GraphQLError(
        "Internal error in the gateway; the rest of the response is unaffected.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": INTERNAL_SERVER_ERROR},
    )


def is_bug(error: GraphQLError) -> bool:
    """True for an error that no expected failure explains (it is logged with its traceback)."""
    original = error.original_error
    return original is not None and not isinstance(original, GatewayFailure | GraphQLError)


def result_extensions(context: object) -> dict[str, object]:
    """What the gateway adds to a result's ``extensions``: the upstream report, when asked for."""
    if isinstance(context, RequestContext) and context.report_upstream:
        return {"upstream": context.log.report()}
    return {}


def log_errors(errors: list[GraphQLError]) -> None:
    """A bug is logged with its traceback; an expected failure at debug level."""
    for error in errors:
        if is_bug(error):
            log.error("unexpected error at %s", error.path, exc_info=error.original_error)
        else:
            log.debug("request error: %s", error.message)


class GatewayErrors(SchemaExtension):
    """Gives every error its public form and, on request, reports the upstream calls in ``extensions``."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [public_error(error) for error in result.errors]

    def get_results(self) -> dict[str, object]:
        return result_extensions(self.execution_context.context)
