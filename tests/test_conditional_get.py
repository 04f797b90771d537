"""A query sent with GET, persisted or not, is cacheable by HTTP's rules: the caller's browser keeps
it while its upstream answers are fresh and revalidates it with If-None-Match afterwards."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings
from tests.conftest import per_module
from tests.servers import serve

SMALL = "query Small($window: Window!) { stats(window: $window) { ai { timeSeries { summary { total } } } } }"
DEMO = {"Authorization": "Bearer demo", "Accept": "application/graphql-response+json"}


@pytest.fixture(scope=per_module)
def gateway_url(backend_app: Starlette) -> Iterator[str]:
    """The gateway with its response cache on, as deployed: answers carry upstream freshness."""
    with serve(create_app(GatewaySettings(), transport=httpx.ASGITransport(app=backend_app))) as url:
        yield url


def _persisted_get(url: str, query: str, variables: dict[str, Any], **headers: str) -> httpx.Response:
    """Apollo Client's persisted GET: registered once by POST, then asked for by hash alone."""
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables, "extensions": extensions},
        headers=DEMO,
    )
    params = {"variables": json.dumps(variables), "extensions": json.dumps(extensions)}
    return httpx.get(f"{url}/graphql", params=params, headers={**DEMO, **headers})


def test_a_persisted_get_is_private_fresh_for_its_upstream_freshness_and_tagged(gateway_url: str) -> None:
    answer = _persisted_get(gateway_url, SMALL, {"window": "LAST_24H"})
    assert answer.status_code == 200 and "errors" not in answer.json()
    cache_control = answer.headers["cache-control"]
    assert cache_control.startswith("private, max-age=")
    assert 0 < int(cache_control.split("=")[1]) <= GatewaySettings().cache_seconds
    assert {"authorization", "accept"} <= {v.strip().lower() for v in answer.headers["vary"].split(",")}
    assert answer.headers["etag"].startswith('W/"')


def test_an_unchanged_answer_is_revalidated_with_a_304_and_no_body(gateway_url: str) -> None:
    first = _persisted_get(gateway_url, SMALL, {"window": "LAST_7D"})
    again = _persisted_get(
        gateway_url, SMALL, {"window": "LAST_7D"}, **{"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"].startswith("private")
    other = _persisted_get(
        gateway_url, SMALL, {"window": "LAST_30D"}, **{"If-None-Match": first.headers["etag"]}
    )
    assert other.status_code == 200 and other.json()["data"]["stats"]["ai"]["timeSeries"]


def test_another_callers_answer_is_not_the_same_entity(gateway_url: str) -> None:
    """The validator is the answer itself: another organization's data never matches it."""
    mine = _persisted_get(gateway_url, SMALL, {"window": "LAST_7D"})
    theirs = _persisted_get(
        gateway_url,
        SMALL,
        {"window": "LAST_7D"},
        Authorization="Bearer demo-other-org",
        **{"If-None-Match": mine.headers["etag"]},
    )
    assert theirs.status_code == 200 and theirs.headers["etag"] != mine.headers["etag"]


def test_a_get_with_errors_is_not_stored_and_a_post_carries_no_cache_headers(gateway_url: str) -> None:
    failing = httpx.get(
        f"{gateway_url}/graphql",
        params={
            "query": "{ stats(window: LAST_7D, scope: REPO) { ai { timeSeries { summary { total } } } } }"
        },
        headers=DEMO,
    )
    assert failing.json()["errors"] and failing.headers["cache-control"] == "no-store"
    assert "etag" not in failing.headers
    posted = httpx.post(f"{gateway_url}/graphql", json={"query": REFERENCE_QUERY}, headers=DEMO)
    assert (
        posted.status_code == 200 and "etag" not in posted.headers and "cache-control" not in posted.headers
    )


def test_a_revalidated_get_is_answered_from_the_answer_cache_too(gateway_url: str) -> None:
    """The second GET within the freshness comes from the kept answer, and is still tagged."""
    first = _persisted_get(gateway_url, REFERENCE_QUERY, {"limit": 3})
    second = _persisted_get(gateway_url, REFERENCE_QUERY, {"limit": 3})
    assert second.headers["etag"] == first.headers["etag"]
    assert int(second.headers["cache-control"].split("=")[1]) <= int(
        first.headers["cache-control"].split("=")[1]
    )
