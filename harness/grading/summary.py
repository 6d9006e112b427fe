"""The class at a glance: summary.md and summary.png (pandas + matplotlib, Agg).

* pass rate per exercise: the share of students who earned the exercise's
  main points (a hypothesis that holds for all weights and sequences);
* the score distribution and the statuses;
* the most common refuting counterexamples: for hypotheses recorded as
  holding but refuted, the minimal cases that refuted them, most frequent
  first -- what the class got wrong.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.grading.assignment import Assignment
from harness.grading.results import Status, SubmissionResult, format_points
from harness.grading.submissions import Skipped
from harness.numbers import format_array
from harness.verdict import HOLDS, REFUTED

TOP = 10


def frame(assignment: Assignment, results: list[SubmissionResult]) -> Any:
    """One row per student: points per exercise, total, status (a pandas DataFrame)."""
    import pandas as pd

    rows = [{"student": r.student, **{e.id: r.points(e.id) for e in assignment.exercises},
             "total": r.total, "status": r.status} for r in results]
    columns = ["student", *(e.id for e in assignment.exercises), "total", "status"]
    return pd.DataFrame(rows, columns=columns)


def pass_rates(assignment: Assignment, results: list[SubmissionResult]) -> dict[str, float]:
    """Share of students earning each exercise's main points."""
    table = frame(assignment, results)
    if table.empty:
        return {e.id: 0.0 for e in assignment.exercises}
    return {e.id: float((table[e.id] >= e.points).mean()) if e.points else 1.0
            for e in assignment.exercises}


def common_counterexamples(results: list[SubmissionResult]) -> list[tuple[str, str, int]]:
    """(exercise, case in words, how many students) for refuted-but-claimed hypotheses."""
    counts: Counter[tuple[str, str]] = Counter()
    for result in results:
        seen = set()
        for h in result.hypotheses:
            v = h.checked
            if v.verdict == REFUTED and v.expected == HOLDS and v.counterexample:
                seen.add((h.exercise or str(v.layer), _case_text(v.counterexample.case)))
        counts.update(seen)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(exercise, case, n) for (exercise, case), n in ranked[:TOP]]


def _case_text(case: dict[str, Any]) -> str:
    return ", ".join(f"{name}={format_array(value)}" for name, value in case.items())


def summary_markdown(assignment: Assignment, results: list[SubmissionResult],
                     skipped: Sequence[Skipped] = (), renamed: Sequence[Skipped] = (),
                     isolation: Sequence[str] = ()) -> str:
    rates = pass_rates(assignment, results)
    totals = Counter(format_points(r.total) for r in results)
    statuses = Counter(r.status for r in results)
    lines = [f"# Grading summary: {assignment.name}", "",
             f"{len(results)} submissions, seed {assignment.seed}, "
             f"{assignment.cases} cases per hypothesis.", "",
             *(["## Isolation in force", "", *(f"* {item}" for item in isolation), ""]
               if isolation else []),
             "## Pass rate per exercise", "", "| exercise | points | pass rate |",
             "|---|---|---|"]
    lines += [f"| {e.name} | {format_points(e.max_points)} | {rates[e.id]:.0%} |"
              for e in assignment.exercises]
    lines += ["", "## Scores", "", "| total | students |", "|---|---|"]
    lines += [f"| {t} | {n} |" for t, n in sorted(totals.items(), key=lambda i: float(i[0]))]
    lines += ["", "## Statuses", "", "| status | students |", "|---|---|"]
    lines += [f"| {s} | {n} |" for s, n in sorted(statuses.items())]
    lines += ["", "## Most common refuting counterexamples", ""]
    common = common_counterexamples(results)
    lines += ["| exercise | case | students |", "|---|---|---|"] if common else ["None."]
    lines += [f"| {ex} | `{case}` | {n} |" for ex, case, n in common]
    lines += not_graded_lines(results, skipped, renamed)
    return "\n".join(lines) + "\n"


def not_graded_lines(results: list[SubmissionResult], skipped: Sequence[Skipped],
                     renamed: Sequence[Skipped]) -> list[str]:
    """What was not graded, and why: files that are not submissions, submissions that
    could not be read, and entries graded under another id (names that collide)."""
    invalid = [Skipped(r.student, r.message or "it could not be read")
               for r in results if r.status == Status.INVALID_SUBMISSION]
    lines = ["", "## Not graded", ""]
    if not (skipped or invalid or renamed):
        return [*lines, "Everything found was graded."]
    lines += ["| path | reason |", "|---|---|"]
    lines += [f"| `{_cell(s.path)}` | {_cell(s.reason)} |" for s in [*invalid, *skipped]]
    if renamed:
        lines += ["", "Graded under another id (their names give the same id):", "",
                  "| path | graded as |", "|---|---|"]
        lines += [f"| `{_cell(s.path)}` | {_cell(s.reason)} |" for s in renamed]
    return lines


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").replace("`", "'").split())


def summary_png(assignment: Assignment, results: list[SubmissionResult]) -> bytes:
    """Two panels: pass rate per exercise and the score histogram."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rates = pass_rates(assignment, results)
    figure = Figure(figsize=(9, 3.5))
    left, right = figure.subplots(1, 2)
    left.bar([e.id for e in assignment.exercises], [100 * rates[e.id]
                                                    for e in assignment.exercises])
    left.set_ylim(0, 100)
    left.set_ylabel("students passing (%)")
    left.set_title("Pass rate per exercise")
    right.hist([r.total for r in results], bins=max(1, int(assignment.max_total * 2) + 1),
               range=(-0.25, assignment.max_total + 0.25))
    right.set_xlabel("total score")
    right.set_ylabel("students")
    right.set_title("Score distribution")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def write_summary(out: Path, assignment: Assignment, results: list[SubmissionResult],
                  skipped: Sequence[Skipped] = (),
                  renamed: Sequence[Skipped] = (), isolation: Sequence[str] = ()) -> list[Path]:
    from harness.grading.outputs import write_atomic

    text = summary_markdown(assignment, results, skipped, renamed, isolation)
    return [write_atomic(out / "summary.md", text),
            write_atomic(out / "summary.png", summary_png(assignment, results))]
