"""Counts and instants that overflow GraphQL's 32-bit Int arrive exact.

The local backend's data passes 2^31 on long windows; no stored count reaches 2^53, so a small
upstream that answers with such values (as the contract allows) stands in for those cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import orjson
import pytest
from graphql import GraphQLError, GraphQLScalarType
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gql.pipeline.engine import schema
from gql.schema.scalars import LONG_MAX, LONG_MIN
from gql.server.app import create_app
from gql.server.settings import GatewaySettings
from tests.conftest import Api
from tests.gateway import Gateway

BEYOND_2_53 = 2**53 + 1  # 9007199254740993: a float would round it to ...992
YEAR_2040 = 2_208_988_800  # 2040-01-01, past 2^31 seconds


def test_byte_totals_beyond_2_31_are_exact(gateway: Gateway, api: Api) -> None:
    data = gateway.ok(
        "{ stats(window: LAST_365D) { storage { breakdown(by: REPOS, limit: 3) {"
        " entities { totals { uplBytes dwlBytes } } } } } }"
    )
    ours = [e["totals"] for e in data["stats"]["storage"]["breakdown"]["entities"]]
    rest = api.ok("/v2/stats/storage/breakdown/repos", scope="org", window="365d", limit=3)["entities"]
    assert ours == [{k: e["totals"][k] for k in ("uplBytes", "dwlBytes")} for e in rest]
    assert max(t["uplBytes"] for t in ours) > 2**31


def _big_upstream(tokens: str, ts: int) -> Starlette:
    async def llm_stats(request: Request) -> Response:
        row = {
            "aiLlmId": "4f249b67-dbba-4f09-8efe-a79fcd57e0e2",
            "totalApiCalls": "12",
            "totalTokensIn": tokens,
            "totalTokensOut": tokens,
            "totalLlmTokensIn": "0",
            "totalLlmTokensOut": "0",
            "totalPolicyViolations": "0",
            "totalAlerts": "0",
            "totalBlocks": "0",
        }
        return Response(orjson.dumps({"success": True, "stats": [row]}), media_type="application/json")

    async def policy_tokens(request: Request) -> Response:
        body = {
            "success": True,
            "meta": {"start": ts, "end": ts + 600, "scope": "org", "window": "24h", "timeBucketSize": "10m"},
            "summary": dict.fromkeys(("total", "avg", "stdDev", "min", "max", "p10", "p50", "p90"), 0),
            "series": [{"ts": ts, "policyTokensIn": 2**62, "policyTokensOut": 0}],
        }
        return Response(orjson.dumps(body), media_type="application/json")

    return Starlette(
        routes=[Route("/ai/llm/stats", llm_stats), Route("/v2/stats/policies/tokens", policy_tokens)]
    )


@pytest.fixture
def big() -> Iterator[Gateway]:
    client = Gateway(
        create_app(
            GatewaySettings(response_cache=False),
            transport=httpx.ASGITransport(app=_big_upstream(str(BEYOND_2_53), YEAR_2040)),
        )
    )
    yield client
    client.close()


def test_string_counts_beyond_2_53_are_exact(big: Gateway) -> None:
    result = big.query("{ legacy { aiConfigTotals { tokensIn tokensOut raw } } }")
    totals = result.data["legacy"]["aiConfigTotals"][0]
    assert totals["tokensIn"] == totals["tokensOut"] == BEYOND_2_53
    assert '"tokensIn":9007199254740993' in result.text
    assert totals["raw"]["totalTokensIn"] == "9007199254740993"


def test_epoch_seconds_past_2038_and_64_bit_counts(big: Gateway) -> None:
    result = big.query(
        "{ stats(window: LAST_24H) { policies { tokens { meta { start end }"
        " series { ts policyTokensIn } columns { ts policyTokensIn } } } } }"
    )
    tokens = result.data["stats"]["policies"]["tokens"]
    assert tokens["meta"] == {"start": YEAR_2040, "end": YEAR_2040 + 600}
    assert tokens["series"] == [{"ts": YEAR_2040, "policyTokensIn": 2**62}]
    assert tokens["columns"] == {"ts": [YEAR_2040], "policyTokensIn": [2**62]}


def test_counts_beyond_64_bits_are_an_upstream_error_not_a_wrong_number() -> None:
    app = create_app(
        GatewaySettings(response_cache=False),
        transport=httpx.ASGITransport(app=_big_upstream(str(2**64), YEAR_2040)),
    )
    client = Gateway(app)
    try:
        result = client.query("{ legacy { aiConfigTotals { tokensIn } } }")
    finally:
        client.close()
    assert result.codes() == {"legacy.aiConfigTotals": "UPSTREAM_ERROR"}
    assert "64 bits" in result.errors[0]["message"]


@pytest.mark.parametrize("name", ["Long", "EpochSeconds"])
def test_64_bit_scalars_take_exactly_the_signed_64_bit_range(name: str) -> None:
    """Both ends of the range pass in and out; one past either end, a float or a boolean is an error
    naming the value, never a number silently rounded or a ``true`` written as 1."""
    scalar = schema._schema.type_map[name]
    assert isinstance(scalar, GraphQLScalarType)
    for edge in (LONG_MIN, LONG_MAX, 0, 7, BEYOND_2_53):
        assert scalar.serialize(edge) == edge
        assert scalar.parse_value(edge) == edge == scalar.parse_value(str(edge))
    for out in (LONG_MIN - 1, LONG_MAX + 1, 1.0, True):
        with pytest.raises(GraphQLError, match=f"^Long cannot represent {re.escape(repr(out))}$"):
            scalar.serialize(out)
    for given in (LONG_MIN - 1, LONG_MAX + 1, str(LONG_MAX + 1), 1.5, "1.5", True, "12a", "twelve"):
        with pytest.raises(GraphQLError, match=r"^Long takes a signed 64-bit integer or its decimal string"):
            scalar.parse_value(given)


@pytest.mark.parametrize("name", ["LongList", "FloatList"])
def test_column_scalars_are_refused_as_input(name: str) -> None:
    scalar = schema._schema.type_map[name]
    assert isinstance(scalar, GraphQLScalarType)
    with pytest.raises(GraphQLError, match=r"^Column scalars are output only\.$"):
        scalar.parse_value([1, 2])
