"""Bad input on every parameter of every endpoint: 400, JSON, and a message naming the parameter."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from tests.conftest import Api

SPEC: dict[str, Any] = json.loads(resources.files("local_backend").joinpath("openapi.json").read_text())
BASE = {"scope": "org", "window": "7d"}
# Legacy name lists (hosts, llmType, llmModel) accept any name and match nothing; their bad form is an empty item.
BAD_LEGACY_LIST = "a,,b"


def _parameters(path: str) -> list[dict[str, Any]]:
    out = []
    for parameter in SPEC["paths"][path]["get"].get("parameters", []):
        if "$ref" in parameter:
            parameter = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        out.append(parameter)
    return out


def _allowed_by(path: str) -> list[str]:
    """The dimensions the contract allows for a breakdown path's ``{by}``."""
    (by,) = (parameter for parameter in _parameters(path) if parameter["name"] == "by")
    schema = by["schema"]
    if "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    allowed: list[str] = schema["enum"]
    return allowed


ALLOWED_BY = {path: _allowed_by(path) for path in SPEC["paths"] if "{by}" in path}


def _bad_value(parameter: dict[str, Any]) -> str:
    schema = parameter["schema"]
    if "$ref" in schema or "enum" in schema:
        return "bogus"
    if schema.get("type") == "boolean":
        return "yes"
    if schema.get("type") == "integer":
        return "many"
    if schema.get("type") == "array":
        return BAD_LEGACY_LIST if parameter["name"] in ("hosts", "llmType", "llmModel") else "not-a-uuid"
    if parameter["name"] in ("startDate", "endDate"):
        return "yesterday"
    if parameter["name"] == "model":
        return "gpt-9"
    return "not-a-uuid"


CASES = [
    (path, parameter["name"], _bad_value(parameter))
    for path in SPEC["paths"]
    for parameter in _parameters(path)
    if parameter["in"] == "query"
]


@pytest.mark.parametrize(("path", "name", "value"), CASES, ids=[f"{p}:{n}" for p, n, _ in CASES])
def test_bad_parameter_value_is_a_400_naming_it(api: Api, path: str, name: str, value: str) -> None:
    concrete = path.replace("{by}", ALLOWED_BY[path][0] if path in ALLOWED_BY else "")
    params = dict(BASE) if path.startswith("/v2") else {}
    if name == "id":
        params["scope"] = "workspace"
    params[name] = value
    response = api.get(concrete, **params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is False and body["error_code"]
    assert name in body["message"] or value in body["message"]


@pytest.mark.parametrize("path", list(ALLOWED_BY))
def test_unknown_breakdown_dimension_lists_the_allowed_ones(api: Api, path: str) -> None:
    response = api.get(path.replace("{by}", "planets"), **BASE)
    assert response.status_code == 400
    assert all(by in response.json()["message"] for by in ALLOWED_BY[path]), ALLOWED_BY[path]


@pytest.mark.parametrize("name", ["scope", "window"])
def test_missing_required_parameter_names_it(api: Api, name: str) -> None:
    params = {k: v for k, v in BASE.items() if k != name}
    response = api.get("/v2/stats/storage", **params)
    assert response.status_code == 400
    assert response.json()["error_code"] == "MISSING_PARAMETER"
    assert f"'{name}'" in response.json()["message"]


def test_repeated_and_empty_parameters_are_refused(api: Api) -> None:
    repeated = api.get("/v2/stats/storage?scope=org&window=7d&window=30d")
    assert repeated.status_code == 400 and "window" in repeated.json()["message"]
    empty = api.get("/v2/stats/storage?scope=org&window=7d&bucketId=")
    assert empty.status_code == 400 and "bucketId" in empty.json()["message"]


@pytest.mark.parametrize("months", ["0", "25", "-3", "twelve"])
def test_monthly_credit_months_must_be_1_to_24(api: Api, months: str) -> None:
    response = api.get("/credits/stats/monthly", months=months)
    assert response.status_code == 400 and "months" in response.json()["message"]


def test_oversized_legacy_ranges_are_refused(api: Api) -> None:
    assert api.get("/stats/daily", startDate="2025-01-01", endDate="2026-11-01").status_code == 400
    assert api.get("/aistats/minute", startDate="2026-11-01T00:00:00.000Z").status_code == 400
