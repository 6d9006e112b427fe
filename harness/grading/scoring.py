"""Scoring: from checked hypotheses to points per exercise.

Rules (per exercise, i.e. per layer in the assignment):

* ``points`` when at least one hypothesis about the exercise's layer holds for
  all weights and sequences (the general scope) and was recorded as holding;
* otherwise ``narrow_points`` (default 0) when one holds only in a narrower
  scope (``fixed=``, ``timesteps=``, ``where=``);
* plus ``refuted_points`` (default 0) when a hypothesis recorded
  ``refuted=True`` is indeed refuted (the harness found the counterexample).

A hypothesis whose recorded verdict is wrong (recorded as holding but
refuted, or recorded refuted but it holds), one that errs, times out, or used
Keras/TensorFlow earns nothing, and the feedback says why.
"""

from __future__ import annotations

from dataclasses import replace

from harness.grading.assignment import Assignment, Exercise
from harness.grading.results import ExerciseResult, HypothesisResult
from harness.verdict import HOLDS, REFUTED


def score_hypothesis(result: HypothesisResult, exercise: Exercise | None) -> HypothesisResult:
    """The hypothesis with what it earns on its own and a note saying why."""
    credit, earned, note = _credit(result, exercise)
    return replace(result, credit=credit, earned=earned, note=note)


def _credit(result: HypothesisResult, exercise: Exercise | None) -> tuple[str, float, str]:
    if exercise is None:
        return "none", 0.0, f"this layer ({result.layer}) is not part of any exercise."
    if result.used_keras:
        return "none", 0.0, ("the formula tried to use Keras/TensorFlow; a hypothesis must "
                             "compute the output itself, so it earns nothing.")
    if result.verdict == HOLDS and result.recorded == HOLDS:
        if result.general:
            return "general", exercise.points, "holds for all weights and sequences."
        return "narrow", exercise.narrow_points, (
            f"holds, but only in a narrower scope ({result.scope}); full points need a "
            "hypothesis that holds for all weights and sequences.")
    if result.verdict == REFUTED and result.recorded == REFUTED:
        return "refuted", exercise.refuted_points, "correctly recorded as refuted."
    if result.verdict == REFUTED:
        return "none", 0.0, "recorded as holding, but it is refuted (see the counterexample)."
    if result.verdict == HOLDS:
        return "none", 0.0, ("recorded as refuted (refuted=True), but it holds: no "
                             "counterexample exists among the cases checked.")
    return "none", 0.0, _problem(result)


def _problem(result: HypothesisResult) -> str:
    if result.verdict == "timeout":
        return "took too long, so it could not be checked."
    if result.verdict == "crashed":
        return "crashed the grading process, so it could not be checked."
    if result.verdict == "not-checked":
        return "was not checked (the submission ran out of time or kept crashing)."
    return "could not be checked: the formula did not give a usable answer."


def score_exercises(assignment: Assignment,
                    hypotheses: tuple[HypothesisResult, ...]) -> tuple[ExerciseResult, ...]:
    """Points per exercise, in the assignment's order."""
    return tuple(_exercise(e, [h for h in hypotheses if h.exercise == e.id])
                 for e in assignment.exercises)


def _exercise(exercise: Exercise, mine: list[HypothesisResult]) -> ExerciseResult:
    credits = {h.credit for h in mine}
    if "general" in credits:
        main, note = exercise.points, "a hypothesis holds for all weights and sequences"
    elif "narrow" in credits:
        main, note = exercise.narrow_points, "hypotheses hold only in a narrower scope"
    else:
        main, note = 0.0, "no hypothesis holds" if mine else "no hypothesis about this layer"
    bonus = exercise.refuted_points if "refuted" in credits else 0.0
    if bonus:
        note += "; a refuted hypothesis is correctly recorded"
    return ExerciseResult(exercise.id, exercise.name, round(main + bonus, 6),
                          exercise.max_points, note)


def zero_exercises(assignment: Assignment, note: str) -> tuple[ExerciseResult, ...]:
    """Every exercise at 0 points (the submission could not be graded)."""
    return tuple(ExerciseResult(e.id, e.name, 0.0, e.max_points, note)
                 for e in assignment.exercises)
