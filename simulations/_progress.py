"""A dependency-free progress bar on stderr (a line per 10 % when stderr is not a terminal)."""
from __future__ import annotations

import sys
import time


class Progress:
    """Progress(total, label) — call ``advance(n=1, note="")``; ``close()`` prints the final line."""

    def __init__(self, total: int, label: str, stream=None):
        self.total = max(int(total), 1)
        self.label = label
        self.done = 0
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_decile = -1

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done = min(self.total, self.done + n)
        fraction = self.done / self.total
        elapsed = time.perf_counter() - self.start
        bar = "#" * int(24 * fraction)
        line = f"{self.label} [{bar:<24}] {self.done}/{self.total} {elapsed:6.1f}s {note}"
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120))
            self.stream.flush()
        elif int(10 * fraction) != self._last_decile:
            self._last_decile = int(10 * fraction)
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
