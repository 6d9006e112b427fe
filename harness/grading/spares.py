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
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Protocol, TypeVar


class Spare(Protocol):
    """A started worker (:class:`harness.grading.sandbox.Launch`): alive while its
    process is, killed with its sandbox."""

    @property
    def proc(self) -> Any: ...

    def kill(self) -> None: ...


S = TypeVar("S", bound=Spare)
#: What a spare was started for: the sandbox plan and the limits (both hashable values).
Key = tuple[Hashable, Hashable]
#: How a spare is started (:func:`harness.grading.sandbox.launch`, handed in by the
#: sandbox, so this module needs nothing from it).
Start = Callable[[Any, Any], Spare]

#: Spares kept ready per kind of worker.
READY = 2

_lock = threading.Lock()
_ready: dict[Key, list[Spare]] = {}
_pending: dict[Key, int] = {}
_runs = 0
_orders: queue.SimpleQueue[tuple[Key, Start]] = queue.SimpleQueue()
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


def take(plan: Hashable, limits: Hashable, kind: type[S]) -> S | None:
    """A ready spare (a ``kind``) for ``plan`` and ``limits``, if there is one alive."""
    while True:
        with _lock:
            ready = _ready.get((plan, limits))
            worker = ready.pop(0) if ready else None
        if worker is None:
            return None
        if worker.proc.poll() is None and isinstance(worker, kind):
            return worker
        worker.kill()


def want(plan: Hashable, limits: Hashable, start: Start) -> None:
    """Ask for a spare like this one, started by ``start(plan, limits)``, during a class
    run."""
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
    _orders.put((key, start))


def _start_forever() -> None:
    while True:
        key, start = _orders.get()
        try:
            worker: Spare | None = start(*key)
        except (OSError, ValueError):
            worker = None
        with _lock:
            _pending[key] -= 1
            keep = worker is not None and _runs > 0
            if keep and worker is not None:
                _ready.setdefault(key, []).append(worker)
        if worker is not None and not keep:
            worker.kill()
