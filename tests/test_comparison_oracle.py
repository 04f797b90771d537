"""The previous period of every comparison, against the backend with its clock one offset earlier.

A backend pinned one period (or a week) before the suite's clock answers, over REST, the window as
it was then: the buckets of the previous period. Its past is stable (``test_stable_past.py``), so
every bucket that had closed by then holds the values the comparison shows now; with
``completeBucketsOnly`` that is every bucket of the previous period. Compared value by value, every
metric, every domain, every window and bucket size that can be compared.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings
from resolvers import resources
from tests.conftest import NOW, Api, per_module
from tests.gateway import Gateway
from tests.test_comparison import ANSWERABLE, SERIES, TO, _id, _metrics, _query, _rest_columns

# A database per offset (about 5 s each): slow, and so left out of mutation runs.
pytestmark = pytest.mark.slow


def _offset(window: str, to: str) -> int:
    return TO[to] or resources.WINDOWS[window].seconds


@pytest.fixture(scope=per_module)
def earlier(tmp_path_factory: pytest.TempPathFactory, settings: BackendSettings) -> Iterator[dict[int, Api]]:
    """A backend pinned at each offset before the suite's clock, each with a database of its own."""
    clients = {}
    for seconds in sorted({_offset(window, to) for window, _, to in ANSWERABLE}):
        folder = tmp_path_factory.mktemp(f"back-{seconds}")
        app: Starlette = create_backend_app(
            BackendSettings(folder / "backend.sqlite3", settings.seed, NOW - seconds)
        )
        clients[seconds] = Api(app)
    yield clients
    for client in clients.values():
        client.close()


CASES = [(*case, path, field, series) for case in ANSWERABLE for path, field, series in SERIES]


@pytest.mark.parametrize(
    ("window", "size", "to", "path", "field", "series"),
    CASES,
    ids=[f"{_id(c[:3])}:{c[4]}.{c[5]}" for c in CASES],
)
def test_the_previous_period_is_the_window_asked_one_offset_earlier(
    gateway: Gateway,
    earlier: dict[int, Api],
    window: str,
    size: str,
    to: str,
    path: str,
    field: str,
    series: str,
) -> None:
    metrics = _metrics(path)
    body = (
        f"comparison(to: {to}, completeBucketsOnly: true) {{ previous {{ meta {{ start }}"
        f" columns {{ ts {' '.join(metrics)} }} }} }}"
    )
    result = gateway.query(_query(window, size, field, series, body))
    assert not result.errors, result.errors
    previous = result.data["stats"][field][series]["comparison"]["previous"]
    then = earlier[_offset(window, to)].ok(path, scope="org", window=window, timeBucketSize=size)
    closed = then["series"][:-1]  # the last bucket was still filling at that clock
    assert previous["meta"]["start"] == then["meta"]["start"]
    assert previous["columns"] == _rest_columns(closed, metrics)
