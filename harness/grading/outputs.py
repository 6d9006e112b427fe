"""Writing grading outputs: every file atomically, rebuilt from result objects.

Layout under the output folder::

    grades.csv                       one row per student (byte-identical across reruns;
                                     ``problems``: files that could not be used)
    feedback/<student>.md            what held, and a checkable counterexample otherwise
    gradescope/<student>/results.json
    summary.md, summary.html,        the class at a glance, with its misconceptions
    summary.png
    .results/<student>.json          stored results, for resuming a killed run

A file is written to a temporary file in the same folder, flushed and synced,
then moved over the old one with ``os.replace``: a reader (or a crash) sees
the old file or the new one, never a torn one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from harness.grading.assignment import Assignment
from harness.grading.feedback import feedback_markdown
from harness.grading.gradescope import results_json
from harness.grading.results import SubmissionResult, format_points
from harness.output.files import write_atomic, write_json
from harness.untrusted import csv_cell


def grades_csv(assignment: Assignment, results: Iterable[SubmissionResult]) -> str:
    """grades.csv text: sorted by student, points as written by hand, no timestamps; an
    id a spreadsheet would read as a formula (``-2-3``) starts with ``'``; ``overridden``
    names the exercises whose points come from overrides.toml (space-separated)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    ids = [e.id for e in assignment.exercises]
    writer.writerow(["student", *ids, "total", "max_total", "status", "overridden",
                     "problems"])
    for result in sorted(results, key=lambda r: r.student):
        writer.writerow([csv_cell(result.student), *(format_points(result.points(i))
                                                      for i in ids),
                         format_points(result.total), format_points(result.max_total),
                         result.status, csv_cell(" ".join(o.exercise for o in result.overrides)),
                         problems_text(result)])
    return buffer.getvalue()


def problems_text(result: SubmissionResult) -> str:
    """grades.csv's ``problems``: each file (or notebook) that could not be used, and why
    in one word, ``scratch.py: syntax-error; extra.py: bad-hypothesis`` (the feedback
    has the lines and the reasons)."""
    return csv_cell("; ".join(dict.fromkeys(f"{p.file}: {p.status}" for p in result.problems)))


def write_reports(out: Path, assignment: Assignment,
                  results: list[SubmissionResult], summary: bool = True) -> list[Path]:
    """Write every output file for ``results``; returns the paths written."""
    ordered = sorted(results, key=lambda r: r.student)
    written = [write_atomic(out / "grades.csv", grades_csv(assignment, ordered))]
    for result in ordered:
        written.append(write_atomic(out / "feedback" / f"{result.student}.md",
                                    feedback_markdown(assignment, result)))
        written.append(write_json(out / "gradescope" / result.student / "results.json",
                                  results_json(assignment, result)))
    if summary:
        from harness.grading.summary import write_summary

        written.extend(write_summary(out, assignment, ordered))
    return written


def write_run_metadata(out: Path, assignment: Assignment,
                       isolation: Iterable[str]) -> Path:
    """``grades.meta.json``, beside grades.csv: how the grades were made (no timestamps,
    so a regrade writes the same bytes)."""
    from harness import __version__

    return write_json(out / "grades.meta.json", {
        "assignment": assignment.name, "harness_version": __version__,
        "isolation": list(isolation)})
