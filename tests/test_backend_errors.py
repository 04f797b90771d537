"""Every way the local backend refuses a request, with the exact answer a client gets: the status,
the contract's ``error_code`` and a message that says what to send instead. The gateway passes these
messages and codes on (``upstreamCode``), so they are part of what a user reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

REFUSALS: list[tuple[str, str, int, str, str]] = [
    (
        "demo",
        "/v2/stats/ai?scope=org&window=7d&window=24h",
        400,
        "INVALID_PARAMETER",
        "Parameter 'window' was given 2 times; send it once.",
    ),
    (
        "demo",
        "/v2/stats/ai?scope=org&window=",
        400,
        "INVALID_PARAMETER",
        "Parameter 'window' is empty; leave it out or give a value.",
    ),
    (
        "demo",
        "/v2/stats/ai?window=7d",
        400,
        "MISSING_PARAMETER",
        "Missing required parameter 'scope' (one of org, workspace, repo).",
    ),
    (
        "demo",
        "/v2/stats/ai?scope=galaxy&window=7d",
        400,
        "INVALID_PARAMETER",
        "Invalid value 'galaxy' for 'scope'. Allowed values: org, workspace, repo.",
    ),
    (
        "demo",
        "/v2/stats/ai/breakdown/models?scope=org&window=7d&includeSeries=maybe",
        400,
        "INVALID_PARAMETER",
        "Invalid value 'maybe' for 'includeSeries'. Allowed values: true, false.",
    ),
    (
        "demo",
        "/v2/stats/ai/breakdown/models?scope=org&window=7d&limit=ten",
        400,
        "INVALID_PARAMETER",
        "Invalid value 'ten' for 'limit': expected a whole number.",
    ),
    (
        "demo",
        "/v2/stats/ai/breakdown/models?scope=org&window=7d&limit=501",
        400,
        "INVALID_PARAMETER",
        "Invalid value 501 for 'limit': must be between 1 and 500.",
    ),
    (
        "demo",
        "/v2/stats/ai?scope=repo&window=7d",
        400,
        "MISSING_PARAMETER",
        "Missing required parameter 'id': scope=repo needs the repo UUID.",
    ),
    (
        "demo",
        "/v2/stats/ai?scope=repo&id=nope&window=7d",
        400,
        "INVALID_PARAMETER",
        "Invalid value 'nope' for 'id': expected a UUID.",
    ),
    (
        "demo",
        "/v2/stats/ai?scope=repo&id=00000000-0000-4000-8000-000000000000&window=7d",
        403,
        "FORBIDDEN",
        "Repo '00000000-0000-4000-8000-000000000000' is not visible to this token.",
    ),
    (
        "demo-workspace-only",
        "/v2/stats/ai?scope=org&window=7d",
        403,
        "FORBIDDEN",
        "scope=org covers the whole organization; this token is limited to one workspace.",
    ),
    (
        "demo",
        "/v2/stats/ai?scope=org&window=7d&apiKeyId=00000000-0000-4000-8000-000000000000",
        403,
        "FORBIDDEN",
        "apiKeyId '00000000-0000-4000-8000-000000000000' is not visible to this token.",
    ),
    (
        "demo",
        "/v2/stats/ai?scope=org&window=7d&bucketId=x&model=y",
        400,
        "FILTER_NOT_APPLICABLE",
        "Parameter 'bucketId' does not apply to /v2/stats/ai; it accepts: model, apiKeyId, aiLlmId.",
    ),
    (
        "demo",
        "/v2/stats/ai?scope=org&window=365d&timeBucketSize=5m",
        400,
        "BUCKET_SIZE_NOT_ALLOWED",
        "timeBucketSize '5m' is too fine for window '365d' (more than 2160 buckets). Allowed for 365d: 6h, 12h, 1d.",
    ),
    (
        "demo",
        "/aistats/daily?startDate=2026-11-10&endDate=2026-11-01",
        400,
        "INVALID_PARAMETER",
        "startDate is after endDate; swap them or widen the range.",
    ),
    (
        "demo",
        "/aistats/daily?conversationUuid=nope",
        400,
        "INVALID_PARAMETER",
        "Invalid value 'nope' for 'conversationUuid': expected a UUID.",
    ),
    (
        "demo",
        "/aistats/daily?repoId=a,,b",
        400,
        "INVALID_PARAMETER",
        "Parameter 'repoId' has an empty item; send comma-separated values like a,b.",
    ),
    ("demo", "/nowhere", 404, "NOT_FOUND", "No endpoint /nowhere; see /openapi.json."),
    (
        "demo-other-org",
        "/credits/stats/monthly",
        400,
        "CREDITS_NOT_ENABLED",
        "The credits system is not enabled for this organization.",
    ),
    (
        "demo-workspace-only",
        "/credits/stats/monthly",
        403,
        "FORBIDDEN",
        "Monthly credit statistics covers the whole organization; this token is limited to one workspace.",
    ),
    (
        "demo",
        "/ai/llm/stats?aiLlmId=nope",
        400,
        "INVALID_PARAMETER",
        "Invalid value 'nope' for 'aiLlmId': expected a UUID.",
    ),
    (
        "demo",
        "/ai/llm/stats?aiLlmId=00000000-0000-4000-8000-000000000000",
        403,
        "FORBIDDEN",
        "aiLlmId '00000000-0000-4000-8000-000000000000' is not visible to this token.",
    ),
    (
        "demo",
        "/credits/stats/monthly?months=25",
        400,
        "INVALID_PARAMETER",
        "Invalid value 25 for 'months': must be between 1 and 24.",
    ),
]


@pytest.mark.parametrize(
    ("token", "path", "status", "code", "message"), REFUSALS, ids=[p for _, p, *_ in REFUSALS]
)
def test_each_refusal_answers_its_status_code_and_message(
    api: Api, token: str, path: str, status: int, code: str, message: str
) -> None:
    response = api.get(path, token=token)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body == {"success": False, "message": message, "error_code": code}
    assert "www-authenticate" not in response.headers, "only a 401 asks for credentials"


def test_a_method_other_than_get_is_refused_in_json(api: Api) -> None:
    response = api._runner.run(api._client.post("/v2/stats/ai", headers={"Authorization": "Bearer demo"}))
    assert response.status_code == 405
    assert response.json() == {
        "success": False,
        "message": "Method Not Allowed",
        "error_code": "METHOD_NOT_ALLOWED",
    }


@pytest.mark.parametrize(
    "instant",
    ["2026-11-10T00:00:00Z", "2026-11-10T00:00:00+00:00", "2026-11-10T00:00:00", "2026-11-10"],
)
def test_a_legacy_date_without_an_offset_is_utc_whatever_the_servers_zone(api: Api, instant: str) -> None:
    """The backend runs in Pacific/Chatham time here (UTC+13:45 in November): a naive instant must
    still mean UTC, as the contract says."""
    import os
    import time

    zone = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Chatham"
    time.tzset()
    try:
        naive = api.ok("/aistats/daily", startDate=instant, endDate="2026-11-12T00:00:00Z")["data"]
        utc = api.ok("/aistats/daily", startDate="2026-11-10T00:00:00Z", endDate="2026-11-12T00:00:00Z")[
            "data"
        ]
    finally:
        if zone is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = zone
        time.tzset()
    assert naive == utc and naive
