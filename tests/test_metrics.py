"""`/metrics` in Prometheus' text format: after a known set of requests the counters have moved by
exactly what those requests did, in one process and across two workers."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.metrics import OperationNames
from gql.server.settings import GatewaySettings
from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from tests.gateway import Gateway
from tests.servers import free_port, serve, wait_until_healthy

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
DASHBOARD = "query Dashboard { stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"
TOO_MANY_ALIASES = "{ " + " ".join(f"a{i}: __typename" for i in range(61)) + " }"


def scrape(get: httpx.Response) -> Samples:
    assert get.status_code == 200 and get.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(get.text)
        for sample in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_counters_move_by_what_the_requests_did(gateway: Gateway) -> None:
    before = scrape(gateway._runner.run(gateway._client.get("/metrics")))
    # A comment makes the text new to the document cache: the first request misses, the second hits.
    fresh = f"{DASHBOARD} # {uuid.uuid4()}"
    answers = [gateway.query(fresh), gateway.query(fresh)]
    refused = gateway._runner.run(gateway._client.post("/graphql", json={"query": TOO_MANY_ALIASES}))
    partial = gateway.query(
        '{ stats(window: LAST_24H, scope: REPO, id: "no-such-repo") { ai { timeSeries {'
        " summary { total } } } } }"
    )
    after = scrape(gateway._runner.run(gateway._client.get("/metrics")))

    assert (
        all(not a.errors for a in answers)
        and refused.json()["errors"][0]["extensions"]["code"] == "MAX_ALIASES_LIMIT"
    )
    partial_code = partial.errors[0]["extensions"]["code"]
    assert moved(before, after, "flashback_graphql_requests_total", operation="Dashboard", outcome="ok") == 2
    assert (
        moved(before, after, "flashback_graphql_requests_total", operation="anonymous", outcome="refused")
        == 1
    )
    assert (
        moved(before, after, "flashback_graphql_requests_total", operation="anonymous", outcome="partial")
        == 1
    )
    assert moved(before, after, "flashback_graphql_errors_total", code="MAX_ALIASES_LIMIT") == 1
    assert moved(before, after, "flashback_graphql_refusals_total", limit="MAX_ALIASES_LIMIT") == 1
    assert moved(before, after, "flashback_graphql_errors_total", code=partial_code) == 1
    assert moved(before, after, "flashback_graphql_request_duration_seconds_count", outcome="ok") == 2
    calls = [c for a in (*answers, partial) for c in a.upstream["calls"]]
    for path in {c["path"] for c in calls}:
        for status in {str(c["status"]) for c in calls if c["path"] == path}:
            expected = sum(1 for c in calls if c["path"] == path and str(c["status"]) == status)
            assert (
                moved(before, after, "flashback_upstream_requests_total", endpoint=path, status=status)
                == expected
            )
        assert moved(
            before, after, "flashback_upstream_request_duration_seconds_count", endpoint=path
        ) == sum(1 for c in calls if c["path"] == path)
    assert moved(before, after, "flashback_document_cache_lookups_total", result="miss") >= 1
    assert moved(before, after, "flashback_document_cache_lookups_total", result="hit") >= 1
    assert after[("flashback_upstream_breaker_state", frozenset({("state", "closed")}))] == 1
    assert after[("flashback_upstream_breaker_state", frozenset({("state", "open")}))] == 0


@pytest.fixture
def answering(backend_app: Starlette) -> Iterator[Gateway]:
    """A gateway with its caches on, the answer cache empty: whole answers are kept and recalled."""
    client = Gateway(create_app(GatewaySettings(), transport=httpx.ASGITransport(app=backend_app)))
    yield client
    client.close()


def _posted_twice(client: Gateway, query: str) -> tuple[Samples, list[httpx.Response], Samples]:
    """The metrics before, the two answers, and the metrics after."""
    before = scrape(client._runner.run(client._client.get("/metrics")))
    answers = [client._runner.run(client._client.post("/graphql", json={"query": query})) for _ in range(2)]
    return before, answers, scrape(client._runner.run(client._client.get("/metrics")))


def test_an_answer_kept_from_an_earlier_request_counts_as_executed(answering: Gateway) -> None:
    """The second request is answered whole from the answer cache; it is still an ``ok`` request."""
    before, answers, after = _posted_twice(
        answering, "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"
    )
    assert all(a.status_code == 200 and "errors" not in a.json() for a in answers)
    assert moved(before, after, "flashback_response_cache_lookups_total", level="answer", result="hit") == 1
    assert moved(before, after, "flashback_graphql_requests_total", operation="anonymous", outcome="ok") == 2
    assert (
        moved(before, after, "flashback_graphql_requests_total", operation="anonymous", outcome="refused")
        == 0
    )


def test_an_answer_that_needed_no_upstream_call_is_not_kept(answering: Gateway) -> None:
    """Nothing upstream said how long it stays fresh, so there is nothing to keep it by."""
    before, _, after = _posted_twice(answering, "{ __typename }")
    assert moved(before, after, "flashback_response_cache_lookups_total", level="answer", result="miss") == 2
    assert moved(before, after, "flashback_response_cache_lookups_total", level="answer", result="hit") == 0


def test_the_graphiql_page_is_not_counted_as_a_graphql_request(gateway: Gateway) -> None:
    before = scrape(gateway._runner.run(gateway._client.get("/metrics")))
    page = gateway._runner.run(gateway._client.get("/graphql", headers={"Accept": "text/html"}))
    after = scrape(gateway._runner.run(gateway._client.get("/metrics")))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    requests = {k: v for k, v in after.items() if k[0] == "flashback_graphql_requests_total"}
    assert requests == {k: v for k, v in before.items() if k[0] == "flashback_graphql_requests_total"}


def test_no_label_carries_an_id_or_free_text(gateway: Gateway) -> None:
    gateway.query(
        '{ stats(window: LAST_24H, scope: REPO, id: "secret-repo-id") { ai { timeSeries { summary { total } } } } }'
    )
    text = gateway._runner.run(gateway._client.get("/metrics")).text
    assert "secret-repo-id" not in text and "demo" not in text


def test_operation_names_past_the_limit_count_as_other() -> None:
    names = OperationNames(limit=2, admit_after=1)
    assert [names.label(n) for n in ("A", "B", "C", "A", None)] == ["A", "B", "other", "A", "anonymous"]


def test_made_up_operation_names_cannot_push_out_a_real_one() -> None:
    """Hundreds of names executed a few times each take every label first; the dashboard, executed
    more often than the least used of them, takes a label all the same, and a name that was only
    refused never gets one."""
    names = OperationNames(limit=5)
    for n in range(300):
        for _ in range(2):
            names.label(f"Made{n}")
    shown = [names.label("Dashboard") for _ in range(4)]
    assert shown == ["other", "other", "Dashboard", "Dashboard"]  # a label once past 2 executions
    for _ in range(50):
        assert names.label("Refused", executed=False) == "other"
    assert len(names._counts) <= 20  # the candidates' table stays bounded
    assert names.label("x" * 65) == "other"
    # Once labelled, the dashboard keeps its label against the made-up names that follow.
    for n in range(300, 600):
        names.label(f"Made{n}")
    assert names.label("Dashboard") == "Dashboard"


@pytest.fixture(scope="module")
def upstream(settings: BackendSettings) -> Iterator[str]:
    with serve(create_backend_app(settings)) as url:
        yield url


@pytest.mark.slow  # a server process with two workers
def test_two_workers_report_every_request_between_them(upstream: str) -> None:
    port = free_port()
    env = {**os.environ, "FLASHBACK_API_URL": upstream, "FLASHBACK_API_TOKEN": "demo"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [
        str(Path(sys.executable).parent / "flashback-gql"),
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
        "--no-graphiql-install",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, 60)
        operation = f"Workers{uuid.uuid4().hex}"
        query = {
            "query": f"query {operation} {{ stats(window: LAST_24H) {{ ai {{ timeSeries {{ summary {{ total }} }} }} }} }}"
        }
        for _ in range(20):
            # A new connection each time, so the kernel hands them to either worker.
            answer = httpx.post(f"{url}/graphql", json=query, headers={"Connection": "close"}, timeout=30)
            assert answer.status_code == 200 and "errors" not in answer.json()
        for _ in range(6):
            samples = scrape(httpx.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=30))
            assert (
                samples[
                    (
                        "flashback_graphql_requests_total",
                        frozenset({("operation", operation), ("outcome", "ok")}),
                    )
                ]
                == 20
            )
    finally:
        process.terminate()
        process.communicate(timeout=30)
