"""Plausible wrong formulas are refuted, with a small counterexample that Keras confirms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from formulas import (
    ACTIVATION_FUNCTIONS,
    claim_for,
    recheck_counterexample,
    sigmoid,
    true_formula,
)

from harness import GRU, LSTM, PART_A, PART_B, PART_C, SimpleRNN
from harness.cases import case_from_json
from harness.engine.checker import Checker
from harness.engine.compare import agree
from harness.engine.oracle import Oracle
from harness.layers import LayerSpec
from harness.sentences import verdict_sentence, verdict_words

# ---- Part A: SimpleRNN(units=1, activation="linear", use_bias=False) ---------------------


def a_swapped_weights(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ recurrent_kernel + h @ kernel
    return h


def a_hypothesis_1(kernel, recurrent_kernel, xs):
    """The notebook's Hypothesis #1: final input + w * (sum of the other inputs), times kernel."""
    inputs = xs[:, 0]
    return kernel[0] * (inputs[-1] + recurrent_kernel[0] * inputs[:-1].sum())


def a_ignores_last_input(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs[:-1]:
        h = x @ kernel + h @ recurrent_kernel
    return h


def a_ignores_first_input(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs[1:]:
        h = x @ kernel + h @ recurrent_kernel
    return h


def a_forgets_recurrent_term(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel


def a_sum_instead_of_recurrence(kernel, recurrent_kernel, xs):
    return xs.sum(axis=0) @ kernel


def a_feeds_back_previous_input(kernel, recurrent_kernel, xs):
    """Second weight multiplies the previous *input* rather than the previous output."""
    previous = np.zeros(1)
    out = np.zeros(1)
    for x in xs:
        out = x @ kernel + previous @ recurrent_kernel
        previous = x
    return out


def a_recurrent_after_adding(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = (h + x @ kernel) @ recurrent_kernel
    return h


# ---- Part B: SimpleRNN(units=2, activation="linear", use_bias=False) ---------------------


def b_transposed_recurrent_kernel(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel.T
    return h


def b_units_ignore_each_other(kernel, recurrent_kernel, xs):
    """Each unit only feeds back to itself (the diagonal of the recurrent kernel)."""
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h * np.diag(recurrent_kernel)
    return h


def b_forgets_recurrent_term(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel


def b_sum_instead_of_recurrence(kernel, recurrent_kernel, xs):
    return xs.sum(axis=0) @ kernel


def b_ignores_first_input(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs[1:]:
        h = x @ kernel + h @ recurrent_kernel
    return h


def b_swapped_weights_shapes_fixed(kernel, recurrent_kernel, xs):
    """Recurrent weights on the input, kernel on the feedback (broadcast to make it run)."""
    h = np.zeros(2)
    for x in xs:
        h = x * recurrent_kernel[0] + h * kernel[0]
    return h


# ---- Part C and LSTMs ------------------------------------------------------------------------


def lstm_with_gate_order(order: str, *, carry: bool = True,
                         output_activation: bool = True) -> Callable[..., Any]:
    """An LSTM formula that reads the gate blocks in ``order`` (the truth is "ifco")."""

    def make(spec: LayerSpec) -> Callable[..., Any]:
        act = ACTIVATION_FUNCTIONS[spec.activation]
        gate = ACTIVATION_FUNCTIONS[spec.recurrent_activation or "sigmoid"]
        u = spec.units

        def compute(kernel, recurrent_kernel, bias, xs):
            h, c, outputs = np.zeros(u), np.zeros(u), []
            for x in xs:
                z = x @ kernel + h @ recurrent_kernel + (0 if bias is None else bias)
                block = {name: z[k * u:(k + 1) * u] for k, name in enumerate(order)}
                i, f, o = gate(block["i"]), gate(block["f"]), gate(block["o"])
                c = (f * c if carry else 0) + i * act(block["c"])
                h = o * act(c) if output_activation else o * c
                outputs.append(h)
            return np.array(outputs) if spec.return_sequences else h

        if spec.use_bias:
            def lstm_formula(kernel, recurrent_kernel, bias, xs):
                return compute(kernel, recurrent_kernel, bias, xs)
        else:
            def lstm_formula(kernel, recurrent_kernel, xs):
                return compute(kernel, recurrent_kernel, None, xs)
        return lstm_formula

    return make


# ---- GRU -----------------------------------------------------------------------------------


def gru_flipped_update(kernel, recurrent_kernel, bias, xs):
    """GRU(units=1) with the other paper's convention: h = (1 - z) * h + z * hh."""
    h = np.zeros(1)
    for x in xs:
        xz, xr, xh = x @ kernel + bias[0]
        hz, hr, hh_ = h @ recurrent_kernel + bias[1]
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        hh = np.tanh(xh + r * hh_)
        h = (1 - z) * h + z * hh
    return h


def gru_reset_before(kernel, recurrent_kernel, bias, xs):
    """GRU(units=1) with reset_after=True computed as if reset_after were False."""
    h = np.zeros(1)
    for x in xs:
        xz, xr, xh = x @ kernel + bias[0] + bias[1]
        z = sigmoid(xz + h @ recurrent_kernel[:, :1])
        r = sigmoid(xr + h @ recurrent_kernel[:, 1:2])
        hh = np.tanh(xh + (r * h) @ recurrent_kernel[:, 2:])
        h = z * h + (1 - z) * hh
    return h


def gru_ignores_recurrent_bias(kernel, recurrent_kernel, bias, xs):
    h = np.zeros(1)
    for x in xs:
        xz, xr, xh = x @ kernel + bias[0]
        hz, hr, hh_ = h @ recurrent_kernel
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        h = z * h + (1 - z) * np.tanh(xh + r * hh_)
    return h


# ---- activation mistakes ---------------------------------------------------------------


def simple_linear_on_tanh_layer(kernel, recurrent_kernel, bias, xs):
    """Forgot the activation: a tanh layer computed as if it were linear."""
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel + bias
    return h


def simple_tanh_on_sigmoid_layer(kernel, recurrent_kernel, bias, xs):
    h, out = np.zeros(2), []
    for x in xs:
        h = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
        out.append(h)
    return np.array(out)


def simple_bias_inside_recurrence_twice(kernel, recurrent_kernel, bias, xs):
    h = np.zeros(1)
    for x in xs:
        h = np.tanh(x @ kernel + bias + (h + bias) @ recurrent_kernel)
    return h


SMALL = "small"  # the counterexample must be small integers and at most 3 steps


CATALOGUE: list[tuple[str, LayerSpec, Callable[..., Any], str | None]] = [
    ("A swapped kernel and recurrent kernel", PART_A, a_swapped_weights, SMALL),
    ("A Hypothesis #1", PART_A, a_hypothesis_1, SMALL),
    ("A ignores the last input", PART_A, a_ignores_last_input, SMALL),
    ("A ignores the first input", PART_A, a_ignores_first_input, SMALL),
    ("A forgets the recurrent term", PART_A, a_forgets_recurrent_term, SMALL),
    ("A sum instead of recurrence", PART_A, a_sum_instead_of_recurrence, SMALL),
    ("A feeds back the previous input", PART_A, a_feeds_back_previous_input, SMALL),
    ("A recurrent weight after adding", PART_A, a_recurrent_after_adding, SMALL),
    ("B transposed recurrent kernel", PART_B, b_transposed_recurrent_kernel, SMALL),
    ("B units ignore each other", PART_B, b_units_ignore_each_other, SMALL),
    ("B forgets the recurrent term", PART_B, b_forgets_recurrent_term, SMALL),
    ("B sum instead of recurrence", PART_B, b_sum_instead_of_recurrence, SMALL),
    ("B ignores the first input", PART_B, b_ignores_first_input, SMALL),
    ("B swapped weights", PART_B, b_swapped_weights_shapes_fixed, SMALL),
    ("C i and f swapped", PART_C, lstm_with_gate_order("fico")(PART_C), None),
    ("C c and o swapped", PART_C, lstm_with_gate_order("ifoc")(PART_C), None),
    ("C order i c f o", PART_C, lstm_with_gate_order("icfo")(PART_C), None),
    ("C forgets the carry", PART_C, lstm_with_gate_order("ifco", carry=False)(PART_C), None),
    ("LSTM i and f swapped", LSTM(1), lstm_with_gate_order("fico")(LSTM(1)), None),
    ("LSTM no tanh on the cell", LSTM(1),
     lstm_with_gate_order("ifco", output_activation=False)(LSTM(1)), None),
    ("LSTM forgets the carry", LSTM(2, input_dim=2, return_sequences=True),
     lstm_with_gate_order("ifco", carry=False)(LSTM(2, input_dim=2, return_sequences=True)),
     None),
    ("GRU z convention flipped", GRU(1), gru_flipped_update, None),
    ("GRU reset before the matmul", GRU(1), gru_reset_before, None),
    ("GRU ignores the recurrent bias", GRU(1), gru_ignores_recurrent_bias, None),
    ("tanh layer, linear formula", SimpleRNN(1), simple_linear_on_tanh_layer, None),
    ("sigmoid layer, tanh formula", SimpleRNN(2, "sigmoid", return_sequences=True),
     simple_tanh_on_sigmoid_layer, None),
    ("bias added twice", SimpleRNN(1), simple_bias_inside_recurrence_twice, None),
]


def _values(record: dict[str, Any]) -> np.ndarray:
    return np.concatenate([np.ravel(np.array(v, dtype=np.float64)) for v in record.values()])


@pytest.mark.parametrize(("spec", "fn", "small"), [row[1:] for row in CATALOGUE],
                         ids=[row[0] for row in CATALOGUE])
def test_wrong_formula_is_refuted(checker: Checker, spec: LayerSpec, fn: Callable[..., Any],
                                  small: str | None) -> None:
    claim = claim_for(spec, fn)
    verdict = checker.check(claim)
    assert verdict.kind == "refuted", (verdict.message, verdict.counterexample)
    assert verdict.message is None
    assert verdict_words(verdict.kind) == "is refuted"
    assert not verdict.as_expected
    assert verdict.cases >= 1
    case = recheck_counterexample(claim, verdict)
    example = verdict.counterexample
    assert example is not None
    assert case_from_json(spec, example.case) == case
    assert set(example.case) == {*spec.weight_names, "xs"}
    if spec.return_sequences:
        assert example.keras_steps is None
    else:  # the table of Keras's output after every step ends with the output itself
        steps = np.array(example.keras_steps, dtype=np.float64)
        assert steps.shape == (case.timesteps, spec.units)
        np.testing.assert_array_equal(steps[-1], np.array(example.keras_output, dtype=float))
    if small:
        values = _values(example.case)
        assert np.all(np.abs(values) <= 3), example.case
        assert np.all(values == np.round(values)), example.case
        assert case.timesteps <= 3, example.case


def test_hypothesis_1_needs_three_steps_to_fail(checker: Checker) -> None:
    """Hypothesis #1 is right for one and two steps, so the smallest failure has three."""
    claim = claim_for(PART_A, a_hypothesis_1)
    verdict = checker.check(claim)
    case = recheck_counterexample(claim, verdict)
    assert case.timesteps == 3
    scoped = checker.check(claim_for(PART_A, a_hypothesis_1, timesteps=range(1, 3)))
    assert scoped.kind == "holds"


def test_recorded_refutation_is_as_expected(checker: Checker) -> None:
    verdict = checker.check(claim_for(PART_A, a_swapped_weights, name="Swapped", refuted=True))
    assert verdict.kind == "refuted"
    assert verdict.expected == "refuted"
    assert verdict.as_expected
    assert verdict.name == "Swapped"
    assert verdict_sentence(verdict.name, verdict) == "Swapped is refuted"


def test_same_counterexample_in_a_fresh_checker(checker: Checker) -> None:
    """Seeds come from the settings, layer and scope, never from what ran before."""
    first = checker.check(claim_for(PART_B, b_units_ignore_each_other))
    other = Checker(oracle=Oracle())
    other.check(claim_for(PART_B, b_transposed_recurrent_kernel))  # something else first
    second = other.check(claim_for(PART_B, b_units_ignore_each_other))
    assert first.counterexample == second.counterexample
    assert first.cases == second.cases


@pytest.mark.parametrize(("spec", "fn"), [
    (PART_A, a_swapped_weights), (PART_B, b_units_ignore_each_other),
], ids=["A", "B"])
def test_true_formula_agrees_on_the_counterexample(checker: Checker, spec: LayerSpec,
                                                   fn: Callable[..., Any]) -> None:
    """The counterexample is about the wrong formula: the true one matches Keras on it."""
    verdict = checker.check(claim_for(spec, fn))
    example = verdict.counterexample
    assert example is not None
    case = case_from_json(spec, example.case)
    truth = true_formula(spec)(**case.named(spec))
    assert agree(spec, case, np.array(example.keras_output, dtype=float), np.asarray(truth))


# ---- known harness bug (reported): the tolerance swallows bounded outputs ------------------


def always_zero_with_bias(kernel, recurrent_kernel, bias, xs):
    return [0.0]


@pytest.mark.parametrize("spec", [LSTM(1), GRU(1)], ids=str)
def test_constant_zero_is_refuted_on_long_sequences(checker: Checker, spec: LayerSpec) -> None:
    claim = claim_for(spec, always_zero_with_bias, timesteps=12)
    verdict = checker.check(claim)
    assert verdict.kind == "refuted", verdict.kind
