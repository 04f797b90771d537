"""Logs as one JSON object a line, for an operator's log pipeline.

Every request to ``/graphql`` writes one line (``gql.requests``): time, request id, operation name,
duration, upstream calls and error codes. Upstream calls log at debug level. No header is ever
logged, so neither is a token.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import orjson

REQUESTS = logging.getLogger("gql.requests")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure(level: str = "info") -> None:
    """JSON lines on standard error for every logger, uvicorn's included."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # Their level follows the root's until uvicorn applies its --log-level to them.
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).setLevel(logging.NOTSET)
        logging.getLogger(name).propagate = True


def request_line(fields: dict[str, Any]) -> None:
    REQUESTS.info("request", extra={"fields": fields})
