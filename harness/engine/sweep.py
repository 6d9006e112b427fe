"""The data behind a refuted hypothesis's pictures: one weight swept, and the
counterexample step by step, for Keras and for the formula.

:func:`sweep_for` sweeps the weight the hints say matters (the first of the
hints' ``weights_that_matter``, else the first weight a regime where the
hypothesis holds fixes, else the weight arrays in order), its first element the
scope leaves free, over :data:`POINTS` values around the counterexample's value
(other weights and the inputs as in the counterexample), and asks Keras and the
formula for all of them in one batch each (``checker.oracle`` /
``checker.evaluator``, so in grading the formula runs in its sandboxed worker).
It also runs the formula on every prefix of the counterexample's sequence, to
set beside Keras's output after every step.
Values where Keras's output is too large to judge are left out.  A sweep along
which neither Keras nor the formula changes shows nothing (``recurrent_kernel``
on a one-step counterexample): the next weight is tried (at most
:data:`TRIES`), and when none changes anything there is no sweep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from harness.cases import Case, case_from_json
from harness.engine import compare
from harness.verdict import Sweep, Verdict

if TYPE_CHECKING:
    from harness.claims import Claim
    from harness.engine.checker import Checker
    from harness.engine.formula import Outcome
    from harness.layers import Layer

#: Values of the swept weight (odd, so the counterexample's own value is the middle one).
POINTS = 25
#: Weights tried for a sweep that shows something.
TRIES = 3


def sweep_for(checker: Checker, claim: Claim, verdict: Verdict) -> Sweep | None:
    """The sweep and the step-by-step outputs for a refuted hypothesis's pictures;
    None when there is no counterexample or no weight the scope leaves free."""
    ce = verdict.counterexample
    if ce is None or not claim.spec.is_recurrent:  # the pictures follow the steps
        return None
    spec = claim.spec
    case = case_from_json(spec, ce.case)
    for name, index in _weights(claim, verdict)[:TRIES]:
        found = _sweep(checker, claim, case, name, index)
        if found is not None:
            return found
    return None


def _sweep(checker: Checker, claim: Claim, case: Case, name: str,
           index: tuple[int, ...]) -> Sweep | None:
    """The sweep of one weight element; None when neither output changes along it."""
    spec = claim.spec
    position = spec.weight_names.index(name)
    centre = float(case.weights[position][index])
    width = max(2.0, abs(centre))
    values = np.linspace(centre - width, centre + width, POINTS)
    cases = [_with(case, position, index, float(v)) for v in values]
    wants = checker.oracle.outputs(spec, cases)
    kept = [i for i, (c, w) in enumerate(zip(cases, wants, strict=True))
            if not compare.out_of_range(w, spec, c)]
    got = checker.evaluator.evaluate(claim, [cases[i] for i in kept])
    keras = tuple(_final(wants[i], spec) for i in kept)
    hypothesis = tuple(_outcome_final(o, spec) for o in got)
    if _flat(keras) and _flat(hypothesis):
        return None
    keras_steps, hypothesis_steps = steps(checker, claim, case)
    return Sweep(
        weight=name, index=tuple(int(i) for i in index),
        values=tuple(float(values[i]) for i in kept), keras=keras, hypothesis=hypothesis,
        keras_steps=keras_steps, hypothesis_steps=hypothesis_steps)


def _flat(values: tuple[float | None, ...]) -> bool:
    """No change worth a picture (missing values count as no change)."""
    numbers = [v for v in values if v is not None]
    return not numbers or max(numbers) - min(numbers) <= 1e-9 * max(1.0, *map(abs, numbers))


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


def _weights(claim: Claim, verdict: Verdict) -> list[tuple[str, tuple[int, ...]]]:
    """The weights to sweep, the one the hints say matters first (see the module's
    docstring), each with its first element the scope leaves free."""
    spec = claim.spec
    names = list(spec.weight_names)
    hints = verdict.hints
    named = [*(hints.weights_that_matter if hints else ()),
             *(n for r in (hints.holds_when if hints else ()) for n, _ in r.fixed)]
    preferred = list(dict.fromkeys(n for n in named if n in names))
    fixed = dict(claim.scope.fixed)
    out = []
    for name in [*preferred, *(n for n in names if n not in preferred)]:
        mask = fixed.get(name)
        free = [i for i in np.ndindex(*spec.weight_shapes[name])
                if mask is None or np.isnan(mask[i])]
        if free:
            out.append((name, tuple(int(i) for i in free[0])))
    return out


def _with(case: Case, position: int, index: tuple[int, ...], value: float) -> Case:
    weights = [w.copy() for w in case.weights]
    weights[position][index] = value
    return Case(tuple(weights), case.xs)


def _final(output: np.ndarray, spec: Layer) -> float:
    """The first unit of the output at the last step."""
    array = np.asarray(output, dtype=np.float64)
    if spec.return_sequences:
        array = array[-1]
    return float(array.ravel()[0])


def _outcome_final(outcome: Outcome, spec: Layer) -> float | None:
    if outcome.value is None or not np.isfinite(outcome.value).all():
        return None
    return _final(outcome.value, spec)
