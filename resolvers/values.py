"""Checks for single upstream values: each returns the value typed, or raises ``MalformedBody``
naming the field. Counts are exact Python ints: legacy counts that the upstream sends as decimal
strings (they may pass 2^53) are converted without a float in between."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import orjson

from resolvers.errors import MalformedBody

Number = int | float
_INTEGER = re.compile(r"-?\d+")


LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def json_document(body: bytes) -> object:
    """The JSON document of an upstream body; ``MalformedBody`` when it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody("not JSON") from exc


def long_value(value: object, name: str) -> int:
    """An exact signed 64-bit integer from a JSON number or a decimal string."""
    if type(value) is int:
        parsed = value
    elif (isinstance(value, str) and _INTEGER.fullmatch(value)) or (
        isinstance(value, float) and value.is_integer()
    ):
        parsed = int(value)
    else:
        raise MalformedBody(f"{name} is not an integer")
    if not LONG_MIN <= parsed <= LONG_MAX:
        raise MalformedBody(f"{name} does not fit in 64 bits")
    return parsed


def float_value(value: object, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise MalformedBody(f"{name} is not a number")


def text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    raise MalformedBody(f"{name} is not a string")


def optional_text(value: object, name: str) -> str | None:
    return None if value is None else text(value, name)


def json_object(value: object, name: str) -> Mapping[str, Any]:
    if isinstance(value, dict):
        return value
    raise MalformedBody(f"{name} is not an object")


def json_list(value: object, name: str) -> Sequence[Any]:
    if isinstance(value, list):
        return value
    raise MalformedBody(f"{name} is not a list")


def one_of(value: str | None, allowed: Collection[str], name: str) -> str | None:
    """An enumeration value the gateway knows (None passes: optional fields may be absent)."""
    if value is not None and value not in allowed:
        # The value itself is not echoed: it is upstream text, of any length or content.
        raise MalformedBody(f"{name} is none of {', '.join(allowed)}")
    return value
