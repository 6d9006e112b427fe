"""Hints for refuted hypotheses (issue 9.1), judged by real Keras.

Every regime a hint reports is pasted back as a scoped ``@hypothesis`` and
checked by a *fresh* checker (its own screening set, its own search): it must
hold.  The wrong formulas below are written for these tests; the catalogue of
regimes knows nothing about them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness import GRU, PART_A, PART_B, PART_C, hypothesis
from harness.claims import Claim, claim_of
from harness.collect import load_claims
from harness.engine.checker import Checker, CheckSettings
from harness.engine.extras import enrich
from harness.engine.hints import MAX_REGIMES, catalogue, claim_in, hints_for
from harness.output.render import failure_text, hints_text, regime_text
from harness.verdict import HOLDS, REFUTED, Hints, Regime, Verdict

BUNDLED = Path(__file__).parent / "bundled"
GRU_1 = GRU(units=1, activation="linear", recurrent_activation="linear", use_bias=False)


@hypothesis(PART_A)
def a_last_input_only(kernel, xs):
    return xs[-1] @ kernel


@hypothesis(PART_A)
def a_squared_feedback(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ (recurrent_kernel ** 2)
    return h


@hypothesis(PART_A)
def a_tanh(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = np.tanh(x @ kernel + h @ recurrent_kernel)
    return h


@hypothesis(PART_B)
def b_transposed(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel.T
    return h


@hypothesis(PART_B)
def b_diagonal_only(weights, xs):
    kernel, recurrent_kernel = weights
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h * np.diag(recurrent_kernel)
    return h


def _lstm(kernel, recurrent_kernel, xs, forget=True, order=(0, 1, 2, 3)):
    u = recurrent_kernel.shape[0]
    h, c, out = np.zeros(u), np.zeros(u), []
    for x in xs:
        z = x @ kernel + h @ recurrent_kernel
        i, f, g, o = (z[k * u:(k + 1) * u] for k in order)
        c = (f * c if forget else c) + i * g
        h = o * c
        out.append(h)
    return np.array(out)


@hypothesis(PART_C)
def c_no_forget_gate(kernel, recurrent_kernel, xs):
    return _lstm(kernel, recurrent_kernel, xs, forget=False)


@hypothesis(PART_C)
def c_input_and_forget_swapped(kernel, recurrent_kernel, xs):
    return _lstm(kernel, recurrent_kernel, xs, order=(1, 0, 2, 3))


@hypothesis(GRU_1)
def gru_as_simple_rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel[:, 2:3] + h @ recurrent_kernel[:, 2:3]
    return h


@hypothesis(PART_B, fixed={"kernel": [[1, None]]}, timesteps=range(1, 6))
def b_scoped_last_input(kernel, xs):
    return xs[-1] @ kernel


@hypothesis(PART_A, where=lambda kernel: kernel[0, 0] > 0)
def a_where_last_input(kernel, xs):
    return xs[-1] @ kernel


WRONG = [b_scoped_last_input, a_where_last_input, a_last_input_only, a_squared_feedback, a_tanh,
         b_transposed, b_diagonal_only, c_no_forget_gate, c_input_and_forget_swapped,
         gru_as_simple_rnn]


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(CheckSettings(cases=120))


@pytest.fixture(scope="module")
def judge() -> Checker:
    """A fresh checker (own oracle memo, own screening sets) that re-checks each regime."""
    return Checker()


def _claim(fn: object) -> Claim:
    claim = claim_of(fn)
    assert claim is not None
    return claim


def _hinted(checker: Checker, claim: Claim, budget: float = 2.0) -> Verdict:
    """Hints with a steady budget (counted in work), so no result depends on the load."""
    verdict = enrich(checker, claim, checker.check(claim), budget=budget, steady=True)
    assert verdict.kind == REFUTED and verdict.hints is not None
    return verdict


def test_seed_hypothesis_1_hints(checker: Checker, judge: Checker) -> None:
    claim = next(c for c in load_claims(BUNDLED / "part_a.py") if c.name == "Hypothesis #1")
    verdict = _hinted(checker, claim)
    hints = verdict.hints
    assert hints is not None and hints.complete
    assert Regime((("recurrent_kernel", 1),)) in hints.holds_when
    assert Regime((), (1, 2)) in hints.holds_when
    assert Regime((), (1,)) not in hints.holds_when  # implied by timesteps=[1, 2]
    assert hints.first_disagreeing_step == 3
    assert "recurrent_kernel" in hints.weights_that_matter
    text = failure_text(verdict)
    assert ('Where it holds (each checked on 100+ cases):\n'
            '  @hypothesis(PART_A, fixed={"recurrent_kernel": 1})') in text
    assert "  @hypothesis(PART_A, timesteps=[1, 2])" in text
    assert "It first disagrees with Keras at step 3 of the counterexample." in text
    for regime in hints.holds_when:
        assert judge.check(claim_in(claim, regime)).kind == HOLDS, regime


@pytest.mark.parametrize("fn", WRONG, ids=lambda fn: fn.__name__)
def test_every_reported_regime_holds_when_checked_again(fn: object, checker: Checker,
                                                        judge: Checker) -> None:
    claim = _claim(fn)
    hints = _hinted(checker, claim).hints
    assert hints is not None
    assert len(hints.holds_when) <= MAX_REGIMES
    for regime in hints.holds_when:
        scoped = claim_in(claim, regime)
        verdict = judge.check(scoped)
        assert verdict.kind == HOLDS, (regime, verdict.counterexample)
        cases, wants = judge.screening(scoped)
        assert len(cases) >= 100 and any(np.any(w != 0) for w in wants)
    for a in hints.holds_when:  # minimal: none implied by another reported one
        for b in hints.holds_when:
            assert a == b or not _narrower(claim, a, b), (a, b)


def _narrower(claim: Claim, a: Regime, b: Regime) -> bool:
    """Is every case of regime ``a`` a case of regime ``b``?"""
    sa, sb = claim_in(claim, a).scope, claim_in(claim, b).scope
    fixed_a = dict(sa.fixed)
    for name, values in sb.fixed:
        mask = ~np.isnan(values)
        if name not in fixed_a or not np.array_equal(fixed_a[name][mask], values[mask]):
            return False
    return set(sa.timesteps) <= set(sb.timesteps)


def test_hints_name_what_they_found(checker: Checker) -> None:
    hints = _hinted(checker, _claim(a_last_input_only)).hints
    assert hints is not None
    assert Regime((("recurrent_kernel", 0),)) in hints.holds_when
    assert Regime((), (1,)) in hints.holds_when
    assert hints.first_disagreeing_step == 2
    transposed = _hinted(checker, _claim(b_transposed)).hints
    assert transposed is not None
    assert Regime((("recurrent_kernel", [[1, 0], [0, 1]]),)) in transposed.holds_when


def test_regimes_stay_inside_the_hypothesis_s_own_scope(checker: Checker) -> None:
    hints = _hinted(checker, _claim(b_scoped_last_input)).hints
    assert hints is not None and hints.holds_when
    for regime in hints.holds_when:
        assert dict(regime.fixed)["kernel"] == [[1, None]]
        assert regime.timesteps is not None and set(regime.timesteps) <= {1, 2, 3, 4, 5}
    verdict = _hinted(checker, _claim(a_where_last_input))
    assert "keeping your where= condition" in failure_text(verdict)


def test_a_cut_short_search_says_so(checker: Checker) -> None:
    claim = _claim(c_input_and_forget_swapped)
    verdict = checker.check(claim)
    hints = hints_for(checker, claim, verdict, budget=0.0)
    assert hints is not None and not hints.complete
    assert "ran out of time" in "\n".join(hints_text(hints, "PART_C"))
    assert hints.first_disagreeing_step is not None  # the counterexample is always looked at


def test_a_steady_budget_finds_the_same_hints_whatever_the_load(checker: Checker) -> None:
    """Grading counts the budget in work: a search cut short is cut at the same point."""
    claim = _claim(c_input_and_forget_swapped)
    verdict = checker.check(claim)
    first = hints_for(checker, claim, verdict, budget=0.5, steady=True)
    again = hints_for(Checker(CheckSettings(cases=120)), claim, verdict, budget=0.5, steady=True)
    assert first == again and first is not None and not first.complete


def test_no_hints_for_a_hypothesis_that_holds_or_when_off(checker: Checker) -> None:
    claim = next(c for c in load_claims(BUNDLED / "part_a.py") if c.name == "Hypothesis #2")
    verdict = checker.check(claim)
    assert enrich(checker, claim, verdict).hints is None
    wrong = _claim(a_last_input_only)
    assert enrich(checker, wrong, checker.check(wrong), hints=False).hints is None


def test_catalogue_uses_the_gate_blocks_of_gated_layers() -> None:
    from harness.layers import LSTM

    spec = LSTM(units=2, activation="linear", recurrent_activation="linear", use_bias=False)
    blocks = [c for c in catalogue(spec) if c.rank[0] == 2]
    assert len(blocks) == 2 * 4 * 2  # kernel and recurrent_kernel, 4 gates, 0 or 1
    name, values = blocks[0].fixed[0]
    assert name == "kernel" and values.shape == (1, 8)
    assert np.array_equal(np.isnan(values[0]), [False, False] + [True] * 6)  # gate i: units 0-1
    assert all(len(c.fixed) == 0 for c in catalogue(spec) if c.rank[0] == 4)  # timesteps


def test_regime_text_is_a_scope_to_paste() -> None:
    regime = Regime((("recurrent_kernel", [[None, 1]]), ("kernel", 0)), (1, 2, 3))
    assert regime_text(regime, "PART_C") == (
        '@hypothesis(PART_C, fixed={"recurrent_kernel": [[None, 1]], "kernel": 0}, '
        'timesteps=[1, 2, 3])')
    assert Hints.from_json(Hints((regime,), 3, ("kernel",), False).to_json()) == Hints(
        (Regime((("recurrent_kernel", [[None, 1]]), ("kernel", 0)), (1, 2, 3)),), 3,
        ("kernel",), False)
