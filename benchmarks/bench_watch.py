"""Benchmark: a re-check by ``harness watch`` after a save, against a cold ``harness check``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_watch.py          # ~1 min on 2 cores

One file with three hypotheses about ``PART_A`` (one refuted as its file records,
so it gets hints and pictures as a student's own file does; one that an edit turns
from refuted into holding and back; one that holds), in a temporary folder:

1. **cold**: ``harness check FILE`` in a fresh process (Python start, TensorFlow
   import, tracing, checking, reports), :data:`COLD_RUNS` times, median wall time.
2. **warm**: ``harness watch FILE`` in one process, started once; after it says it
   is watching, :data:`WARM_UP` saves that are not counted, then :data:`SAVES`
   saves, each alternating the edit.  A save is timed from the moment the file is
   written to the moment the watcher prints the line that ends its report of that
   save (``... checked again in X s``), so the time includes noticing the save
   (the file watcher waits :data:`harness.watch.STEP_MS` ms for more changes),
   importing the file again, checking its three hypotheses, hints, pictures and
   rewriting the four reports.  ``X`` (the watcher's own figure: import and check,
   without noticing the save or writing reports) is recorded beside it.

Prints the ratio cold / warm and writes the figures into ``benchmarks/results.json``
under the top-level key ``"watch"`` (``--out`` to change; other keys are kept).
Target (issue 19): median warm re-check at most 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "KERAS_BACKEND": "tensorflow",
         "PYTHONUNBUFFERED": "1", "PYTHONHASHSEED": "0"}
COLD_RUNS = 3
WARM_UP = 2
SAVES = 12
TARGET_S = 0.5
#: Longest wait for any one line from the watcher (a hang guard).
GUARD_S = 300

SOURCE = '''\
import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="Hypothesis #1", refuted=True)
def hypothesis_1(kernel, recurrent_kernel, xs):
    inputs = xs[:, 0] * kernel[0, 0]
    return inputs[-1] + recurrent_kernel[0, 0] * inputs[:-1].sum()


@hypothesis(PART_A, name="Hypothesis #2")
def hypothesis_2(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="Hypothesis #3", timesteps=1)
def hypothesis_3(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel
'''
#: The edit: Hypothesis #2 forgets the recurrence (refuted), then gets it back (holds).
EDITS = (SOURCE.replace("h @ recurrent_kernel", "h * 0"), SOURCE)


def cold_check(file: Path, reports: Path) -> float:
    start = time.perf_counter()
    subprocess.run([PYTHON, "-m", "harness", "check", str(file), "--report-dir", str(reports)],
                   check=False, capture_output=True, env={**os.environ, **QUIET}, cwd=file.parent)
    return time.perf_counter() - start


class Watcher:
    """``harness watch FILE`` as a process, its output lines read as they come."""

    def __init__(self, file: Path, reports: Path) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "-m", "harness", "watch", str(file), "--report-dir", str(reports)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, **QUIET}, cwd=file.parent)
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.perf_counter(), line))

    def until(self, pattern: str) -> tuple[float, re.Match[str], list[str]]:
        """When the first line matching ``pattern`` came, the match, and the lines read."""
        seen = []
        while True:
            at, line = self.lines.get(timeout=GUARD_S)
            seen.append(line.rstrip("\n"))
            found = re.search(pattern, line)
            if found:
                return at, found, seen

    def stop(self) -> int:
        self.process.send_signal(2)  # SIGINT, as Ctrl-C
        return self.process.wait(timeout=GUARD_S)


def save(file: Path, text: str) -> float:
    file.write_text(text)
    return time.perf_counter()


def measure(folder: Path) -> dict[str, Any]:
    file = folder / "mine.py"
    file.write_text(SOURCE)
    cold = [cold_check(file, folder / "cold-reports") for _ in range(COLD_RUNS)]
    watcher = Watcher(file, folder / "watch-reports")
    started = time.perf_counter()
    ready_at, _, _ = watcher.until(r"^Watching for saves")
    saves: list[dict[str, Any]] = []
    for i in range(WARM_UP + SAVES):
        saved_at = save(file, EDITS[i % 2])
        at, found, told = watcher.until(r"checked again in ([0-9.]+) s")
        saves.append({"counted": i >= WARM_UP, "wall_s": round(at - saved_at, 4),
                      "check_s": float(found.group(1)), "told": told})
    exit_code = watcher.stop()
    counted = [s for s in saves if s["counted"]]
    warm = statistics.median(s["wall_s"] for s in counted)
    cold_s = statistics.median(cold)
    return {
        "what": "one file, three PART_A hypotheses; a save alternates an edit of one "
                "formula; warm = from writing the file to the watcher's last line about it",
        "cold_check_s": round(cold_s, 3), "cold_runs_s": [round(c, 3) for c in cold],
        "watch_start_s": round(ready_at - started, 3),
        "warm_recheck_s": round(warm, 4),
        "warm_recheck_check_only_s": statistics.median(s["check_s"] for s in counted),
        "warm_recheck_max_s": max(s["wall_s"] for s in counted),
        "ratio_cold_over_warm": round(cold_s / warm, 1),
        "saves": saves, "warm_up_saves": WARM_UP,
        "watch_exit_code_on_sigint": exit_code,
        "target": f"warm_recheck_s <= {TARGET_S}", "pass": warm <= TARGET_S,
        "load_average_1m": round(os.getloadavg()[0], 2), "cores": os.cpu_count(),
        "harness_commit": _git("rev-parse", "--short", "HEAD"),
        "harness_tree_dirty": bool(_git("status", "--porcelain", "--", "harness")),
    }


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True,
                          check=False).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description="harness watch's re-check against a cold "
                                                 "harness check.")
    parser.add_argument("--out", type=Path, default=HERE / "results.json",
                        help="results file (default benchmarks/results.json); the 'watch' "
                             "key is replaced, the others kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        result = measure(Path(tmp))
    print(f"cold harness check: {result['cold_check_s']:.2f} s (median of {COLD_RUNS})")
    print(f"warm re-check after a save: {result['warm_recheck_s']:.3f} s (median of {SAVES}; "
          f"import and check alone {result['warm_recheck_check_only_s']:.3f} s)")
    print(f"ratio cold / warm: {result['ratio_cold_over_warm']}x; target <= {TARGET_S} s: "
          f"{'pass' if result['pass'] else 'FAIL'}")
    data = json.loads(args.out.read_text()) if args.out.exists() else {}
    data["watch"] = result
    args.out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
