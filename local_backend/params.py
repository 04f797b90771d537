"""Query-string parsing with errors that name the parameter and what it accepts.

Values arrive as the official client sends them: one value per key, booleans as
``true``/``false``, lists comma-joined, instants as ``toISOString()`` output.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from starlette.datastructures import QueryParams

from local_backend.errors import bad_request

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Query:
    """A request's query string, read one named parameter at a time."""

    def __init__(self, params: QueryParams) -> None:
        self._params = params

    def keys(self) -> set[str]:
        return set(self._params.keys())

    def text(self, name: str) -> str | None:
        values = self._params.getlist(name)
        if len(values) > 1:
            raise bad_request(f"Parameter '{name}' was given {len(values)} times; send it once.")
        if not values:
            return None
        if values[0] == "":
            raise bad_request(f"Parameter '{name}' is empty; leave it out or give a value.")
        return values[0]

    def required(self, name: str, hint: str) -> str:
        value = self.text(name)
        if value is None:
            raise bad_request(f"Missing required parameter '{name}' ({hint}).", "MISSING_PARAMETER")
        return value

    def choice(self, name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
        value = self.text(name)
        if value is None:
            return default
        if value not in allowed:
            raise bad_request(f"Invalid value '{value}' for '{name}'. Allowed values: {', '.join(allowed)}.")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.text(name)
        if value is None:
            return default
        if value not in ("true", "false"):
            raise bad_request(f"Invalid value '{value}' for '{name}'. Allowed values: true, false.")
        return value == "true"

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        if not re.fullmatch(r"-?\d{1,12}", value):
            raise bad_request(f"Invalid value '{value}' for '{name}': expected a whole number.")
        number = int(value)
        if not minimum <= number <= maximum:
            raise bad_request(
                f"Invalid value {number} for '{name}': must be between {minimum} and {maximum}."
            )
        return number

    def id_list(self, name: str) -> list[str]:
        value = self.text(name)
        if value is None:
            return []
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise bad_request(f"Parameter '{name}' has an empty item; send comma-separated values like a,b.")
        return items

    def instant(self, name: str) -> int | None:
        value = self.text(name)
        return None if value is None else parse_instant(name, value)


def parse_instant(name: str, value: str) -> int:
    """Accept a date (``2024-01-01``) or an ISO-8601 instant (``2024-01-01T00:00:00.000Z``); UTC when no offset."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            parsed = datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)
        else:
            parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=datetime.UTC)
    except ValueError:
        raise bad_request(
            f"Invalid value '{value}' for '{name}': expected a date (2024-01-01) or an ISO-8601 instant"
            " (2024-01-01T00:00:00.000Z)."
        ) from None
    return int(parsed.timestamp())


def check_uuid(name: str, value: str) -> None:
    if not _UUID.match(value):
        raise bad_request(f"Invalid value '{value}' for '{name}': expected a UUID.")
