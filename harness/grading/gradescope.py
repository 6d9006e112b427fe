"""Gradescope: results.json for one student, and the ``harness gradescope`` entry point.

The file follows Gradescope's autograder specification: top-level ``score``,
``execution_time``, ``output``, ``visibility``, ``stdout_visibility`` and
``tests``, each test with ``name``, ``score``, ``max_score``, ``status``
(``passed`` / ``failed``), ``output`` and ``visibility``.  One test per
exercise; its output is that exercise's feedback.

``harness gradescope`` grades the single submission Gradescope places in
``/autograder/submission`` and writes ``/autograder/results/results.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.grading.assignment import Assignment
from harness.grading.results import GRADED, SubmissionResult

SUBMISSION_DIR = Path("/autograder/submission")
RESULTS_FILE = Path("/autograder/results/results.json")


def results_json(assignment: Assignment, result: SubmissionResult) -> dict[str, Any]:
    """The Gradescope results record for one student."""
    from harness.grading.feedback import STATUS_WORDS, exercise_section

    tests = []
    for exercise in assignment.exercises:
        points = result.points(exercise.id)
        section = "\n".join(exercise_section(exercise, result)[2:]).strip()
        tests.append({
            "name": exercise.name,
            "score": points,
            "max_score": exercise.max_points,
            "status": "passed" if points >= exercise.max_points else "failed",
            "output": section or "No hypothesis about this layer.",
            "visibility": "visible",
        })
    output = f"Score {result.total:g} / {result.max_total:g}."
    if result.status != GRADED:
        output += f" Problem ({result.status}): {STATUS_WORDS.get(result.status, '')}"
        if result.message:
            output += f"\n\n{result.message}"
    return {
        "score": result.total,
        "execution_time": round(result.seconds, 3),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def run_gradescope(submission_dir: Path = SUBMISSION_DIR, results_file: Path = RESULTS_FILE,
                   assignment: str | Path | None = None,
                   seed: int | None = None) -> SubmissionResult:
    """Grade Gradescope's one submission and write its results.json."""
    from harness.grading.api import grade_one
    from harness.grading.outputs import write_json

    result, loaded = grade_one(submission_dir, assignment=assignment, seed=seed)
    write_json(results_file, results_json(loaded, result))
    return result
