"""Scalars that cannot overflow, and the list-valued scalars of the chart form.

GraphQL's ``Int`` is 32-bit: byte, token and credit counts pass 2^31 over long windows and epoch
seconds do in 2038, so every count is a ``Long`` and every instant an ``EpochSeconds``. Both are
written as exact JSON integers (any signed 64-bit value). JavaScript's ``JSON.parse`` rounds
integers beyond 2^53 (9 PB or 9 quadrillion tokens); clients that expect such values read the
response with a BigInt-aware parser.

``LongList`` and ``FloatList`` carry a whole column of a series as one value: GraphQL executes
them as a single field, which is what makes the chart form tens of times cheaper than one object
per point.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import NewType

import strawberry
from graphql import GraphQLError
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

Long = NewType("Long", int)
EpochSeconds = NewType("EpochSeconds", int)
LongList = NewType("LongList", list[int])
FloatList = NewType("FloatList", list[float])

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
# What each scalar is, for clients and code generators (`@specifiedBy`).
JSON_NUMBERS = "https://www.rfc-editor.org/rfc/rfc8259#section-6"
JSON_ARRAYS = "https://www.rfc-editor.org/rfc/rfc8259#section-5"
EPOCH_SECONDS = "https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/V1_chap04.html#tag_04_19"
DATE_TIME = "https://scalars.graphql.org/andimarek/date-time"


def _long_out(value: object) -> int:
    if type(value) is not int or not LONG_MIN <= value <= LONG_MAX:
        raise GraphQLError(f"Long cannot represent {value!r}")
    return value


def _long_in(value: object) -> int:
    """Inputs may be JSON integers or decimal strings (for clients that hold them as strings)."""
    try:
        parsed = int(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
    except ValueError:
        parsed = None
    if parsed is None or not LONG_MIN <= parsed <= LONG_MAX:
        raise GraphQLError(f"Long takes a signed 64-bit integer or its decimal string; got {value!r}.")
    return parsed


def _column_out(value: object) -> object:
    # Columns are checked when the upstream body is parsed; re-checking 57,600 values per
    # response here would cost what the chart form exists to save.
    return value


def _no_input(value: object) -> object:
    raise GraphQLError("Column scalars are output only.")


def _integer(name: str, description: str, url: str) -> ScalarDefinition:
    """A 64-bit integer scalar: written as an exact JSON integer, read from one or its string."""
    return strawberry.scalar(
        name=name, description=description, serialize=_long_out, parse_value=_long_in, specified_by_url=url
    )


def _column(name: str, description: str) -> ScalarDefinition:
    """A whole column of a series as one JSON array: output only."""
    return strawberry.scalar(
        name=name,
        description=description,
        serialize=_column_out,
        parse_value=_no_input,
        specified_by_url=JSON_ARRAYS,
    )


SCALARS: dict[object, ScalarDefinition] = {
    Long: _integer(
        "Long",
        "A signed 64-bit integer (counts of bytes, tokens, credits, requests), written as an exact"
        " JSON integer. Inputs also take its decimal string.",
        JSON_NUMBERS,
    ),
    EpochSeconds: _integer(
        "EpochSeconds",
        "An instant as Unix epoch seconds (UTC), a 64-bit JSON integer: safe past 2038.",
        EPOCH_SECONDS,
    ),
    LongList: _column(
        "LongList",
        "A whole column of a series as one JSON array of 64-bit integers, one per bucket, in"
        " time order (the chart form).",
    ),
    FloatList: _column(
        "FloatList",
        "A whole column of a series as one JSON array of numbers, one per bucket, in time order"
        " (the chart form).",
    ),
    datetime.datetime: dataclasses.replace(
        DateTimeDefinition,
        description="An instant with its UTC offset, as an RFC 3339 date-time (ISO 8601).",
        specified_by_url=DATE_TIME,
    ),
}
