"""What every gateway bench starts from: its command line and a fresh local backend."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from starlette.applications import Starlette

from local_backend.app import create_backend_app
from local_backend.settings import BackendSettings

PINNED_NOW = "2026-11-20T15:07:00Z"


def arguments(description: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (the median is shown)")
    parser.add_argument("--now", default=PINNED_NOW, help="the backend's pinned clock")
    return parser.parse_args()


@contextlib.contextmanager
def fresh_backend(now: str) -> Iterator[Starlette]:
    """The local backend over a database generated for this run in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite3"
        yield create_backend_app(BackendSettings.from_env({}, db_path=str(db), now=now))
