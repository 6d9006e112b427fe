"""Workers started ahead of need while a class is graded.

Starting a sandboxed worker costs a few tenths of a second (the sandbox, then
Python and numpy in it), mostly CPU the grading threads leave idle while they
wait on the shared checker.  Inside ``with class_run():`` every worker taken
asks for a replacement, started by one long-lived thread (the sandbox dies with
the thread that started it, so that thread must outlive it), and the next
submission finds it waiting for its hello.  A spare has seen no submission: its
folder is empty until the submission's files are written into it.  When the
run ends, spares left over are killed.  Outside a class run nothing is started
ahead (one Gradescope submission, the API's ``grade_one``).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.grading.sandbox import Launch, Limits, Plan

#: Spares kept ready per kind of worker.
READY = 2

_lock = threading.Lock()
_ready: dict[tuple[Plan, Limits], list[Launch]] = {}
_pending: dict[tuple[Plan, Limits], int] = {}
_runs = 0
_orders: queue.SimpleQueue[tuple[Plan, Limits]] = queue.SimpleQueue()
_starter: threading.Thread | None = None


@contextlib.contextmanager
def class_run() -> Iterator[None]:
    """Keep spares ready while the block runs; kill those left at its end."""
    global _runs
    with _lock:
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            left = [] if _runs else [w for ws in _ready.values() for w in ws]
            if not _runs:
                _ready.clear()
        for worker in left:
            worker.kill()


def take(plan: Plan, limits: Limits) -> Launch | None:
    """A ready spare for ``plan`` and ``limits``, if there is one alive."""
    while True:
        with _lock:
            ready = _ready.get((plan, limits))
            worker = ready.pop(0) if ready else None
        if worker is None:
            return None
        if worker.proc.poll() is None:
            return worker
        worker.kill()


def want(plan: Plan, limits: Limits) -> None:
    """Ask for a spare like this one, during a class run."""
    global _starter
    key = (plan, limits)
    with _lock:
        if not _runs or len(_ready.get(key, ())) + _pending.get(key, 0) >= READY:
            return
        _pending[key] = _pending.get(key, 0) + 1
        if _starter is None:
            _starter = threading.Thread(target=_start_forever, name="harness-spares",
                                        daemon=True)
            _starter.start()
    _orders.put(key)


def _start_forever() -> None:
    from harness.grading.sandbox import launch

    while True:
        plan, limits = key = _orders.get()
        try:
            worker: Launch | None = launch(plan, limits)
        except (OSError, ValueError):
            worker = None
        with _lock:
            _pending[key] -= 1
            keep = worker is not None and _runs > 0
            if keep and worker is not None:
                _ready.setdefault(key, []).append(worker)
        if worker is not None and not keep:
            worker.kill()
