"""Persisted queries with Apollo Client's own link: automatic ones and trusted documents."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.pipeline.failures import RequestFailure
from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings
from tests import node
from tests.conftest import per_module
from tests.servers import serve

SMALL = "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope=per_module)
def gateway_url(backend_app: Starlette) -> Iterator[str]:
    with serve(create_app(GatewaySettings(), transport=httpx.ASGITransport(app=backend_app))) as url:
        yield url


@pytest.fixture(scope=per_module)
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("manifest") / "persisted-query-manifest.json"
    operations = [
        {"id": sha256(REFERENCE_QUERY), "name": "Dashboard", "type": "query", "body": REFERENCE_QUERY}
    ]
    path.write_text(
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations})
    )
    return path


@pytest.fixture(scope=per_module)
def trusted_url(backend_app: Starlette, manifest: Path) -> Iterator[str]:
    settings = GatewaySettings(trusted_documents=manifest, trusted_documents_only=True)
    with serve(create_app(settings, transport=httpx.ASGITransport(app=backend_app))) as url:
        yield url


@pytest.mark.slow
def test_apollo_client_misses_resends_then_sends_the_hash_alone(gateway_url: str) -> None:
    output = node.run(node.install("clients"), "persisted.mjs", f"{gateway_url}/graphql")
    requests = output["requests"]
    # cold: a GET with the hash alone misses; the link resends the whole query (a POST)
    assert requests[0] == {"method": "GET", "query": False, "hash": requests[0]["hash"], "status": 200}
    assert (
        requests[1]["method"] == "POST"
        and requests[1]["query"]
        and requests[1]["hash"] == requests[0]["hash"]
    )
    # warm: the hash alone, by GET, is enough
    assert requests[2] == requests[0]
    assert len(requests) == 3
    for result in output["results"]:
        assert result["error"] is None
        assert result["data"]["stats"]["ai"]["timeSeries"]["summary"]["total"] > 0


@pytest.mark.slow
def test_trusted_documents_are_served_by_id_to_apollo_client(
    trusted_url: str, manifest: Path, tmp_path: Path
) -> None:
    (tmp_path / "query.graphql").write_text(REFERENCE_QUERY)
    output = node.run(
        node.install("clients"),
        "persisted.mjs",
        f"{trusted_url}/graphql",
        sha256(REFERENCE_QUERY),
        str(tmp_path / "query.graphql"),
    )
    assert [r["query"] for r in output["requests"]] == [False, False], "only the id is ever sent"
    for result in output["results"]:
        assert result["error"] is None, result
        assert result["data"]["stats"]["storage"]["timeSeries"]["summary"]["total"] > 0


def _post(url: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json=body)


def _hashed(digest: str, query: str | None = None) -> dict[str, object]:
    """An APQ request body: the hash, and the query when registering it."""
    body: dict[str, object] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    return body if query is None else {**body, "query": query}


def test_a_hash_that_is_not_the_query_is_refused(gateway_url: str) -> None:
    response = _post(
        gateway_url,
        {"query": SMALL, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_an_unknown_hash_asks_for_the_query(gateway_url: str) -> None:
    response = _post(
        gateway_url, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256("{ x }")}}}
    )
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_only_trusted_documents_run_when_the_gateway_says_so(trusted_url: str) -> None:
    refused = _post(trusted_url, {"query": SMALL})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    by_text = _post(trusted_url, {"query": REFERENCE_QUERY})
    assert "errors" not in by_text.json(), "a manifest document may also come as text"
    not_registered = _post(
        trusted_url,
        {"query": SMALL, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(SMALL)}}},
    )
    assert not_registered.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"


def test_the_automatic_store_is_bounded(backend_app: Starlette) -> None:
    settings = GatewaySettings(apq_cache_size=2)
    with serve(create_app(settings, transport=httpx.ASGITransport(app=backend_app))) as url:
        queries = [f"{{ a{n}: stats(window: LAST_24H) {{ window }} }}" for n in range(3)]
        for query in queries:
            registered = _post(
                url,
                {
                    "query": query,
                    "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}},
                },
            )
            assert "errors" not in registered.json()
        recalled = [
            _post(url, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(q)}}}).json()
            for q in queries
        ]
    assert "errors" in recalled[0], "the least recently used was dropped"
    assert ["errors" in r for r in recalled[1:]] == [False, False]


def test_the_automatic_store_is_bounded_in_bytes_too() -> None:
    from gql.pipeline.persisted import PersistedQueries

    store = PersistedQueries(max_entries=100, max_bytes=60)
    queries = [f"{{ a{n}: stats(window: LAST_24H) {{ window }} }}" for n in range(3)]  # 42 bytes each
    for query in queries:
        store.keep(store.resolve(query, {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}))
    assert (
        store.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": sha256(queries[2])}}).text
        == queries[2]
    )
    for old in queries[:2]:
        with pytest.raises(Exception, match="PersistedQueryNotFound"):
            store.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": sha256(old)}})
    too_big = "{ " + "x " * 100 + "}"
    store.keep(store.resolve(too_big, {"persistedQuery": {"version": 1, "sha256Hash": sha256(too_big)}}))
    with pytest.raises(Exception, match="PersistedQueryNotFound"):
        store.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": sha256(too_big)}})


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("not json", "cannot be used"),
        ('{"format": "something-else", "version": 1, "operations": []}', "apollo-persisted-query-manifest"),
        ('{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}', "version 1"),
        ('{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": "x"}]}', "body"),
    ],
)
def test_a_manifest_that_cannot_be_used_stops_the_start_with_a_clear_line(
    tmp_path: Path, content: str, needle: str
) -> None:
    from gql.pipeline.persisted import load_manifest

    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=needle) as refused:
        load_manifest(path)
    assert str(refused.value).startswith(f"FLASHBACK_TRUSTED_DOCUMENTS={str(path)!r} cannot be used")
    with pytest.raises(ValueError, match="cannot be used"):
        load_manifest(tmp_path / "missing.json")


def test_unsupported_versions_and_malformed_hashes_are_refused(gateway_url: str) -> None:
    wrong = _post(
        gateway_url, {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha256(SMALL)}}}
    )
    assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    short = _post(gateway_url, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}})
    assert short.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    upper = _post(gateway_url, _hashed(sha256(SMALL).upper(), SMALL))
    assert "errors" not in upper.json(), "hex digests are case-insensitive"


def test_refusals_say_what_to_send() -> None:
    from gql.pipeline.failures import RequestFailure
    from gql.pipeline.persisted import PersistedQueries

    store = PersistedQueries()
    with pytest.raises(RequestFailure) as version:
        store.resolve(None, {"persistedQuery": {"version": 2, "sha256Hash": sha256(SMALL)}})
    assert str(version.value) == "Only persisted queries of version 1 are supported."
    with pytest.raises(RequestFailure) as digest:
        store.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": 7}})
    assert str(digest.value) == "extensions.persistedQuery.sha256Hash must be a SHA-256 hex digest."


def test_a_document_of_exactly_the_byte_bound_is_kept_and_older_ones_make_room() -> None:

    from gql.pipeline.persisted import PersistedQueries

    first, second = "{ a: __typename }", "{ b: __typename }"  # 17 bytes each
    store = PersistedQueries(max_entries=10, max_bytes=len(first) * 2)
    for query in (first, second):
        store.keep(store.resolve(query, {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}))
    assert store.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": sha256(first)}}).text == first
    third = "{ c: __typename }"
    store.keep(store.resolve(third, {"persistedQuery": {"version": 1, "sha256Hash": sha256(third)}}))
    kept = []
    for query in (first, second, third):
        with contextlib.suppress(RequestFailure):  # not kept
            kept.append(
                store.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}).text
            )
    assert kept == [first, third], "the least recently used (second) made room"


def test_with_automatic_persisted_queries_off_a_hash_is_never_remembered() -> None:
    from gql.pipeline.persisted import PersistedQueries

    store = PersistedQueries(apq=False)
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha256(SMALL)}}
    assert store.resolve(SMALL, hashed).text == SMALL, "the document sent with its hash still runs"
    with pytest.raises(RequestFailure) as missing:
        store.resolve(None, hashed)
    assert missing.value.code == "PERSISTED_QUERY_NOT_FOUND"


def test_a_document_off_the_trusted_list_is_told_to_send_one_by_id() -> None:
    from gql.pipeline.persisted import PersistedQueries

    store = PersistedQueries(trusted={"dashboard": REFERENCE_QUERY}, only_trusted=True)
    with pytest.raises(RequestFailure) as refused:
        store.keep(store.resolve(SMALL, None))
    assert refused.value.code == "PERSISTED_QUERY_NOT_IN_LIST"
    assert str(refused.value) == (
        "This gateway runs only its trusted documents; send one of them by id"
        " (extensions.persistedQuery.sha256Hash)."
    )


def test_a_manifest_gives_each_document_under_its_id(tmp_path: Path) -> None:
    from gql.pipeline.persisted import load_manifest

    path = tmp_path / "manifest.json"
    path.write_text(
        '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": ['
        '{"id": "a1", "name": "Small", "type": "query", "body": "{ __typename }"}]}'
    )
    assert load_manifest(path) == {"a1": "{ __typename }"}


def _kept(store: Any, query: str) -> bool:
    try:
        store.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}})
    except RequestFailure:
        return False
    return True


def test_the_store_counts_the_bytes_it_drops() -> None:
    """After an eviction the store still knows how many bytes it holds, so the next one evicts too."""
    from gql.pipeline.persisted import PersistedQueries

    texts = [f"{{ {name}: __typename }}" for name in ("a", "b", "c", "d")]  # 17 bytes each
    store = PersistedQueries(max_entries=10, max_bytes=40)
    for text in texts:
        store.keep(store.resolve(text, {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}))
    assert [_kept(store, text) for text in texts] == [False, False, True, True]


def test_a_document_over_the_byte_bound_is_not_kept_and_evicts_nothing() -> None:
    from gql.pipeline.persisted import PersistedQueries

    small, exact = "{ a: __typename }", "{ bb: __typename }"  # 17 and 18 bytes
    store = PersistedQueries(max_entries=10, max_bytes=len(exact))
    store.keep(store.resolve(exact, {"persistedQuery": {"version": 1, "sha256Hash": sha256(exact)}}))
    assert _kept(store, exact), "a document of exactly the bound is kept"
    store = PersistedQueries(max_entries=10, max_bytes=len(small))
    store.keep(store.resolve(small, {"persistedQuery": {"version": 1, "sha256Hash": sha256(small)}}))
    store.keep(store.resolve(exact, {"persistedQuery": {"version": 1, "sha256Hash": sha256(exact)}}))
    assert _kept(store, small) and not _kept(store, exact)


def test_the_apq_setting_turns_the_automatic_store_off(backend_app: Starlette) -> None:
    app = create_app(GatewaySettings(apq=False), transport=httpx.ASGITransport(app=backend_app))
    with serve(app) as url:
        first = _post(url, _hashed(sha256(SMALL), SMALL))
        again = _post(url, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(SMALL)}}})
    assert "errors" not in first.json()
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_a_document_that_fails_validation_is_not_kept_under_its_hash(gateway_url: str) -> None:
    """Registering a hash with a document that can only be refused keeps nothing: the hash alone is
    then not found, and the client sends its (corrected) document again."""
    broken = "{ stats(window: LAST_7D) { noSuchField } }"
    registered = _post(gateway_url, _hashed(sha256(broken), broken)).json()
    assert registered["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    again = _post(gateway_url, _hashed(sha256(broken))).json()
    assert again["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
