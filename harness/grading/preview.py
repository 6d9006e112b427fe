"""What the grader would count, from a student's own run: ``harness check --assignment
FILE`` and ``pytest --harness-assignment FILE`` print it after the verdicts.

The student's verdicts (on the public cases of their own run) go through the grader's
own rules, not a copy of them: :class:`harness.grading.runner.GraderWork` refuses what
the grader would not check (too many scopes or cases), the assignment decides which
exercise a hypothesis counts for, :mod:`harness.grading.plausible` decides narrow and
refutation credit on the run's screening cases, and :mod:`harness.grading.scoring` gives
the points.  So when the formulas also hold on the grader's secret cases, ``harness
grade`` gives the same points (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from harness import untrusted
from harness.claims import NO_LAYER, Claim
from harness.engine.checker import Checker
from harness.grading.assignment import Assignment
from harness.grading.plausible import plausible, public_cases
from harness.grading.results import Credit, ExerciseResult, HypothesisResult, format_points
from harness.grading.runner import GraderWork, needs_plausible
from harness.grading.scoring import is_wrong_claim, score_exercises, score_hypothesis
from harness.output.report import display_path
from harness.verdict import LoadFailure, Verdict, VerdictKind

#: The words every preview ends with: the points are only as good as the secret cases.
IF_SECRET = "if the formulas also hold on the grader's secret cases"


@dataclass(frozen=True)
class Preview:
    """The grader's count of one student's run."""

    assignment: Assignment
    hypotheses: tuple[HypothesisResult, ...]
    exercises: tuple[ExerciseResult, ...]
    broken: tuple[LoadFailure, ...] = ()
    #: Hypotheses after the first ``max_hypotheses``, which the grader ignores.
    ignored: int = 0

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises), 6)

    @property
    def max_total(self) -> float:
        return self.assignment.max_total


def preview(assignment: Assignment, claims: Sequence[Claim], verdicts: Sequence[Verdict],
            failures: Sequence[LoadFailure], checker: Checker) -> Preview:
    """Score ``verdicts`` (one per claim, same order, from ``checker``'s run) as the grader
    scores a submission."""
    work = GraderWork(assignment)
    keep = assignment.max_hypotheses
    results = tuple(_result(assignment, work, checker, claim, verdict)
                    for claim, verdict in zip(claims[:keep], verdicts[:keep], strict=True))
    return Preview(assignment, results, score_exercises(assignment, results),
                   tuple(failures), max(0, len(claims) - keep))


def _result(assignment: Assignment, work: GraderWork, checker: Checker, claim: Claim,
            verdict: Verdict) -> HypothesisResult:
    exercise = None if claim.spec == NO_LAYER else assignment.exercise_for(claim.spec)
    if claim.error is not None or exercise is None:
        result = HypothesisResult(verdict, exercise.id if exercise else None)
        return score_hypothesis(result, exercise)
    refusal = work.refusal(claim)
    if refusal is not None:
        unchecked = replace(verdict, kind=VerdictKind.NOT_CHECKED, message=refusal)
        return replace(score_hypothesis(HypothesisResult(unchecked, exercise.id), exercise),
                       note=refusal)
    work.take(claim)
    real = _plausible(checker, claim, verdict) if needs_plausible(verdict) else None
    return score_hypothesis(HypothesisResult(verdict, exercise.id, plausible=real), exercise)


def _plausible(checker: Checker, claim: Claim, verdict: Verdict) -> bool:
    """The grader's plausibility rule, on this run's screening cases."""
    cases, wants = checker.screening(claim)
    outcomes = checker.evaluator.evaluate(claim, cases)
    return plausible(claim.spec, cases, wants, outcomes, public_cases(claim.spec, claim.scope))


def preview_lines(shown: Preview) -> list[str]:
    """The preview in plain text, for the terminal."""
    rules = shown.assignment
    lines = [f"What the grader would count ({untrusted.cut(rules.name, untrusted.NAME)}), "
             "on the public cases of this run:"]
    for exercise in shown.exercises:
        lines.append(f"  {exercise.name} ({exercise.id}): {format_points(exercise.points)} / "
                     f"{format_points(exercise.max_points)}: {_said(exercise.note)}")
        lines += [f"    {_label(h)}: {_who(h.checked)}: {_said(h.note)}"
                  for h in shown.hypotheses if h.exercise == exercise.id]
    outside = [h for h in shown.hypotheses if h.exercise is None]
    lines += [f"  counts for no exercise: {_who(h.checked)}: {_said(h.note)}"
              for h in outside]
    lines += [f"  broken file: {_file(f.file)} could not be loaded, so none of its "
              "hypotheses count (see the error above)" for f in shown.broken]
    if shown.ignored:
        lines.append(f"  ignored: {shown.ignored} hypotheses after the first "
                     f"{rules.max_hypotheses} (the grader checks at most that many)")
    lines.append(f"Points: {format_points(shown.total)} / {format_points(shown.max_total)} "
                 f"{IF_SECRET}.")
    return lines


def _label(result: HypothesisResult) -> str:
    if result.credit == Credit.GENERAL:
        return "counts"
    if result.credit == Credit.NARROW:
        return "narrow scope"
    if result.credit == Credit.REFUTED:
        return "refuted, as recorded"
    return "wrong claim" if is_wrong_claim(result) else "earns nothing"


def _who(verdict: Verdict) -> str:
    where = f"{_file(verdict.file)}, line {verdict.line}"
    return f"{untrusted.cut(verdict.name, untrusted.NAME)} ({where})"


def _said(note: str) -> str:
    """A grader's sentence, which may quote the student's names, scopes and layers."""
    return untrusted.cut(note, untrusted.SENTENCE)


def _file(name: str) -> str:
    return untrusted.cut(display_path(name), untrusted.FILE)
