"""The course set (issue 10): hypotheses about any Keras layer with weights, judged by the
real Keras layer.

``tests/bundled/course/`` is our copy of ``hypotheses/course/`` (the students' folder may
change): every true hypothesis there holds, every misconception is refuted with a
counterexample that Keras confirms, made of small whole numbers.  Then hypotheses the
bundled set does not contain ("held out": other arguments, other beliefs) about the same
layer families are judged as expected.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from formulas import claim_for, recheck_counterexample

from harness import GRU, Layer, SimpleRNN
from harness.claims import Claim
from harness.collect import load_claims
from harness.engine.checker import Checker, CheckSettings
from harness.verdict import HOLDS, REFUTED, Verdict

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BUNDLED = Path(__file__).parent / "bundled" / "course"

#: file -> the hypotheses it holds, each with the verdict it must get.
EXPECTED: dict[str, dict[str, str]] = {
    "dense.py": {"input_times_kernel": HOLDS, "kernel_times_input": REFUTED},
    "conv1d.py": {"slide_filter": HOLDS, "slide_flipped_filter": REFUTED},
    "embedding.py": {"row_lookup": HOLDS, "column_lookup": REFUTED},
    "batch_normalization.py": {"moving_statistics": HOLDS, "small_epsilon": REFUTED},
    "layer_normalization.py": {"each_row": HOLDS, "whole_sample": REFUTED},
    "gru.py": {"reset_after_product": HOLDS, "textbook_reset_before": REFUTED,
               "reset_before_product": HOLDS, "update_gate_on_candidate": REFUTED},
    "bidirectional.py": {"forward_then_backward": HOLDS, "backward_then_forward": REFUTED},
    "simple_rnn.py": {"tanh_every_step": HOLDS, "tanh_at_the_end": REFUTED},
}

#: Largest number in a counterexample: the first search tier's whole numbers.
SMALL = 3


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(CheckSettings())


@pytest.fixture(scope="module")
def bundled() -> dict[str, Claim]:
    claims: dict[str, Claim] = {}
    for name in EXPECTED:
        for claim in load_claims(BUNDLED / name):
            claims[f"{name}::{claim.function}"] = claim
    return claims


def assert_small_counterexample(claim: Claim, verdict: Verdict) -> None:
    """Refuted, Keras confirms the counterexample, and it is made of small whole numbers."""
    recheck_counterexample(claim, verdict)
    assert verdict.counterexample is not None
    for name, value in verdict.counterexample.case.items():
        numbers = np.asarray(value, dtype=np.float64)
        assert np.array_equal(numbers, np.round(numbers)), (name, value)
        assert np.abs(numbers).max(initial=0) <= SMALL, (name, value)


def test_the_set_has_a_truth_and_a_misconception_for_every_layer(
        bundled: dict[str, Claim]) -> None:
    assert sorted(key.split("::")[0] for key in bundled) == sorted(
        name for name, hypotheses in EXPECTED.items() for _ in hypotheses)
    layers: dict[str, set[bool]] = {}
    for claim in bundled.values():
        layers.setdefault(str(claim.spec), set()).add(claim.refuted)
    assert all(recorded == {True, False} for recorded in layers.values()), layers
    kinds = {claim.spec.kind for claim in bundled.values()}
    assert kinds == {"Dense", "Conv1D", "Embedding", "BatchNormalization",
                     "LayerNormalization", "GRU", "Bidirectional", "SimpleRNN"}
    grus = {claim.spec.reset_after for claim in bundled.values() if claim.spec.kind == "GRU"}
    assert grus == {True, False}
    rnn = next(c.spec for c in bundled.values() if c.spec.kind == "SimpleRNN")
    assert (rnn.activation, rnn.use_bias) == ("tanh", True)


@pytest.mark.parametrize("key", [f"{name}::{function}" for name, hypotheses in
                                 EXPECTED.items() for function in hypotheses])
def test_bundled_hypothesis(checker: Checker, bundled: dict[str, Claim], key: str) -> None:
    name, function = key.split("::")
    claim = bundled[key]
    verdict = checker.check(claim)
    assert verdict.kind == EXPECTED[name][function], verdict.message
    assert claim.refuted == (verdict.kind == REFUTED)
    if verdict.kind == REFUTED:
        assert_small_counterexample(claim, verdict)
    else:
        assert verdict.cases >= 200


# ---- held out: layers and beliefs the bundled set does not contain -----------------------

def sigmoid(v: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-v))


def rnn(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray,
        xs: np.ndarray) -> list[np.ndarray]:
    """tanh SimpleRNN: the output after every step."""
    h, outputs = np.zeros(recurrent_kernel.shape[0]), []
    for x in xs:
        h = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
        outputs.append(h)
    return outputs


def dense_with_bias(kernel, bias, x):
    return x @ kernel + bias


def dense_forgets_bias(kernel, bias, x):
    return x @ kernel


def conv_two_filters(kernel, bias, x):
    return np.array([x[t] @ kernel[0] + x[t + 1] @ kernel[1] for t in range(4)]) + bias


def conv_two_filters_flipped(kernel, bias, x):
    return np.array([x[t] @ kernel[1] + x[t + 1] @ kernel[0] for t in range(4)]) + bias


def conv_channels_for_filters(kernel, bias, x):
    return np.array([x[t] @ kernel[0].T + x[t + 1] @ kernel[1].T for t in range(4)]) + bias


def embedding_rows(embeddings, x):
    return embeddings[x]


def embedding_one_hot(embeddings, x):
    return np.eye(5)[x] @ embeddings


def embedding_counts_from_one(embeddings, x):
    return embeddings[x - 1]


def batch_norm_no_center(gamma, moving_mean, moving_variance, x):
    return gamma * (x - moving_mean) / np.sqrt(moving_variance + 1e-3)


def batch_norm_variance_not_root(gamma, moving_mean, moving_variance, x):
    return gamma * (x - moving_mean) / (moving_variance + 1e-3)


def layer_norm(gamma, beta, x):
    return gamma * (x - x.mean()) / np.sqrt(x.var() + 1e-3) + beta


def layer_norm_small_epsilon(gamma, beta, x):
    return gamma * (x - x.mean()) / np.sqrt(x.var() + 1e-5) + beta


def layer_norm_sample_variance(gamma, beta, x):
    return gamma * (x - x.mean()) / np.sqrt(x.var(ddof=1) + 1e-3) + beta


def gru_update_gate_swapped(kernel, recurrent_kernel, bias, xs):
    h = np.zeros(1)
    for x in xs:
        x_z, x_r, x_h = x @ kernel + bias[0]
        h_z, h_r, h_h = h @ recurrent_kernel + bias[1]
        z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
        h = (1 - z) * h + z * np.tanh(x_h + r * h_h)
    return h


def bidirectional_backward_not_reversed(forward_kernel, forward_recurrent_kernel,
                                        forward_bias, backward_kernel,
                                        backward_recurrent_kernel, backward_bias, xs):
    forward = rnn(forward_kernel, forward_recurrent_kernel, forward_bias, xs)[-1]
    backward = rnn(backward_kernel, backward_recurrent_kernel, backward_bias, xs)[-1]
    return np.concatenate([forward, backward])


def bidirectional_sequences(forward_kernel, forward_recurrent_kernel, forward_bias,
                            backward_kernel, backward_recurrent_kernel, backward_bias, xs):
    forward = rnn(forward_kernel, forward_recurrent_kernel, forward_bias, xs)
    backward = rnn(backward_kernel, backward_recurrent_kernel, backward_bias, xs[::-1])[::-1]
    return np.array([np.concatenate([f, b]) for f, b in zip(forward, backward, strict=True)])


def bidirectional_sequences_backward_as_read(forward_kernel, forward_recurrent_kernel,
                                             forward_bias, backward_kernel,
                                             backward_recurrent_kernel, backward_bias, xs):
    forward = rnn(forward_kernel, forward_recurrent_kernel, forward_bias, xs)
    backward = rnn(backward_kernel, backward_recurrent_kernel, backward_bias, xs[::-1])
    return np.array([np.concatenate([f, b]) for f, b in zip(forward, backward, strict=True)])


def simple_rnn_two_units(kernel, recurrent_kernel, bias, xs):
    return rnn(kernel, recurrent_kernel, bias, xs)[-1]


DENSE_BIAS = Layer("Dense", units=1, input_shape=(3,))
CONV_TWO = Layer("Conv1D", filters=2, kernel_size=2, input_shape=(5, 2))
EMBEDDING_WIDE = Layer("Embedding", input_dim=5, output_dim=3, input_shape=(4,))
BATCH_NORM_NO_CENTER = Layer("BatchNormalization", center=False, input_shape=(2,))
LAYER_NORM_FLAT = Layer("LayerNormalization", input_shape=(4,))
BIDIRECTIONAL_SEQUENCES = Layer("Bidirectional", layer=SimpleRNN(units=1, return_sequences=True),
                                input_shape=(None, 1))
BIDIRECTIONAL = Layer("Bidirectional", layer=SimpleRNN(units=1), input_shape=(None, 1))

HELD_OUT: list[tuple[Layer, Callable[..., Any], str]] = [
    (DENSE_BIAS, dense_with_bias, HOLDS),
    (DENSE_BIAS, dense_forgets_bias, REFUTED),
    (CONV_TWO, conv_two_filters, HOLDS),
    (CONV_TWO, conv_two_filters_flipped, REFUTED),
    (CONV_TWO, conv_channels_for_filters, REFUTED),
    (EMBEDDING_WIDE, embedding_rows, HOLDS),
    (EMBEDDING_WIDE, embedding_one_hot, HOLDS),
    (EMBEDDING_WIDE, embedding_counts_from_one, REFUTED),
    (BATCH_NORM_NO_CENTER, batch_norm_no_center, HOLDS),
    (BATCH_NORM_NO_CENTER, batch_norm_variance_not_root, REFUTED),
    (LAYER_NORM_FLAT, layer_norm, HOLDS),
    (LAYER_NORM_FLAT, layer_norm_small_epsilon, REFUTED),
    (LAYER_NORM_FLAT, layer_norm_sample_variance, REFUTED),
    (GRU(units=1), gru_update_gate_swapped, REFUTED),
    (BIDIRECTIONAL, bidirectional_backward_not_reversed, REFUTED),
    (BIDIRECTIONAL_SEQUENCES, bidirectional_sequences, HOLDS),
    (BIDIRECTIONAL_SEQUENCES, bidirectional_sequences_backward_as_read, REFUTED),
    (SimpleRNN(units=2), simple_rnn_two_units, HOLDS),
]


@pytest.mark.parametrize(("layer", "formula", "expected"), HELD_OUT,
                         ids=[formula.__name__ for _, formula, _ in HELD_OUT])
def test_held_out_hypothesis(checker: Checker, layer: Layer, formula: Callable[..., Any],
                             expected: str) -> None:
    claim = claim_for(layer, formula, refuted=expected == REFUTED)
    verdict = checker.check(claim)
    assert verdict.kind == expected, verdict.message
    if expected == REFUTED:
        assert_small_counterexample(claim, verdict)
    else:
        assert verdict.cases >= 200


# ---- pytest hypotheses/ collects the course folder ----------------------------------------

@pytest.fixture(scope="module")
def keras_loaded_once() -> Iterator[None]:
    """pytester restores sys.modules after each test; TensorFlow cannot be imported twice in
    one process, so it is loaded out here first (a module fixture: before pytester's)."""
    from harness.engine.oracle import keras_layer

    keras_layer(SimpleRNN(units=1))
    yield


def test_pytest_runs_the_course_folder(pytester: pytest.Pytester,
                                       keras_loaded_once: None) -> None:
    folder = pytester.path / "hypotheses" / "course"
    folder.mkdir(parents=True)
    (folder / "dense.py").write_text((BUNDLED / "dense.py").read_text())
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_other.py").write_text(textwrap.dedent("""
        import harness

        def test_other():
            assert harness
        """))
    result = pytester.runpytest("hypotheses",
                                "--harness-report-dir", str(pytester.path / "reports"))
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines([
        "*hypotheses/course/dense.py: Dense: input row times kernel holds; "
        "Dense: kernel times input column is refuted (as recorded).*"])
    other = pytester.runpytest("tests", "--collect-only", "-q")
    other.stdout.fnmatch_lines(["*tests/test_other.py::test_other*"])
    assert "dense.py" not in other.stdout.str()


def test_the_readme_example_prints_what_the_readme_shows(pytester: pytest.Pytester,
                                                         keras_loaded_once: None) -> None:
    """The README's non-recurrent example, end to end: its file, run by pytest, prints the
    failure text the README quotes."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Any layer with weights: the course set", 1)[1]
    source = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("which prints (verbatim):\n\n```\n", 1)[1].split("```", 1)[0]
    (pytester.path / "hypotheses").mkdir()
    (pytester.path / "hypotheses" / "conv1d.py").write_text(source)
    result = pytester.runpytest("hypotheses",
                                "--harness-report-dir", str(pytester.path / "reports"))
    result.assert_outcomes(failed=1)
    assert shown.strip() in result.stdout.str()
