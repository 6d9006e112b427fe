"""Progress of ``harness grade``, on stdout, one tick per finished submission.

On a terminal: one line redrawn in place (a bar, counts, an estimate of the time
left).  Anywhere else (a CI log, an LMS job, a pipe, a file): one line per
finished submission, written and flushed as it finishes::

    [12/100] alice: graded, 4/5 points (3.2 s)
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from harness.grading.results import SubmissionResult, format_points

WIDTH = 30


class Progress:
    """Ticks for a run of ``total`` submissions.

    ``enabled``: ``None`` (the default) and ``True`` show progress, ``False``
    shows none.  ``tty`` chooses the form; by default, whether ``stream`` is a
    terminal.
    """

    def __init__(self, total: int, stream: TextIO | None = None,
                 enabled: bool | None = None, tty: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stdout
        self.tty = _is_terminal(self.stream) if tty is None else tty
        self.enabled = True if enabled is None else enabled
        self.start = time.monotonic()
        self._lock = threading.Lock()

    def tick(self, result: SubmissionResult | str = "") -> None:
        """One more submission finished (its result, or just a label)."""
        with self._lock:
            self.done += 1
            if not self.enabled:
                return
            if self.tty:
                label = result if isinstance(result, str) else result.student
                end = "\n" if self.done >= self.total else ""
                self.stream.write(f"\r{self.line(label)}{end}")
            else:
                self.stream.write(self.finished_line(result) + "\n")
            self.stream.flush()

    def finished_line(self, result: SubmissionResult | str) -> str:
        """``[12/100] alice: graded, 4/5 points (3.2 s)``."""
        count = f"[{self.done}/{self.total}]"
        if isinstance(result, str):
            return f"{count} {result}".rstrip()
        unused = ", ".join(dict.fromkeys(p.file for p in result.problems))
        return (f"{count} {result.student}: {result.status}, {format_points(result.total)}/"
                f"{format_points(result.max_total)} points"
                f"{'; could not use ' + unused if unused else ''} ({result.seconds:.1f} s)")

    def line(self, label: str = "") -> str:
        """The in-place bar: ``grading [#####.....]  12/100  0:15 elapsed, about 1:50 left``."""
        elapsed = time.monotonic() - self.start
        share = self.done / self.total if self.total else 1.0
        filled = int(WIDTH * share)
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        text = (f"grading [{'#' * filled}{'.' * (WIDTH - filled)}] {self.done:>4}/{self.total}"
                f"  {_clock(elapsed)} elapsed, about {_clock(left)} left")
        return f"{text}  {label[:20]:<20}" if label else text


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
