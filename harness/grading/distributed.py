"""Grading on a Dask distributed cluster (``harness grade --scheduler ADDRESS``).

Needs the ``harness[cluster]`` extra (``dask[distributed]``) and the harness
installed on every Dask worker.  Each submission is one task, carrying the
submission's files as bytes; the task runs exactly what a local run does
(:func:`harness.grading.runner.grade_submission`: a fresh isolated worker
subprocess for the student's code, checked against a Keras oracle held once
per Dask worker process) and returns the result as plain JSON data.  Seeds
come from the assignment, so grades are the same as on one machine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from harness.errors import UsageError
from harness.grading.assignment import Assignment
from harness.grading.results import SubmissionResult
from harness.grading.runner import GradingContext, grade_submission, make_context
from harness.grading.submissions import Submission

_CONTEXTS: dict[tuple[str, tuple[str, ...], bool], GradingContext] = {}
_CONTEXTS_LOCK = threading.Lock()


def grade_on_cluster(address: str, todo: list[Submission], assignment: Assignment,
                     hide: tuple[str, ...], isolate: bool,
                     finished: Callable[[SubmissionResult], None]) -> None:
    """Run one task per submission on the cluster at ``address``; report each result."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UsageError("--scheduler needs Dask: pip install 'rnn-hypothesis-harness[cluster]'"
                         ) from None
    with Client(address) as client:
        futures = [client.submit(grade_task, s, assignment, hide, isolate, pure=False,
                                 key=f"harness-grade-{s.student}-{s.content_hash()[:16]}")
                   for s in todo]
        for future in as_completed(futures):
            finished(SubmissionResult.from_json(future.result()))


def grade_task(submission: Submission, assignment: Assignment, hide: tuple[str, ...],
               isolate: bool) -> dict[str, Any]:
    """One submission, graded on whichever Dask worker runs this task."""
    return grade_submission(submission, _context(assignment, hide, isolate)).to_json()


def _context(assignment: Assignment, hide: tuple[str, ...], isolate: bool) -> GradingContext:
    """One grading context (one Keras oracle) per Dask worker process and assignment."""
    key = (assignment.fingerprint(), hide, isolate)
    with _CONTEXTS_LOCK:
        if key not in _CONTEXTS:
            _CONTEXTS[key] = make_context(assignment, hide, isolate)
        return _CONTEXTS[key]
