"""GraphQL over HTTP, to the letter: graphql-http's audits, and the behaviours behind them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests import node
from tests.conftest import per_module
from tests.servers import serve

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = "{ stats(window: LAST_24H) { window } }"


@pytest.fixture(scope=per_module)
def gateway_url(backend_app: Starlette) -> Iterator[str]:
    app = create_app(GatewaySettings(), transport=httpx.ASGITransport(app=backend_app))
    with serve(app) as url:
        yield url


@pytest.mark.slow
def test_graphql_http_audits_all_pass(gateway_url: str) -> None:
    results = node.run(node.install("clients"), "audit.mjs", f"{gateway_url}/graphql")
    failing = [f"{r['id']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert failing == []
    assert len(results) == 61


def _post(url: str, body: object, accept: str | None = GRAPHQL_RESPONSE) -> httpx.Response:
    headers = {"accept": accept} if accept else {}
    return httpx.post(f"{url}/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "code", "status", "legacy_status"),
    [
        ({"query": "{ stats(window: LAST_24H) { "}, "GRAPHQL_PARSE_FAILED", 400, 200),
        ({"query": "{ stats(window: LAST_24H) { nothing } }"}, "GRAPHQL_VALIDATION_FAILED", 400, 200),
        (
            {"query": "query A { __typename } query B { __typename }", "operationName": "C"},
            "OPERATION_RESOLUTION_FAILURE",
            400,
            200,
        ),
        (
            {"query": "query($w: Window!) { stats(window: $w) { window } }", "variables": {"w": "LAST_2D"}},
            "BAD_USER_INPUT",
            400,
            200,
        ),
        ({"qeury": QUERY}, "BAD_REQUEST", 400, 400),
        ({"query": QUERY, "variables": [1]}, "BAD_REQUEST", 400, 400),
    ],
)
def test_every_refusal_has_a_code_and_the_status_its_media_type_calls_for(
    gateway_url: str, body: object, code: str, status: int, legacy_status: int
) -> None:
    modern = _post(gateway_url, body)
    assert modern.status_code == status
    assert modern.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert "data" not in modern.json()
    assert {e["extensions"]["code"] for e in modern.json()["errors"]} == {code}
    legacy = _post(gateway_url, body, accept="application/json")
    assert legacy.status_code == legacy_status
    assert legacy.headers["content-type"] == "application/json; charset=utf-8"
    assert {e["extensions"]["code"] for e in legacy.json()["errors"]} == {code}


def test_an_unknown_operation_name_says_which_there_are(gateway_url: str) -> None:
    response = _post(gateway_url, {"query": "query Dashboard { __typename }", "operationName": "Other"})
    assert "Dashboard" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"method": "PUT", "json": {"query": QUERY}}, 405),
        ({"method": "POST", "content": b"{", "headers": {"content-type": "application/json"}}, 400),
        ({"method": "POST", "content": QUERY.encode(), "headers": {"content-type": "text/plain"}}, 415),
        ({"method": "POST", "json": {"query": QUERY}, "headers": {"accept": "text/csv"}}, 406),
    ],
)
def test_malformed_http_requests_get_json_errors(
    gateway_url: str, request_kwargs: dict[str, object], status: int
) -> None:
    response = httpx.request(url=f"{gateway_url}/graphql", **request_kwargs)  # type: ignore[arg-type]
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"]


def test_queries_over_get_answer_and_other_operations_do_not(gateway_url: str) -> None:
    ok = httpx.get(f"{gateway_url}/graphql", params={"query": QUERY}, headers={"accept": GRAPHQL_RESPONSE})
    assert ok.status_code == 200 and ok.json() == {"data": {"stats": {"window": "LAST_24H"}}}
    refused = httpx.get(
        f"{gateway_url}/graphql", params={"query": "mutation { x }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert 400 <= refused.status_code < 500


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        (
            {"query": "query($w: Window!) { stats(window: $w) { window } }", "variables": '{"w": "LAST_7D"}'},
            200,
            None,
        ),
        (
            {"query": "query($w: Window!) { stats(window: $w) { window } }", "variables": "{w: LAST_7D}"},
            400,
            "BAD_REQUEST",
        ),
        (
            {"query": "query($w: Window!) { stats(window: $w) { window } }", "variables": "[1]"},
            400,
            "BAD_REQUEST",
        ),
        ({"query": QUERY, "variables": "", "extensions": ""}, 200, None),
        ({"query": QUERY, "extensions": "{"}, 400, "BAD_REQUEST"),
        ({"query": QUERY, "extensions": '"text"'}, 400, "BAD_REQUEST"),
        ({"query": QUERY, "variables": "null", "extensions": "null"}, 200, None),
        ({"query": QUERY, "operationName": ""}, 200, None),
    ],
)
def test_get_parameters_are_json_maps_or_nothing(
    gateway_url: str, params: dict[str, str], status: int, code: str | None
) -> None:
    response = httpx.get(f"{gateway_url}/graphql", params=params, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == status, response.text
    if code is None:
        assert "errors" not in response.json()
    else:
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == [code]
        (wrong,) = [name for name in ("variables", "extensions") if params.get(name)]
        assert response.json()["errors"][0]["message"].startswith(f"`{wrong}` must be a JSON object")


def test_a_get_without_a_query_or_an_accept_header_is_told_to_send_one(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/graphql", headers={"accept": ""})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": 5}, "`query` must be a string."),
        ({"query": QUERY, "operationName": ["Dashboard"]}, "`operationName` must be a string."),
        (
            ["not", "an", "object"],
            "Batched requests (a JSON array) are not accepted: send one operation per request, or ask"
            " for everything in one document, as several root fields (one cost estimate, shared calls).",
        ),
        ("a string", "The request body must be a JSON object."),
        ({"query": QUERY, "variables": [1]}, "`variables` must be a JSON object (a map)."),
        ({"query": QUERY, "extensions": "apq"}, "`extensions` must be a JSON object (a map)."),
    ],
)
def test_a_malformed_body_is_told_what_to_fix(gateway_url: str, body: object, message: str) -> None:
    response = _post(gateway_url, body)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["message"], error["extensions"]["code"]) == (message, "BAD_REQUEST")


def test_an_unacceptable_accept_header_names_the_media_types_there_are(gateway_url: str) -> None:
    response = _post(gateway_url, {"query": QUERY}, accept="text/csv")
    assert response.status_code == 406
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "NOT_ACCEPTABLE"
    assert error["message"] == (
        f"Accept {GRAPHQL_RESPONSE} or application/json; this endpoint answers nothing else."
    )


def test_an_unknown_operation_name_lists_the_operations_not_the_fragments(gateway_url: str) -> None:
    document = "query Dashboard { ...Parts } fragment Parts on Query { __typename }"
    response = _post(gateway_url, {"query": document, "operationName": "Parts"})
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert error["message"] == "The document has no operation named 'Parts'; it has Dashboard."


def test_fragments_that_spread_each_other_are_refused_not_followed(gateway_url: str) -> None:
    document = "{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }"
    response = _post(gateway_url, {"query": document})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_get_with_no_accept_header_at_all_and_no_query_is_told_to_send_one(gateway_url: str) -> None:
    with httpx.Client() as client:
        request = client.build_request("GET", f"{gateway_url}/graphql")
        del request.headers["accept"]
        response = client.send(request)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_a_browser_that_sends_a_query_gets_its_answer_not_the_page(gateway_url: str) -> None:
    """A link to ``/graphql?query=...`` opened in a browser runs the query; the page is for a bare GET."""
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = httpx.get(f"{gateway_url}/graphql", params={"query": QUERY}, headers={"accept": browser})
    assert response.status_code == 200 and response.json() == {"data": {"stats": {"window": "LAST_24H"}}}
    page = httpx.get(f"{gateway_url}/graphql", headers={"accept": browser})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])  # OPTIONS: not a CORS preflight
def test_other_methods_are_told_which_there_are(gateway_url: str, method: str) -> None:
    response = httpx.request(method, f"{gateway_url}/graphql", json={"query": QUERY})
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_refused_request_reports_that_it_made_no_upstream_call(gateway_url: str) -> None:
    response = httpx.post(
        f"{gateway_url}/graphql",
        json={"query": "{ stats(window: LAST_24H) { nothing } }"},
        headers={"accept": GRAPHQL_RESPONSE, "x-upstream-report": "1"},
    )
    assert response.status_code == 400
    assert response.json()["extensions"]["upstream"] == {"count": 0, "calls": [], "totalMs": 0}


def test_a_body_that_is_not_json_is_told_how_to_send_one(gateway_url: str) -> None:
    response = httpx.post(
        f"{gateway_url}/graphql", content=QUERY.encode(), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert (
        response.json()["errors"][0]["message"] == "POST a JSON body with `Content-Type: application/json`."
    )
    broken = httpx.post(
        f"{gateway_url}/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert [(e["message"], e["extensions"]["code"]) for e in broken.json()["errors"]] == [
        ("The request body is not valid JSON.", "BAD_REQUEST")
    ]


@pytest.mark.parametrize("accept", ["application/*", "*/*", "application/json;q=0.9, text/html"])
def test_a_wildcard_or_weighted_accept_gets_json(gateway_url: str, accept: str) -> None:
    response = _post(gateway_url, {"query": QUERY}, accept=accept)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"stats": {"window": "LAST_24H"}}}
