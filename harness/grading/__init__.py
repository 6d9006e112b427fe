"""Grading a whole class: assignment spec, isolated student code, grades and feedback.

Public surface::

    from harness.grading import grade, load_assignment
    run = grade("submissions/", out="reports/grades")

Student code never runs in the grader's process: each submission gets a fresh,
confined worker subprocess (:mod:`harness.grading.worker.serve`); Keras, the
comparison, the scoring and every report stay here.  Names are imported
lazily, so the worker (``python -m harness.grading.worker.serve``) starts without the
checker, Hypothesis, Keras or pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Assignment": "harness.grading.assignment",
    "Exercise": "harness.grading.assignment",
    "load_assignment": "harness.grading.assignment",
    "parse_assignment": "harness.grading.assignment",
    "GradeRun": "harness.grading.api",
    "grade": "harness.grading.api",
    "grade_one": "harness.grading.api",
    "ExerciseResult": "harness.grading.results",
    "HypothesisResult": "harness.grading.results",
    "SubmissionResult": "harness.grading.results",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'harness.grading' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
