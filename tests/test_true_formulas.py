"""True formulas hold, and the batched oracle agrees with Keras run one case at a time."""

from __future__ import annotations

import numpy as np
import pytest
from formulas import (
    ACTIVATION_FUNCTIONS,
    claim_for,
    formula_output,
    reference,
    true_claim,
    true_formula,
)
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from harness import GRU, LSTM, PART_A, PART_B, PART_C, SimpleRNN
from harness.cases import Case, make_case
from harness.engine.checker import Checker
from harness.engine.compare import agree, out_of_range
from harness.engine.oracle import Oracle, keras_layer, predict
from harness.engine.strategies import cases as case_strategy
from harness.engine.strategies import sample_cases
from harness.layers import ACTIVATIONS, LayerSpec
from harness.scope import Scope

#: A representative grid (not the full product): every kind, every activation name,
#: bias on/off, units 1-3, input_dim 1-2, return_sequences both ways, GRU reset_after both.
GRID = [
    PART_A,
    PART_B,
    SimpleRNN(1),
    SimpleRNN(2, "sigmoid", return_sequences=True),
    SimpleRNN(3, "relu", input_dim=2),
    SimpleRNN(2, "tanh", use_bias=False, input_dim=2, return_sequences=True),
    SimpleRNN(1, "exponential", return_sequences=True),
    SimpleRNN(2, "swish"),
    SimpleRNN(1, "silu", use_bias=False, input_dim=2),
    PART_C,
    LSTM(1),
    LSTM(2, input_dim=2, return_sequences=True),
    LSTM(3, activation="relu", recurrent_activation="hard_sigmoid", use_bias=False),
    LSTM(2, activation="softsign", unit_forget_bias=False, return_sequences=True),
    LSTM(1, activation="selu", recurrent_activation="relu6", input_dim=2),
    GRU(1),
    GRU(1, reset_after=False),
    GRU(2, reset_after=False, use_bias=False, return_sequences=True),
    GRU(2, input_dim=2, return_sequences=True),
    GRU(3, activation="relu", recurrent_activation="hard_sigmoid"),
    GRU(2, activation="linear", recurrent_activation="linear", reset_after=False, input_dim=2),
    GRU(1, activation="elu", recurrent_activation="softplus", use_bias=False),
]

ONE_GRU = GRU(2, input_dim=2, return_sequences=True)


def test_grid_covers_what_it_claims_to() -> None:
    used = {s.activation for s in GRID} | {s.recurrent_activation for s in GRID}
    assert set(ACTIVATIONS) <= used
    assert set(ACTIVATION_FUNCTIONS) == set(ACTIVATIONS)
    for kind in ("SimpleRNN", "LSTM", "GRU"):
        specs = [s for s in GRID if s.kind == kind]
        assert {s.use_bias for s in specs} == {True, False}
        assert {s.return_sequences for s in specs} == {True, False}
        assert {s.input_dim for s in specs} == {1, 2}
        assert {s.units for s in specs} == {1, 2, 3}
    assert {s.reset_after for s in GRID if s.kind == "GRU"} == {True, False}
    assert any(s.kind == "GRU" and s.reset_after and s.use_bias for s in GRID)


@pytest.mark.parametrize("spec", GRID, ids=str)
def test_true_formula_holds(fast_checker: Checker, spec: LayerSpec) -> None:
    claim = true_claim(spec)
    assert claim.params == (("kernel", "recurrent_kernel", "bias", "xs") if spec.use_bias
                            else ("kernel", "recurrent_kernel", "xs"))
    verdict = fast_checker.check(claim)
    assert verdict.kind == "holds", (verdict.message, verdict.counterexample)
    assert verdict.as_expected
    assert verdict.counterexample is None
    assert verdict.message is None
    assert verdict.general
    assert verdict.scope == "all weights and sequences"
    # Cases where Keras overflows are skipped, so a fast-growing layer may check fewer.
    assert len(fast_checker.screening(claim)[0]) == verdict.cases
    assert fast_checker.settings.cases // 2 < verdict.cases <= fast_checker.settings.cases
    assert verdict.layer == spec


def test_recorded_as_refuted_but_holds(fast_checker: Checker) -> None:
    verdict = fast_checker.check(true_claim(PART_A, refuted=True))
    assert verdict.kind == "holds"
    assert verdict.expected == "refuted"
    assert not verdict.as_expected


# ---- true formulas written the ways students write them --------------------------------


def part_a_hypothesis_2(kernel, recurrent_kernel, xs):
    """The notebook's Hypothesis #2, with plain Python numbers."""
    w_in, w_back = kernel[0][0], recurrent_kernel[0][0]
    output = 0
    for x in xs:
        output = w_in * x[0] + w_back * output
    return output


def part_b_by_hand(kernel, recurrent_kernel, xs):
    """Every weight spelled out, as the notebook's comments describe them."""
    node1, node2 = 0.0, 0.0
    for (x,) in xs:
        new1 = kernel[0][0] * x + recurrent_kernel[0][0] * node1 + recurrent_kernel[1][0] * node2
        new2 = kernel[0][1] * x + recurrent_kernel[0][1] * node1 + recurrent_kernel[1][1] * node2
        node1, node2 = new1, new2
    return [node1, node2]


def part_a_from_weights(weights, xs):
    kernel, recurrent_kernel = weights
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


def part_c_lists(kernel, recurrent_kernel, xs):
    """Part C with the notebook's gate names, one list per step."""
    k_i, k_f, k_c, k_o = kernel[0]
    r_i, r_f, r_c, r_o = recurrent_kernel[0]
    h, c, out = 0.0, 0.0, []
    for (x,) in xs:
        i = x * k_i + h * r_i
        f = x * k_f + h * r_f
        c = f * c + i * (x * k_c + h * r_c)
        o = x * k_o + h * r_o
        h = o * c
        out.append([h])
    return out


@pytest.mark.parametrize(("spec", "fn"), [
    (PART_A, part_a_hypothesis_2),
    (PART_B, part_b_by_hand),
    (PART_A, part_a_from_weights),
    (PART_C, part_c_lists),
], ids=["A-hypothesis-2", "B-by-hand", "A-weights", "C-lists"])
def test_student_style_true_formulas_hold(checker: Checker, spec: LayerSpec, fn: object) -> None:
    claim = claim_for(spec, fn)  # type: ignore[arg-type]
    verdict = checker.check(claim)
    assert verdict.kind == "holds", (verdict.message, verdict.counterexample)
    assert verdict.cases == len(checker.screening(claim)[0]) > checker.settings.cases // 2


# ---- the batched oracle against Keras one case at a time ---------------------------------


def _mixed_cases(spec: LayerSpec, seed: int) -> list[Case]:
    """600 cases of one length (a large batch) plus 200 of lengths 1-5 (small batches)."""
    long_batch = sample_cases(spec, Scope(timesteps=(3,)), count=600, seed=seed)
    mixed = sample_cases(spec, Scope(timesteps=(1, 2, 3, 4, 5)), count=200, seed=seed + 1)
    return long_batch + mixed


@pytest.mark.parametrize("spec", [PART_A, PART_B, PART_C, ONE_GRU], ids=str)
def test_batched_oracle_equals_predict(oracle: Oracle, spec: LayerSpec) -> None:
    cases = _mixed_cases(spec, seed=7)
    assert len(cases) == 800
    wants = oracle.outputs(spec, cases)
    in_range = [0, 0]  # large batch, small batches
    for index, (case, want) in enumerate(zip(cases, wants, strict=True)):
        assert want.shape == spec.output_shape(case.timesteps)
        if out_of_range(want):  # Part C's linear LSTM overflows on many large cases
            continue
        assert agree(spec, case, reference(spec, case), want), case.to_json(spec)
        in_range[index >= 600] += 1
    assert min(in_range) >= 75, in_range
    # Keras one case at a time (set_weights, then call the layer) on 300 of them: 150 from
    # the large batch, 150 from the small ones; every 20th through predict() itself, the
    # rest through one layer whose call is compiled once (same Keras code, ~1 ms a case).
    import tensorflow as tf  # only here: importing the test module stays cheap

    layer = keras_layer(spec)
    call = tf.function(lambda xs: layer(xs), reduce_retracing=True)
    for index, (case, want) in enumerate(zip(cases, wants, strict=True)):
        if (index % 4 and index < 600) or index >= 750:
            continue
        if index % 20 == 0:
            one = predict(spec, case)
        else:
            layer.set_weights(list(case.weights))
            one = np.asarray(call(case.xs[None]), dtype=np.float64)[0]
        if out_of_range(one):
            assert out_of_range(want)
            continue
        assert agree(spec, case, one, want), (case.to_json(spec), one, want)


@pytest.mark.parametrize("spec", [PART_C, LSTM(1), LSTM(2, input_dim=2, return_sequences=True)],
                         ids=str)
def test_oracle_one_case_at_a_time_equals_predict(spec: LayerSpec) -> None:
    """Single cases of every length (the oracle once failed on one LSTM case of length >= 2)."""
    oracle = Oracle()
    compared = 0
    for case in sample_cases(spec, Scope(timesteps=tuple(range(1, 7))), count=24, seed=3):
        want = predict(spec, case)
        got = oracle.output(spec, case)
        assert got.shape == want.shape
        if out_of_range(want):
            assert out_of_range(got)
            continue
        assert agree(spec, case, want, got), (case.to_json(spec), want, got)
        compared += 1
    assert oracle.keras_calls == oracle.cases_evaluated == 24
    assert compared >= 12


def test_oracle_steps_are_the_prefix_outputs(oracle: Oracle) -> None:
    spec = LSTM(1)
    case = make_case(spec, [[[1, -2, 0.5, 3]], [[0.25, 1, -1, 2]], [0.5, 1, -0.5, 0]],
                     [1, -2, 3, 0.5])
    steps = oracle.steps(spec, case)
    assert steps.shape == (4, 1)
    for t in range(4):
        prefix = Case(case.weights, case.xs[: t + 1])
        assert agree(spec, prefix, predict(spec, prefix), steps[t])
    assert agree(spec, case, steps[-1], oracle.output(spec, case))


# ---- property test: the reference formula and the oracle agree everywhere ----------------

PROPERTY_SPECS = [PART_A, PART_B, PART_C, SimpleRNN(2, "sigmoid", return_sequences=True),
                  LSTM(1), GRU(1), GRU(1, reset_after=False), ONE_GRU]


def _spec_and_case() -> st.SearchStrategy[tuple[LayerSpec, Case]]:
    return st.sampled_from(PROPERTY_SPECS).flatmap(
        lambda spec: case_strategy(spec, Scope()).map(lambda case: (spec, case)))


@settings(max_examples=80, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec_and_case=_spec_and_case())
@example(spec_and_case=(PART_A, make_case(PART_A, [[[1]], [[3]]], [1, 1, 2])))
@example(spec_and_case=(PART_B, make_case(PART_B, [[[1, 1]], [[0, 1], [0, 1]]], [3, 3, 7, 5])))
@example(spec_and_case=(PART_C, make_case(PART_C, [[[1, 0, 1, 1]], [[0, 0, 0, 0]]],
                                          [0, 1, 2, 4, 8])))
@example(spec_and_case=(GRU(1), make_case(GRU(1), [[[1, -1, 2]], [[0.5, 2, -3]],
                                                   [[0, 1, 0], [1, 0, -1]]], [2, -1, 3])))
@example(spec_and_case=(GRU(1, reset_after=False),
                        make_case(GRU(1, reset_after=False),
                                  [[[1, -1, 2]], [[0.5, 2, -3]], [0, 1, 0]], [2, -1, 3])))
def test_reference_formula_agrees_with_oracle(oracle: Oracle,
                                              spec_and_case: tuple[LayerSpec, Case]) -> None:
    spec, case = spec_and_case
    want = oracle.output(spec, case)
    assume(not out_of_range(want))
    got = reference(spec, case)
    assert agree(spec, case, want, got), (case.to_json(spec), want, got)
    claim = claim_for(spec, true_formula(spec))
    assert agree(spec, case, want, formula_output(claim, case))
