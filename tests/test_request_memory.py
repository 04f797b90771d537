"""What a request loaded goes when the request does, freed by reference counting.

Left in reference cycles, a request's context, loaders and decoded payloads wait for Python's
cycle collector: the gateway's memory then grows by megabytes between collections, and the
collection that finally frees them stalls every request in flight (the long tail of latency
under load). Each test runs one request with the collector switched off, then asks it what it
would have had to find.
"""

from __future__ import annotations

import gc
from collections import Counter

import pytest

from gql.server.graphiql import REFERENCE_QUERY
from tests.gateway import Gateway

SMALL = "{ stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }"
REPOS = "{ stats(window: LAST_7D) { storage { breakdown(by: REPOS, limit: 3) { entities { entityId } } } } }"
ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Repo { stats(window: LAST_7D) { storage { timeSeries { summary { total } } } } }
  }
}"""
# What one request makes and must not leave to the cycle collector.
PER_REQUEST = {
    "RequestContext",
    "Loaders",
    "UpstreamLoader",
    "EntitySeriesLoader",
    "DataLoader",
    "RowFormExecutor",
    "Columns",
    "SeriesPayload",
    "BreakdownPayload",
    "Entity",
}


@pytest.mark.parametrize("query", [SMALL, REFERENCE_QUERY, ENTITIES], ids=["small", "dashboard", "entities"])
def test_a_request_leaves_nothing_it_loaded_to_the_cycle_collector(gateway: Gateway, query: str) -> None:
    repos = gateway.query(REPOS).data["stats"]["storage"]["breakdown"]["entities"]
    variables = {"representations": [{"__typename": "Repo", "id": repo["entityId"]} for repo in repos]}
    gateway.query(query, variables)  # warm: documents parsed and checked once, types' plans made once
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.disable()
    try:
        answer = gateway.query(query, variables)
        gc.collect()
        left = Counter(type(thing).__name__ for thing in gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    assert answer.errors == [] and answer.data
    assert {name: count for name, count in left.items() if name in PER_REQUEST} == {}
