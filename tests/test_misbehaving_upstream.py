"""An upstream that breaks its contract costs only the field that read the broken value.

A test upstream sits between the gateway and the local backend and rewrites one value of one
resource's answer: a count beyond 64 bits, a value of the wrong type, or a field left out. For
every position the gateway's parsers read, the field that needs the resource must come back null
with ``UPSTREAM_ERROR``, and a field that needs another resource must still arrive.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from resolvers import resources
from tests.gateway import Gateway
from tests.rewriting import RewritingTransport

BEYOND_64_BITS = 2**63  # one past the largest signed 64-bit value; still a JSON integer orjson reads
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Change:
    name: str
    apply: Callable[[Any, Path], Any]


def _parent(body: Any, path: Path) -> Any:
    node = body
    for step in path[:-1]:
        node = node[step]
    return node


def _setter(value: object) -> Callable[[Any, Path], Any]:
    def apply(body: Any, path: Path) -> Any:
        if not path:
            return value
        _parent(body, path)[path[-1]] = value
        return body

    return apply


def _drop(body: Any, path: Path) -> Any:
    del _parent(body, path)[path[-1]]
    return body


BIG = Change("beyond 64 bits", _setter(BEYOND_64_BITS))
BIG_TEXT = Change("beyond 64 bits, as a string", _setter(str(BEYOND_64_BITS)))
FRACTION = Change("not an integer", _setter(1.5))
BOOLEAN = Change("a boolean", _setter(True))
TEXT = Change("a string", _setter("many"))
NUMBER = Change("a number", _setter(7))
OBJECT = Change("an object", _setter({"value": 1}))
LIST = Change("a list", _setter([1]))
MISSING = Change("left out", _drop)
NEGATIVE = Change("negative", _setter(-1))

LONG = (BIG, FRACTION, BOOLEAN, TEXT, MISSING)
FLOAT = (BOOLEAN, TEXT, OBJECT, MISSING)
STRING = (NUMBER, LIST, MISSING)
OPTIONAL_STRING = (NUMBER, LIST)


SIBLING = "sibling: stats(window: LAST_24H) { policies { timeSeries { summary { total } } } }"
META = "meta { start end scope scopeId window bucketSize resourceFilter { type value } }"
SUMMARY = "summary { total avg stdDev min max p10 p50 p90 }"


def _columns(domain: resources.Domain, entity: bool = False) -> str:
    metrics = domain.entity_metrics if entity else domain.metrics
    return "columns { ts " + " ".join(m.name for m in metrics) + " }"


def _metric_positions(prefix: Path, domain: resources.Domain, entity: bool = False) -> list[Any]:
    metrics = domain.entity_metrics if entity else domain.metrics
    return [((*prefix, m.name), FLOAT if m.fractional else LONG) for m in metrics]


def _meta_positions() -> list[Any]:
    return [
        (("meta", "start"), LONG),
        (("meta", "end"), LONG),
        (("meta", "scope"), (*STRING, Change("no scope", _setter("galaxy")))),
        (("meta", "scopeId"), OPTIONAL_STRING),
        (("meta", "window"), (*OPTIONAL_STRING, Change("no window", _setter("3d")))),
        (("meta", "timeBucketSize"), (*OPTIONAL_STRING, Change("no bucket size", _setter("2m")))),
        (("meta", "resourceFilter"), (TEXT,)),
        (("meta",), (TEXT, MISSING)),
    ]


Case = tuple[str, str, str, Path, Change]  # upstream path, query, failing field, position, change
CASES: list[Case] = []


def _cases(path: str, query: str, field: str, positions: list[Any]) -> None:
    full = f"{{ {SIBLING} {query} }}"
    CASES.extend(
        (path, full, field, position, change) for position, changes in positions for change in changes
    )


_cases(
    "/v2/stats/ai",
    f"stats(window: LAST_24H) {{ ai {{ timeSeries {{ {META} {SUMMARY} {_columns(resources.AI)} }} }} }}",
    "stats.ai.timeSeries",
    [
        ((), (LIST, TEXT)),
        *_meta_positions(),
        (("summary",), (LIST, MISSING)),
        *((("summary", key), FLOAT) for key in ("total", "avg", "stdDev", "min", "max", "p10", "p50", "p90")),
        (("series",), (OBJECT, MISSING)),
        (("series", 0), (NUMBER,)),
        (("series", 0, "ts"), (*LONG, NEGATIVE)),
        *_metric_positions(("series", 0), resources.AI),
    ],
)
_ENTITY = ("entities", 0)
_cases(
    "/v2/stats/private-chat/breakdown/users",
    "stats(window: LAST_24H) { privateChat { users(limit: 3) { meta { by includesSeries limit offset"
    " totalEntities start end scope window bucketSize } total entities { entityId name totals { tokensIn tokensOut"
    f" requests conversationsCount lastActiveAt }} {_columns(resources.PRIVATE_CHAT, True)} }} }} }} }}",
    "stats.privateChat.users",
    [
        (("entities",), (OBJECT, MISSING)),
        (_ENTITY, (NUMBER,)),
        ((*_ENTITY, "entityId"), STRING),
        ((*_ENTITY, "entityName"), OPTIONAL_STRING),
        ((*_ENTITY, "totals"), (LIST, MISSING)),
        *_metric_positions((*_ENTITY, "totals"), resources.PRIVATE_CHAT, entity=True),
        ((*_ENTITY, "totals", "conversationsCount"), LONG),
        ((*_ENTITY, "totals", "lastActiveAt"), (BIG, FRACTION, BOOLEAN, TEXT)),
        ((*_ENTITY, "series"), (OBJECT,)),
        ((*_ENTITY, "series", 0, "ts"), (*LONG, NEGATIVE)),
        *_metric_positions((*_ENTITY, "series", 0), resources.PRIVATE_CHAT, entity=True),
        (("meta", "breakdownBy"), STRING),
        (("meta", "limit"), LONG),
        (("meta", "offset"), LONG),
        (("meta", "totalEntities"), LONG),
        (("meta", "start"), LONG),
        (("summary", "total"), LONG),
        (("summary",), (LIST, MISSING)),
    ],
)
_cases(
    "/v2/stats/storage/breakdown/providers",
    "stats(window: LAST_24H) { storage { providers(limit: 2) { entities { entityId provider protocol endpoint"
    " totals { uplBytes latencyMs } } } } }",
    "stats.storage.providers",
    [
        *(((*_ENTITY, key), STRING) for key in ("provider", "protocol", "endpoint")),
        *_metric_positions((*_ENTITY, "totals"), resources.STORAGE, entity=True),
    ],
)
_RECORD = ("data", 0)
_cases(
    "/aistats/daily",
    "legacy { ai(resolution: DAILY) { ts repoId aiLlmId apiKeyId tokensIn tokensOut policyTokensIn"
    " policyTokensOut activeConversations requests violations alerts blocks severityLow severityMedium"
    " severityHigh latencyMs provider model host userId conversationId } }",
    "legacy.ai",
    [
        ((), (LIST, TEXT)),
        (("data",), (OBJECT, MISSING)),
        (_RECORD, (NUMBER,)),
        ((*_RECORD, "timestamp"), LONG),
        *(
            ((*_RECORD, key), (*LONG, BIG_TEXT))
            for key in (
                "tokensIn",
                "tokensOut",
                "llmTokensIn",
                "llmTokensOut",
                "activeConversations",
                "apiCalls",
                "policyViolations",
                "numAlerts",
                "numBlocks",
                "numSeverityLow",
                "numSeverityMedium",
                "numSeverityHigh",
            )
        ),
        ((*_RECORD, "latency_ms"), FLOAT),
        *(
            ((*_RECORD, key), STRING)
            for key in ("repoId", "aiLlmId", "repoAiApiKeyId", "llmType", "llmModel", "host")
        ),
        ((*_RECORD, "userUuid"), OPTIONAL_STRING),
        ((*_RECORD, "conversationUuid"), OPTIONAL_STRING),
    ],
)
_cases(
    "/stats/daily",
    "legacy { storage(resolution: DAILY) { ts repoId bucketId host uplBytes dwlBytes sizeChange latencyMs } }",
    "legacy.storage",
    [
        ((*_RECORD, "timestamp"), LONG),
        *(((*_RECORD, key), (*LONG, BIG_TEXT)) for key in ("upl_bytes", "dwl_bytes", "size_change")),
        ((*_RECORD, "latency_ms"), FLOAT),
        *(((*_RECORD, key), STRING) for key in ("repoId", "host")),
        ((*_RECORD, "bucketId"), (NUMBER, LIST)),
    ],
)
_cases(
    "/ai/llm/stats",
    "legacy { aiConfigTotals { aiLlmId requests tokensIn tokensOut policyTokensIn policyTokensOut violations"
    " alerts blocks } }",
    "legacy.aiConfigTotals",
    [
        (("stats",), (OBJECT, MISSING)),
        (("stats", 0, "aiLlmId"), STRING),
        *(
            (("stats", 0, key), (*LONG, BIG_TEXT))
            for key in (
                "totalApiCalls",
                "totalTokensIn",
                "totalTokensOut",
                "totalLlmTokensIn",
                "totalLlmTokensOut",
                "totalPolicyViolations",
                "totalAlerts",
                "totalBlocks",
            )
        ),
    ],
)
_cases(
    "/credits/stats/monthly",
    "legacy { creditsMonthly(months: 3) { months { month consumption purchases grants balance }"
    " totals { consumption purchases grants balance } } }",
    "legacy.creditsMonthly",
    [
        ((), (LIST, TEXT)),
        ((*_RECORD, "month"), (*STRING, Change("not a date", _setter("October")))),
        *(((*_RECORD, key), LONG) for key in ("consumption", "purchases", "grants", "balance")),
        (("totals",), (LIST, MISSING)),
        *((("totals", key), LONG) for key in ("consumption", "purchases", "grants", "balance")),
    ],
)


def _only_field_fails(
    rewriting: tuple[RewritingTransport, Gateway],
    path: str,
    query: str,
    field: str,
    rewrite: Callable[[Any], Any],
    names: str = "",
) -> list[str]:
    """``names``: the upstream field the message must name, so an operator knows what broke. The
    messages are returned for a closer look."""
    transport, client = rewriting
    transport.path, transport.rewrite = path, rewrite
    try:
        result = client.query(query)
    finally:
        transport.path = None
    codes = result.codes()
    assert codes, f"nothing refused the broken {path} answer"
    assert set(codes.values()) == {"UPSTREAM_ERROR"}, result.errors
    assert all(error_path.startswith(field) for error_path in codes), codes
    node = result.data
    for step in field.split(".")[:-1]:
        node = node[step]
    assert node[field.split(".")[-1]] is None or any(p != field for p in codes)
    assert result.data["sibling"]["policies"]["timeSeries"]["summary"]["total"] >= 0
    assert all(e["message"].startswith("The statistics API sent") for e in result.errors), result.errors
    # "body" is also a word of the message's own opening: the problem in brackets must start with it
    named = r"\(body\b" if names == "body" else rf"\b{re.escape(names)}\b"
    assert all(re.search(named, e["message"]) for e in result.errors), (
        names,
        result.errors,
    )
    return [e["message"] for e in result.errors]


@pytest.mark.parametrize(
    ("path", "query", "field", "position", "change"),
    CASES,
    ids=[f"{path}:{'.'.join(map(str, p)) or 'body'}:{c.name}" for path, _, _, p, c in CASES],
)
def test_a_value_out_of_contract_fails_only_the_field_that_needs_it(
    rewriting: tuple[RewritingTransport, Gateway],
    path: str,
    query: str,
    field: str,
    position: Path,
    change: Change,
) -> None:
    named = [step for step in position if isinstance(step, str)]
    messages = _only_field_fails(
        rewriting,
        path,
        query,
        field,
        lambda body: change.apply(body, position),
        named[-1] if named else "body",
    )
    if path.startswith("/v2/"):  # typed decoding names the exact place, as the body spells it
        place = _place(position[:-1] if change is MISSING else position)
        said = (f"({place}: expected ", f"({place}: object missing required field ", f"({place} is ")
        assert all(any(s in m for s in said) for m in messages), (place, messages)


def _place(position: Path) -> str:
    """``("entities", 0, "totals", "requests")`` as ``entities[0].totals.requests``; the body itself
    as ``body``."""
    place = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in position)
    return place.lstrip(".") or "body"


def test_legacy_storage_rows_may_name_the_bucket_unit_id_only(
    rewriting: tuple[RewritingTransport, Gateway], api: Any
) -> None:
    """The official client's row type calls the bucket ``unitId`` (docs/upstream-contract.md)."""
    transport, client = rewriting

    def unit_id_only(body: Any) -> Any:
        for row in body["data"]:
            del row["bucketId"]
        return body

    transport.path, transport.rewrite = "/stats/daily", unit_id_only
    try:
        records = client.ok("{ legacy { storage { bucketId raw } } }")["legacy"]["storage"]
    finally:
        transport.path = None
    assert records and all(r["bucketId"] == r["raw"]["unitId"] for r in records)


def test_optional_meta_fields_left_null_by_the_upstream_come_back_null(
    rewriting: tuple[RewritingTransport, Gateway],
) -> None:
    """The contract lets ``scopeId``, ``window``, ``timeBucketSize`` and ``resourceFilter`` be null:
    that is an answer, not a fault, so the series arrives with those meta fields null."""
    transport, client = rewriting

    def nulls(body: Any) -> Any:
        for key in ("scopeId", "window", "timeBucketSize", "resourceFilter"):
            body["meta"][key] = None
        return body

    transport.path, transport.rewrite = "/v2/stats/ai", nulls
    try:
        series = client.ok(f"{{ stats(window: LAST_24H) {{ ai {{ timeSeries {{ {META} }} }} }} }}")
    finally:
        transport.path = None
    meta = series["stats"]["ai"]["timeSeries"]["meta"]
    assert {k: meta[k] for k in ("scopeId", "window", "bucketSize", "resourceFilter")} == dict.fromkeys(
        ("scopeId", "window", "bucketSize", "resourceFilter")
    )
    assert meta["scope"] == "ORG" and meta["end"] > meta["start"]


class ErrorBodyTransport(httpx.AsyncBaseTransport):
    """Answers every call with one error status and body, the upstream's JSON or not."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return httpx.Response(
            self.status, content=self.body, headers={"content-type": "application/json", **self.headers}
        )


SMALL = "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"


def _small_query(transport: ErrorBodyTransport, deadline: float | None = None) -> tuple[Any, float]:
    """A small query through a gateway on ``transport``: the result and the seconds it took."""
    settings = GatewaySettings(response_cache=False)
    if deadline is not None:
        settings = settings.model_copy(update={"request_deadline": deadline})
    client = Gateway(create_app(settings, transport=transport))
    started = time.monotonic()
    try:
        result = client.query(SMALL)
    finally:
        client.close()
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("body", "message", "upstream_code"),
    [
        (
            b'{"message": "window must be 24h or 7d.", "error_code": "INVALID_PARAMETER"}',
            "window must be 24h or 7d.",
            "INVALID_PARAMETER",
        ),
        (b'{"message": "", "error_code": ""}', "The statistics API rejected the request as invalid.", None),
        (b'{"message": 7, "error_code": 5}', "The statistics API rejected the request as invalid.", None),
        (b'["window"]', "The statistics API rejected the request as invalid.", None),
        (b"Bad Request", "The statistics API rejected the request as invalid.", None),
    ],
)
def test_an_error_body_out_of_contract_still_gives_a_coded_error(
    body: bytes, message: str, upstream_code: str | None
) -> None:
    transport = ErrorBodyTransport(400, body)
    result, _ = _small_query(transport)
    (error,) = result.errors
    assert error["message"] == message
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"].get("upstreamCode") == upstream_code
    assert transport.calls == 1, "a 400 is not retried"


def _busy_for(retry_after: str, deadline: float) -> tuple[ErrorBodyTransport, Any, float]:
    """A small query against an upstream that answers 503 with ``retry_after``: the transport, the
    result and the seconds it took."""
    transport = ErrorBodyTransport(503, b'{"message": "busy"}', {"retry-after": retry_after})
    result, seconds = _small_query(transport, deadline)
    return transport, result, seconds


def test_a_retry_after_past_the_deadline_is_not_waited_for() -> None:
    """Waiting 30 s would pass the request's 2 s deadline: the field fails at once instead."""
    transport, result, elapsed = _busy_for("30", deadline=2)
    assert result.codes() == {"stats.ai.timeSeries": "UPSTREAM_ERROR"}
    assert transport.calls == 1
    assert elapsed < 1.5


@pytest.mark.parametrize(("retry_after", "at_least"), [("0", 0.0), ("-3", 0.0), ("1", 1.0), ("soon", 0.0)])
def test_retry_after_is_honoured_within_the_deadline(retry_after: str, at_least: float) -> None:
    """A wait of 0, a negative one or one that is not a number leaves the short backoff alone."""
    transport, result, elapsed = _busy_for(retry_after, deadline=5)
    assert result.codes() == {"stats.ai.timeSeries": "UPSTREAM_ERROR"}
    assert transport.calls == 3, "two retries"
    assert 2 * at_least <= elapsed < 2 * at_least + 1.5


def test_a_success_that_is_not_json_says_so() -> None:
    result, _ = _small_query(ErrorBodyTransport(200, b"<html>maintenance</html>"))
    (error,) = result.errors
    assert error["message"] == "The statistics API sent a body that does not match its contract (not JSON)."
    assert error["extensions"]["code"] == "UPSTREAM_ERROR" and error["path"] == ["stats", "ai", "timeSeries"]


def test_counts_are_written_as_integers_and_fractions_as_they_came(
    rewriting: tuple[RewritingTransport, Gateway],
) -> None:
    """A count is a JSON integer in both forms (never ``12.0``); a fractional metric keeps its fraction."""
    transport, client = rewriting

    def fraction(body: Any) -> Any:
        body["series"][0]["latencyMs"] = 12.5
        return body

    transport.path, transport.rewrite = "/v2/stats/ai", fraction
    try:
        result = client.query(
            "{ stats(window: LAST_24H) { ai { timeSeries { series { requests tokensIn latencyMs }"
            " columns { requests tokensIn latencyMs } } } } }"
        )
    finally:
        transport.path = None
    series = orjson.loads(result.text)["data"]["stats"]["ai"]["timeSeries"]
    counts = [p[k] for p in series["series"] for k in ("requests", "tokensIn")]
    counts += series["columns"]["requests"] + series["columns"]["tokensIn"]
    assert counts and all(type(value) is int for value in counts)
    assert series["series"][0]["latencyMs"] == series["columns"]["latencyMs"][0] == 12.5


def _padded_page(body: Any) -> Any:
    """The page as asked, with its entities repeated to three times its length."""
    body["entities"] = body["entities"] * 3
    return body


def _padded_series(key: str) -> Callable[[Any], Any]:
    """Every series of the answer, ``series`` or each entity's, two buckets longer."""

    def pad(body: Any) -> Any:
        holders = [body] if key == "series" else body["entities"]
        for holder in holders:
            holder["series"] = holder["series"] + holder["series"][:2]
        return body

    return pad


@pytest.mark.parametrize(
    ("path", "query", "field", "rewrite", "named"),
    [
        (
            "/v2/stats/ai/breakdown/repos",
            "stats(window: LAST_24H) { ai { breakdown(by: REPOS, limit: 3) { entities { entityId } } } }",
            "stats.ai.breakdown",
            _padded_page,
            "entities",
        ),
        (
            "/v2/stats/ai",
            "stats(window: LAST_24H) { ai { timeSeries { columns { ts } } } }",
            "stats.ai.timeSeries",
            _padded_series("series"),
            "series",
        ),
        (
            "/v2/stats/ai/breakdown/repos",
            "stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 2) { entities { columns { ts } } } } }",
            "stats.ai.breakdown",
            _padded_series("entities"),
            "series",
        ),
    ],
    ids=["more entities than the limit", "a longer series than the window", "longer entity series"],
)
def test_an_answer_larger_than_what_was_asked_is_refused_not_counted_on(
    rewriting: tuple[RewritingTransport, Gateway],
    path: str,
    query: str,
    field: str,
    rewrite: Callable[[Any], Any],
    named: str,
) -> None:
    """The values budget trusts a page to hold at most its ``limit`` and a series its window's
    buckets; an upstream that sends more is out of contract, and only the field that asked fails."""
    messages = _only_field_fails(rewriting, path, f"{{ {SIBLING} {query} }}", field, rewrite, named)
    assert all("at most" in m for m in messages), messages
