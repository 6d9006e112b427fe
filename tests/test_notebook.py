"""Every output the course notebook printed, reproduced through the harness's oracle."""

from __future__ import annotations

import numpy as np
import pytest
from formulas import reference, true_claim

from harness import PART_A, PART_B, PART_C
from harness.cases import Case, make_case
from harness.course import NOTEBOOK_CASES, PRESETS, NotebookCase
from harness.engine.checker import Checker
from harness.engine.oracle import Oracle, predict
from harness.engine.strategies import explicit_cases
from harness.layers import LSTM, LayerSpec, SimpleRNN
from harness.parse import parse_layer
from harness.scope import Scope

# (layer, weights in get_weights() order, input sequence, what Keras printed), copied
# by hand from the notebook cells: independent of harness.course.
PRINTED = [
    ("A: 1, 1 -> 13", PART_A, [[[1]], [[1]]], [3, 3, 7], [13]),
    ("A: 1, 3 -> 43", PART_A, [[[1]], [[3]]], [3, 3, 7], [43]),
    ("A: 1, 3 -> 14", PART_A, [[[1]], [[3]]], [1, 1, 2], [14]),
    ("A: 1, 0.5 -> 9.25", PART_A, [[[1]], [[0.5]]], [3, 3, 7], [9.25]),
    ("B: -> [5, 31]", PART_B, [[[1, 1]], [[0, 1], [0, 1]]], [3, 3, 7, 5], [5, 31]),
    ("B: -> [5, 0]", PART_B, [[[1, 0]], [[0, 0], [0, 0]]], [3, 3, 7, 5], [5, 0]),
    ("B: -> [10, 10]", PART_B, [[[1, 1]], [[1, 1], [1, 1]]], [3, 4], [10, 10]),
    ("C: 4 steps -> 0 1 8 64", PART_C, [[[1, 0, 1, 1]], [[0, 0, 0, 0]]], [0, 1, 2, 4],
     [[0], [1], [8], [64]]),
    ("C: 5 steps -> 0 1 8 64 512", PART_C, [[[1, 0, 1, 1]], [[0, 0, 0, 0]]], [0, 1, 2, 4, 8],
     [[0], [1], [8], [64], [512]]),
    ("C: recurrent only -> zeros", PART_C, [[[0, 0, 0, 0]], [[1, 0, 1, 1]]], [0, 1, 2, 4, 8],
     [[0], [0], [0], [0], [0]]),
]

IDS = [row[0] for row in PRINTED]


def _case(spec: LayerSpec, weights: list[object], xs: list[float]) -> Case:
    return make_case(spec, weights, xs)


@pytest.fixture(scope="module")
def notebook_oracle() -> Oracle:
    """An oracle of its own, so no other test's memo can answer for these cases."""
    return Oracle()


def test_course_layers_are_the_notebooks() -> None:
    assert SimpleRNN(units=1, activation="linear", use_bias=False) == PART_A
    assert SimpleRNN(units=2, activation="linear", use_bias=False) == PART_B
    assert LSTM(units=1, activation="linear", recurrent_activation="linear",
                          use_bias=False, unit_forget_bias=False, return_sequences=True) == PART_C
    assert PART_A.weight_shapes == {"kernel": (1, 1), "recurrent_kernel": (1, 1)}
    assert PART_B.weight_shapes == {"kernel": (1, 2), "recurrent_kernel": (2, 2)}
    assert PART_C.weight_shapes == {"kernel": (1, 4), "recurrent_kernel": (1, 4)}
    assert {name: parse_layer(name) for name in PRESETS} == PRESETS


def test_course_cases_are_exactly_what_the_notebook_printed() -> None:
    recorded = [(spec, c.weights, c.xs, c.output)
                for spec, cases in NOTEBOOK_CASES.items() for c in cases]
    printed = [(spec, weights, xs, out) for _, spec, weights, xs, out in PRINTED]
    assert recorded == printed


@pytest.mark.parametrize(("spec", "weights", "xs", "printed"),
                         [row[1:] for row in PRINTED], ids=IDS)
def test_oracle_reproduces_the_notebook(notebook_oracle: Oracle, spec: LayerSpec,
                                        weights: list[object], xs: list[float],
                                        printed: list[object]) -> None:
    case = _case(spec, weights, xs)
    want = np.array(printed, dtype=np.float64)
    [got] = notebook_oracle.outputs(spec, [case])
    assert got.dtype == np.float64
    assert got.shape == want.shape
    # Integer weights and inputs (and 0.5): float64 Keras is exact here.
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(notebook_oracle.output(spec, case), want)


@pytest.mark.parametrize(("spec", "weights", "xs", "printed"),
                         [row[1:] for row in PRINTED], ids=IDS)
def test_predict_reproduces_the_notebook(spec: LayerSpec, weights: list[object], xs: list[float],
                                         printed: list[object]) -> None:
    got = predict(spec, _case(spec, weights, xs))
    np.testing.assert_array_equal(got, np.array(printed, dtype=np.float64))


@pytest.mark.parametrize(("spec", "weights", "xs", "printed"),
                         [row[1:] for row in PRINTED], ids=IDS)
def test_reference_formula_reproduces_the_notebook(spec: LayerSpec, weights: list[object],
                                                   xs: list[float],
                                                   printed: list[object]) -> None:
    got = reference(spec, _case(spec, weights, xs))
    np.testing.assert_array_equal(got, np.array(printed, dtype=np.float64))


@pytest.mark.parametrize("spec", [PART_A, PART_B, PART_C], ids=["A", "B", "C"])
def test_all_notebook_cases_of_a_layer_in_one_batch(oracle: Oracle, spec: LayerSpec) -> None:
    rows = [row for row in PRINTED if row[1] == spec]
    cases = [_case(spec, weights, xs) for _, _, weights, xs, _ in rows]
    outputs = oracle.outputs(spec, cases)
    assert len(outputs) == len(rows)
    for got, (*_, printed) in zip(outputs, rows, strict=True):
        np.testing.assert_array_equal(got, np.array(printed, dtype=np.float64))


@pytest.mark.parametrize("spec", [PART_A, PART_B, PART_C], ids=["A", "B", "C"])
def test_notebook_cases_are_screened_first(checker: Checker, spec: LayerSpec) -> None:
    notebook: list[NotebookCase] = NOTEBOOK_CASES[spec]
    expected = [_case(spec, c.weights, c.xs) for c in notebook]
    assert explicit_cases(spec, Scope())[: len(expected)] == expected
    cases, wants = checker.screening(true_claim(spec))
    assert cases[: len(expected)] == expected
    for want, c in zip(wants, notebook, strict=False):
        np.testing.assert_array_equal(want, np.array(c.output, dtype=np.float64))


def test_hypothesis_1_predicts_8_where_keras_prints_14() -> None:
    """The notebook's own refutation: 2 + 3 * (1 + 1) = 8, but Keras printed 14."""
    case = _case(PART_A, [[[1]], [[3]]], [1, 1, 2])
    xs = case.xs[:, 0]
    hypothesis_1 = case.weights[0][0, 0] * (xs[-1] + case.weights[1][0, 0] * xs[:-1].sum())
    assert hypothesis_1 == 8
    assert predict(PART_A, case)[0] == 14
    # Hypothesis #2, as the notebook computed it by hand: 9.25.
    assert (0.5 * ((0.5 * (1 * 3)) + (1 * 3))) + (1 * 7) == 9.25
