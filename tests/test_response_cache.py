"""The response cache: many users watch the same dashboards, so an upstream answer is shared for a
few seconds across requests, workers and replicas, and never across credentials.

Each test runs the gateway over the local backend behind a transport that counts the calls that
really reach it; the gateway's own report (``extensions.upstream``) says where each answer came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import redis
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from local_backend.settings import BackendSettings
from resolvers.cache_stores import MemoryStore, RedisStore
from tests.conftest import PINNED_NOW
from tests.gateway import Gateway, Result
from tests.redis_server import redis_server
from tests.servers import free_port, wait_until_healthy
from tests.test_every_field import every_field_queries
from tests.test_metrics import moved, scrape

SMALL = "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"
DASHBOARD = (
    "{ stats(window: LAST_7D) { ai { timeSeries { summary { total } } byModel: breakdown(by: MODELS, limit: 5)"
    " { entities { entityId totals { requests } } } } storage { timeSeries { columns { ts uplBytes } } } } }"
)


class CountingTransport(httpx.AsyncBaseTransport):
    """The local backend, counting the calls that reach it; it may answer slowly, add headers, or
    send a broken body."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.calls = 0
        self.delay = 0.0
        self.headers: dict[str, str] = {}
        self.broken = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        if self.broken and response.status_code == 200:
            content = content.replace(b'"total"', b'"t0tal"')
        return httpx.Response(
            response.status_code, headers={**response.headers, **self.headers}, content=content
        )


@pytest.fixture
def counting(backend_app: Starlette) -> CountingTransport:
    return CountingTransport(backend_app)


@pytest.fixture
def cached(counting: CountingTransport) -> Iterator[Gateway]:
    client = Gateway(create_app(GatewaySettings(), transport=counting))
    yield client
    client.close()


def _cache(result: Result) -> dict[str, Any]:
    report: dict[str, Any] = result.upstream.get("cache", {})
    return report


def test_a_repeated_request_is_answered_from_the_cache_and_says_so(
    cached: Gateway, counting: CountingTransport
) -> None:
    first = cached.query(SMALL)
    second = cached.query(SMALL)
    assert not first.errors and second.data == first.data
    assert counting.calls == 1
    assert first.upstream["count"] == 1 and _cache(first)["misses"] == 1 and _cache(first)["hits"] == 0
    assert second.upstream["count"] == 0 and _cache(second)["hits"] == 1 and _cache(second)["misses"] == 0
    (lookup,) = _cache(second)["lookups"]
    assert (lookup["path"], lookup["result"]) == ("/v2/stats/ai", "hit")


EVERY_FIELD = every_field_queries()


@pytest.mark.parametrize("query", EVERY_FIELD, ids=range(len(EVERY_FIELD)))
def test_answers_from_the_cache_equal_answers_without_it(
    cached: Gateway, gateway: Gateway, counting: CountingTransport, query: str
) -> None:
    """Every field of every series and breakdown: a miss, then a hit, then the cache off."""
    missed, hit, uncached = cached.query(query), cached.query(query), gateway.query(query)
    assert not uncached.errors, uncached.errors
    assert missed.data == hit.data == uncached.data
    assert missed.errors == hit.errors == []
    assert hit.upstream["count"] == 0 and _cache(hit)["hits"] == len(_cache(hit)["lookups"]) >= 1
    assert "cache" not in uncached.upstream, "with the cache off, nothing is looked up"


def _same_query_as(tokens: list[str], client: Gateway) -> list[Result]:
    return [client.query(DASHBOARD, token=token) for token in tokens]


def test_an_answer_is_never_served_to_other_credentials(cached: Gateway, counting: CountingTransport) -> None:
    mine, again, theirs, limited = _same_query_as(
        ["demo", "demo", "demo-other-org", "demo-workspace-only"], cached
    )
    assert again.data == mine.data and again.upstream["count"] == 0
    # Another organization's token: every call goes upstream again, and its numbers are its own.
    assert theirs.upstream["count"] == mine.upstream["count"] and _cache(theirs)["hits"] == 0
    assert theirs.data != mine.data
    # A token limited to one workspace may not read the org: it is refused, not served the cached org.
    assert _cache(limited)["hits"] == 0
    assert set(limited.codes().values()) == {"FORBIDDEN"}, limited.errors


def test_concurrent_identical_requests_share_one_upstream_call(
    cached: Gateway, counting: CountingTransport
) -> None:
    counting.delay = 0.3
    results = cached.gather(*[(SMALL, "demo")] * 4)
    assert counting.calls == 1
    assert all(r.data == results[0].data and not r.errors for r in results)
    sources = sorted(lookup["result"] for r in results for lookup in _cache(r)["lookups"])
    assert sources == ["coalesced", "coalesced", "coalesced", "miss"]
    counted = sorted((_cache(r)["hits"], _cache(r)["coalesced"], _cache(r)["misses"]) for r in results)
    assert counted == [(0, 0, 1), (0, 1, 0), (0, 1, 0), (0, 1, 0)]


def test_concurrent_requests_of_other_credentials_do_not_share_a_call(
    cached: Gateway, counting: CountingTransport
) -> None:
    counting.delay = 0.3
    mine, theirs = cached.gather((SMALL, "demo"), (SMALL, "demo-other-org"))
    assert counting.calls == 2 and mine.data != theirs.data


@pytest.mark.parametrize(
    ("cache_control", "cache_seconds", "kept"),
    [
        (None, 15.0, True),
        (None, 0.0, False),
        ("max-age=60", 0.0, True),
        ("private, max-age=60", 0.0, True),
        ("public, s-maxage=60, max-age=0", 0.0, True),
        ("no-store", 15.0, False),
        ("no-cache", 15.0, False),
        ("max-age=0", 15.0, False),
    ],
)
def test_the_upstream_cache_control_decides_how_long_an_answer_is_kept(
    counting: CountingTransport, cache_control: str | None, cache_seconds: float, kept: bool
) -> None:
    if cache_control is not None:
        counting.headers["cache-control"] = cache_control
    client = Gateway(create_app(GatewaySettings(cache_seconds=cache_seconds), transport=counting))
    try:
        client.query(SMALL)
        second = client.query(SMALL)
    finally:
        client.close()
    assert counting.calls == (1 if kept else 2)
    assert _cache(second)["hits"] == (1 if kept else 0)


def test_an_answer_expires_after_its_max_age_less_its_age(counting: CountingTransport) -> None:
    counting.headers.update({"cache-control": "max-age=3", "age": "2"})
    client = Gateway(create_app(GatewaySettings(), transport=counting))
    try:
        client.query(SMALL)
        assert client.query(SMALL).upstream["count"] == 0
        time.sleep(1.1)
        assert client.query(SMALL).upstream["count"] == 1
    finally:
        client.close()


def test_a_malformed_answer_is_not_kept(cached: Gateway, counting: CountingTransport) -> None:
    counting.broken = True
    first = cached.query(SMALL)
    assert first.codes() == {"stats.ai.timeSeries": "UPSTREAM_ERROR"}
    counting.broken = False
    second = cached.query(SMALL)
    assert not second.errors and counting.calls == 2 and _cache(second)["hits"] == 0


def test_the_cache_can_be_turned_off(counting: CountingTransport) -> None:
    client = Gateway(create_app(GatewaySettings(response_cache=False), transport=counting))
    try:
        first, second = client.query(SMALL), client.query(SMALL)
    finally:
        client.close()
    assert counting.calls == 2 and first.data == second.data
    assert "cache" not in second.upstream


def test_hits_and_misses_are_counted_in_the_metrics(cached: Gateway) -> None:
    before = scrape(cached._runner.run(cached._client.get("/metrics")))
    cached.query(SMALL)
    cached.query(SMALL)
    cached.query(SMALL)
    after = scrape(cached._runner.run(cached._client.get("/metrics")))
    name = "flashback_response_cache_lookups_total"
    assert moved(before, after, name, level="upstream", result="miss") == 1
    assert moved(before, after, name, level="upstream", result="hit") == 2


def test_the_in_process_cache_holds_at_most_its_bytes_and_drops_the_least_recently_used() -> None:
    store = MemoryStore(max_bytes=4_000)

    async def run() -> None:
        for index in range(10):
            await store.put(f"k{index}", bytes(900), 60)
            assert store.used <= 4_000
            await store.get("k0")  # k0 is read after every write: it stays
        assert await store.get("k0") is not None and await store.get("k1") is None
        assert await store.get("k9") is not None
        await store.put("huge", bytes(1_001), 60)  # more than a quarter of the bound: not kept
        assert await store.get("huge") is None

    asyncio.run(run())
    assert len(store) == 4


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _on_redis(transport: httpx.AsyncBaseTransport, url: str) -> Gateway:
    return Gateway(create_app(GatewaySettings(cache_redis_url=url), transport=transport))


def test_two_gateways_on_one_redis_share_an_answer_and_no_credentials(
    counting: CountingTransport, redis_url: str
) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    first, second = _on_redis(counting, redis_url), _on_redis(counting, redis_url)
    try:
        missed = first.query(DASHBOARD)
        hit = second.query(DASHBOARD)
        theirs = second.query(DASHBOARD, token="demo-other-org")
        calls = counting.calls
        answered = [_plain(client, DASHBOARD).content for client in (first, second)]
    finally:
        first.close()
        second.close()
    assert not missed.errors and hit.data == missed.data
    assert hit.upstream["count"] == 0 and _cache(hit)["hits"] == len(_cache(hit)["lookups"])
    assert _cache(theirs)["hits"] == 0 and theirs.data != missed.data
    assert answered[0] == answered[1] and counting.calls == calls
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).scan_iter("flashback:v1:*")]
    assert any(":answer:" in key for key in keys), "the first process kept the whole answer for the second"
    assert keys and not any("demo" in key or "Bearer" in key for key in keys), keys


def test_a_redis_that_goes_away_costs_the_cache_not_the_answer(
    counting: CountingTransport, caplog: pytest.LogCaptureFixture
) -> None:
    with redis_server() as url:
        client = _on_redis(counting, url)
        client.query(SMALL)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="resolvers.cache"):
            answered = client.query(SMALL)
        took = time.monotonic() - started
    finally:
        client.close()
    assert not answered.errors and answered.upstream["count"] == 1
    assert [lookup["result"] for lookup in _cache(answered)["lookups"]] == ["unavailable"]
    assert took < 5
    failures = [r.fields["failure"] for r in caplog.records if r.getMessage() == "cache store failed"]  # type: ignore[attr-defined]
    assert failures == ["ConnectionError"], "the operator's log names what failed, once"


def _serve(port: int, redis_url: str, settings: BackendSettings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FLASHBACK_GQL_PORT": str(port),
        "FLASHBACK_CACHE_REDIS_URL": redis_url,
        "FLASHBACK_BACKEND_NOW": PINNED_NOW,
        "FLASHBACK_BACKEND_DB": str(settings.db_path),
    }
    env.pop("FLASHBACK_API_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "gql.server.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.slow
def test_two_gateway_processes_on_one_real_redis_share_a_hit(
    settings: BackendSettings, redis_url: str
) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    ports = [free_port(), free_port()]
    processes = [_serve(port, redis_url, settings) for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_until_healthy(f"http://127.0.0.1:{port}", process, 120)
        answers = [
            httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": DASHBOARD},
                headers={"X-Upstream-Report": "1"},
                timeout=60,
            ).json()
            for port in ports
        ]
    finally:
        for process in processes:
            process.terminate()
            process.communicate(timeout=30)
    first, second = (answer["extensions"]["upstream"] for answer in answers)
    assert answers[0]["data"] == answers[1]["data"] and "errors" not in answers[1]
    assert first["count"] >= 1 and first["cache"]["hits"] == 0
    assert second["count"] == 0 and second["cache"]["hits"] == len(second["cache"]["lookups"])
    assert orjson.dumps(answers[0]["data"]) == orjson.dumps(answers[1]["data"])


def _plain(
    client: Gateway, query: str, token: str = "demo", variables: dict[str, Any] | None = None
) -> httpx.Response:
    """A request as an app sends it: no upstream report asked for."""
    return client._runner.run(
        client._client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    )


def test_a_repeated_query_is_answered_whole_from_the_answer_cache(
    cached: Gateway, counting: CountingTransport
) -> None:
    before = scrape(cached._runner.run(cached._client.get("/metrics")))
    first, second = _plain(cached, DASHBOARD), _plain(cached, DASHBOARD)
    after = scrape(cached._runner.run(cached._client.get("/metrics")))
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and "errors" not in first.json()
    assert counting.calls == 3, "the first request's calls only"
    assert second.headers["content-type"] == first.headers["content-type"]
    name = "flashback_response_cache_lookups_total"
    assert moved(before, after, name, level="answer", result="miss") == 1
    assert moved(before, after, name, level="answer", result="hit") == 1


def test_answers_are_kept_per_credentials_and_variables(cached: Gateway, counting: CountingTransport) -> None:
    query = (
        "query Top($n: Int!) { stats(window: LAST_7D) { ai { breakdown(by: MODELS, limit: $n)"
        " { entities { entityId } } } } }"
    )
    two, three = _plain(cached, query, variables={"n": 2}), _plain(cached, query, variables={"n": 3})
    theirs = _plain(cached, query, token="demo-other-org", variables={"n": 2})
    assert len(two.json()["data"]["stats"]["ai"]["breakdown"]["entities"]) == 2
    assert len(three.json()["data"]["stats"]["ai"]["breakdown"]["entities"]) == 3
    assert theirs.json()["data"] != two.json()["data"]
    assert counting.calls == 3


def test_an_answer_with_errors_is_not_kept(cached: Gateway, counting: CountingTransport) -> None:
    refused = [_plain(cached, SMALL, token="demo-workspace-only") for _ in range(2)]
    assert all(r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN" for r in refused)
    assert counting.calls == 2


def test_an_answer_lives_no_longer_than_the_upstream_answers_it_was_made_from(
    counting: CountingTransport,
) -> None:
    counting.headers["cache-control"] = "max-age=1"
    client = Gateway(create_app(GatewaySettings(), transport=counting))
    try:
        _plain(client, SMALL)
        _plain(client, SMALL)
        assert counting.calls == 1
        time.sleep(1.1)
        _plain(client, SMALL)
        assert counting.calls == 2
    finally:
        client.close()


def test_asking_for_the_upstream_report_always_executes(cached: Gateway, counting: CountingTransport) -> None:
    _plain(cached, SMALL)
    reported = cached.query(SMALL)
    assert _cache(reported)["hits"] == 1, "executed, with the upstream answer from the response cache"


def test_an_answer_the_upstream_marks_stale_is_not_kept_whole(counting: CountingTransport) -> None:
    counting.headers["cache-control"] = "max-age=0"
    client = Gateway(create_app(GatewaySettings(), transport=counting))
    try:
        _plain(client, SMALL)
        _plain(client, SMALL)
    finally:
        client.close()
    assert counting.calls == 2


def test_each_operation_of_a_document_has_its_own_answer(cached: Gateway) -> None:
    document = (
        "query Ai { stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"
        " query Storage { stats(window: LAST_24H) { storage { timeSeries { summary { total } } } } }"
    )

    def ask(operation: str) -> Any:
        return cached._runner.run(
            cached._client.post(
                "/graphql",
                json={"query": document, "operationName": operation},
                headers={"Authorization": "Bearer demo"},
            )
        ).json()["data"]["stats"]

    assert list(ask("Ai")) == ["ai"] and list(ask("Storage")) == ["storage"]
    assert list(ask("Ai")) == ["ai"]


def test_a_hung_redis_costs_one_wait_then_is_left_alone(counting: CountingTransport) -> None:
    """A Redis that accepts connections and never answers: the first lookup waits for its timeout,
    the next ones within five seconds do not wait at all."""
    import socket

    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        url = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
        client = _on_redis(counting, url)
        try:
            started = time.monotonic()
            first = client.query(SMALL)
            waited = time.monotonic() - started
            started = time.monotonic()
            second = client.query(SMALL)
            then = time.monotonic() - started
        finally:
            client.close()
    assert not first.errors and not second.errors
    assert [lookup["result"] for lookup in _cache(second)["lookups"]] == ["unavailable"]
    assert waited >= 0.2 and then < 0.2, (waited, then)


def test_memory_entries_at_the_bounds(tmp_path: Any) -> None:
    async def run() -> MemoryStore:
        store = MemoryStore(max_bytes=4_000)
        await store.put("k", bytes(999), 60)  # exactly a quarter with its key: kept
        assert await store.get("k") is not None and store.used == 1_000
        await store.put("k", bytes(499), 60)  # the same key again: counted once
        assert store.used == 500
        for index in range(7):
            await store.put(f"k{index}", bytes(498), 60)  # 500 each with the key
        assert store.used == 4_000 and len(store) == 8, "exactly full is not over"
        return store

    asyncio.run(run())


def test_redis_reports_what_is_left_of_an_entry(redis_url: str) -> None:
    from resolvers.cache_stores import RedisStore

    async def run() -> Any:
        store = RedisStore(redis_url)
        try:
            await store.put("flashback:test:left", b"body", 2.0)
            return await store.get("flashback:test:left")
        finally:
            await store.close()

    body, left = asyncio.run(run())
    assert body == b"body" and 1.5 < left <= 2.0


def test_an_entry_is_fresh_until_its_seconds_are_up_and_then_frees_its_bytes() -> None:
    now = [100.0]
    store = MemoryStore(max_bytes=4_000, clock=lambda: now[0])

    async def run() -> list[tuple[bytes, float] | None]:
        await store.put("k", b"body", 10)
        seen = [await store.get("k")]
        now[0] = 109.5
        seen.append(await store.get("k"))
        now[0] = 110.0  # exactly its seconds later: stale
        seen.append(await store.get("k"))
        return seen

    fresh, later, stale = asyncio.run(run())
    assert fresh == (b"body", 10.0) and later == (b"body", 0.5) and stale is None
    assert len(store) == 0 and store.used == 0


def test_a_redis_that_accepts_and_never_answers_costs_at_most_its_timeout() -> None:
    """A hung Redis (the connection opens, no reply comes) must cost a miss, not a hung request."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        store = RedisStore(f"redis://127.0.0.1:{silent.getsockname()[1]}", timeout=0.2)

        async def run() -> float:
            started = time.monotonic()
            try:
                with pytest.raises(redis.exceptions.TimeoutError):
                    await asyncio.wait_for(store.get("k"), 5)
            finally:
                await store.close()
            return time.monotonic() - started

        took = asyncio.run(run())
        silent.settimeout(0.1)
        connections = []
        with contextlib.suppress(TimeoutError):
            while True:
                connections.append(silent.accept()[0])
        for connection in connections:
            connection.close()
    assert took < 1.5
    assert len(connections) == 1, "a timed-out call is not tried again"


def test_the_upstream_report_adds_up(cached: Gateway) -> None:
    """``extensions.upstream``: one entry per call with its path, query and status; a total that is
    the sum of the calls; and a cache section whose hits and misses add up to its lookups."""
    first = cached.query(DASHBOARD)
    again = cached.query(DASHBOARD.replace("total", "max", 1))
    for result in (first, again):
        report = result.upstream
        assert report["count"] == len(report["calls"])
        assert all(set(call) == {"path", "query", "status", "ms"} for call in report["calls"])
        assert report["totalMs"] == pytest.approx(sum(call["ms"] for call in report["calls"]), abs=0.02)
        cache = report["cache"]
        assert cache["hits"] + cache["coalesced"] + cache["misses"] == len(cache["lookups"])
        assert all(set(lookup) == {"path", "query", "result"} for lookup in cache["lookups"])
    assert first.upstream["cache"]["misses"] == first.upstream["count"] > 0
    assert again.upstream["cache"]["hits"] >= 1
