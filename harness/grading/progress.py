"""A plain-text progress bar on stderr: one tick per submission, with an ETA."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    """``grading [#######.......]  12/100  0:15 elapsed, about 1:50 left``."""

    def __init__(self, total: int, stream: TextIO | None = None,
                 enabled: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = self.tty if enabled is None else enabled
        self.start = time.monotonic()

    def tick(self, label: str = "") -> None:
        self.done += 1
        if self.enabled:
            end = "\n" if not self.tty or self.done >= self.total else ""
            prefix = "\r" if self.tty else ""
            self.stream.write(f"{prefix}{self.line(label)}{end}")
            self.stream.flush()

    def line(self, label: str = "") -> str:
        elapsed = time.monotonic() - self.start
        share = self.done / self.total if self.total else 1.0
        filled = int(WIDTH * share)
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        text = (f"grading [{'#' * filled}{'.' * (WIDTH - filled)}] {self.done:>4}/{self.total}"
                f"  {_clock(elapsed)} elapsed, about {_clock(left)} left")
        return f"{text}  {label[:20]:<20}" if label else text


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
