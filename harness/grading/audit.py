"""``harness assignment audit``: how many wrong formulas would the grading let through?

From each reference formula (a hypothesis in the instructor's reference folder,
recorded as holding in the general scope, about an exercise's layer),
:mod:`harness.grading.mutants` makes wrong formulas, one change each.  Every
mutant is checked exactly as the grader checks a hypothesis: the same
:class:`harness.engine.checker.Checker`, with the assignment's seed, ``cases``,
fresh cases and the grading secret; its fresh cases are salted with the mutant's
own content, as a submission's are with its files.  A mutant is

* ``killed-by-screening``: it fails on the secret screening cases every
  submission shares;
* ``killed-by-search``: it passes them, and the grader's further look (the
  submission's own fresh cases, then the search for a case to show) refutes it;
* ``survived``: the grader would give it full marks.  A survivor is checked again
  on ten times as many cases (screening and fresh): ``equivalent`` says whether it
  holds there too (then it is probably the reference written another way).
* ``not-checked``: the audit itself failed on it (the reason is in ``detail``).

Mutants are the instructor's code, so they run in the audit's own processes (a
process pool across the cores; a formula call still has the assignment's
``hypothesis_timeout``).  Each mutant's result depends only on the secret, the
assignment and the mutant, never on the number of workers or their order.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from harness.claims import Claim
from harness.errors import HarnessError, UsageError
from harness.grading.assignment import Assignment, Exercise
from harness.grading.audit_results import (
    KILLED_SCREENING,
    KILLED_SEARCH,
    NOT_CHECKED,
    SURVIVED,
    AuditRun,
    ExerciseAudit,
    MutantResult,
)
from harness.grading.mutants import Mutant, mutants_of

#: Survivors are checked again on this many times the assignment's cases.
WIDER = 10
#: Mutants per chunk of work (a process checks one chunk at a time).
CHUNK = 4


@dataclass(frozen=True)
class Reference:
    """One reference formula: the exercise it is for and where it is written."""

    exercise: str
    function: str
    file: str


@dataclass(frozen=True)
class Job:
    """One formula to check: a mutant, or the reference itself (``operator`` None)."""

    exercise: str
    function: str
    operator: str | None
    source: str
    module: str


def find_references(assignment: Assignment, reference: str | Path) -> list[Reference]:
    """The reference formulas under ``reference``: hypotheses recorded as holding, in the
    general scope, about one of the assignment's layers, in Python files."""
    from harness.collect import collect

    found = collect([reference])
    if found.failures:
        raise UsageError(f"The reference could not be loaded: {found.failures[0].message}")
    out = []
    for claim in found.claims:
        exercise = assignment.exercise_for(claim.spec) if claim.error is None else None
        if exercise is None or claim.refuted or not claim.scope.is_general:
            continue
        if not claim.file.endswith(".py"):
            raise UsageError(f"{claim.file}: the audit reads references from .py files only; "
                             "copy the formula into a .py file.")
        out.append(Reference(exercise.id, claim.function, claim.file))
    return out


def jobs_for(assignment: Assignment, references: Sequence[Reference]) -> list[Job]:
    """Each reference (checked first: a reference that fails makes its mutants say
    nothing), then its mutants, exercise by exercise."""
    jobs = []
    for exercise in assignment.exercises:
        for ref in (r for r in references if r.exercise == exercise.id):
            module = Path(ref.file).read_text(encoding="utf-8")
            shapes = dict(exercise.spec.weight_shapes)
            jobs.append(Job(exercise.id, ref.function, None,
                            _function_source(module, ref.function), module))
            jobs.extend(_job(exercise.id, m) for m in mutants_of(module, ref.function, shapes))
    return jobs


def _function_source(module: str, function: str) -> str:
    return next(ast.unparse(n) for n in ast.parse(module).body
                if isinstance(n, ast.FunctionDef) and n.name == function)


def _job(exercise: str, mutant: Mutant) -> Job:
    return Job(exercise, mutant.function, mutant.operator, mutant.source, mutant.module)


def audit(assignment: Assignment, reference: str | Path, *, workers: int | None = None,
          progress: Callable[[str], None] | None = None) -> AuditRun:
    """Audit ``assignment`` (its secret attached) with the formulas under ``reference``."""
    start = time.monotonic()
    references = find_references(assignment, reference)
    if not references:
        layers = ", ".join(e.layer for e in assignment.exercises)
        raise UsageError(f"No reference formula found in {reference}: it needs hypotheses "
                         f"about the assignment's layers ({layers}) recorded as holding.")
    jobs = jobs_for(assignment, references)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    results = _run(assignment, jobs, workers, progress or (lambda line: None))
    exercises = tuple(_exercise_audit(e, results) for e in assignment.exercises)
    return AuditRun(assignment, exercises, round(time.monotonic() - start, 2), workers)


def _exercise_audit(exercise: Exercise, results: Sequence[MutantResult]) -> ExerciseAudit:
    mine = [r for r in results if r.exercise == exercise.id]
    return ExerciseAudit(exercise, tuple(r for r in mine if r.operator is None),
                         tuple(r for r in mine if r.operator is not None))


def _run(assignment: Assignment, jobs: list[Job], workers: int,
         progress: Callable[[str], None]) -> list[MutantResult]:
    """Results in the order of ``jobs``; a progress line as each exercise finishes."""
    chunks = [list(range(i, min(i + CHUNK, len(jobs)))) for i in range(0, len(jobs), CHUNK)]
    left = {e.id: sum(j.exercise == e.id for j in jobs) for e in assignment.exercises}
    results: list[MutantResult | None] = [None] * len(jobs)
    for exercise in (e for e in assignment.exercises if not left[e.id]):
        progress(f"{exercise.id}: no reference formula, nothing to audit")

    def finished(indexes: list[int], got: list[MutantResult]) -> None:
        for i, result in zip(indexes, got, strict=True):
            results[i] = result
            left[result.exercise] -= 1
            if left[result.exercise] == 0:
                exercise = next(e for e in assignment.exercises if e.id == result.exercise)
                done = [r for r in results if r is not None]
                progress(_exercise_audit(exercise, done).line())

    with tempfile.TemporaryDirectory(prefix="harness-audit-") as folder:
        auditor = Auditor(assignment, Path(folder))
        if workers == 1:
            for indexes in chunks:
                finished(indexes, auditor.check_all([jobs[i] for i in indexes]))
        else:
            _share(auditor, jobs, deque(chunks), workers - 1, finished)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _share(auditor: Auditor, jobs: list[Job], chunks: deque[list[int]],
           helpers: int, finished: Callable[[list[int], list[MutantResult]], None]) -> None:
    """Check ``chunks`` here and in ``helpers`` more processes: each helper holds one chunk
    at a time, and this process takes the next one whenever it is free (the helpers
    start, and import Keras, while this process already checks)."""
    context = get_context("spawn")  # never fork a process that may hold TensorFlow
    with ProcessPoolExecutor(helpers, mp_context=context, initializer=_start_worker,
                             initargs=(auditor.assignment, auditor.folder)) as pool:
        running: dict[Future[list[MutantResult]], list[int]] = {}
        while chunks or running:
            while chunks and len(running) < helpers:
                indexes = chunks.popleft()
                running[pool.submit(_check_in_worker, [jobs[i] for i in indexes])] = indexes
            if chunks:
                indexes = chunks.popleft()
                finished(indexes, auditor.check_all([jobs[i] for i in indexes]))
                done = wait(running, timeout=0).done
            else:
                done = wait(running, return_when=FIRST_COMPLETED).done
            for future in done:
                finished(running.pop(future), future.result())


#: The worker process's auditor (one per process of the pool, made by its initializer).
_WORKER: list[Auditor] = []


def _start_worker(assignment: Assignment, folder: Path) -> None:
    _WORKER.append(Auditor(assignment, folder))


def _check_in_worker(jobs: list[Job]) -> list[MutantResult]:
    return _WORKER[0].check_all(jobs)


class Auditor:
    """Checks formulas as the grader does: one checker with the grader's settings, one
    with ten times the cases for survivors."""

    def __init__(self, assignment: Assignment, folder: Path) -> None:
        """``folder``: where the mutants' files are written to be loaded."""
        from harness.engine.checker import MAX_CASES, Checker
        from harness.engine.formula import InProcess

        settings = assignment.check_settings()
        wider = replace(settings, cases=min(MAX_CASES, WIDER * settings.cases),
                        fresh=WIDER * settings.fresh)
        evaluator = InProcess(time_limit=assignment.hypothesis_timeout)
        self.checker = Checker(settings, evaluator=evaluator, salt=content_salt)
        self.wider = Checker(wider, oracle=self.checker.oracle, evaluator=evaluator,
                             salt=content_salt)
        self.assignment = assignment
        self.folder = folder

    def check_all(self, jobs: list[Job]) -> list[MutantResult]:
        return [self.check(job) for job in jobs]

    def check(self, job: Job) -> MutantResult:
        """One formula's result; never raises (the audit goes on)."""
        try:
            claim = self._load(job)
            return self._classify(job, claim)
        except Exception as exc:  # noqa: BLE001 - one mutant, never the audit
            return _result(job, NOT_CHECKED, "not checked",
                           detail=f"{type(exc).__name__}: {exc}")

    def _load(self, job: Job) -> Claim:
        from harness.collect import load_claims

        data = job.module.encode()
        path = self.folder / f"{job.function}_{hashlib.sha256(data).hexdigest()[:16]}.py"
        path.write_bytes(data)
        claims = [c for c in load_claims(path) if c.function == job.function]
        if len(claims) != 1:
            raise UsageError(f"the mutant of {job.function} has {len(claims)} hypotheses")
        return claims[0]

    def _classify(self, job: Job, claim: Claim) -> MutantResult:
        from harness.engine.checker import first_failure
        from harness.verdict import HOLDS

        try:
            cases, wants = self.checker.screening(claim)
            outcomes = self.checker.evaluator.evaluate(claim, cases)
            screened = first_failure(claim, cases, wants, outcomes)
            verdict = self.checker.check(claim)  # what the grader decides
            if verdict.kind != HOLDS:
                status = KILLED_SCREENING if screened is not None else KILLED_SEARCH
                return _result(job, status, str(verdict.kind))
            wider = self.wider.check(claim)
            return _result(job, SURVIVED, str(verdict.kind), equivalent=wider.kind == HOLDS)
        finally:
            salt = content_salt(claim)
            self.checker.forget_salt(salt)
            self.wider.forget_salt(salt)


def content_salt(claim: Claim) -> bytes:
    """A mutant's fresh cases are its own, as a submission's are: salted with its file's
    content (:func:`harness.grading.secret.submission_salt`)."""
    return hashlib.sha256(Path(claim.file).read_bytes()).hexdigest().encode()


def _result(job: Job, status: str, verdict: str, equivalent: bool | None = None,
            detail: str | None = None) -> MutantResult:
    return MutantResult(job.exercise, job.function, job.operator, job.source, status,
                        verdict, equivalent, detail)


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``assignment audit`` to the ``assignment`` command group."""
    from harness.arguments import whole_number

    parser = commands.add_parser(
        "audit", help="count the wrong formulas the grading cases would let through",
        description="Make wrong formulas (mutants) from the reference formulas, check each "
                    "exactly as the grader would, and report per exercise how many the "
                    "grading catches: audit.md, audit.html and audit.json in --out.")
    parser.add_argument("assignment", metavar="ASSIGNMENT", help="assignment spec (TOML)")
    parser.add_argument("--reference", metavar="DIR", required=True,
                        help="folder (or .py file) of reference hypotheses that hold")
    parser.add_argument("--secret-file", metavar="FILE", default=None,
                        help="the grading secret (default: $HARNESS_SECRET, else a random "
                             "one for this run only)")
    parser.add_argument("--out", metavar="DIR", default="reports/audit",
                        help="output folder (default: reports/audit)")
    parser.add_argument("--workers", metavar="N", type=whole_number("--workers", 1, 64),
                        default=None, help="processes (default: the number of CPU cores)")
    parser.set_defaults(func=run_audit)


def run_audit(args: argparse.Namespace) -> int:
    from harness.grading.assignment import load_assignment
    from harness.grading.audit_pages import write_audit
    from harness.grading.secret import resolve_secret

    def say(text: str, error: bool = False) -> None:  # the command's output layer
        print(text, file=sys.stderr if error else sys.stdout, flush=True)

    try:
        secret = resolve_secret(None, args.secret_file)
        assignment = load_assignment(args.assignment).with_secret(secret)
        say(f"Auditing {assignment.name} ({assignment.cases} cases per hypothesis, "
            f"{secret.describe()})")
        run = audit(assignment, args.reference, workers=args.workers, progress=say)
    except HarnessError as exc:
        say(f"error: {exc}", error=True)
        return 2
    paths = write_audit(Path(args.out), run)
    wrong = sum(len(e.wrong_survivors) for e in run.exercises)
    say(f"{len(run.mutants)} mutants in {run.seconds:g} s; {wrong} wrong formulas would get "
        f"full marks. Wrote {', '.join(str(p) for p in paths)}")
    failing = [r for e in run.exercises for r in e.references if r.verdict != "holds"]
    for reference in failing:
        say(f"error: the reference {reference.function} ({reference.exercise}) does not hold "
            f"({reference.verdict}): correct it, then audit again.", error=True)
    return 1 if failing else 0
