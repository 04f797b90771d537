"""A subscriber's outbox: the latest answer wins.

A dashboard wants the numbers as they are, not every state they passed through. So a subscriber
holds one message at most: a newer answer replaces one not yet sent (counted as dropped), and a
slow socket costs one answer's memory and holds up nobody else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Ending:
    """Why a subscription ends: a close code for the connection (None: only this one completes)."""

    code: int | None
    reason: str


class Mailbox:
    def __init__(self) -> None:
        self._latest: dict[str, Any] | None = None
        self._ending: Ending | None = None
        self._ready = asyncio.Event()
        self.dropped = 0

    def put(self, message: dict[str, Any]) -> bool:
        """Leave ``message`` for the subscriber; True when it replaced one never sent."""
        replaced = self._latest is not None
        self.dropped += replaced
        self._latest = message
        self._ready.set()
        return replaced

    def end(self, ending: Ending) -> None:
        self._ending = ending
        self._ready.set()

    async def get(self) -> dict[str, Any] | Ending:
        """The next message, or why the subscription ended once nothing is left to send."""
        while True:
            if self._latest is not None:
                message, self._latest = self._latest, None
                return message
            if self._ending is not None:
                return self._ending
            self._ready.clear()
            await self._ready.wait()
