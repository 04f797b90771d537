"""What the first start tells a newcomer while it prepares: a bar on a terminal, a line every few
seconds otherwise (a CI log, ``docker logs``), and one closing line per step with its duration.

Written to standard error beside the JSON logs, as plain sentences: they are for the person who
just typed the command.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

BAR_WIDTH = 30
LINE_EVERY_SECONDS = 3.0


class Step:
    """One step of the start (``with Step("Generating demo data") as step: step.advance(3, 91)``)."""

    def __init__(self, title: str, stream: TextIO | None = None, every: float = LINE_EVERY_SECONDS) -> None:
        self.title = title
        self.stream = stream or sys.stderr
        self.every = every
        self.terminal = self.stream.isatty()
        self.started = time.perf_counter()
        self._last_line = self.started
        self._drawn = False
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    def __enter__(self) -> Step:
        self._write(f"{self.title} ...\n")
        return self

    def advance(self, done: int, total: int) -> None:
        """``done`` of ``total`` parts are finished."""
        now = time.perf_counter()
        if self.terminal:
            filled = BAR_WIDTH * done // max(total, 1)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self._write(f"\r  [{bar}] {done}/{total}")
            self._drawn = True
        elif now - self._last_line >= self.every or done == total:
            self._write(f"  {self.title}: {done}/{total} ({now - self.started:.0f} s)\n")
            self._last_line = now

    def tick_while_waiting(self) -> None:
        """For a step with no parts to count (a subprocess): a line every few seconds until done."""

        def tick() -> None:
            while not self._stop.wait(self.every):
                self._write(f"  {self.title}: still working ({time.perf_counter() - self.started:.0f} s)\n")

        self._ticker = threading.Thread(target=tick, daemon=True)
        self._ticker.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._drawn:
            self._write("\n")
        if kind is None:
            self._write(f"{self.title}: done in {time.perf_counter() - self.started:.1f} s\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
