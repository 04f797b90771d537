"""Every failure the gateway knows, as the client reads it: its code, its HTTP status and its message.

These messages are the gateway's words to the people who read its errors; each says what happened
and what to do, and this catalogue is where a change to one is seen and meant.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from gql.pipeline.errors import code_and_message, is_bug, public_error
from resolvers import errors

CATALOGUE: list[tuple[errors.GatewayFailure, str, str, dict[str, object]]] = [
    (
        errors.BadInput("limit must be between 1 and 500; got 0."),
        "BAD_USER_INPUT",
        "limit must be between 1 and 500; got 0.",
        {},
    ),
    (
        errors.MissingCredentials(),
        "UNAUTHENTICATED",
        "No credentials: send 'Authorization: Bearer <token>' (or run the gateway with FLASHBACK_API_TOKEN set).",
        {},
    ),
    (
        errors.CallBudgetExceeded(30),
        "COST_ACTUAL_TOO_EXPENSIVE",
        "This request has made the 30 upstream calls its budget allows; the fields that need more are null."
        " Ask for fewer breakdowns, entities or scopes (FLASHBACK_MAX_UPSTREAM_CALLS).",
        {},
    ),
    (
        errors.DeadlineExceeded(2.5),
        "DEADLINE_EXCEEDED",
        "The request's deadline of 2.5 s passed before the statistics API answered this field; the rest of the"
        " response is complete. Retry, or ask for less at once.",
        {},
    ),
    (
        errors.UpstreamUnavailable(
            "the last 5 calls to the statistics API failed; calls are held back for 9 s more"
        ),
        "UPSTREAM_ERROR",
        "The statistics API is held back: the last 5 calls to the statistics API failed; calls are held back"
        " for 9 s more. Retry later.",
        {},
    ),
    (
        errors.UpstreamStatus(400, "window must be one of 24h, 7d.", "INVALID_PARAMETER"),
        "BAD_USER_INPUT",
        "window must be one of 24h, 7d.",
        {"upstreamStatus": 400, "upstreamCode": "INVALID_PARAMETER"},
    ),
    (
        errors.UpstreamStatus(400, None, None),
        "BAD_USER_INPUT",
        "The statistics API rejected the request as invalid.",
        {"upstreamStatus": 400},
    ),
    (
        errors.UpstreamStatus(401, "Unknown token.", "UNAUTHENTICATED"),
        "UNAUTHENTICATED",
        "The statistics API did not accept the credentials; send a valid token as 'Authorization: Bearer <token>'.",
        {"upstreamStatus": 401, "upstreamCode": "UNAUTHENTICATED"},
    ),
    (
        errors.UpstreamStatus(403, "No.", "FORBIDDEN"),
        "FORBIDDEN",
        "The token may not read this scope, id or filter; ask with an id the token can see.",
        {"upstreamStatus": 403, "upstreamCode": "FORBIDDEN"},
    ),
    (
        errors.UpstreamStatus(404, None, None),
        "NOT_FOUND",
        "The statistics API has no such resource.",
        {"upstreamStatus": 404},
    ),
    (
        errors.UpstreamStatus(503, "down", None),
        "UPSTREAM_ERROR",
        "The statistics API failed with HTTP 503; the fields that need it are null. Retry later.",
        {"upstreamStatus": 503},
    ),
    (
        errors.UpstreamTimeout(),
        "UPSTREAM_ERROR",
        "The statistics API did not answer in time; retry later.",
        {},
    ),
    (
        errors.UpstreamUnreachable(),
        "UPSTREAM_ERROR",
        "The statistics API could not be reached or broke the connection.",
        {},
    ),
    (
        errors.MalformedBody("series.ts is not an epoch second"),
        "UPSTREAM_ERROR",
        "The statistics API sent a body that does not match its contract (series.ts is not an epoch second).",
        {"upstreamStatus": 200},
    ),
    (
        errors.UpstreamFailure("other"),
        "UPSTREAM_ERROR",
        "The statistics API failed; the fields that need it are null.",
        {},
    ),
]


@pytest.mark.parametrize(
    ("failure", "code", "message", "extensions"), CATALOGUE, ids=[type(f).__name__ for f, *_ in CATALOGUE]
)
def test_every_failure_reads_as_the_catalogue_says(
    failure: errors.GatewayFailure, code: str, message: str, extensions: dict[str, object]
) -> None:
    assert code_and_message(failure) == (code, message)
    public = public_error(GraphQLError("internal", path=["stats", "ai"], original_error=failure))
    assert public.message == message
    assert public.path == ["stats", "ai"]
    assert public.extensions == {"code": code, **extensions}
    assert not is_bug(public) and not is_bug(GraphQLError("x", original_error=failure))


def test_anything_else_is_a_bug_masked_from_the_client() -> None:
    bug = GraphQLError("KeyError: 'conversationsCount'", path=["stats"], original_error=KeyError("x"))
    assert is_bug(bug)
    public = public_error(bug)
    assert public.message == "Internal error in the gateway; the rest of the response is unaffected."
    assert public.extensions == {"code": "INTERNAL_SERVER_ERROR"} and public.path == ["stats"]
    plain = GraphQLError("Cannot query field 'x' on type 'Query'.")
    assert public_error(plain) is plain and not is_bug(plain)
