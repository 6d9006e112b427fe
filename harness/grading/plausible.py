"""Is a hypothesis a real attempt at the rule?  (Refutation and narrow credit need it.)

A hypothesis recorded ``refuted=True`` earns an exercise's ``refuted_points``,
and one that holds only in a narrower scope its ``narrow_points`` (when the
instructor turns them on), only if it is **plausible**:

    on the grader's screening cases, leaving out the public ones (the notebook's
    cases and the other fixed cases every run starts with, see
    :func:`harness.engine.strategies.explicit_cases`), the formula agrees with Keras
    (the one tolerance rule, :func:`harness.engine.compare.agree`) on at least
    ``MIN_MATCHES`` cases where Keras's outputs are not 0 (a zero output would
    not agree there) and differ from each other (no single output agrees with
    both).

So a formula that captures part of the rule (right for one timestep, or when
the feedback weight is 0 or 1, ...) is plausible, and these earn nothing:

* ``return 0`` (it matches only where Keras gives 0) and any other constant
  (a constant can match only one of two different outputs);
* random numbers (they essentially never match Keras's output exactly);
* a table of the public cases' answers (those cases do not count);
* a narrow hypothesis about a scope where Keras's output is always 0 or always
  the same (``return 0`` under ``fixed={"kernel": 0}``): it holds, so it matches
  everywhere, but never on two different non-zero outputs.

Everything comes from what the grader has computed itself (the cases it drew,
Keras's outputs, the formula's outcomes on them); nothing a worker reports
about itself is trusted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

import numpy as np

from harness.cases import Case
from harness.engine import compare, strategies
from harness.engine.formula import Outcome
from harness.layers import Layer
from harness.scope import Scope

#: Cases with different, non-zero outputs on which the formula must match Keras.
MIN_MATCHES = 2

#: Feedback when refutation credit is refused (plain words, no hint of the rule).
NOT_PLAUSIBLE = (
    "recorded as refuted, and it is refuted, but it earns no refutation points: it never "
    "matches Keras on two different cases where the output is not 0 (for example it is "
    "0, a constant or random), so it is not a real attempt at the rule. A formula that "
    "gets some cases right and is wrong on others earns them.")

#: Feedback when narrow credit is refused.
NARROW_NOT_PLAUSIBLE = (
    "holds, but only in a narrower scope where Keras's output is always 0 or always the "
    "same, so it earns no points: a formula there says nothing about the rule. A "
    "hypothesis about a scope where the output changes earns them.")


def plausible(spec: Layer, cases: Sequence[Case], wants: Sequence[np.ndarray],
              outcomes: Sequence[Outcome], public: Collection[Case] = ()) -> bool:
    """Does the formula match Keras on ``MIN_MATCHES`` non-public cases with different,
    non-zero outputs?  (``cases``, Keras's ``wants`` and the formula's ``outcomes`` in
    the same order; ``public``: cases anyone can know the answer to.)"""
    matched: list[tuple[Case, np.ndarray]] = []
    for case, want, outcome in zip(cases, wants, outcomes, strict=True):
        got = outcome.value
        if case in public or got is None or got.shape != want.shape:
            continue
        if not compare.agree(spec, case, want, got) or _zero_agrees(spec, case, want):
            continue
        if all(not _same(spec, case, want, other, seen) for seen, other in matched):
            matched.append((case, want))
            if len(matched) >= MIN_MATCHES:
                return True
    return False


def _zero_agrees(spec: Layer, case: Case, want: np.ndarray) -> bool:
    return compare.agree(spec, case, want, np.zeros_like(want))


def _same(spec: Layer, case: Case, want: np.ndarray, other: np.ndarray,
          other_case: Case) -> bool:
    """Could one answer agree with both outputs (under either case's tolerance)?  For a
    recurrent layer returning sequences, the answer after the last step is compared, so
    an output that depends only on the sequence's length counts as one answer."""
    last, other_last = _last(spec, want), _last(spec, other)
    if last.shape != other_last.shape:
        return False
    return (compare.agree(spec, case, last, other_last)
            or compare.agree(spec, other_case, other_last, last))


def _last(spec: Layer, output: np.ndarray) -> np.ndarray:
    """The output after the last step for a recurrent layer returning sequences; any
    other layer's output whole (a Conv1D's or an Embedding's rows are not steps)."""
    return output[-1] if spec.is_recurrent and spec.return_sequences and output.ndim == 2 \
        else output


def public_cases(spec: Layer, scope: Scope) -> set[Case]:
    """The cases anyone can know Keras's answer to without the grader: the notebook's
    and the fixed simple ones every run starts with (``where=`` is not asked: a case
    outside the scope is never screened anyway)."""
    return set(strategies.explicit_cases(spec, replace(scope, where=None, where_params=())))
