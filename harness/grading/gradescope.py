"""Gradescope: results.json for one student, and where Gradescope keeps its files.

The file follows Gradescope's autograder specification (results.json): top-level
``score``, ``execution_time``, ``output``, ``output_format``,
``test_output_format``, ``visibility``, ``stdout_visibility`` and ``tests``, each
test with ``name``, ``score``, ``max_score``, ``status`` (``passed`` / ``failed``),
``output``, ``output_format`` and ``visibility``; no other keys.  One test per
exercise; its output is that exercise's feedback, in Markdown (``"md"``).  No
seed or secret is ever written here: the file is shown to the student.

``harness gradescope`` (:func:`harness.grading.api.run_gradescope`) grades the single
submission Gradescope places in ``/autograder/submission`` and writes
``/autograder/results/results.json``.  It
refuses to run when that layout is not there, unless both paths are given, so a
run by hand never writes into ``/autograder``.  ``HARNESS_AUTOGRADER_ROOT``
moves the layout (default ``/autograder``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness.errors import UsageError
from harness.grading.assignment import Assignment, Exercise
from harness.grading.results import SubmissionResult

#: Where Gradescope puts everything; ``HARNESS_AUTOGRADER_ROOT`` overrides it.
AUTOGRADER_ROOT = Path("/autograder")
ROOT_VARIABLE = "HARNESS_AUTOGRADER_ROOT"
#: Gradescope's output formats: the feedback is Markdown.
FORMAT = "md"


def results_json(assignment: Assignment, result: SubmissionResult) -> dict[str, Any]:
    """The Gradescope results record for one student."""
    tests = []
    for exercise in assignment.exercises:
        points = result.points(exercise.id)
        tests.append({
            "name": exercise.name,
            "score": points,
            "max_score": exercise.max_points,
            "status": "passed" if points >= exercise.max_points else "failed",
            "output": test_output(exercise, result),
            "output_format": FORMAT,
            "visibility": "visible",
        })
    return {
        "score": result.total,
        "output": overall_text(result),
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"isolation": list(result.isolation)},
        "tests": tests,
    }


def test_output(exercise: Exercise, result: SubmissionResult) -> str:
    """One exercise's feedback, in Markdown, without its heading (also PrairieLearn's)."""
    from harness.grading.feedback import exercise_body

    section = "\n".join(exercise_body(exercise, result)).strip()
    return section or "No hypothesis about this layer."


def overall_text(result: SubmissionResult) -> str:
    """The text above the tests: the score, and what went wrong if something did."""
    from harness.grading.feedback import problem_lines, status_lines
    from harness.grading.results import format_points

    output = f"**Score: {format_points(result.total)} / {format_points(result.max_total)}**"
    problems = problem_lines(result, "**{}**")  # parts not used; the rest was graded
    if problems:
        output += "\n\n" + "\n".join(problems).rstrip()
    status = status_lines(result)  # none when graded
    if status:
        output += "\n\n" + "\n".join(status).rstrip()
    return output


def autograder_root() -> Path:
    """Gradescope's layout root: ``$HARNESS_AUTOGRADER_ROOT`` or ``/autograder``."""
    return Path(os.environ.get(ROOT_VARIABLE) or AUTOGRADER_ROOT)


def layout_paths(submission_dir: str | Path | None = None,
                 results_file: str | Path | None = None) -> tuple[Path, Path]:
    """The submission folder and results file to use.

    A path not given comes from Gradescope's layout, which must then be there
    (``<root>/submission`` and ``<root>/results`` folders); otherwise this raises
    :class:`UsageError` and nothing is written.
    """
    root = autograder_root()
    if submission_dir is None or results_file is None:
        missing = [str(root / name) for name in ("submission", "results")
                   if not (root / name).is_dir()]
        if missing:
            absent = "neither is there" if len(missing) == 2 else f"{missing[0]} is not there"
            raise UsageError(
                f"this does not look like Gradescope's autograder: it expects the folders "
                f"{root / 'submission'} and {root / 'results'}, and {absent}. Nothing was "
                "written. Outside Gradescope, give both paths: --submission DIR --results FILE.")
    submission = Path(submission_dir) if submission_dir is not None else root / "submission"
    if not submission.is_dir():
        raise UsageError(f"--submission must be a folder holding the student's files; "
                         f"received {str(submission)!r}, which is not a folder.")
    results = Path(results_file) if results_file is not None else root / "results" / "results.json"
    if results.is_dir():
        raise UsageError(f"--results must be the results.json file to write; received "
                         f"{str(results)!r}, which is a folder.")
    return submission, results
