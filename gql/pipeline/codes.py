"""Every ``extensions.code`` the gateway can answer with, in one table.

README's "Errors" table is rendered from it (``reference_table``; ``tests/test_docs_run.py`` holds
the two equal), ``gql.server.metrics`` takes the codes of the request limits from it, and a test scans
the code of ``gql/`` and ``resolvers/`` for any code this table does not list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    name: str
    status: str  # the HTTP status with application/graphql-response+json; "200" for a field's error
    when: str
    example: str = ""
    limit: bool = False  # a request limit's refusal (docs/protection.md), counted as such in /metrics


CODES: tuple[Code, ...] = (
    Code("GRAPHQL_PARSE_FAILED", "400", "the document is not GraphQL", "`{ stats(`"),
    Code(
        "GRAPHQL_VALIDATION_FAILED",
        "400",
        "it does not fit the schema",
        "`{ stats(window: LAST_2D) { window } }`",
    ),
    Code(
        "OPERATION_RESOLUTION_FAILURE",
        "400",
        "`operationName` names no operation of the document, or none is named among several",
        '`operationName: "Other"`',
    ),
    Code(
        "BAD_USER_INPUT",
        "400 before execution, 200 on a field",
        "variables the operation cannot take; arguments the gateway refuses before any call (the field"
        " or root is null); the upstream's 400",
        "`limit: 0`; `scope: WORKSPACE` without `id`",
    ),
    Code(
        "BAD_REQUEST",
        "400",
        "the HTTP request is malformed (no `query`, a body that is not JSON or nested past 32 levels,"
        " `variables` not a map, a persisted-query hash that is not the query's, bytes that are not HTTP)",
        '`{"qeury": "..."}`',
    ),
    Code(
        "PAYLOAD_TOO_LARGE", "413", "the body passes `FLASHBACK_MAX_BODY_BYTES`", "a 300 KB body", limit=True
    ),
    Code("MAX_TOKENS_LIMIT", "400", "the document passes `FLASHBACK_MAX_TOKENS`", "1,001 tokens", limit=True),
    Code("MAX_DEPTH_LIMIT", "400", "data nested past `FLASHBACK_MAX_DEPTH` levels", "", limit=True),
    Code("MAX_ALIASES_LIMIT", "400", "more aliases than `FLASHBACK_MAX_ALIASES`", "", limit=True),
    Code("MAX_ROOT_FIELDS_LIMIT", "400", "more root fields than `FLASHBACK_MAX_ROOT_FIELDS`", "", limit=True),
    Code("MAX_DIRECTIVES_LIMIT", "400", "more directives than `FLASHBACK_MAX_DIRECTIVES`", "", limit=True),
    Code(
        "MAX_FIELDS_LIMIT",
        "400",
        "more fields than `FLASHBACK_MAX_FIELDS` once fragments are spread",
        "a fragment spread twice at each of 22 levels",
        limit=True,
    ),
    Code(
        "MAX_REPRESENTATIONS_LIMIT",
        "400",
        "more `_entities` representations than `FLASHBACK_MAX_REPRESENTATIONS`",
        "",
        limit=True,
    ),
    Code(
        "COST_ESTIMATED_TOO_EXPENSIVE",
        "400",
        "the estimate passes the upstream calls or values budget; `extensions.cost` says by how much",
        "30 breakdowns of different windows",
        limit=True,
    ),
    Code(
        "COST_ACTUAL_TOO_EXPENSIVE",
        "200 on a field, 400 for the answer",
        "calls past the budget at run time (those fields null), or an answer holding more values than"
        " `FLASHBACK_MAX_VALUES`",
        "",
        limit=True,
    ),
    Code(
        "DEADLINE_EXCEEDED",
        "200",
        "the request's deadline (`FLASHBACK_REQUEST_DEADLINE`) passed before the field's call answered",
        "",
        limit=True,
    ),
    Code(
        "PERSISTED_QUERY_NOT_FOUND",
        "200",
        "a hash the gateway does not know: send it again with the query",
        "`extensions.persistedQuery` alone",
    ),
    Code(
        "PERSISTED_QUERY_NOT_SUPPORTED",
        "400",
        "a persisted-query version other than 1",
        '`{"version": 2, ...}`',
    ),
    Code(
        "PERSISTED_QUERY_NOT_IN_LIST",
        "400",
        "the gateway runs trusted documents only and this is none of them",
        "any ad-hoc query",
    ),
    Code("METHOD_NOT_ALLOWED", "405", "another HTTP method, or a mutation sent with GET", "`PUT /graphql`"),
    Code("NOT_ACCEPTABLE", "406", "an `Accept` the gateway cannot answer", "`Accept: text/html` on a POST"),
    Code(
        "CORS_REJECTED",
        "403",
        "a browser preflight from an origin, method or header that is not allowed",
        "`Origin: https://elsewhere.example`",
    ),
    Code(
        "REQUEST_TIMEOUT",
        "408",
        "headers or body not received within `FLASHBACK_HEADER_TIMEOUT` / `FLASHBACK_BODY_TIMEOUT`",
        "a client trickling its headers",
    ),
    Code("URI_TOO_LONG", "414", "a request target over 16 KB", "a GET with a 20 KB query; POST it"),
    Code("REQUEST_HEADER_FIELDS_TOO_LARGE", "431", "headers over 32 KB in all", ""),
    Code(
        "SERVICE_UNAVAILABLE",
        "503",
        "the server is at its connection cap (`FLASHBACK_MAX_CONNECTIONS`); retry",
        "",
    ),
    Code(
        "SUBSCRIPTION_LIMIT",
        "429, or an `error` message on a WebSocket",
        "the connection, the credentials or the worker already hold their most live subscriptions"
        " (`FLASHBACK_LIVE_PER_CONNECTION`, `_PER_CALLER`, `_PER_WORKER`)",
        "",
    ),
    Code(
        "UNAUTHENTICATED",
        "200 on a field",
        "the upstream refused the token (401), or no token at all",
        "`Authorization: Bearer wrong`",
    ),
    Code(
        "FORBIDDEN",
        "200 on a field",
        "the token may not read that scope, id or filter (403)",
        "another organization's repo",
    ),
    Code("NOT_FOUND", "200 on a field", "the upstream has no such resource (404)", ""),
    Code(
        "UPSTREAM_ERROR",
        "200 on a field",
        "the upstream failed: 5xx, timeout, refused connection, the breaker open, a body outside its"
        " contract or past `FLASHBACK_MAX_UPSTREAM_BYTES`",
        "",
    ),
    Code(
        "INTERNAL_SERVER_ERROR",
        "200 on a field",
        "a bug in the gateway; the message hides its internals and the rest of the response arrives",
        "",
    ),
)
NAMES = frozenset(code.name for code in CODES)
LIMIT_CODES = frozenset(code.name for code in CODES if code.limit)


@dataclass(frozen=True, slots=True)
class Reason:
    """A case of a code that a client may need to tell apart without parsing the message."""

    name: str
    code: str
    when: str
    details: str = ""


REASONS: tuple[Reason, ...] = (
    Reason(
        "COMPARISON_UNAVAILABLE",
        "BAD_USER_INPUT",
        "a `comparison` no window of the upstream reaches back to at that bucket size, refused before any call",
        "`extensions.bucketSizes`: the bucket sizes that work (empty for `LAST_365D`)",
    ),
    Reason(
        "COMPARISON_NEEDS_EVERY_ENTITY",
        "BAD_USER_INPUT",
        "a breakdown's `comparison` on a page that does not hold every entity, or over a source window of"
        " more entities than one page holds",
        "`extensions.totalEntities`: the limit that holds them all",
    ),
    Reason(
        "UNKNOWN_TIME_ZONE",
        "BAD_USER_INPUT",
        "`timeZone` is not an IANA time zone name",
    ),
    Reason(
        "TIME_ZONE_UNAVAILABLE",
        "BAD_USER_INPUT",
        "calendar buckets no window of the upstream holds at the zone's grain, or a bucket size other than"
        " DAY_1 or WEEK_1 with `timeZone`",
        "`extensions.windows`: the windows that work in that zone",
    ),
    Reason(
        "TIME_ZONE_SERIES_ONLY",
        "BAD_USER_INPUT",
        "a breakdown or a comparison under `timeZone` or WEEK_1",
    ),
    Reason(
        "COMPARISON_MISALIGNED",
        "UPSTREAM_ERROR",
        "the upstream's answer cannot be cut into periods: another bucket size, a gap, an end out of step",
    ),
)
REASON_NAMES = frozenset(reason.name for reason in REASONS)


def reference_table() -> str:
    """README's table of codes, one row per code, and of the reasons some of them carry."""
    rows = ["| `extensions.code` | HTTP status | when | example |", "|---|---|---|---|"]
    rows += [f"| `{c.name}` | {c.status} | {c.when} | {c.example} |" for c in CODES]
    rows += ["", "| `extensions.reason` | with code | when | also in `extensions` |", "|---|---|---|---|"]
    rows += [f"| `{r.name}` | `{r.code}` | {r.when} | {r.details} |" for r in REASONS]
    return "\n".join(rows) + "\n"
