"""The fewest REST calls: one per distinct resource, shared across aliases, fragments and forms."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from gql.server.app import create_app
from gql.server.graphiql import REFERENCE_QUERY
from gql.server.settings import GatewaySettings
from tests.gateway import Gateway

REFERENCE_RESOURCES = {
    "/v2/stats/storage",
    "/v2/stats/ai",
    "/v2/stats/ai/breakdown/models",
    "/v2/stats/ai/breakdown/workspaces",
    "/v2/stats/private-chat",
    "/v2/stats/private-chat/breakdown/users",
    "/v2/stats/policies",
    "/v2/stats/policies/breakdown/rules",
    "/v2/stats/credits",
}


@pytest.mark.parametrize("limit", [1, 50])
def test_reference_dashboard_makes_one_call_per_resource(gateway: Gateway, limit: int) -> None:
    result = gateway.query(REFERENCE_QUERY, {"limit": limit, "window": "LAST_30D"})
    assert not result.errors
    assert sorted(result.paths) == sorted(REFERENCE_RESOURCES)
    models = result.data["stats"]["ai"]["byModel"]
    assert len(models["entities"]) == min(limit, models["total"])
    assert all(len(e["columns"]["ts"]) == 30 for e in models["entities"])
    assert len(result.data["stats"]["privateChat"]["users"]["entities"]) == limit


def test_the_same_field_under_three_aliases_makes_one_call(gateway: Gateway) -> None:
    result = gateway.query(
        "{ stats(window: LAST_7D) { ai {"
        " a: timeSeries { summary { total } } b: timeSeries { columns { requests } }"
        " c: timeSeries { series { ts requests } } } } }"
    )
    assert result.paths == ["/v2/stats/ai"]
    ai = result.data["stats"]["ai"]
    assert ai["a"]["summary"]["total"] == sum(ai["b"]["columns"]["requests"])
    assert [p["requests"] for p in ai["c"]["series"]] == ai["b"]["columns"]["requests"]


def test_fragments_and_repeated_roots_share_calls(gateway: Gateway) -> None:
    result = gateway.query(
        "fragment Models on AiStats { breakdown(by: MODELS, limit: 5) { entities { entityId totals { requests } } } }"
        " { one: stats(window: LAST_7D) { ai { ...Models } }"
        "   two: stats(scope: ORG, window: LAST_7D) { ai { ...Models breakdown(by: MODELS, limit: 5) { total } } } }"
    )
    assert not result.errors
    assert result.paths == ["/v2/stats/ai/breakdown/models"]
    assert (
        result.data["one"]["ai"]["breakdown"]["entities"] == result.data["two"]["ai"]["breakdown"]["entities"]
    )


def test_breakdown_with_and_without_series_makes_one_call(gateway: Gateway) -> None:
    result = gateway.query(
        "{ stats(window: LAST_7D) { policies {"
        " plain: breakdown(by: RULES, limit: 4) { entities { entityId totals { violations } } }"
        " charted: breakdown(by: RULES, limit: 4) { entities { entityId columns { violations } } } } } }"
    )
    assert result.upstream["count"] == 1
    assert "includeSeries=true" in result.upstream["calls"][0]["query"]
    policies = result.data["stats"]["policies"]
    for plain, charted in zip(policies["plain"]["entities"], policies["charted"]["entities"], strict=True):
        assert plain["totals"]["violations"] == sum(charted["columns"]["violations"])


def test_breakdown_asks_for_series_only_when_selected(gateway: Gateway) -> None:
    result = gateway.query("{ stats(window: LAST_7D) { ai { breakdown(by: REPOS) { entities { name } } } } }")
    assert "includeSeries=false" in result.upstream["calls"][0]["query"]
    result = gateway.query(
        "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 3) { entities {"
        " ... on AiEntity { summary(metric: TOKENS_IN) { total } } } } } } }"
    )
    assert "includeSeries=true" in result.upstream["calls"][0]["query"]


@pytest.mark.parametrize("skip", [True, False])
def test_series_left_out_by_skip_or_include_are_not_asked_for(gateway: Gateway, skip: bool) -> None:
    """Execution and the cost model read the selection alike: series a directive leaves out are
    not fetched (their bytes would be thrown away), and series it keeps are."""
    result = gateway.query(
        "query($skip: Boolean!) { stats(window: LAST_7D) { ai { breakdown(by: MODELS, limit: 3) {"
        " entities { entityId ...S @skip(if: $skip) } } } } }"
        " fragment S on AiEntity { columns @include(if: true) { ts tokensIn } }",
        {"skip": skip},
    )
    assert not result.errors, result.errors
    assert result.upstream["count"] == 1
    assert f"includeSeries={'false' if skip else 'true'}" in result.upstream["calls"][0]["query"]
    entities = result.data["stats"]["ai"]["breakdown"]["entities"]
    assert entities and all(("columns" in e) is not skip for e in entities)


def test_entity_series_come_from_the_breakdown_response(gateway: Gateway) -> None:
    result = gateway.query(
        "{ stats(window: LAST_24H) { storage { breakdown(by: REPOS, limit: 50) {"
        " entities { series { ts requests } columns { requests } summary(metric: REQUESTS) { total } } } } } }"
    )
    assert result.upstream["count"] == 1
    entities = result.data["stats"]["storage"]["breakdown"]["entities"]
    assert len(entities) > 1 and all(len(e["series"]) == 144 for e in entities)


class CountingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the backend, counting them and how many were in flight at once."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.in_flight = 0
        self.most = 0
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


@pytest.fixture
def counted(backend_app: Starlette) -> Iterator[tuple[CountingTransport, Gateway, Gateway]]:
    transport = CountingTransport(backend_app)
    wide = Gateway(create_app(GatewaySettings(response_cache=False), transport=transport))
    narrow = Gateway(create_app(GatewaySettings(response_cache=False, concurrency=2), transport=transport))
    yield transport, wide, narrow
    wide.close()
    narrow.close()


def test_loads_of_one_tick_go_out_together_within_the_bound(
    counted: tuple[CountingTransport, Gateway, Gateway],
) -> None:
    transport, wide, narrow = counted
    assert len(narrow.query(REFERENCE_QUERY).paths) == 9
    assert transport.most == 2
    transport.most = 0
    assert len(wide.query(REFERENCE_QUERY).paths) == 9
    assert transport.most > 2
