"""Every endpoint's answers validate against the OpenAPI document, over a sweep of its parameters.

Hypothesis draws each parameter as absent, valid (enum values, ids the demo token can see,
well-formed instants) or junk, so the sweep covers both success and error answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tests.conftest import CONTRACT_PATHS, Api, per_module

JUNK = st.text(alphabet=st.characters(codec="ascii", exclude_categories=["Cc"]), min_size=1, max_size=12)


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = spec["components"][section][name]
    return node


def _valid_values(
    name: str, schema: dict[str, Any], spec: dict[str, Any], ids: dict[str, list[str]]
) -> st.SearchStrategy[str]:
    schema = _resolve(spec, schema)
    if "enum" in schema:
        return st.sampled_from([str(v) for v in schema["enum"]])
    if schema.get("type") == "boolean":
        return st.sampled_from(["true", "false"])
    if schema.get("type") == "integer":
        return st.integers(min_value=schema.get("minimum", 0), max_value=schema.get("maximum", 60)).map(str)
    if name in ("startDate", "endDate"):
        return st.sampled_from(["2026-11-14", "2026-11-18T00:00:00.000Z", "2026-11-20T12:00:00.000Z"])
    pool = ids.get(name, ids["any"])
    if schema.get("type") == "array":
        return st.lists(st.sampled_from(pool), min_size=1, max_size=3).map(",".join)
    return st.sampled_from(pool)


def _query_strategy(
    path: str, spec: dict[str, Any], ids: dict[str, list[str]]
) -> st.SearchStrategy[dict[str, str]]:
    fields: dict[str, st.SearchStrategy[str | None]] = {}
    for parameter in spec["paths"][path]["get"].get("parameters", []):
        parameter = _resolve(spec, parameter)
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        valid = _valid_values(name, parameter["schema"], spec, ids)
        weights = (
            [valid, valid, valid, st.none(), st.none(), JUNK]
            if parameter.get("required")
            else [st.none()] * 4 + [valid, JUNK]
        )
        fields[name] = st.one_of(*weights)
    return st.fixed_dictionaries(fields).map(lambda d: {k: v for k, v in d.items() if v is not None})


def _by_values(path: str, spec: dict[str, Any]) -> list[str]:
    if "{by}" not in path:
        return [""]
    parameter = next(p for p in spec["paths"][path]["get"]["parameters"] if p.get("name") == "by")
    return [str(v) for v in _resolve(spec, parameter["schema"])["enum"]] + ["planets"]


def _validator(spec: dict[str, Any], path: str, status: int) -> Draft202012Validator:
    responses = spec["paths"][path]["get"]["responses"]
    response = _resolve(spec, responses.get(str(status)) or responses["default"])
    schema = response["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": spec["components"]})


@pytest.fixture(scope=per_module)
def spec(api: Api) -> dict[str, Any]:
    document: dict[str, Any] = api.ok("/openapi.json", token=None)
    return document


@pytest.fixture(scope=per_module)
def ids(org: Any, other_org: Any) -> dict[str, list[str]]:
    foreign = [other_org.repos[0].id]
    return {
        "id": [org.workspaces[0].id, org.repos[0].id, org.id, *foreign],
        "apiKeyId": [org.repos[0].api_key_ids[0], *foreign],
        "repoAiApiKeyId": [org.repos[0].api_key_ids[0]],
        "bucketId": [org.buckets[0].id, org.buckets[1].id, *foreign],
        "unitId": [org.buckets[0].id],
        "repoId": [r.id for r in org.repos[:3]] + foreign,
        "aiLlmId": [c.id for c in org.ai_configs[:2]] + foreign,
        "userId": [org.users[0].id, org.users[1].id],
        "userUuid": [org.users[0].id],
        "ruleId": [org.rules[0].id, org.rules[1].id],
        "model": ["gpt-4o", "claude-3-haiku", "gpt-9"],
        "llmModel": ["gpt-4o", "claude-3-haiku"],
        "llmType": ["OPENAI", "anthropic"],
        "hosts": [org.nodes[0].host],
        "conversationUuid": ["00000000-0000-4000-8000-000000000000"],
        "any": [org.repos[0].id],
    }


PATHS = list(CONTRACT_PATHS)


def test_every_contract_path_is_swept(spec: dict[str, Any]) -> None:
    assert sorted(PATHS) == sorted(spec["paths"])


@pytest.mark.parametrize("path", PATHS)
def test_answers_validate_against_the_openapi_document(
    api: Api, spec: dict[str, Any], ids: dict[str, list[str]], path: str
) -> None:
    statuses: set[int] = set()

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        by=st.sampled_from(_by_values(path, spec)),
        query=_query_strategy(path, spec, ids),
        token=st.sampled_from(["demo", "demo", "demo", "demo-workspace-only", "demo-other-org"]),
    )
    def check(by: str, query: dict[str, str], token: str) -> None:
        response = api.get(path.replace("{by}", by), token=token, **query)
        assert response.status_code in (200, 400, 403), response.text
        assert response.headers["content-type"] == "application/json"
        errors = sorted(_validator(spec, path, response.status_code).iter_errors(response.json()), key=str)
        assert not errors, f"{response.status_code} {query}: {errors[0].message}"
        statuses.add(response.status_code)

    check()
    assert 200 in statuses and 400 in statuses, statuses
