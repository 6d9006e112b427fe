"""Grading one submission: load it in a worker, check each hypothesis, score.

One :class:`GradingContext` is shared by every submission of a run: one
:class:`harness.engine.checker.Checker` (one oracle, one Keras layer per layer spec,
screening cases shared by everyone).  Submissions are graded in parallel
threads that share it with no lock around the checking: Keras calls go one at a
time (:class:`SharedOracle`), Hypothesis is thread-safe (since 6.136), and the
checker's memos (screening sets, a submission's fresh cases, recorded searches,
recorded hint searches) hold results that do not depend on which thread filled them -- a
replayed search or hint search is exactly what a fresh one gives -- so grades
never depend on the number of workers or the order.  So while one thread waits
on its worker, another checks.  The screening and fresh cases go to the worker
in one batch; a look-alike's hint search is replayed in one batch
(:mod:`harness.grading.extras_memo`).

A hypothesis that times out or crashes its worker is recorded as such, the
worker is restarted and the next hypothesis goes on; a submission whose own
budget runs out keeps the results it has.  Time limits count only time spent
waiting on the worker, never time waiting for Keras or another thread, so
grades do not depend on how many submissions run at once.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, NamedTuple

from hypothesis.errors import HypothesisDeprecationWarning

from harness import __version__
from harness.cells import parse_cell_name
from harness.claims import NO_LAYER, Claim
from harness.engine.checker import Checker
from harness.engine.oracle import Oracle
from harness.grading.assignment import Assignment, hidden_paths
from harness.grading.extras_memo import ExtrasMemo
from harness.grading.feedback import status_message
from harness.grading.isolation.spares import SparePool
from harness.grading.isolation.workers import Isolation, Limits, StopReason, WorkerStopped, plan_for
from harness.grading.plausible import plausible, public_cases
from harness.grading.results import FileProblem, HypothesisResult, Status, SubmissionResult
from harness.grading.scoring import score_exercises, score_hypothesis, zero_exercises
from harness.grading.secret import content_salt, submission_salt
from harness.grading.session import Loaded, RemoteEvaluator, RemoteWhere, Session, WorkerTime
from harness.grading.submissions import Submission
from harness.sentences import not_checked_note
from harness.verdict import Hints, Verdict, VerdictKind

MAX_RESTARTS = 3
#: What a stopped worker means for the hypothesis it was checking, and for the
#: submission (the worst reason wins, in this order).
STOPPED_VERDICT = {StopReason.TAMPERED: VerdictKind.CRASHED,
                   StopReason.TIMEOUT: VerdictKind.TIMEOUT,
                   StopReason.CRASHED: VerdictKind.CRASHED}
STOPPED_STATUS = {StopReason.TAMPERED: Status.TAMPERED,
                  StopReason.TIMEOUT: Status.TIMEOUT,
                  StopReason.CRASHED: Status.CRASHED}
LOG = logging.getLogger("harness.grading")


@dataclass
class GradingContext:
    """What every submission of one run shares."""

    assignment: Assignment
    checker: Checker
    limits: Limits
    isolation: Isolation
    fingerprint: str
    version: str = __version__
    teaching: ExtrasMemo = field(default_factory=ExtrasMemo)
    #: The class run's workers started ahead (:func:`harness.grading.isolation.spares.class_run`).
    spares: SparePool | None = None

    def key(self, submission: Submission) -> str:
        """What a stored result is valid for; ``fingerprint`` holds the secret's digest,
        so results graded under another secret are graded again."""
        return submission.key(self.fingerprint, self.assignment.seed, self.version)


def make_context(assignment: Assignment, hide: tuple[str, ...] = (),
                 isolate: bool = True, private: tuple[str, ...] = ()) -> GradingContext:
    """A context for ``assignment`` (``hide``: paths no worker may see).  With the
    assignment's secret, every case comes from it, and a hypothesis that holds is
    also checked on fresh cases salted with its submission's content."""
    _quiet_parallel_hypothesis()
    checker = Checker(assignment.check_settings(), oracle=SharedOracle(),
                      evaluator=RemoteEvaluator(),
                      salt=submission_salt)
    isolation = Isolation(sandbox=isolate, hide=hide, secret=hidden_paths(assignment),
                          private=private)
    plan_for(isolation)  # refuses here, before anything is graded, when there is no sandbox
    return GradingContext(assignment, checker, limits_for(assignment), isolation,
                          assignment.fingerprint())


class SharedOracle(Oracle):
    """The oracle of a run whose submissions are graded in parallel threads: one Keras
    call at a time (a Keras layer is not safe to trace from two threads), while the
    other threads run Hypothesis or wait on their workers."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()

    def outputs(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return super().outputs(*args, **kwargs)


def _quiet_parallel_hypothesis() -> None:
    """Hypothesis warns when the global ``random`` state changes during a draw; with
    draws in parallel threads, another thread's Hypothesis run seeding and restoring
    that state (``deterministic_PRNG``) sets it off although nobody uses ``random``
    (no harness strategy does).  A warning filter is process-wide, so set it once."""
    warnings.filterwarnings("ignore", message="Do not use the `random` module inside "
                            "strategies", category=HypothesisDeprecationWarning)


def limits_for(assignment: Assignment) -> Limits:
    """The resource limits of every worker of ``assignment``."""
    return Limits(cpu_seconds=int(assignment.submission_timeout) + 5,
                  memory_mb=assignment.memory_mb)


def isolation_in_force(assignment: Assignment, hide: tuple[str, ...] = (),
                       isolate: bool = True,
                       private: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The isolation workers will get, in words; raises :class:`SandboxError` when there
    is no sandbox here and ``isolate`` asks for one."""
    isolation = Isolation(sandbox=isolate, hide=hide, secret=hidden_paths(assignment),
                          private=private)
    return plan_for(isolation).describe(limits_for(assignment))


def grade_submission(submission: Submission, ctx: GradingContext) -> SubmissionResult:
    """Grade one submission; never raises.

    Anything that goes wrong in the grader itself (a bug, a resource it ran out of)
    becomes this submission's status ``grader-error``, with the traceback in the run
    log (logger ``harness.grading``), and the class goes on.  That result is stored
    like any other, so a resumed run reuses it instead of crashing again; delete
    ``OUT/.results/<student>.json`` to grade it again after a fix.
    """
    start = time.monotonic()
    key = ""
    try:
        key = ctx.key(submission)
        return _grade_guarded(submission, ctx, key, start)
    except (Exception, WorkerStopped) as exc:  # noqa: BLE001 - one submission, never the class
        return _grader_error(ctx, submission, key, exc, start)


def _grade_guarded(submission: Submission, ctx: GradingContext, key: str,
                   start: float) -> SubmissionResult:
    if submission.problem is not None:
        return _failed(ctx, submission, key, Status.INVALID_SUBMISSION, submission.problem,
                       start)
    rules = ctx.assignment
    session = Session(submission, ctx.limits, ctx.isolation,
                      WorkerTime(rules.submission_timeout), rules.max_hypotheses,
                      load_seconds=rules.load_timeout,
                      accepts=lambda spec: rules.exercise_for(spec) is not None,
                      spares=ctx.spares)
    try:
        return _grade(ctx, submission, key, session, start)
    finally:
        session.stop()
        _detach(ctx, session)
        ctx.checker.forget_salt(content_salt(submission))


def _grader_error(ctx: GradingContext, submission: Submission, key: str,
                  exc: BaseException, start: float) -> SubmissionResult:
    LOG.error("grader error while grading %s: %s: %s", submission.student,
              type(exc).__name__, exc, exc_info=exc)
    message = (f"the grader itself failed while grading this submission "
               f"({type(exc).__name__}). This is not a verdict on your work: it earns 0 "
               "points for now, and your instructor can see the error and grade it again.")
    return _failed(ctx, submission, key, Status.GRADER_ERROR, message, start)


def _grade(ctx: GradingContext, submission: Submission, key: str, session: Session,
           start: float) -> SubmissionResult:
    try:
        loaded = session.start()
    except WorkerStopped as stop:
        return _failed(ctx, submission, key, STOPPED_STATUS[stop.reason],
                       _load_stop(ctx, session, stop), start, session)
    if loaded.status is not None:
        return _failed(ctx, submission, key, loaded.status, loaded.message, start, session)
    if not loaded.claims and loaded.problems:  # nothing loaded: the first problem says why
        return _failed(ctx, submission, key, Status(loaded.problems[0].status),
                       "\n\n".join(p.message for p in loaded.problems), start, session,
                       loaded.problems)
    if not loaded.claims:
        return _failed(ctx, submission, key, Status.NO_HYPOTHESES, (
            "no @hypothesis was found. Decorate each formula with @hypothesis(PART_A) (or "
            "PART_B, PART_C) after `from harness import hypothesis, PART_A`."), start, session)
    # a file that failed because it imports Keras costs its own hypotheses (a problem of
    # its own), not the whole submission's status
    load_keras = session.used_keras and all(p.status != "used-keras" for p in loaded.problems)
    hypotheses, reasons = _check_all(ctx, session, loaded)
    status = _status(reasons, load_keras or any(h.used_keras for h in hypotheses))
    broken = tuple(FileProblem(_file_of(c.file), "bad-hypothesis", c.error)
                   for c in loaded.claims if c.error is not None)
    return SubmissionResult(
        student=submission.student, key=key, status=status,
        exercises=score_exercises(ctx.assignment, hypotheses), hypotheses=hypotheses,
        message=status_message(status, ctx.assignment), notes=submission.notes,
        ignored=loaded.total - len(loaded.claims), seconds=_since(start),
        isolation=tuple(session.in_force), problems=loaded.problems + broken)


def _file_of(claim_file: str) -> str:
    """The file a claim is in, as the student named it (a notebook cell's notebook)."""
    cell = parse_cell_name(claim_file)
    return cell[0] if cell else claim_file


def _check_all(ctx: GradingContext, session: Session,
               loaded: Loaded) -> tuple[tuple[HypothesisResult, ...], set[StopReason]]:
    results: list[HypothesisResult] = []
    reasons: set[StopReason] = set()
    restarts = 0
    work = GraderWork(ctx.assignment)
    for claim in loaded.claims:
        if claim.error is not None:  # a broken declaration: its error, nothing to run
            results.append(_broken(ctx, claim))
            continue
        refusal = _outside_assignment(ctx, claim) or work.refusal(claim)
        if refusal is None and session.worker is None:
            refusal = _not_restarted(ctx, session, restarts)
            if refusal is None and not _restart(session, loaded, reasons):
                refusal = "not checked: the grading worker could not be started again."
            restarts += refusal is None
        if refusal is not None:
            results.append(_unchecked(ctx, claim, VerdictKind.NOT_CHECKED, refusal))
            continue
        results.append(work.run(claim, session,
                                partial(_check_one, ctx, session, claim, reasons)))
    return tuple(results), reasons


class GraderWork:
    """The grader's own work on one submission, limited before it is done: distinct
    (layer, scope) screening sets, cases screened (hypotheses x cases), and CPU
    seconds of the grading thread (``time.thread_time``: the checker, Hypothesis and
    the comparison; Keras's own threads are not counted).  A hypothesis is refused
    when checking it would go over; one already running is never cut short."""

    def __init__(self, assignment: Assignment) -> None:
        self.assignment = assignment
        self.scopes: set[tuple[object, ...]] = set()
        self.cases = 0
        self.seconds = 0.0

    def refusal(self, claim: Claim) -> str | None:
        rules = self.assignment
        if self.seconds >= rules.grader_seconds:
            return (f"not checked: the grader's own work on this submission reached its "
                    f"limit of {rules.grader_seconds:g} seconds before this hypothesis "
                    "(fewer hypotheses, or fewer different scopes, keep within it).")
        if self._scope(claim) not in self.scopes and len(self.scopes) >= rules.max_scopes:
            return (f"not checked: the hypotheses before it already use {rules.max_scopes} "
                    "different scopes (layer, fixed=, timesteps=, where=), the most the "
                    "grader checks for one submission.")
        if self.cases + rules.cases > rules.max_cases:
            return (f"not checked: the grader screens at most {rules.max_cases} cases per "
                    f"submission ({rules.cases} per hypothesis), and the hypotheses before "
                    "it used them.")
        return None

    def run(self, claim: Claim, session: Session,
            check: Callable[[], HypothesisResult]) -> HypothesisResult:
        """Check, counting the grading thread's CPU time except the hint search's (hints
        have their own budget, counted in work; they never cost a later hypothesis its
        check)."""
        self.take(claim)
        started, teaching = time.thread_time(), session.teaching_seconds
        try:
            return check()
        finally:
            spent = time.thread_time() - started
            self.seconds += max(0.0, spent - (session.teaching_seconds - teaching))

    def take(self, claim: Claim) -> None:
        """Count ``claim``'s screening set and cases as used."""
        self.scopes.add(self._scope(claim))
        self.cases += self.assignment.cases

    @staticmethod
    def _scope(claim: Claim) -> tuple[object, ...]:
        return (claim.spec, *claim.scope.key)


def _outside_assignment(ctx: GradingContext, claim: Claim) -> str | None:
    """Only the assignment's layers are checked (before any Keras layer is built)."""
    if ctx.assignment.exercise_for(claim.spec) is not None:
        return None
    layers = ", ".join(e.layer for e in ctx.assignment.exercises)
    return (f"not checked (bad hypothesis): it is about {claim.spec}, which is not a layer "
            f"of this assignment, so the grader does not check it. Write it about one of "
            f"the assignment's layers: {layers}.")


def _not_restarted(ctx: GradingContext, session: Session, restarts: int) -> str | None:
    if session.budget.seconds <= 0:
        return (f"not checked: the submission's time limit of "
                f"{ctx.assignment.submission_timeout:g} seconds was used up before it.")
    if restarts >= MAX_RESTARTS:
        return (f"not checked: the code stopped the grading process {MAX_RESTARTS + 1} "
                "times, so the grader gave up on the rest of the file.")
    return None


def _restart(session: Session, loaded: Loaded, reasons: set[StopReason]) -> bool:
    try:
        again = session.start()
    except WorkerStopped as stop:
        reasons.add(stop.reason)
        return False
    same = [(c.name, c.spec, c.scope.text) for c in again.claims] == \
        [(c.name, c.spec, c.scope.text) for c in loaded.claims]
    if not same:
        reasons.add(StopReason.CRASHED)
        session.stop()
    return same


def _check_one(ctx: GradingContext, session: Session, claim: Claim,
               reasons: set[StopReason]) -> HypothesisResult:
    session.claim_budget = WorkerTime(ctx.assignment.hypothesis_timeout)
    session.used_keras = False
    try:
        verdict = check_claim(ctx, claim)
        session.teaching_seconds += verdict.teaching_seconds
    except WorkerStopped as stop:
        reason = stop.reason
        if reason == StopReason.TIMEOUT and session.budget.seconds > 0:
            detail = (f"it took longer than {ctx.assignment.hypothesis_timeout:g} seconds "
                      "(an endless loop, or a very slow formula?)")
        elif reason == StopReason.TIMEOUT:
            detail = (f"the submission's time limit of {ctx.assignment.submission_timeout:g} "
                      "seconds was reached while checking it")
        else:
            detail = stop.detail
        reasons.add(reason)
        return _unchecked(ctx, claim, STOPPED_VERDICT[reason], detail, session.used_keras)
    finally:
        session.claim_budget = None
    return _from_verdict(ctx, claim, verdict, session.used_keras)


class Checked(NamedTuple):
    """A claim's verdict and, for one recorded refuted=True and refuted or one that holds
    in a narrower scope only, whether it is plausible (a real attempt at the rule,
    :mod:`harness.grading.plausible`)."""

    verdict: Verdict
    plausible: bool | None = None
    #: CPU seconds the grading thread spent on hints (not counted in the grader's budget).
    teaching_seconds: float = 0.0


def check_claim(ctx: GradingContext, claim: Claim) -> Checked:
    """Send the screening and fresh cases to the worker in one batch, then check: the
    proxy memoises the outcomes, so :meth:`Checker.check` asks the worker again only
    for the cases of its search for a minimal counterexample.  The outcomes on the
    screening set also decide whether a recorded ``refuted=True`` is plausible."""
    cases, wants = ctx.checker.screening(claim)
    fresh = ctx.checker.fresh_candidates(claim)
    outcomes = RemoteEvaluator().evaluate(claim, cases + fresh)[:len(cases)]
    verdict = ctx.checker.check(claim)
    started = time.thread_time()
    verdict = _with_hints(ctx, claim, verdict)
    teaching = time.thread_time() - started
    if not needs_plausible(verdict):
        return Checked(verdict, teaching_seconds=teaching)
    public = public_cases(claim.spec, claim.scope)
    return Checked(verdict, plausible(claim.spec, cases, wants, outcomes, public), teaching)


def needs_plausible(verdict: Verdict) -> bool:
    """Refutation credit and narrow credit both need a real attempt at the rule
    (:mod:`harness.grading.plausible`): a hypothesis recorded refuted=True and refuted,
    or one that holds only in a narrower scope."""
    if verdict.kind == VerdictKind.REFUTED:
        return verdict.recorded
    return verdict.kind == VerdictKind.HOLDS and not verdict.recorded and not verdict.general


def _with_hints(ctx: GradingContext, claim: Claim, verdict: Verdict) -> Verdict:
    """The verdict with its hints (per the assignment's ``hints``/``hint_seconds``).
    Hints are extras: if the worker times out or crashes while they are searched, the
    verdict stands, with hints that say the search was cut short (the next hypothesis
    restarts the worker as usual); a worker caught tampering is still stopped."""
    rules = ctx.assignment
    hints, budget = rules.hints, rules.hint_seconds
    try:
        replayed = ctx.teaching.replay(RemoteEvaluator(), claim, verdict, hints=hints,
                                       budget=budget)
        if replayed is not None:  # a look-alike's search, followed step for step
            return replayed
        # counted in work: a regrade finds the same hints
        return ctx.teaching.enrich(ctx.checker, claim, verdict, hints=hints, budget=budget)
    except WorkerStopped as stop:
        if stop.reason == StopReason.TAMPERED:
            raise
        return replace(verdict, hints=Hints(complete=False) if rules.hints else None)


def _from_verdict(ctx: GradingContext, claim: Claim, checked: Checked,
                  used_keras: bool) -> HypothesisResult:
    exercise = ctx.assignment.exercise_for(claim.spec)
    result = HypothesisResult(checked.verdict, exercise.id if exercise else None,
                              used_keras=used_keras, plausible=checked.plausible)
    return score_hypothesis(result, exercise)


def _broken(ctx: GradingContext, claim: Claim) -> HypothesisResult:
    """A hypothesis whose ``@hypothesis(...)`` has a mistake: the checker's ``error``
    verdict (nothing is run), listed under its exercise when its layer is one."""
    exercise = None if claim.spec == NO_LAYER else ctx.assignment.exercise_for(claim.spec)
    result = score_hypothesis(HypothesisResult(ctx.checker.check(claim),
                                               exercise.id if exercise else None), exercise)
    return replace(result, note=not_checked_note(VerdictKind.ERROR, bad_declaration=True))


def _unchecked(ctx: GradingContext, claim: Claim, kind: VerdictKind, message: str | None,
               used_keras: bool = False) -> HypothesisResult:
    """A hypothesis whose formula could not be run to the end (timeout, crash, or
    never reached): a verdict of that kind, on 0 cases."""
    exercise = ctx.assignment.exercise_for(claim.spec)
    verdict = Verdict(
        file=claim.file, function=claim.function, name=claim.name, layer=claim.shown,
        scope=claim.scope.text, recorded=claim.refuted, kind=kind, cases=0,
        seed=ctx.checker.settings.seed, message=message, line=claim.line,
        general=claim.scope.is_general, where=claim.scope.where is not None)
    result = HypothesisResult(verdict, exercise.id if exercise else None,
                              used_keras=used_keras)
    return score_hypothesis(result, exercise)


def _status(reasons: set[StopReason], used_keras: bool) -> Status:
    for reason, status in STOPPED_STATUS.items():
        if reason in reasons:
            return status
    return Status.USED_KERAS if used_keras else Status.GRADED


def _load_stop(ctx: GradingContext, session: Session, stop: WorkerStopped) -> str:
    if stop.reason != StopReason.TIMEOUT:
        return f"importing the file failed: {stop.detail}"
    rules = ctx.assignment
    if session.budget.seconds > 0:
        limit = f"{rules.load_timeout:g} seconds (the time limit for loading a submission)"
    else:
        limit = f"{rules.submission_timeout:g} seconds (the submission's time limit)"
    return (f"importing the file took longer than {limit}: an endless loop or a long sleep "
            "at the top level of the file? Code outside functions runs when the file is "
            "loaded; keep it short.")


def _failed(ctx: GradingContext, submission: Submission, key: str, status: Status,
            message: str | None, start: float, session: Session | None = None,
            problems: tuple[FileProblem, ...] = ()) -> SubmissionResult:
    return SubmissionResult(
        student=submission.student, key=key, status=status,
        exercises=zero_exercises(ctx.assignment, "the submission could not be graded"),
        message=message, notes=submission.notes, seconds=_since(start),
        isolation=tuple(session.in_force) if session else (), problems=problems)


def _detach(ctx: GradingContext, session: Session) -> None:
    """Let go of the session and its memoised outcomes, and of the checker's memos for
    its ``where=`` conditions: they are keyed by the proxy itself, which no other
    submission can ever ask about again."""
    for proxy in session.proxies:
        proxy.detach()
        if isinstance(proxy, RemoteWhere):
            ctx.checker.forget(proxy)
    session.proxies.clear()


def _since(start: float) -> float:
    return round(time.monotonic() - start, 3)

