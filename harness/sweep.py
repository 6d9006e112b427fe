"""The data behind a refuted hypothesis's pictures: one weight swept, and the
counterexample step by step, for Keras and for the formula.

:func:`sweep_for` picks the weight that matters most (the first of the hints'
``weights_that_matter``, else the first weight array the scope leaves free),
takes its first free element over :data:`POINTS` values around the
counterexample's value (other weights and the inputs as in the
counterexample), and asks Keras and the formula for all of them in one batch
each (``checker.oracle`` / ``checker.evaluator``, so in grading the formula
runs in its sandboxed worker).  It also runs the formula on every prefix of the
counterexample's sequence, to set beside Keras's output after every step.
Values where Keras's output is too large to judge are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from harness import compare
from harness.cases import Case, case_from_json
from harness.verdict import Sweep, Verdict

if TYPE_CHECKING:
    from harness.checker import Checker
    from harness.claims import Claim
    from harness.formula import Outcome
    from harness.layers import LayerSpec

#: Values of the swept weight (odd, so the counterexample's own value is the middle one).
POINTS = 25


def sweep_for(checker: Checker, claim: Claim, verdict: Verdict) -> Sweep | None:
    """The sweep and the step-by-step outputs for a refuted hypothesis's pictures;
    None when there is no counterexample or no weight the scope leaves free."""
    ce = verdict.counterexample
    if ce is None or not claim.spec.has_steps:  # the pictures follow the steps
        return None
    spec = claim.spec
    case = case_from_json(spec, ce.case)
    chosen = _weight(claim, verdict)
    if chosen is None:
        return None
    name, index = chosen
    position = spec.weight_names.index(name)
    centre = float(case.weights[position][index])
    width = max(2.0, abs(centre))
    values = np.linspace(centre - width, centre + width, POINTS)
    cases = [_with(case, position, index, float(v)) for v in values]
    wants = checker.oracle.outputs(spec, cases)
    kept = [i for i, (c, w) in enumerate(zip(cases, wants, strict=True))
            if not compare.out_of_range(w, spec, c)]
    got = checker.evaluator.evaluate(claim, [cases[i] for i in kept])
    keras_steps, hypothesis_steps = steps(checker, claim, case)
    return Sweep(
        weight=name, index=tuple(int(i) for i in index),
        values=tuple(float(values[i]) for i in kept),
        keras=tuple(_final(wants[i], spec) for i in kept),
        hypothesis=tuple(_outcome_final(o, spec) for o in got),
        keras_steps=keras_steps, hypothesis_steps=hypothesis_steps)


def steps(checker: Checker, claim: Claim,
          case: Case) -> tuple[tuple[float, ...], tuple[float | None, ...]]:
    """Keras's and the formula's output after every step of ``case`` (first unit)."""
    spec = claim.spec
    keras = np.asarray(checker.oracle.steps(spec, case), dtype=np.float64)
    keras_steps = tuple(float(row.ravel()[0]) for row in keras)
    if spec.return_sequences:  # the formula's own output is already step by step
        outcome = checker.evaluator.evaluate(claim, [case])[0]
        rows = [] if outcome.value is None else list(np.asarray(outcome.value))
        mine = [float(r.ravel()[0]) if np.isfinite(r).all() else None for r in rows]
        return keras_steps, tuple(mine + [None] * (len(keras_steps) - len(mine)))
    prefixes = [Case(case.weights, case.xs[: t + 1]) for t in range(case.timesteps)]
    outcomes = checker.evaluator.evaluate(claim, prefixes)
    return keras_steps, tuple(_outcome_final(o, spec) for o in outcomes)


def _weight(claim: Claim, verdict: Verdict) -> tuple[str, tuple[int, ...]] | None:
    """The weight to sweep and its first element the scope leaves free."""
    spec = claim.spec
    names = list(spec.weight_names)
    preferred = [n for n in (verdict.hints.weights_that_matter if verdict.hints else ())
                 if n in names]
    fixed = dict(claim.scope.fixed)
    for name in [*preferred, *(n for n in names if n not in preferred)]:
        mask = fixed.get(name)
        for index in np.ndindex(*spec.weight_shapes[name]):
            if mask is None or np.isnan(mask[index]):
                return name, tuple(index)
    return None


def _with(case: Case, position: int, index: tuple[int, ...], value: float) -> Case:
    weights = [w.copy() for w in case.weights]
    weights[position][index] = value
    return Case(tuple(weights), case.xs)


def _final(output: np.ndarray, spec: LayerSpec) -> float:
    """The first unit of the output at the last step."""
    array = np.asarray(output, dtype=np.float64)
    if spec.return_sequences:
        array = array[-1]
    return float(array.ravel()[0])


def _outcome_final(outcome: Outcome, spec: LayerSpec) -> float | None:
    if outcome.value is None or not np.isfinite(outcome.value).all():
        return None
    return _final(outcome.value, spec)
