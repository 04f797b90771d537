"""One hostile or unlucky request costs a bounded amount, and the gateway stays up when the upstream doesn't.

Each test is a row of the abuse table: it asserts the code the client gets, how many upstream
calls were made (counted at the transport) and a time bound that holds on a loaded 2-core machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import statistics
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import parse
from starlette.applications import Starlette

from gql.pipeline.limits import Limits, measure
from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from tests.conftest import per_module
from tests.gateway import Gateway
from tests.servers import free_port, serve
from tests.test_gateway_calls import CountingTransport


@pytest.fixture(scope=per_module)
def counted(backend_app: Starlette) -> Iterator[tuple[CountingTransport, Gateway]]:
    transport = CountingTransport(backend_app)
    client = Gateway(create_app(GatewaySettings(response_cache=False), transport=transport))
    yield transport, client
    client.close()


def _timed(client: Gateway, query: str, variables: dict[str, Any] | None = None) -> tuple[Any, float]:
    started = time.monotonic()
    result = client.query(query, variables)
    return result, time.monotonic() - started


def _codes(result: Any) -> set[str]:
    return {e["extensions"]["code"] for e in result.errors}


def _aliases(count: int, field: str = "breakdown(by: REPOS, limit: N) { total }") -> str:
    """``count`` aliased copies of ``field``, each made distinct by its limit (N)."""
    return " ".join(f"b{n}: " + field.replace("N", str(n + 1)) for n in range(count))


def _raw(client: Gateway, body: dict[str, Any]) -> httpx.Response:
    return client._runner.run(client._client.post("/graphql", json=body))


ENTITIES = (
    "query($r: [_Any!]!) { _entities(representations: $r) {"
    " ... on Repo { stats(window: LAST_7D) { ai { timeSeries { summary { total } } } } } } }"
)


def test_two_thousand_aliased_breakdowns_are_refused_before_any_call(
    counted: tuple[CountingTransport, Gateway],
) -> None:
    transport, client = counted
    transport.calls = 0
    result, seconds = _timed(client, f"{{ stats(window: LAST_7D) {{ ai {{ {_aliases(2000)} }} }} }}")
    assert _codes(result) == {"MAX_TOKENS_LIMIT"}
    assert transport.calls == 0 and seconds < 2


def test_aliases_past_the_limit_are_refused(counted: tuple[CountingTransport, Gateway]) -> None:
    transport, client = counted
    transport.calls = 0
    result, seconds = _timed(client, f"{{ stats(window: LAST_7D) {{ ai {{ {_aliases(61)} }} }} }}")
    assert _codes(result) == {"MAX_ALIASES_LIMIT"}
    assert "FLASHBACK_MAX_ALIASES" in result.errors[0]["message"]
    assert transport.calls == 0 and seconds < 2


CYCLE = (
    "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: %d) { entities { repo { stats(window: LAST_7D)"
    " { ai { %s } } } } } } } }"
)


def test_the_schemas_cycle_is_inside_the_cost_bound(counted: tuple[CountingTransport, Gateway]) -> None:
    """breakdown entity -> repo -> stats -> breakdown: each of 100 entities would cost 50 calls."""
    transport, client = counted
    transport.calls = 0
    result, seconds = _timed(client, CYCLE % (100, _aliases(50)))
    assert _codes(result) == {"COST_ESTIMATED_TOO_EXPENSIVE"}
    assert transport.calls == 0 and seconds < 2


def test_a_refused_estimate_says_what_to_trim(gateway: Gateway) -> None:
    result = gateway.query(CYCLE % (500, "breakdown(by: MODELS) { total }"))
    assert _codes(result) == {"COST_ESTIMATED_TOO_EXPENSIVE"}
    assert "upstream calls" in result.errors[0]["message"]


def test_the_reference_dashboard_reports_its_estimate_beside_what_it_cost(gateway: Gateway) -> None:
    from gql.server.graphiql import REFERENCE_QUERY

    result = gateway.query(REFERENCE_QUERY, {"limit": 50})
    assert not result.errors
    body = result.text
    import json

    cost = json.loads(body)["extensions"]["cost"]
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 9
    assert cost["actual"]["values"] <= cost["estimated"]["values"] <= cost["limits"]["values"] / 3
    assert cost["limits"] == {"calls": 30, "values": 320_000}


def test_a_twelve_megabyte_document_is_refused_before_it_is_read(backend_app: Starlette) -> None:
    app = create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend_app))
    document = "{ " + " ".join(f"a{n}: __typename" for n in range(655_360)) + " }"
    assert len(document) > 12_000_000
    with serve(app) as url:
        started = time.monotonic()
        response = httpx.post(f"{url}/graphql", json={"query": document}, timeout=30)
        seconds = time.monotonic() - started
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    assert seconds < 10


def test_ten_thousand_representations_are_refused_before_any_call(
    counted: tuple[CountingTransport, Gateway],
) -> None:
    transport, client = counted
    transport.calls = 0
    started = time.monotonic()
    many = [{"__typename": "Repo", "id": f"no-such-repo-{n}"} for n in range(10_000)]
    refused = _raw(client, {"query": ENTITIES, "variables": {"r": many}})
    assert refused.status_code == 413, "the body alone is past the limit"
    result, _ = _timed(client, ENTITIES, {"r": many[:501]})
    assert _codes(result) == {"MAX_REPRESENTATIONS_LIMIT"}
    # What to fix, in the message: how many were sent, how many are allowed, and the setting.
    assert result.errors[0]["message"] == (
        "_entities got 501 representations; at most 500 are allowed in one request"
        " (FLASHBACK_MAX_REPRESENTATIONS)."
    )
    assert transport.calls == 0 and time.monotonic() - started < 5


def test_unknown_representations_within_the_limit_stop_at_the_call_budget(
    counted: tuple[CountingTransport, Gateway],
) -> None:
    """500 unknown repos for a token the org-wide breakdown refuses (403): every entity falls back
    to its own call, and those stop at the budget. (With the breakdown read to its end, the same
    500 cost one call: test_federation.py.)"""
    transport, client = counted
    transport.calls = 0
    reps = [{"__typename": "Repo", "id": f"no-such-repo-{n}"} for n in range(500)]
    started = time.monotonic()
    result = client.query(ENTITIES, {"r": reps}, token="demo-workspace-only")
    assert transport.calls <= 30
    assert "COST_ACTUAL_TOO_EXPENSIVE" in _codes(result)
    assert len(result.errors) == 500
    assert time.monotonic() - started < 15


@pytest.fixture(scope=per_module)
def faulty_backend(settings: BackendSettings) -> Iterator[str]:
    with serve(create_backend_app(dataclasses.replace(settings, faults_enabled=True))) as url:
        yield url


def _inject(url: str, **fault: object) -> None:
    response = httpx.post(f"{url}/_faults", json=fault, headers={"Authorization": "Bearer demo"})
    assert response.status_code == 201, response.text


def _clear(url: str) -> None:
    httpx.delete(f"{url}/_faults", headers={"Authorization": "Bearer demo"})


def _remote(url: str, **settings: Any) -> Gateway:
    return Gateway(create_app(GatewaySettings(response_cache=False, api_url=url, **settings)))


def test_a_slow_upstream_costs_the_deadline_not_forty_timeouts(faulty_backend: str) -> None:
    _inject(faulty_backend, path="/v2/stats/ai/breakdown/repos", mode="slow", delayMs=20_000)
    client = _remote(faulty_backend, request_deadline=2.0, concurrency=8)
    try:
        storage = "storage { timeSeries { summary { total } } }"
        query = "{ stats(window: LAST_7D) { " + storage + " ai { " + _aliases(20) + " } } }"
        result, seconds = _timed(client, query)
    finally:
        client.close()
        _clear(faulty_backend)
    assert _codes(result) == {"DEADLINE_EXCEEDED"}
    assert len(result.errors) == 20
    assert result.data["stats"]["storage"]["timeSeries"]["summary"]["total"] > 0, "the rest arrives"
    assert seconds < 2.0 + 3


def test_transient_503s_are_retried_and_served(faulty_backend: str) -> None:
    _inject(faulty_backend, path="/v2/stats/ai", mode="status", status=503, times=2)
    client = _remote(faulty_backend)
    try:
        result, _ = _timed(client, "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }")
    finally:
        client.close()
        _clear(faulty_backend)
    assert not result.errors
    assert [c["status"] for c in result.upstream["calls"]] == [503, 503, 200]


def test_other_client_errors_are_not_retried(faulty_backend: str) -> None:
    _inject(faulty_backend, path="/v2/stats/ai", mode="status", status=403, times=1)
    client = _remote(faulty_backend)
    try:
        result, _ = _timed(client, "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }")
    finally:
        client.close()
        _clear(faulty_backend)
    assert _codes(result) == {"FORBIDDEN"}
    assert [c["status"] for c in result.upstream["calls"]] == [403]


def test_with_the_upstream_down_the_breaker_fails_fast_and_readyz_says_so() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    app = create_app(
        GatewaySettings(
            response_cache=False, api_url=down, service_token="t", breaker_threshold=5, breaker_cool_down=60
        )
    )
    client = Gateway(app)
    query = "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"
    try:
        attempts = []
        timings = []
        for _ in range(40):
            result, seconds = _timed(client, query)
            assert _codes(result) == {"UPSTREAM_ERROR"}
            attempts.append(len(result.upstream["calls"]))
            timings.append(seconds)
        assert sum(attempts) <= 5 + 2, "after five faults in a row no call goes out"
        assert "held back" in result.errors[0]["message"]
        assert statistics.median(timings[10:]) < 0.05

        async def readiness() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as http:
                return await http.get("/readyz")

        ready = client._runner.run(readiness())
        assert ready.status_code == 503
        assert ready.json()["breaker"] == "open"
    finally:
        client.close()


def test_readyz_is_ready_when_the_upstream_answers(gateway: Gateway) -> None:
    async def readiness() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway.app), base_url="http://g"
        ) as http:
            return await http.get("/readyz")

    response = gateway._runner.run(readiness())
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "upstream": "up", "breaker": "closed"}


def test_an_id_with_a_comma_is_refused(gateway: Gateway) -> None:
    result = gateway.query('{ legacy { storage(repoIds: ["a,b"]) { ts } } }')
    assert result.codes() == {"legacy.storage": "BAD_USER_INPUT"}
    assert "comma" in result.errors[0]["message"] and result.upstream["count"] == 0


@pytest.mark.slow
def test_healthz_stays_fast_while_abusive_requests_arrive(backend_app: Starlette) -> None:
    """Oversized, over-long and over-budget documents never hold the event loop: /healthz answers in
    well under half a second throughout (bench/faults.py measures the p99: under 50 ms)."""
    app = create_app(GatewaySettings(response_cache=False), transport=httpx.ASGITransport(app=backend_app))
    abusive = [
        {"query": "{ " + " ".join(f"a{n}: __typename" for n in range(30_000)) + " }"},
        {"query": "{ stats(window: LAST_7D) { ai { " + _aliases(2000) + " } } }"},
        {"query": CYCLE % (500, "breakdown(by: MODELS) { total }")},
    ]
    with serve(app) as url:

        async def run() -> list[float]:
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                stop = asyncio.Event()

                async def abuse() -> None:
                    while not stop.is_set():
                        await asyncio.gather(*(http.post("/graphql", json=body) for body in abusive))

                attackers = [asyncio.create_task(abuse()) for _ in range(3)]
                latencies = []
                for _ in range(120):
                    started = time.monotonic()
                    await http.get("/healthz")
                    latencies.append(time.monotonic() - started)
                    await asyncio.sleep(0.01)
                stop.set()
                await asyncio.gather(*attackers, return_exceptions=True)
                return latencies

        latencies = asyncio.run(run())
    latencies.sort()
    assert latencies[int(len(latencies) * 0.99) - 1] < 0.5, latencies[-5:]


def test_a_breakdown_whose_limit_could_pass_the_values_budget_is_answered_when_its_page_does_not(
    counted: tuple[CountingTransport, Gateway],
) -> None:
    """``limit: 500`` x 168 points x 7 metrics could be 588,000 values, past the 320,000 budget; the
    upstream holds fewer repos, so the answer is far smaller, and REST would give it: it is answered."""
    transport, client = counted
    transport.calls = 0
    columns = "columns { ts tokensIn tokensOut policyTokensIn policyTokensOut requests activeConversations }"
    result = client.query(
        "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 500) { total entities { "
        + columns
        + " } } } } }"
    )
    assert result.errors == []
    breakdown = result.data["stats"]["ai"]["breakdown"]
    entities = breakdown["entities"]
    assert 0 < len(entities) == breakdown["total"] < 500
    cost = json.loads(result.text)["extensions"]["cost"]
    assert cost["estimated"]["values"] == 500 * 168 * 7  # the bound, reported
    held = sum(len(column) for entity in entities for column in entity["columns"].values())
    assert held == len(entities) * 168 * 7
    assert cost["actual"]["values"] == held + 1  # and the total
    assert transport.calls == 1


def test_an_answer_past_the_values_budget_is_refused_on_what_arrived(backend_app: Starlette) -> None:
    """The same breakdown under a budget its actual page passes: refused before it is encoded."""
    transport = CountingTransport(backend_app)
    client = Gateway(
        create_app(GatewaySettings(response_cache=False, max_values=10_000), transport=transport)
    )
    try:
        result = client.query(
            "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 500) { entities {"
            " columns { ts requests } } } } } }"
        )
        assert _codes(result) == {"COST_ACTUAL_TOO_EXPENSIVE"}
        assert "FLASHBACK_MAX_VALUES" in result.errors[0]["message"]
        body = json.loads(result.text)
        assert "data" not in body or body["data"] is None
        assert body["extensions"]["cost"]["actual"]["values"] > 10_000
        # What is certain before any call is still refused before any call.
        transport.calls = 0
        series = (
            "{ stats(window: LAST_90D, bucketSize: HOUR_1) { ai { timeSeries {"
            " columns { ts requests tokensIn tokensOut latencyMs } } } } }"
        )
        refused = client.query(series)
        assert _codes(refused) == {"COST_ESTIMATED_TOO_EXPENSIVE"} and transport.calls == 0
    finally:
        client.close()


def test_root_fields_are_accepted_at_the_limit_and_refused_one_past_it(gateway: Gateway) -> None:
    allowed = GatewaySettings().max_root_fields
    at_limit = gateway.query("{ " + " ".join(["__typename"] * allowed) + " }")
    assert at_limit.errors == [] and at_limit.data == {"__typename": "Query"}
    # Fields inside an inline fragment at the root are root fields too.
    past = gateway.query("{ __typename ... on Query { " + " ".join(["__typename"] * allowed) + " } }")
    assert _codes(past) == {"MAX_ROOT_FIELDS_LIMIT"}
    assert past.errors[0]["message"] == (
        f"The document has {allowed + 1} root fields; at most {allowed} are allowed (FLASHBACK_MAX_ROOT_FIELDS)."
    )


ON_STATS = "ai { breakdown(by: REPOS, limit: 1) { entities { repo { %s } } } }"
LINKED = "stats(window: LAST_7D) { " + ON_STATS + " }"


@pytest.mark.parametrize(
    ("document", "setting", "what"),
    [
        ("{ " + LINKED % (LINKED % (LINKED % "id")) + " }", "FLASHBACK_MAX_DEPTH", "levels of nested fields"),
        (
            "{ stats(window: LAST_7D) { "
            + " ".join(f"w{i}: window @include(if: true)" for i in range(51))
            + " } }",
            "FLASHBACK_MAX_DIRECTIVES",
            "directives",
        ),
        (
            "{ stats(window: LAST_7D) { ...A } }"
            " fragment A on Stats { " + ON_STATS % "stats(window: LAST_7D) { ...B }" + " }"
            " fragment B on Stats { " + ON_STATS % "stats(window: LAST_7D) { ...C }" + " }"
            " fragment C on Stats { " + ON_STATS % "id" + " }",
            "FLASHBACK_MAX_DEPTH",
            "levels of nested fields",
        ),
    ],
    ids=["depth", "directives", "depth through fragments"],
)
def test_a_document_past_a_shape_limit_is_told_which_setting_raises_it(
    gateway: Gateway, document: str, setting: str, what: str
) -> None:
    shape = measure(parse(document))
    found = shape.depth if setting == "FLASHBACK_MAX_DEPTH" else shape.directives
    allowed = getattr(Limits(), setting.removeprefix("FLASHBACK_").lower())
    assert found > allowed
    result = gateway.query(document)
    assert result.errors[0]["message"] == (
        f"The document has {found} {what}; at most {allowed} are allowed ({setting})."
    )


@pytest.mark.parametrize(
    "setting", ["max_tokens", "max_depth", "max_aliases", "max_root_fields", "max_directives"]
)
def test_each_shape_limit_follows_its_setting(backend_app: Starlette, setting: str) -> None:
    """A limit set low refuses a document the default lets through: the setting reaches the check."""
    document = (
        "{ a: stats(window: LAST_7D) @include(if: true) { window }"
        " b: stats(window: LAST_7D) { ai { timeSeries { summary { total } } } } }"
    )
    low = {"max_tokens": 10, "max_directives": 0}.get(setting, 1)
    settings = GatewaySettings(response_cache=False).model_copy(update={setting: low})
    client = Gateway(create_app(settings, transport=httpx.ASGITransport(app=backend_app)))
    try:
        result = client.query(document)
    finally:
        client.close()
    assert _codes(result) == {f"{setting.upper()}_LIMIT"}
