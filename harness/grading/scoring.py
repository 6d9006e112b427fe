"""Scoring: from checked hypotheses to points per exercise.

Rules (per exercise, i.e. per layer in the assignment):

* ``points`` when at least one hypothesis about the exercise's layer holds for
  all weights and sequences (the general scope) and was recorded as holding;
* otherwise ``narrow_points`` (default 0) when one holds only in a narrower
  scope (``fixed=``, ``timesteps=``, ``where=``) **and is plausible** (below):
  ``return 0`` where Keras always gives 0 holds, but earns nothing;
* plus ``refuted_points`` (default 0: refutation credit is the instructor's
  opt-in) when a hypothesis recorded ``refuted=True`` is indeed refuted (the
  harness found the counterexample) **and is plausible**: a real attempt at
  the rule, not a placeholder.  Plausible (the same rule for both credits)
  means (:mod:`harness.grading.plausible`):
  on the grader's screening cases other than the public ones (the notebook's
  cases and the fixed simple cases every run starts with), the formula agrees
  with Keras (same tolerance rule) on at least two cases whose Keras outputs
  are not 0 and differ from each other.  ``return 0``, constants, random
  numbers and tables of the notebook's answers are not plausible.

An exercise's maximum is ``points + refuted_points``, so with refutation credit
off (the default assignment) a student with every formula right gets full marks.

**Wrong claims** (``wrong_claims = "cost"``, the default): ``points`` and
``narrow_points`` also need that no hypothesis about the exercise's layer is a
*wrong claim*: recorded as holding, but refuted.  The exercise is about knowing
when a formula is wrong; the student's own run flags such a hypothesis
``refuted (!)``, and recording it ``refuted=True`` is what the exercise asks.
``wrong_claims = "ignore"`` keeps the older rule (a wrong claim costs nothing).

A hypothesis whose recorded verdict is wrong (recorded as holding but
refuted, or recorded refuted but it holds), one that errs, times out, or used
Keras/TensorFlow earns nothing, and the feedback says why.
"""

from __future__ import annotations

from dataclasses import replace

from harness.grading.assignment import Assignment, Exercise
from harness.grading.plausible import NARROW_NOT_PLAUSIBLE, NOT_PLAUSIBLE
from harness.grading.results import Credit, ExerciseResult, HypothesisResult
from harness.sentences import not_checked_note, wrong_claim
from harness.verdict import HOLDS, REFUTED


def score_hypothesis(result: HypothesisResult, exercise: Exercise | None) -> HypothesisResult:
    """The hypothesis with what it earns on its own and a note saying why."""
    credit, earned, note = _credit(result, exercise)
    return replace(result, credit=credit, earned=earned, note=note)


def _credit(result: HypothesisResult, exercise: Exercise | None) -> tuple[Credit, float, str]:
    verdict = result.checked
    if exercise is None:
        return Credit.NONE, 0.0, f"this layer ({verdict.layer}) is not part of any exercise."
    if result.used_keras:
        return Credit.NONE, 0.0, ("the formula tried to use Keras/TensorFlow; a hypothesis "
                                  "must compute the output itself, so it earns nothing.")
    if verdict.kind == HOLDS and verdict.expected == HOLDS:
        if verdict.general:
            return Credit.GENERAL, exercise.points, f"holds for {exercise.everything}."
        if exercise.narrow_points and result.plausible is not True:
            return Credit.NONE, 0.0, NARROW_NOT_PLAUSIBLE
        return Credit.NARROW, exercise.narrow_points, (
            f"holds, but only in a narrower scope ({verdict.scope}); full points need a "
            f"hypothesis that holds for {exercise.everything}.")
    if verdict.kind == REFUTED and verdict.expected == REFUTED:
        if exercise.refuted_points and result.plausible is not True:
            return Credit.NONE, 0.0, NOT_PLAUSIBLE
        if exercise.refuted_points:
            return Credit.REFUTED, exercise.refuted_points, "correctly recorded as refuted."
        return Credit.REFUTED, 0.0, ("correctly recorded as refuted (refuted=True): knowing "
                                     "when a formula is wrong is what the exercise asks.")
    if verdict.kind == REFUTED:
        if exercise.wrong_claims == "cost":
            return Credit.NONE, 0.0, WRONG_CLAIM
        return Credit.NONE, 0.0, "recorded as holding, but it is refuted (see the counterexample)."
    if verdict.kind == HOLDS:
        return Credit.NONE, 0.0, ("recorded as refuted (refuted=True), but it holds: no "
                                  "counterexample exists among the cases checked.")
    return Credit.NONE, 0.0, not_checked_note(verdict.kind)


#: The note of a wrong claim when wrong claims cost the exercise's points.
WRONG_CLAIM = wrong_claim()


def is_wrong_claim(result: HypothesisResult) -> bool:
    """Recorded as holding, but refuted."""
    return result.checked.kind == REFUTED and not result.checked.recorded


def score_exercises(assignment: Assignment,
                    hypotheses: tuple[HypothesisResult, ...]) -> tuple[ExerciseResult, ...]:
    """Points per exercise, in the assignment's order."""
    return tuple(_exercise(e, [h for h in hypotheses if h.exercise == e.id])
                 for e in assignment.exercises)


def _exercise(exercise: Exercise, mine: list[HypothesisResult]) -> ExerciseResult:
    credits = {h.credit for h in mine}
    if Credit.GENERAL in credits:
        main, note = exercise.points, f"a hypothesis holds for {exercise.everything}"
    elif Credit.NARROW in credits:
        main, note = exercise.narrow_points, "hypotheses hold only in a narrower scope"
    else:
        main, note = 0.0, "no hypothesis holds" if mine else "no hypothesis about this layer"
    wrong = [h.name for h in mine if is_wrong_claim(h)]
    if wrong and exercise.wrong_claims == "cost" and main:
        main, note = 0.0, f"{note}, but {', '.join(wrong)} is recorded as holding and refuted"
    bonus = exercise.refuted_points if Credit.REFUTED in credits else 0.0
    if bonus:
        note += "; a refuted hypothesis is correctly recorded"
    return ExerciseResult(exercise.id, exercise.name, round(main + bonus, 6),
                          exercise.max_points, note)


def zero_exercises(assignment: Assignment, note: str) -> tuple[ExerciseResult, ...]:
    """Every exercise at 0 points (the submission could not be graded)."""
    return tuple(ExerciseResult(e.id, e.name, 0.0, e.max_points, note)
                 for e in assignment.exercises)
