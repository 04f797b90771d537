"""Backend settings, read once at the edge (CLI flags or environment) and passed down as values."""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED = 20_260_501
DEFAULT_CACHE = Path(".cache")


@dataclass(frozen=True, slots=True)
class BackendSettings:
    db_path: Path
    seed: int = DEFAULT_SEED
    pinned_now: int | None = None  # epoch seconds; None follows the system clock
    faults_enabled: bool = False

    def now(self) -> int:
        return self.pinned_now if self.pinned_now is not None else int(time.time())

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        db_path: str | None = None,
        seed: int | None = None,
        now: str | None = None,
        faults: bool | None = None,
    ) -> BackendSettings:
        """Explicit arguments win over FLASHBACK_BACKEND_* variables, which win over defaults."""
        env = os.environ if env is None else env
        seed_value = seed if seed is not None else int(env.get("FLASHBACK_BACKEND_SEED", DEFAULT_SEED))
        now_text = now if now is not None else env.get("FLASHBACK_BACKEND_NOW")
        pinned = parse_now(now_text) if now_text else None
        path_text = db_path or env.get("FLASHBACK_BACKEND_DB")
        path = Path(path_text) if path_text else default_db_path(seed_value, pinned)
        faults_value = (
            faults if faults is not None else env.get("FLASHBACK_BACKEND_FAULTS", "") in ("1", "true")
        )
        return cls(path, seed_value, pinned, faults_value)


def default_db_path(seed: int, pinned_now: int | None) -> Path:
    """One file per seed and pinned clock, so switching between them never rebuilds the other."""
    suffix = f"-at-{pinned_now}" if pinned_now is not None else ""
    return DEFAULT_CACHE / f"backend-{seed}{suffix}.sqlite3"


def parse_now(text: str) -> int:
    """Epoch seconds or an ISO-8601 instant (UTC when no offset is given)."""
    if text.strip().lstrip("-").isdigit():
        return int(text)
    parsed = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp())
