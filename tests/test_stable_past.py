"""The local backend's past never changes: a bucket closed at one clock holds the same values at
every later clock.

A live dashboard refreshes the same window as the clock moves; if the backend drew a closed
bucket's numbers again with the clock, every refresh would rewrite history. Each check asks the
same resource of backends pinned at two clocks (a 5-minute bucket, an hour, a day and a week
apart, the later one the suite's pinned clock, which is not on a bucket boundary) and compares,
value by value, every bucket both answers hold that had closed at the earlier clock: every domain's
time series at every bucket size of every window, and every dimension's entity series.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette

from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from resolvers import dimensions, resources
from tests.conftest import NOW, Api, per_module

# Four databases of their own (about 5 s each): slow, and so left out of mutation runs, which
# would build them for every test.
pytestmark = pytest.mark.slow

APART = {"a 5-minute bucket": 300, "an hour": 3_600, "a day": 86_400, "a week": 7 * 86_400}


@pytest.fixture(scope=per_module)
def earlier(tmp_path_factory: pytest.TempPathFactory, settings: BackendSettings) -> Iterator[dict[int, Api]]:
    """A backend pinned at each earlier clock, each with a database of its own."""
    clients = {}
    for seconds in APART.values():
        folder = tmp_path_factory.mktemp(f"at-{seconds}")
        pinned = BackendSettings(folder / "backend.sqlite3", settings.seed, NOW - seconds)
        app: Starlette = create_backend_app(pinned)
        clients[seconds] = Api(app)
    yield clients
    for client in clients.values():
        client.close()


def _closed(points: list[dict[str, Any]], size: int, clock: int) -> dict[int, dict[str, Any]]:
    """The buckets of a series closed at ``clock``, by their start."""
    return {point["ts"]: point for point in points if point["ts"] + size <= clock}


def _same_closed_buckets(
    before: list[dict[str, Any]], after: list[dict[str, Any]], size: int, clock: int
) -> int:
    """Assert that every bucket closed at ``clock`` in both series is the same; how many there were."""
    old, new = _closed(before, size, clock), _closed(after, size, clock)
    shared = sorted(old.keys() & new.keys())
    changed = [ts for ts in shared if old[ts] != new[ts]]
    assert not changed, f"{len(changed)} of {len(shared)} closed buckets changed, first at {changed[0]}"
    return len(shared)


SERIES = [
    (domain.path, window, size)
    for domain in resources.DOMAINS
    for window in resources.WINDOWS
    for size in resources.bucket_sizes_for(window)
]


@pytest.mark.parametrize("apart", list(APART), ids=list(APART))
@pytest.mark.parametrize(("path", "window", "size"), SERIES, ids=[f"{p}:{w}:{s}" for p, w, s in SERIES])
def test_closed_buckets_of_every_series_keep_their_values(
    api: Api, earlier: dict[int, Api], apart: str, path: str, window: str, size: str
) -> None:
    seconds = APART[apart]
    params = {"scope": "org", "window": window, "timeBucketSize": size}
    answer = api.ok(path, **params)
    assert answer["meta"]["timeBucketSize"] == size, "the bucket size asked for was not the one answered"
    before, after = earlier[seconds].ok(path, **params)["series"], answer["series"]
    bucket = resources.BUCKET_SIZES[size].seconds
    compared = _same_closed_buckets(before, after, bucket, NOW - seconds)
    # The windows overlap unless the earlier one ends before the later one starts.
    if resources.WINDOWS[window].seconds > seconds + bucket:
        assert compared > 0, "no closed bucket in common: the check compared nothing"


BREAKDOWNS = [(d.domain, d.by) for d in dimensions.DIMENSIONS]


@pytest.mark.parametrize("apart", list(APART), ids=list(APART))
@pytest.mark.parametrize(("domain", "by"), BREAKDOWNS, ids=[f"{d}:{b}" for d, b in BREAKDOWNS])
def test_closed_buckets_of_every_entity_series_keep_their_values(
    api: Api, earlier: dict[int, Api], apart: str, domain: str, by: str
) -> None:
    seconds = APART[apart]
    path = resources.domain(domain).breakdown_path(by)
    params: dict[str, Any] = {
        "scope": "org",
        "window": "30d",
        "timeBucketSize": "1h",
        "includeSeries": "true",
        "limit": 500,
    }
    before = {e["entityId"]: e["series"] for e in earlier[seconds].ok(path, **params)["entities"]}
    after = {e["entityId"]: e["series"] for e in api.ok(path, **params)["entities"]}
    compared = sum(
        _same_closed_buckets(before[entity], after[entity], 3_600, NOW - seconds)
        for entity in before.keys() & after.keys()
    )
    assert compared > 0, "no entity series in common: the check compared nothing"
