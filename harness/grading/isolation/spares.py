"""Workers started ahead of need while a class is graded.

Starting a sandboxed worker costs a few tenths of a second (the sandbox, then
Python and numpy in it), mostly CPU the grading threads leave idle while they
wait on the shared checker.  ``with class_run(launch) as spares:`` gives the run a
:class:`SparePool`: every worker taken from it asks for a replacement, started
by the pool's one starter thread (the sandbox dies with the thread that started
it, so that thread lives as long as the pool), and the next submission finds it
waiting for its hello.  A spare has seen no submission: its folder is empty
until the submission's files are written into it.  When the run ends, spares
left over are killed and the starter thread ends.  Without a pool nothing is
started ahead (one Gradescope submission, the API's ``grade_one``, a Dask task).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Protocol


class Launch(Protocol):
    """A started worker (:class:`harness.grading.isolation.workers.Launch`): alive while its
    process is, killed with its sandbox.  A protocol, so this module imports nothing
    from the sandbox module that uses it."""

    @property
    def proc(self) -> Any: ...

    def kill(self) -> None: ...

#: Spares kept ready per kind of worker.
READY = 2

#: What a spare is started for: the sandbox plan and the limits (hashable values).
Kind = tuple[Hashable, Hashable]


class SparePool:
    """The spare workers of one class run, by kind (sandbox plan and limits)."""

    def __init__(self, launch: Callable[[Any, Any], Launch], ready: int = READY) -> None:
        """``launch(plan, limits)`` starts one worker (the sandbox module's ``launch``,
        handed in by the class run)."""
        self._launch = launch
        self._keep = ready
        self._lock = threading.Lock()
        self._ready: dict[Kind, list[Launch]] = {}
        self._pending: dict[Kind, int] = {}
        self._orders: queue.SimpleQueue[Kind | None] = queue.SimpleQueue()
        self._starter: threading.Thread | None = None
        self._open = True

    def take(self, plan: Hashable, limits: Hashable) -> Any:
        """A ready spare for ``plan`` and ``limits``, if there is one alive."""
        while True:
            with self._lock:
                ready = self._ready.get((plan, limits))
                worker = ready.pop(0) if ready else None
            if worker is None:
                return None
            if worker.proc.poll() is None:
                return worker
            worker.kill()

    def want(self, plan: Hashable, limits: Hashable) -> None:
        """Ask for a spare like this one (nothing once the pool is closed)."""
        kind = (plan, limits)
        with self._lock:
            if not self._open or (len(self._ready.get(kind, ()))
                                  + self._pending.get(kind, 0)) >= self._keep:
                return
            self._pending[kind] = self._pending.get(kind, 0) + 1
            if self._starter is None:
                self._starter = threading.Thread(target=self._start_forever,
                                                 name="harness-spares", daemon=True)
                self._starter.start()
        self._orders.put(kind)

    def close(self) -> None:
        """Kill the spares left and let the starter thread end (a worker it is starting
        now is killed as soon as it has started)."""
        with self._lock:
            self._open = False
            left = [w for ws in self._ready.values() for w in ws]
            self._ready.clear()
        self._orders.put(None)
        for worker in left:
            worker.kill()

    def _start_forever(self) -> None:
        launch = self._launch
        while (kind := self._orders.get()) is not None:
            try:
                worker: Launch | None = launch(*kind)
            except (OSError, ValueError):
                worker = None
            with self._lock:
                self._pending[kind] -= 1
                keep = worker is not None and self._open
                if keep and worker is not None:
                    self._ready.setdefault(kind, []).append(worker)
            if worker is not None and not keep:
                worker.kill()


@contextlib.contextmanager
def class_run(launch: Callable[[Any, Any], Launch]) -> Iterator[SparePool]:
    """A pool that keeps spares ready while the block runs (started with ``launch``);
    those left die at its end."""
    pool = SparePool(launch)
    try:
        yield pool
    finally:
        pool.close()
