"""The programmatic face of grading: ``grade(...)`` and ``grade_one(...)``.

The CLI (``harness grade``, ``harness gradescope``) only parses arguments and
prints; everything else is here::

    from harness.grading import grade
    run = grade("submissions/", out="reports/grades", workers=4)
    run.results[0].total

Submissions run ``workers`` at a time (threads in this process, each driving
one worker subprocess per submission), or on a Dask cluster with
``scheduler=``.  Every finished submission is stored at once, so a killed run
resumes; outputs are rebuilt from all results at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.errors import UsageError
from harness.grading.assignment import Assignment, attach_secret, hidden_paths, load_assignment
from harness.grading.gradescope import autograder_root, layout_paths, results_json
from harness.grading.isolation.spares import class_run
from harness.grading.isolation.workers import launch
from harness.grading.outputs import write_reports, write_run_metadata
from harness.grading.overrides import apply_overrides, read_overrides
from harness.grading.results import SubmissionResult
from harness.grading.runner import (
    GradingContext,
    grade_submission,
    isolation_in_force,
    make_context,
)
from harness.grading.secret import Secret
from harness.grading.store import ResultStore
from harness.grading.submissions import (
    Skipped,
    Submission,
    scan_submissions,
    submission_from_folder,
)
from harness.output.files import write_json

DEFAULT_OUT = Path("reports/grades")

Tick = Callable[[SubmissionResult], None]


@dataclass
class GradeRun:
    """What a grading run did."""

    assignment: Assignment
    results: list[SubmissionResult]
    out: Path
    graded: int = 0
    reused: int = 0
    isolation: tuple[str, ...] = field(default=())
    #: What was found but not graded (not a submission, hidden, unreadable ...), with why.
    skipped: list[Skipped] = field(default_factory=list)
    #: Entries graded under another id than their name gives (colliding names), with why.
    renamed: list[Skipped] = field(default_factory=list)
    #: Problems with out/overrides.toml (malformed, unknown student or exercise ...).
    override_warnings: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> dict[str, str]:
        return {r.student: r.status for r in self.results}


def resolve_assignment(assignment: str | Path | Assignment | None,
                       seed: int | None) -> Assignment:
    loaded = assignment if isinstance(assignment, Assignment) else load_assignment(assignment)
    return loaded.with_seed(seed)


def grade(submissions: str | Path, *, assignment: str | Path | Assignment | None = None,
          out: str | Path = DEFAULT_OUT, workers: int | None = None, seed: int | None = None,
          scheduler: str | None = None, on_result: Tick | None = None,
          order: Sequence[str] | None = None, isolate: bool = True,
          summary: bool = True, secret: Secret | str | Path | None = None) -> GradeRun:
    """Grade every submission under ``submissions`` and write the reports to ``out``.

    ``order`` (student ids) only changes the order work is started in: grades never
    depend on it, nor on ``workers``.  Cases come from ``secret`` (a
    :class:`~harness.grading.secret.Secret` or a file holding one), else
    ``HARNESS_SECRET``, else ``out/.secret`` (made on first use).
    """
    out = Path(out)
    _check_workers(workers)
    rules = attach_secret(resolve_assignment(assignment, seed), out, secret)
    scan = scan_submissions(submissions, out)
    found = _ordered(scan.submissions, order)
    store = ResultStore(out)
    hide = (*_hidden(submissions, out, assignment), *hidden_paths(rules))
    run = GradeRun(rules, [], out, skipped=scan.skipped, renamed=scan.renamed)
    private = (str(out.resolve()),)  # the grader's own: closed to other users
    run.isolation = isolation_in_force(rules, hide, isolate, private)  # or refuses
    todo: list[Submission] = []
    fingerprint = rules.fingerprint()
    for submission in found:
        stored = store.get(submission.student, submission.key(fingerprint, rules.seed,
                                                                _version()))
        if stored is None:
            todo.append(submission)
        else:
            run.results.append(stored)
            run.reused += 1
            if on_result:
                on_result(stored)

    def finished(result: SubmissionResult) -> None:
        store.put(result)
        run.results.append(result)
        run.graded += 1
        if result.isolation and not run.isolation:
            run.isolation = result.isolation
        if on_result:
            on_result(result)

    if todo and scheduler:
        from harness.grading.distributed import grade_on_cluster

        grade_on_cluster(scheduler, todo, rules, hide, isolate, finished)
    elif todo:
        _grade_local(todo, make_context(rules, hide, isolate, private), workers, finished)
    run.results.sort(key=lambda r: r.student)
    from harness.grading.summary import remove_summary, write_summary

    # Overrides are read on every run and applied to the outputs, never to the store.
    found_overrides = read_overrides(out)
    run.results, applied = apply_overrides(rules, run.results, found_overrides.entries)
    run.override_warnings = [*found_overrides.problems, *applied]
    remove_summary(out)  # new grades never stand beside an earlier run's summary
    write_reports(out, rules, run.results, summary=False)
    write_run_metadata(out, rules, run.isolation)
    if summary:
        write_summary(out, rules, run.results, run.skipped, run.renamed,
                      isolation=run.isolation,
                      sources={s.student: s.files for s in found},  # misconceptions' code
                      override_warnings=run.override_warnings)
    return run


def _check_workers(workers: int | None) -> None:
    """``None`` means one per core; anything else must be a whole number of at least 1."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise UsageError(f"workers must be a whole number of at least 1 (or None for one per "
                         f"core). Received: {workers!r}.")


def _grade_local(todo: list[Submission], ctx: GradingContext, workers: int | None,
                 finished: Tick) -> None:
    count = workers if workers is not None else os.cpu_count() or 1
    with class_run(launch) as spares:  # workers are started ahead, while others are graded
        ctx = replace(ctx, spares=spares)
        if count == 1:
            for submission in todo:
                finished(grade_submission(submission, ctx))
            return
        with ThreadPoolExecutor(max_workers=count, thread_name_prefix="harness-grade") as pool:
            futures = [pool.submit(grade_submission, s, ctx) for s in todo]
            for future in as_completed(futures):
                finished(future.result())


def grade_one(folder: str | Path, *, assignment: str | Path | Assignment | None = None,
              seed: int | None = None, student: str = "submission",
              secret: Secret | str | Path | None = None,
              isolate: bool = True,
              private: Sequence[str] = ()) -> tuple[SubmissionResult, Assignment]:
    """Grade one folder as one student's submission (Gradescope's layout); the secret as
    for :func:`grade`, else one made for this run only.  Refuses (``SandboxError``)
    without a sandbox unless ``isolate=False``.  ``private``: the grader's own folders
    (Gradescope's ``source``, with the reference solutions), which no worker may see."""
    rules = attach_secret(resolve_assignment(assignment, seed), None, secret)
    submission = submission_from_folder(folder, student)
    hide = tuple(p for p in (str(assignment),) if assignment and not isinstance(
        assignment, Assignment)) + hidden_paths(rules) + tuple(private)
    context = make_context(rules, hide, isolate, tuple(private))
    return grade_submission(submission, context), rules


def _ordered(found: list[Submission], order: Sequence[str] | None) -> list[Submission]:
    if order is None:
        return found
    rank = {student: i for i, student in enumerate(order)}
    return sorted(found, key=lambda s: (rank.get(s.student, len(rank)), s.student))


def _hidden(submissions: str | Path, out: Path,
            assignment: str | Path | Assignment | None) -> tuple[str, ...]:
    """Paths no worker may see: the submissions, the outputs, the assignment file."""
    paths = [Path(submissions).resolve(), out.resolve()]
    if assignment is not None and not isinstance(assignment, Assignment):
        paths.append(Path(assignment).resolve())
    out.mkdir(parents=True, exist_ok=True)
    return tuple(str(p) for p in paths if p.exists())


def _version() -> str:
    from harness import __version__

    return __version__


def run_gradescope(submission_dir: str | Path | None = None,
                   results_file: str | Path | None = None,
                   assignment: str | Path | None = None,
                   seed: int | None = None, isolate: bool = True,
                   secret: str | Path | None = None) -> SubmissionResult:
    """Grade Gradescope's one submission and write its results.json.

    Paths not given come from Gradescope's layout (see :func:`layout_paths`).
    Refuses without a sandbox unless ``isolate=False`` (``--no-sandbox``).
    """
    submission, results = layout_paths(submission_dir, results_file)
    source = autograder_root() / "source"  # the instructor's files: reference solutions
    private = (str(source.resolve()),) if source.is_dir() else ()
    result, loaded = grade_one(submission, assignment=assignment, seed=seed, isolate=isolate,
                               secret=secret, private=private)
    write_json(results, results_json(loaded, result))
    return result
