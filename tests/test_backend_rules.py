"""The secondary rules of docs/backend.md's decisions that no other test states: repeated, empty and
unknown parameters, credits that only the organization's unfiltered series carries, whole-
organization endpoints, which of two legacy bucket parameters wins, and refusals that do not tell
a missing id from another organization's."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Api

SERIES = "/v2/stats/ai"


def _raw(api: Api, target: str, token: str = "demo") -> httpx.Response:
    """A GET of the target as written: repeated keys and empty values included."""
    return api._runner.run(api._client.get(target, headers={"Authorization": f"Bearer {token}"}))


@pytest.mark.parametrize(
    "query",
    [
        "scope=org&scope=org&window=24h",
        "scope=org&window=24h&window=7d",
        "scope=org&window=",
        "scope=&window=24h",
        "scope=org&window=24h&timeBucketSize=",
    ],
)
def test_a_repeated_or_empty_parameter_is_refused(api: Api, query: str) -> None:
    """The official client sends each key once and skips empty values: anything else is a bug
    of the caller's, refused rather than guessed at."""
    refused = _raw(api, f"{SERIES}?{query}")
    assert refused.status_code == 400
    assert refused.json()["error_code"] in {"INVALID_PARAMETER", "MISSING_PARAMETER"}


def test_an_unknown_parameter_is_ignored(api: Api) -> None:
    plain = api.ok(SERIES, scope="org", window="24h")
    extra = api.ok(SERIES, scope="org", window="24h", trace="on", sort="desc")
    assert extra == plain


def test_purchases_and_grants_belong_to_the_organization_series_alone(api: Api, org: Any) -> None:
    """They are organization-level: the unfiltered org series carries them; a filtered or
    workspace series and every breakdown entity show 0, while their consumption is there."""
    whole = api.ok("/v2/stats/credits", scope="org", window="30d")["series"]
    assert sum(p["creditsPurchased"] + p["creditsGranted"] for p in whole) > 0
    workspace = org.workspaces[0].id
    narrowed = [
        api.ok("/v2/stats/credits", scope="workspace", id=workspace, window="30d")["series"],
        api.ok("/v2/stats/credits", scope="org", window="30d", aiLlmId=org.ai_configs[0].id)["series"],
    ]
    for series in narrowed:
        assert sum(p["creditsPurchased"] + p["creditsGranted"] for p in series) == 0
        assert sum(p["creditsTotal"] for p in series) > 0
    entities = api.ok("/v2/stats/credits/breakdown/workspaces", scope="org", window="30d")["entities"]
    assert entities and all(
        e["totals"]["creditsPurchased"] == e["totals"]["creditsGranted"] == 0 for e in entities
    )


def test_monthly_credits_need_a_whole_organization_token(api: Api) -> None:
    assert api.get("/credits/stats/monthly", token="demo").status_code == 200
    narrow = api.get("/credits/stats/monthly", token="demo-workspace-only")
    assert narrow.status_code == 403 and narrow.json()["error_code"] == "FORBIDDEN"


def test_a_missing_id_and_another_organizations_are_refused_alike(api: Api, other_org: Any) -> None:
    """Existence never leaks: a UUID that names nothing gets the answer another organization's
    workspace gets, status, code and message form."""
    foreign = api.get(SERIES, scope="workspace", id=other_org.workspaces[0].id, window="24h")
    missing_id = str(uuid.UUID(int=12345))
    missing = api.get(SERIES, scope="workspace", id=missing_id, window="24h")
    assert foreign.status_code == missing.status_code == 403
    assert foreign.json()["error_code"] == missing.json()["error_code"] == "FORBIDDEN"
    assert foreign.json()["message"].replace(other_org.workspaces[0].id, "X") == missing.json()[
        "message"
    ].replace(missing_id, "X")


def test_legacy_unit_id_wins_over_bucket_id(api: Api) -> None:
    """`/stats` takes the bucket under either name; given both, `unitId` is the one applied."""
    rows = api.ok("/stats/daily")
    data = rows["data"] if isinstance(rows, dict) else rows
    buckets = sorted({r["unitId"] for r in data})
    assert len(buckets) >= 2
    first, second = buckets[0], buckets[1]
    both = api.ok("/stats/daily", unitId=first, bucketId=second)
    both_rows = both["data"] if isinstance(both, dict) else both
    assert both_rows and {r["unitId"] for r in both_rows} == {first}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": "500"}, 200),
        ({"limit": "501"}, 400),
        ({"limit": "1"}, 200),
        ({"limit": "0"}, 400),
        ({"offset": "100000"}, 200),
        ({"offset": "100001"}, 400),
        ({"offset": "-1"}, 400),
    ],
)
def test_paging_bounds_hold_at_each_edge(api: Api, params: dict[str, str], status: int) -> None:
    answer = api.get(f"{SERIES}/breakdown/models", scope="org", window="24h", **params)
    assert answer.status_code == status, answer.text
