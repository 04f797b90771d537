"""Every field of every shape, selected all at once, against REST.

The selections are generated from the schema itself: every time series and every breakdown
dimension of every domain, each with every leaf field, both forms, links, and ``summary(metric:)``
for every metric. A field combination that fails, or a value that differs from the upstream's,
fails here, whichever field it is.
"""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLType

from gql.pipeline.engine import schema
from resolvers import dimensions, resources
from tests.conftest import Api
from tests.gateway import Gateway

DOMAINS = ("storage", "ai", "privateChat", "policies", "credits")  # each is its field under `Stats`
FEDERATED = {"Workspace", "Repo", "Bucket", "AiConfig", "User", "PolicyRule", "Model"}
WINDOW = "7d"
# Asked on their own (``every_field_queries``): with the series' other fields they would pass the
# token limit, and a series' own fields are checked against REST without them.
ASKED_ALONE = frozenset({"comparison"})


def _named(graphql_type: GraphQLType) -> Any:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


def selection(type_name: str) -> str:
    """Every field of a type: leaves as they are, objects recursively, federated links as ``{ id }``,
    and a field with an enum argument once per value (aliased by the value), once without if it may."""
    graphql_type = schema._schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    parts = []
    for name, field in graphql_type.fields.items():
        if name in ASKED_ALONE:
            continue
        target = _named(field.type)
        inner = ""
        if isinstance(target, GraphQLObjectType):
            inner = " { id }" if target.name in FEDERATED else f" {{ {selection(target.name)} }}"
        enum_args = [
            (arg_name, arg)
            for arg_name, arg in field.args.items()
            if isinstance(_named(arg.type), GraphQLEnumType)
        ]
        if not enum_args:
            parts.append(name + inner)
            continue
        ((arg_name, arg),) = enum_args
        if not isinstance(arg.type, GraphQLNonNull):
            parts.append(name + inner)
        parts += [f"{name}_{value}: {name}({arg_name}: {value}){inner}" for value in _named(arg.type).values]
    return " ".join(parts)


def _query(domain_field: str, body: str) -> str:
    return f"{{ stats(window: LAST_7D) {{ {domain_field} {{ {body} }} }} }}"


def _type_of(parent: str, field: str) -> str:
    parent_type = schema._schema.type_map[parent]
    assert isinstance(parent_type, GraphQLObjectType)
    return str(_named(parent_type.fields[field].type).name)


def _summary_of(values: list[float]) -> dict[str, Any]:
    """Population standard deviation and linearly interpolated percentiles (docs/backend.md)."""
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return {
        "total": sum(values),
        "avg": pytest.approx(statistics.fmean(values), rel=1e-9, abs=1e-6),
        "stdDev": pytest.approx(statistics.pstdev(values), rel=1e-9, abs=1e-6),
        "min": min(values),
        "max": max(values),
        "p10": pytest.approx(deciles[0], rel=1e-9, abs=1e-6),
        "p50": pytest.approx(deciles[4], rel=1e-9, abs=1e-6),
        "p90": pytest.approx(deciles[8], rel=1e-9, abs=1e-6),
    }


def _metric_enum(type_name: str) -> dict[str, str]:
    """GraphQL member -> wire metric name of a type's ``summary(metric:)`` argument."""
    summary = schema._schema.type_map[type_name].fields["summary"]  # type: ignore[attr-defined]
    enum = _named(summary.args["metric"].type)
    return {name: value.value for name, value in enum.values.items()}


def _assert_series(ours: dict[str, Any], points: list[dict[str, Any]], type_name: str) -> None:
    names = list(ours["columns"])
    assert ours["columns"] == {name: [p[name] for p in points] for name in names}
    assert ours["series"] == [{k: p[k] for k in ours["series"][0]} for p in points]
    assert len(ours["series"]) == len(points) > 0
    for member, wire in _metric_enum(type_name).items():
        assert ours[f"summary_{member}"] == _summary_of([float(p[wire]) for p in points]), member


TIME_SERIES = [(name, name) for name in DOMAINS] + [("policies", "policyTokens")]


@pytest.mark.parametrize(("field", "domain_name"), TIME_SERIES, ids=[f"{f}-{d}" for f, d in TIME_SERIES])
def test_every_time_series_field_equals_rest(
    gateway: Gateway, api: Api, field: str, domain_name: str
) -> None:
    name = "tokens" if domain_name == "policyTokens" else "timeSeries"
    series_type = _type_of(_type_of("Stats", field), name)
    result = gateway.query(_query(field, f"{name} {{ {selection(series_type)} }}"))
    assert not result.errors, result.errors
    ours = result.data["stats"][field][name]
    domain = resources.domain(domain_name)
    rest = api.ok(domain.path, scope="org", window=WINDOW)
    _assert_series(ours, rest["series"], series_type)
    assert ours["summary"] == {k: pytest.approx(v) for k, v in rest["summary"].items()}
    meta = rest["meta"]
    assert (ours["meta"]["start"], ours["meta"]["end"]) == (meta["start"], meta["end"])
    assert ours["meta"]["window"] == resources.WINDOWS[meta["window"]].name
    assert ours["meta"]["bucketSize"] == resources.BUCKET_SIZES[meta["timeBucketSize"]].name
    assert (
        ours["meta"]["scope"] == "ORG"
        and ours["meta"]["scopeId"] is None
        and ours["meta"]["resourceFilter"] is None
    )


def _breakdown_fields() -> list[tuple[str, dimensions.Dimension, str]]:
    """(domain field, dimension, the GraphQL call that asks for it) for every dimension there is."""
    cases = []
    for dimension in dimensions.DIMENSIONS:
        call = f"breakdown(by: {dimension.name}, limit: 4)" if dimension.name else f"{dimension.by}(limit: 4)"
        cases.append((dimension.domain, dimension, call))
        if dimension.name and dimension.extra_totals:
            cases.append((dimension.domain, dimension, f"{dimension.by}(limit: 4)"))
    return cases


BREAKDOWNS = _breakdown_fields()


@pytest.mark.parametrize(
    ("field", "dimension", "call"),
    BREAKDOWNS,
    ids=[f"{f}-{c.split('(')[0]}-{d.by}" for f, d, c in BREAKDOWNS],
)
def test_every_breakdown_field_equals_rest(
    gateway: Gateway, api: Api, field: str, dimension: dimensions.Dimension, call: str
) -> None:
    domain_type = _type_of("Stats", field)
    breakdown_type = _type_of(domain_type, call.split("(")[0])
    result = gateway.query(_query(field, f"page: {call} {{ {selection(breakdown_type)} }}"))
    assert not result.errors, result.errors
    ours = result.data["stats"][field]["page"]
    rest = api.ok(dimension.path, scope="org", window=WINDOW, limit=4, includeSeries="true")
    assert ours["total"] == rest["summary"]["total"]
    assert ours["meta"]["by"] == rest["meta"]["breakdownBy"] == dimension.by
    assert {k: ours["meta"][k] for k in ("limit", "offset", "totalEntities", "includesSeries")} == {
        k: rest["meta"][k] for k in ("limit", "offset", "totalEntities", "includesSeries")
    }
    entity_type = _type_of(breakdown_type, "entities")
    assert len(ours["entities"]) == len(rest["entities"]) > 0
    for entity, theirs in zip(ours["entities"], rest["entities"], strict=True):
        assert (entity["entityId"], entity["name"]) == (theirs["entityId"], theirs["entityName"])
        assert entity["totals"] == {k: theirs["totals"].get(k) for k in entity["totals"]}
        for key in dimension.fields:
            assert entity[key] == theirs[key]
        for link in ("workspace", "repo", "bucket", "model", "aiConfig", "user", "rule"):
            if link in entity:
                linked = _type_of(entity_type, link)
                expected = (
                    {"id": theirs["entityId"]} if dimensions.linked_by(linked) == dimension.by else None
                )
                assert entity[link] == expected, link
        _assert_series(entity, theirs["series"], entity_type)


def every_field_queries() -> list[str]:
    """One query per time series and per breakdown field, each selecting every field it has."""
    queries = []
    for field, domain_name in TIME_SERIES:
        name = "tokens" if domain_name == "policyTokens" else "timeSeries"
        series_type = _type_of(_type_of("Stats", field), name)
        queries.append(_query(field, f"{name} {{ {selection(series_type)} }}"))
        for alone in ASKED_ALONE:
            queries.append(
                _query(field, f"{name} {{ {alone} {{ {selection(_type_of(series_type, alone))} }} }}")
            )
    for field, _, call in BREAKDOWNS:
        breakdown_type = _type_of(_type_of("Stats", field), call.split("(")[0])
        queries.append(_query(field, f"page: {call} {{ {selection(breakdown_type)} }}"))
    return queries
