"""The cost estimate against what requests really cost: the same calls, and never fewer values.

Each document runs through the gateway with the report header; ``extensions.cost`` then holds the
estimate made before execution beside the calls made and the values produced.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gql.graphiql import REFERENCE_QUERY
from resolvers import resources
from tests.conftest import Api
from tests.gateway import Gateway

ENTITIES = "query($reps: [_Any!]!) { _entities(representations: $reps) { %s } }"
SERIES = "timeSeries { summary { total } columns { ts requests } }"
CREDITS = "timeSeries { summary { total } columns { ts creditsTotal } }"
POLICIES = "timeSeries { summary { total } columns { ts violations } }"


def cost_of(gateway: Gateway, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    result = gateway.query(query, variables)
    body = json.loads(result.text)
    assert not result.errors, result.errors
    cost: dict[str, Any] = body["extensions"]["cost"]
    return cost


def _repos(api: Api, count: int) -> list[dict[str, str]]:
    body = api.ok("/v2/stats/ai/breakdown/repos", scope="org", window="30d", limit=count)
    return [{"__typename": "Repo", "id": e["entityId"]} for e in body["entities"]]


DOCUMENTS = {
    "reference, one entity": (REFERENCE_QUERY, {"limit": 1}),
    "reference, fifty": (REFERENCE_QUERY, {"limit": 50, "window": "LAST_30D"}),
    "aliases and fragments of one breakdown": (
        "{ stats(window: LAST_7D) { ai { a: breakdown(by: MODELS, limit: 4) { ...E } b: breakdown(by: MODELS, limit: 4)"
        " { total } } } } fragment E on AiBreakdown { entities { entityId columns { ts tokensIn } } }",
        None,
    ),
    "two windows, two scopes, every domain": (
        "{ a: stats(window: LAST_24H) { storage { " + SERIES + " } credits { " + CREDITS + " } }"
        " b: stats(window: LAST_90D, bucketSize: HOUR_6) { privateChat { users(limit: 3) { entities { entityId"
        " totals { requests conversationsCount } columns { ts requests } } } } policies { tokens { series { ts"
        " policyTokensIn } } } } }",
        None,
    ),
    "skipped and included fields": (
        "query($no: Boolean!) { stats(window: LAST_7D) { ai { timeSeries @skip(if: $no) { summary { total } } }"
        " storage @include(if: $no) { "
        + SERIES
        + " } policies { breakdown(by: RULES, limit: 3) @skip(if: $no) {"
        " total } } } }",
        {"no": True},
    ),
    "legacy": (
        '{ legacy { storage(resolution: MINUTE) { ts uplBytes } ai(where: {models: ["gpt-4o"]}) { ts requests }'
        " aiConfigTotals { requests } creditsMonthly(months: 3) { months { balance } } } }",
        None,
    ),
}


@pytest.mark.parametrize(("query", "variables"), DOCUMENTS.values(), ids=list(DOCUMENTS))
def test_the_estimate_makes_the_calls_the_request_makes(
    gateway: Gateway, query: str, variables: dict[str, Any] | None
) -> None:
    cost = cost_of(gateway, query, variables)
    assert cost["estimated"]["calls"] == cost["actual"]["calls"]
    if "legacy" not in query:  # how many legacy records come back is the upstream's choice
        assert (
            cost["actual"]["values"] <= cost["estimated"]["values"] + 200
        )  # meta and summaries: not counted


@pytest.mark.parametrize("count", [1, 2, 12])
def test_federated_entities_are_estimated_as_the_batch_fetches_them(
    gateway: Gateway, api: Api, count: int
) -> None:
    reps = _repos(api, count)
    selection = (
        "... on Repo { id stats(window: LAST_30D) { ai { " + SERIES + " } policies { " + POLICIES + " } } }"
    )
    cost = cost_of(gateway, ENTITIES % selection, {"reps": reps})
    # ai: one call for one repo, one breakdown page for more; policies has no repo dimension: one each
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 1 + count
    assert (
        cost["actual"]["values"] <= cost["estimated"]["values"] + 5 * count
    )  # ids and summaries: not counted


def test_links_count_once_per_entity_with_ids_known_only_at_run_time(gateway: Gateway) -> None:
    query = (
        "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 3) { entities { entityId"
        " repo { stats(window: LAST_7D) { ai { "
        + SERIES
        + " } policies { breakdown(by: RULES, limit: 2) { total } } } } } } } } }"
    )
    cost = cost_of(gateway, query)
    # the breakdown, one page for the three repos' AI series, and a rules breakdown per repo
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 1 + 1 + 3


def test_invalid_representations_cost_nothing(gateway: Gateway) -> None:
    reps = [{"__typename": "Nope", "id": "x"}, {"__typename": "Repo"}, {"__typename": "Repo", "id": ""}]
    result = gateway.query(
        ENTITIES % ("... on Repo { stats(window: LAST_7D) { ai { " + SERIES + " } } }"), {"reps": reps}
    )
    assert json.loads(result.text)["extensions"]["cost"]["estimated"]["calls"] == 0
    assert result.upstream["count"] == 0


@pytest.mark.parametrize(
    ("type_name", "field", "listing", "batched"),
    [
        ("Model", "ai", "/v2/stats/ai/breakdown/models", True),
        ("Model", "privateChat", "/v2/stats/private-chat/breakdown/models", True),
        ("Bucket", "storage", "/v2/stats/storage/breakdown/buckets", True),
        ("AiConfig", "ai", "/v2/stats/ai/breakdown/aiConfigs", True),
        ("User", "privateChat", "/v2/stats/private-chat/breakdown/users", True),
        ("User", "policies", "/v2/stats/policies/breakdown/users", False),
        ("PolicyRule", "policies", "/v2/stats/policies/breakdown/rules", False),
        ("Workspace", "stats", "/v2/stats/ai/breakdown/workspaces", True),
    ],
)
def test_every_federated_field_is_estimated_as_it_runs(
    gateway: Gateway, api: Api, type_name: str, field: str, listing: str, batched: bool
) -> None:
    body = api.ok(listing, scope="org", window="30d", limit=3)
    reps = [{"__typename": "Nope", "id": "first"}] + [
        {"__typename": type_name, "id": e["entityId"]} for e in body["entities"]
    ]
    series = (
        POLICIES
        if field == "policies"
        else SERIES.replace("requests", "requests" if field != "storage" else "uplBytes")
    )
    inner = f"ai {{ {SERIES} }}" if field == "stats" else series
    selection = f"... on {type_name} {{ {field}(window: LAST_30D) {{ {inner} }} }}"
    result = gateway.query(ENTITIES % selection, {"reps": reps})
    assert result.codes() == {"_entities.0": "BAD_USER_INPUT"}, "an unknown type first does not hide the rest"
    cost = json.loads(result.text)["extensions"]["cost"]
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == (1 if batched else len(reps) - 1)


def test_a_representation_that_is_not_an_object_does_not_hide_the_ones_after_it(
    gateway: Gateway, api: Api
) -> None:
    reps = ["not an object", *_repos(api, 1)]
    result = gateway.query(
        ENTITIES % ("... on Repo { stats(window: LAST_7D) { ai { " + SERIES + " } } }"), {"reps": reps}
    )
    assert result.codes() == {"_entities.0": "BAD_USER_INPUT"}
    cost = json.loads(result.text)["extensions"]["cost"]
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 1


def test_monthly_credits_are_estimated_per_histogram_asked_for(gateway: Gateway) -> None:
    """Each ``months`` is its own call, and each histogram counts as its largest answer."""
    one = "{ legacy { a: creditsMonthly(months: 3) { months { balance grants } } } }"
    two = (
        "{ legacy { a: creditsMonthly(months: 3) { months { balance grants } }"
        " b: creditsMonthly(months: 6) { months { balance grants } } } }"
    )
    single, double = cost_of(gateway, one), cost_of(gateway, two)
    assert single["estimated"]["calls"] == single["actual"]["calls"] == 1
    assert double["estimated"]["calls"] == double["actual"]["calls"] == 2
    assert single["estimated"]["values"] == resources.MONTHS_MAX * 2  # two fields a month, at most
    assert double["estimated"]["values"] == 2 * single["estimated"]["values"]


def test_the_longest_monthly_histogram_with_every_field_is_within_its_estimate(gateway: Gateway) -> None:
    fields = "consumption purchases grants balance"
    query = (
        f"{{ legacy {{ creditsMonthly(months: {resources.MONTHS_MAX}) {{ months {{ month {fields} }}"
        f" totals {{ {fields} }} __typename }} }} }}"
    )
    cost = cost_of(gateway, query)
    assert cost["actual"]["values"] == resources.MONTHS_MAX * 5 + 4 + 1
    assert cost["actual"]["values"] <= cost["estimated"]["values"]


@pytest.mark.parametrize("with_series_first", [True, False])
def test_a_breakdown_with_entity_series_serves_the_same_breakdown_without_them(
    gateway: Gateway, with_series_first: bool
) -> None:
    """One call for both (the answer with series holds the one without), and every series value is
    counted in the estimate."""
    plain = "a: breakdown(by: MODELS, limit: 3) { total entities { entityId } }"
    series = "b: breakdown(by: MODELS, limit: 3) { entities { series { ts requests } } }"
    fields = f"{series} {plain}" if with_series_first else f"{plain} {series}"
    cost = cost_of(gateway, "{ stats(window: LAST_7D) { ai { " + fields + " } } }")
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 1
    assert cost["actual"]["values"] > 3 * 24 * 7  # the series are there (hourly buckets, 7 days)
    assert cost["actual"]["values"] <= cost["estimated"]["values"] + 10  # ids and totals: not counted


def test_legacy_lists_that_differ_only_in_their_dates_are_two_calls(gateway: Gateway) -> None:
    query = (
        '{ legacy { a: storage(startDate: "2026-04-01T00:00:00Z", endDate: "2026-04-10T00:00:00Z") { ts }'
        ' b: storage(startDate: "2026-04-01T00:00:00Z", endDate: "2026-04-20T00:00:00Z") { ts }'
        ' c: storage(startDate: "2026-04-05T00:00:00Z", endDate: "2026-04-20T00:00:00Z") { ts } } }'
    )
    cost = cost_of(gateway, query)
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 3
