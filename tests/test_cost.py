"""The cost estimate against what requests really cost: the same calls, and never fewer values.

Each document runs through the gateway with the report header; ``extensions.cost`` then holds the
estimate made before execution beside the calls made and the values produced.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from graphql import Undefined, get_named_type, is_non_null_type

from gql.pipeline.budget import count_values
from gql.pipeline.engine import schema
from gql.server.graphiql import REFERENCE_QUERY
from resolvers import comparison, resources
from resolvers.series_slices import effective_bucket
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


# -- generated dashboards ---------------------------------------------------------------------------

LINKS = {"workspace", "repo", "bucket", "model", "aiConfig", "user", "rule"}
# The link that leads back to the entity itself: distinct entities, distinct links, never null.
OWN_LINK = {
    "WORKSPACES": "workspace",
    "REPOS": "repo",
    "BUCKETS": "bucket",
    "MODELS": "model",
    "AI_CONFIGS": "aiConfig",
    "USERS": "user",
    "RULES": "rule",
}
TOTALS_AND_SERIES = {"series", "columns", "totals"}


class Dashboards:
    """Random dashboards drawn from the schema itself: a few ``stats`` roots (windows, bucket sizes,
    scopes), domains, time series, breakdowns (entities with or without series) and entity links,
    each object field under an alias of its own, so the same field asked twice with different
    arguments is two fields. Seeded: a failure names the document that broke the estimate."""

    def __init__(self, seed: int, scope_ids: dict[str, list[str]]) -> None:
        self.draw = random.Random(seed)
        self.schema = schema._schema
        self.scope_ids = scope_ids
        self.aliases = 0
        self.fragments: list[str] = []
        self.links = 0
        self.breakdowns: list[tuple[tuple[str, ...], int]] = []  # alias path and limit, outside links
        self.comparable: list[str] = []  # the CompareTo values the current stats field can answer

    def _alias(self) -> str:
        self.aliases += 1
        return f"f{self.aliases}"

    def _type(self, name: str) -> Any:
        return self.schema.type_map[name]

    def _enum(self, type_name: str) -> str:
        return str(self.draw.choice(list(self._type(type_name).values)))

    def _stats_arguments(self, with_scope: bool) -> str:
        window = self._enum("Window")
        wire = self._type("Window").values[window].value
        allowed = [
            name
            for name, value in self._type("BucketSize").values.items()
            if value.value in resources.bucket_sizes_for(wire)
        ]
        arguments = f"window: {window}"
        bucket = None
        if self.draw.random() < 0.4:
            bucket = self.draw.choice(allowed[-3:])
            arguments += f", bucketSize: {bucket}"
        # What a comparison below may compare with (the stats field's roots are generated first).
        size = None if bucket is None else self._type("BucketSize").values[bucket].value
        self.comparable = [
            name
            for name, value in self._type("CompareTo").values.items()
            if comparison.source_window(wire, effective_bucket(wire, size), value.value) is not None
        ]
        if with_scope and self.draw.random() < 0.3:
            scope = self.draw.choice(["WORKSPACE", "REPO"])
            arguments += f', scope: {scope}, id: "{self.draw.choice(self.scope_ids[scope])}"'
        return arguments

    def document(self) -> str:
        roots = []
        for _ in range(self.draw.randint(1, 3)):
            alias = self._alias()
            roots.append(f"{alias}: stats({self._stats_arguments(True)}) {{ {self._domains((alias,))} }}")
        return "{ " + " ".join(roots) + " } " + " ".join(self.fragments)

    def _domains(self, path: tuple[str, ...], linked: bool = False) -> str:
        names = ["storage", "ai", "privateChat", "policies", "credits"]
        chosen = self.draw.sample(names, self.draw.randint(1, 2))
        parts = []
        for name in chosen:
            alias = self._alias()
            type_name = str(get_named_type(self._type("Stats").fields[name].type))
            parts.append(f"{alias}: {name} {{ {self._domain(type_name, (*path, alias), linked)} }}")
        return " ".join(parts)

    def _domain(self, type_name: str, path: tuple[str, ...], linked: bool) -> str:
        fields = self._type(type_name).fields
        names = [n for n in fields if not linked or n == "timeSeries"]  # tokens take no entity filter
        parts = []
        for name in self.draw.sample(names, self.draw.randint(1, min(3, len(names)))):
            alias = self._alias()
            target = str(get_named_type(fields[name].type))
            if name in ("timeSeries", "tokens"):
                parts.append(f"{alias}: {name} {{ {self._leaves_of(target, series=True)} }}")
                continue
            limit, offset = self.draw.randint(1, 3), self.draw.randint(0, 1)
            arguments = f"limit: {limit}, offset: {offset}"
            by = "USERS" if name == "users" else None
            if "by" in fields[name].args:
                by = self._enum(str(get_named_type(fields[name].args["by"].type)))
                arguments = f"by: {by}, {arguments}"
            self.breakdowns.append(((*path, alias), limit))
            entity = self._entity(target, OWN_LINK.get(str(by)))
            parts.append(f"{alias}: {name}({arguments}) {{ total entities {{ {entity} }} }}")
        return " ".join(parts)

    def _entity(self, breakdown_type: str, own_link: str | None) -> str:
        entity = str(get_named_type(self._type(breakdown_type).fields["entities"].type))
        fields = self._type(entity).fields
        parts = ["entityId"]
        for name in self.draw.sample(list(fields), self.draw.randint(1, 3)):
            target = get_named_type(fields[name].type)
            if name in LINKS:
                if name == own_link and self.links == 0 and self.draw.random() < 0.7:
                    self.links += 1
                    parts.append(f"{name} {{ {self._federated(target)} }}")
            elif hasattr(target, "fields"):
                parts.append(f"{name}{self._required(fields[name])} {{ {self._leaves_of(str(target))} }}")
            elif name != "entityId":
                parts.append(name)
        return " ".join(parts)

    def _federated(self, entity: Any) -> str:
        """One of an entity's stats fields (``stats`` on workspaces and repos, a domain on others)."""
        name = self.draw.choice([n for n, f in entity.fields.items() if "window" in f.args])
        arguments = self._stats_arguments(False)
        if name == "stats":
            return f"stats({arguments}) {{ {self._domains((), linked=True)} }}"
        target = str(get_named_type(entity.fields[name].type))
        return f"{name}({arguments}) {{ {self._domain(target, (), linked=True)} }}"

    def _required(self, definition: Any) -> str:
        """Values for the arguments a field cannot go without (a summary's metric)."""
        given = [
            f"{name}: {self._enum(str(get_named_type(argument.type)))}"
            for name, argument in definition.args.items()
            if is_non_null_type(argument.type) and argument.default_value is Undefined
        ]
        return f"({', '.join(given)})" if given else ""

    def _comparison(self, type_name: str) -> str:
        """A comparison with the earlier period the window can be compared with: a period or two
        (a series form each) and a change."""
        fields = self._type(type_name).fields
        to = self.draw.choice(self.comparable)
        complete = self.draw.choice(["true", "false"])
        parts = [
            f"{name} {{ {self._leaves_of(str(get_named_type(fields[name].type)), series=True)} }}"
            for name in self.draw.sample(["current", "previous"], self.draw.randint(1, 2))
        ]
        parts.append(f"change{self._required(fields['change'])} {{ {self._leaves_of('Change')} }}")
        return f"comparison(to: {to}, completeBucketsOnly: {complete}) {{ {' '.join(parts)} }}"

    def _leaves_of(self, type_name: str, series: bool = False) -> str:
        fields = self._type(type_name).fields
        if series:  # a time series: its row or chart form, its summary, its meta, a comparison
            names = [n for n in fields if n != "comparison" or self.comparable]
            chosen = self.draw.sample(names, self.draw.randint(1, 2))
            return " ".join(
                self._comparison(str(get_named_type(fields[n].type)))
                if n == "comparison"
                else f"{n}{self._required(fields[n])} {{ {self._leaves_of(str(get_named_type(fields[n].type)))} }}"
                for n in chosen
            )
        leaves = [n for n in fields if not hasattr(get_named_type(fields[n].type), "fields")]
        chosen = self.draw.sample(leaves, self.draw.randint(1, min(3, len(leaves))))
        if self.draw.random() < 0.2 and not type_name.endswith("Columns"):  # once per row, not per list
            chosen.append("__typename")
        if len(chosen) > 1 and self.draw.random() < 0.4:  # the last leaves through a fragment
            inner = " ".join(chosen[1:])
            if self.draw.random() < 0.5:
                return f"{chosen[0]} ... on {type_name} {{ {inner} }}"
            self.fragments.append(f"fragment G{len(self.fragments)} on {type_name} {{ {inner} }}")
            return f"{chosen[0]} ...G{len(self.fragments) - 1}"
        return " ".join(chosen)


def _series_values(data: object, key: str = "") -> int:
    """Leaf values under series, columns and totals: what the estimate counts as values."""
    if key in TOTALS_AND_SERIES:
        return count_values(data)
    if isinstance(data, dict):
        return sum(_series_values(v, k) for k, v in data.items())
    if isinstance(data, list):
        return sum(_series_values(v) for v in data)
    return 0


def _entity_count(data: Any, path: tuple[str, ...]) -> int:
    node = data
    for step in path:
        node = node[step]
    return len(node["entities"])


def _ids(api: Api, listing: str) -> list[str]:
    return [e["entityId"] for e in api.ok(listing, scope="org", window="30d", limit=2)["entities"]]


@pytest.mark.parametrize("seed", range(40))
def test_generated_dashboards_cost_what_they_are_estimated_to(
    gateway: Gateway, per_entity: Gateway, api: Api, seed: int
) -> None:
    """Never more than estimated; exactly as estimated when every breakdown page comes back full
    (a link counts as many entities as its page may hold, each its own call)."""
    scope_ids = {
        "WORKSPACE": _ids(api, "/v2/stats/ai/breakdown/workspaces"),
        "REPO": _ids(api, "/v2/stats/ai/breakdown/repos"),
    }
    dashboards = Dashboards(seed, scope_ids)
    query = dashboards.document()
    # Entities a batch page does not hold fall back to their own calls, which no estimate made
    # before the page arrives can know: links run with batching off, every entity its own call.
    result = (per_entity if dashboards.links else gateway).query(query)
    body = json.loads(result.text)
    assert not result.errors, (query, result.errors)
    cost = body["extensions"]["cost"]
    produced = _series_values(body["data"])
    assert cost["actual"]["calls"] <= cost["estimated"]["calls"], query
    assert produced <= cost["estimated"]["values"], query
    if all(_entity_count(body["data"], path) == limit for path, limit in dashboards.breakdowns):
        assert cost["actual"]["calls"] == cost["estimated"]["calls"], query
        assert produced == cost["estimated"]["values"], query


def test_linked_series_in_different_windows_or_bucket_sizes_are_batched_apart(gateway: Gateway) -> None:
    """Each window and bucket size is a breakdown page of its own for the same three repos."""
    series = "{ ai { timeSeries { columns { ts requests } } } }"
    query = (
        "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 3) { entities { repo {"
        f" a: stats(window: LAST_7D) {series} b: stats(window: LAST_30D) {series}"
        f" c: stats(window: LAST_7D, bucketSize: HOUR_6) {series} }} }} }} }} }} }}"
    )
    cost = cost_of(gateway, query)
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 1 + 3


def test_a_breakdown_under_each_linked_entity_counts_once_per_entity(gateway: Gateway) -> None:
    query = (
        "{ stats(window: LAST_7D) { ai { breakdown(by: REPOS, limit: 2) { entities { repo {"
        " stats(window: LAST_24H) { ai { breakdown(by: MODELS, limit: 2) { entities { columns { ts requests } } } } }"
        " } } } } } }"
    )
    result = gateway.query(query)
    body = json.loads(result.text)
    pages = [
        e["repo"]["stats"]["ai"]["breakdown"]["entities"]
        for e in body["data"]["stats"]["ai"]["breakdown"]["entities"]
    ]
    assert [len(page) for page in pages] == [2, 2]
    points = len(pages[0][0]["columns"]["ts"])
    assert (
        body["extensions"]["cost"]["estimated"]["values"]
        == 2 * 2 * points * 2
        == body["extensions"]["cost"]["actual"]["values"]
    )


def test_legacy_lists_at_each_resolution_are_a_call_each(gateway: Gateway) -> None:
    query = (
        "{ legacy { a: storage { ts } b: storage(resolution: MINUTE) { ts } c: ai { ts }"
        " d: ai(resolution: MINUTE) { ts } } }"
    )
    cost = cost_of(gateway, query)
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 4


@pytest.mark.parametrize("batching", ["auto", "never"])
def test_root_stats_of_several_workspaces_are_estimated_as_the_batch_fetches_them(
    gateway: Gateway, per_entity: Gateway, api: Api, batching: str
) -> None:
    """Two workspaces' series are one breakdown page, as two federated workspaces' are; with
    batching off, a call each."""
    first, second = _ids(api, "/v2/stats/ai/breakdown/workspaces")
    series = "{ ai { timeSeries { summary { total } } } }"
    query = (
        f'{{ a: stats(window: LAST_7D, scope: WORKSPACE, id: "{first}") {series}'
        f' b: stats(window: LAST_7D, scope: WORKSPACE, id: "{second}") {series}'
        f' c: stats(window: LAST_7D, scope: WORKSPACE, id: "{second}") {series} }}'
    )
    cost = cost_of(gateway if batching == "auto" else per_entity, query)
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == (1 if batching == "auto" else 2)


def test_a_linked_series_no_breakdown_answers_is_a_call_per_entity(gateway: Gateway) -> None:
    """Policy rules' series are not batched: each linked rule is its own call."""
    query = (
        "{ stats(window: LAST_7D) { policies { breakdown(by: RULES, limit: 3) { entities { rule {"
        " policies(window: LAST_7D) { timeSeries { summary { total } } } } } } } } }"
    )
    cost = cost_of(gateway, query)
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 1 + 3


def test_legacy_lists_that_differ_only_in_their_filters_are_a_call_each(gateway: Gateway, api: Api) -> None:
    repo, other = _ids(api, "/v2/stats/ai/breakdown/repos")
    (bucket, _) = _ids(api, "/v2/stats/storage/breakdown/buckets")
    query = (
        f'{{ legacy {{ a: storage(repoIds: ["{repo}"]) {{ ts }} b: storage(repoIds: ["{other}"]) {{ ts }}'
        f' c: storage(hosts: ["node-1"]) {{ ts }} d: storage {{ ts }}'
        f' e: storage(bucketIds: ["{bucket}"]) {{ ts }} }} }}'
    )
    cost = cost_of(gateway, query)
    assert cost["estimated"]["calls"] == cost["actual"]["calls"] == 5
