"""Hypotheses about any Keras layer with weights (issue 10), judged by the real Keras layer.

Every verdict here comes from the real oracle: true formulas hold (also computed in
float32), classic misconceptions are refuted with small whole-number counterexamples,
and a formula off by 0.1 % is refuted on every layer.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from formulas import declaration_error

from harness import GRU, PART_A, Layer, SimpleRNN, hypothesis
from harness.claims import claim_of
from harness.engine.checker import Checker, CheckSettings
from harness.errors import LayerSpecError
from harness.output.render import failure_text
from harness.parse import parse_layer
from harness.verdict import HOLDS, REFUTED, Verdict

DENSE = Layer("Dense", units=2, input_shape=(3,))
CONV = Layer("Conv1D", filters=1, kernel_size=3, use_bias=False, input_shape=(6, 1))
EMBEDDING = Layer("Embedding", input_dim=5, output_dim=2, input_shape=(4,))
BATCHNORM = Layer("BatchNormalization", input_shape=(3,))
LAYERNORM = Layer("LayerNormalization", input_shape=(2, 3))
GRU_AFTER = GRU(units=1)
GRU_BEFORE = GRU(units=1, reset_after=False)
BIDI = Layer("Bidirectional", layer=SimpleRNN(units=1), input_shape=(None, 1))
RNN_TANH = SimpleRNN(units=1)


def sigmoid(v: Any) -> Any:
    return 1 / (1 + np.exp(-v))


# ------------------------------------------------------------------ true formulas

def dense(kernel: Any, bias: Any, x: Any) -> Any:
    return x @ kernel + bias


def cross_correlation(kernel: Any, x: Any) -> Any:
    k = kernel[:, 0, 0]
    return np.array([[x[i:i + 3, 0] @ k] for i in range(len(x) - 2)])


def lookup(embeddings: Any, x: Any) -> Any:
    return embeddings[x]


def batchnorm(gamma: Any, beta: Any, moving_mean: Any, moving_variance: Any, x: Any) -> Any:
    return (x - moving_mean) / np.sqrt(moving_variance + 1e-3) * gamma + beta


def layernorm(gamma: Any, beta: Any, x: Any) -> Any:
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-3) * gamma + beta


def gru_after(kernel: Any, recurrent_kernel: Any, bias: Any, xs: Any) -> Any:
    h = np.zeros(1, dtype=kernel.dtype)
    for x in xs:
        a, b = x @ kernel + bias[0], h @ recurrent_kernel + bias[1]
        z, r = sigmoid(a[0:1] + b[0:1]), sigmoid(a[1:2] + b[1:2])
        h = z * h + (1 - z) * np.tanh(a[2:3] + r * b[2:3])
    return h


def gru_before(kernel: Any, recurrent_kernel: Any, bias: Any, xs: Any) -> Any:
    h = np.zeros(1, dtype=kernel.dtype)
    for x in xs:
        a = x @ kernel + bias
        z = sigmoid(a[0:1] + h @ recurrent_kernel[:, 0:1])
        r = sigmoid(a[1:2] + h @ recurrent_kernel[:, 1:2])
        h = z * h + (1 - z) * np.tanh(a[2:3] + (r * h) @ recurrent_kernel[:, 2:3])
    return h


def _rnn(kernel: Any, recurrent_kernel: Any, bias: Any, xs: Any) -> Any:
    h = np.zeros(recurrent_kernel.shape[0], dtype=kernel.dtype)
    for x in xs:
        h = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
    return h


def simple_rnn(kernel: Any, recurrent_kernel: Any, bias: Any, xs: Any) -> Any:
    return _rnn(kernel, recurrent_kernel, bias, xs)


def bidirectional(forward_kernel: Any, forward_recurrent_kernel: Any, forward_bias: Any,
                  backward_kernel: Any, backward_recurrent_kernel: Any, backward_bias: Any,
                  xs: Any) -> Any:
    forward = _rnn(forward_kernel, forward_recurrent_kernel, forward_bias, xs)
    backward = _rnn(backward_kernel, backward_recurrent_kernel, backward_bias, xs[::-1])
    return np.concatenate([forward, backward])


TRUE: list[tuple[Layer, Callable[..., Any]]] = [
    (DENSE, dense), (CONV, cross_correlation), (EMBEDDING, lookup), (BATCHNORM, batchnorm),
    (LAYERNORM, layernorm), (GRU_AFTER, gru_after), (GRU_BEFORE, gru_before),
    (BIDI, bidirectional), (RNN_TANH, simple_rnn)]


# ------------------------------------------------------------------ misconceptions

def flipped_convolution(kernel: Any, x: Any) -> Any:
    return cross_correlation(kernel[::-1], x)


def textbook_epsilon(gamma: Any, beta: Any, moving_mean: Any, moving_variance: Any,
                     x: Any) -> Any:
    return (x - moving_mean) / np.sqrt(moving_variance + 1e-5) * gamma + beta


def gru_reset_after_product(kernel: Any, recurrent_kernel: Any, bias: Any, xs: Any) -> Any:
    """For reset_after=False: the reset gate applied after the recurrent product (the same
    as before it for one unit without a recurrent bias, hence two units)."""
    u = recurrent_kernel.shape[0]
    h = np.zeros(u)
    for x in xs:
        a, b = x @ kernel + bias, h @ recurrent_kernel
        z, r = sigmoid(a[:u] + b[:u]), sigmoid(a[u:2 * u] + b[u:2 * u])
        h = z * h + (1 - z) * np.tanh(a[2 * u:] + r * b[2 * u:])
    return h


def backward_at_last_step(forward_kernel: Any, forward_recurrent_kernel: Any,
                          forward_bias: Any, backward_kernel: Any,
                          backward_recurrent_kernel: Any, backward_bias: Any, xs: Any) -> Any:
    forward = _rnn(forward_kernel, forward_recurrent_kernel, forward_bias, xs)
    backward = _rnn(backward_kernel, backward_recurrent_kernel, backward_bias, xs[-1:])
    return np.concatenate([forward, backward])


def layernorm_wrong_axis(gamma: Any, beta: Any, x: Any) -> Any:
    mean = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-3) * gamma + beta


def bias_after_tanh(kernel: Any, recurrent_kernel: Any, bias: Any, xs: Any) -> Any:
    h = np.zeros(1)
    for x in xs:
        h = np.tanh(x @ kernel + h @ recurrent_kernel) + bias
    return h


def embedding_scaled(embeddings: Any, x: Any) -> Any:
    return x[:, None] * embeddings[1]


def gru_after_textbook(kernel: Any, recurrent_kernel: Any, bias: Any, xs: Any) -> Any:
    return gru_before(kernel, recurrent_kernel, bias[0] + bias[1], xs)


WRONG: list[tuple[Layer, Callable[..., Any]]] = [
    (CONV, flipped_convolution), (BATCHNORM, textbook_epsilon), (GRU_AFTER, gru_after_textbook),
    (BIDI, backward_at_last_step), (LAYERNORM, layernorm_wrong_axis),
    (RNN_TANH, bias_after_tanh), (EMBEDDING, embedding_scaled),
    (GRU(units=2, reset_after=False), gru_reset_after_product)]


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(CheckSettings(cases=120))


def check(checker: Checker, layer: Layer, formula: Callable[..., Any],
          **scope: Any) -> Verdict:
    decorated = hypothesis(layer, **scope)(_copy(formula))
    claim = claim_of(decorated)
    assert claim is not None
    return checker.check(claim)


def _copy(formula: Callable[..., Any]) -> Callable[..., Any]:
    """A fresh function with the same code (a function carries one claim)."""
    import types

    assert isinstance(formula, types.FunctionType)
    return types.FunctionType(formula.__code__, formula.__globals__, formula.__name__,
                              formula.__defaults__, formula.__closure__)


@pytest.mark.parametrize(("layer", "formula"), TRUE, ids=[f.__name__ for _, f in TRUE])
def test_true_formulas_hold_also_in_float32(checker: Checker, layer: Layer,
                                            formula: Callable[..., Any]) -> None:
    assert check(checker, layer, formula).kind == HOLDS

    def in_float32(**kwargs: Any) -> Any:
        cast = {k: [w.astype(np.float32) for w in v] if k == "weights" else
                (v if v.dtype.kind == "i" else v.astype(np.float32)) for k, v in kwargs.items()}
        return formula(**cast)

    names = claim_of(hypothesis(layer)(_copy(formula)))
    assert names is not None
    float32 = _with_params(in_float32, names.params)
    assert check(checker, layer, float32).kind == HOLDS, formula.__name__


@pytest.mark.parametrize(("layer", "formula"), TRUE, ids=[f.__name__ for _, f in TRUE])
def test_a_formula_off_by_a_tenth_of_a_percent_is_refuted(
        checker: Checker, layer: Layer, formula: Callable[..., Any]) -> None:
    names = claim_of(hypothesis(layer)(_copy(formula)))
    assert names is not None
    off = _with_params(lambda **kw: np.asarray(formula(**kw)) * 1.001, names.params)
    assert check(checker, layer, off).kind == REFUTED


def _with_params(body: Callable[..., Any], params: tuple[str, ...]) -> Callable[..., Any]:
    """A function taking exactly ``params`` by name (the harness binds by name)."""
    namespace: dict[str, Any] = {"body": body}
    args = ", ".join(params)
    exec(f"def formula({args}):\n    return body({', '.join(f'{p}={p}' for p in params)})",
         namespace)
    return namespace["formula"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("layer", "formula"), WRONG, ids=[f.__name__ for _, f in WRONG])
def test_misconceptions_are_refuted_with_small_whole_numbers(
        checker: Checker, layer: Layer, formula: Callable[..., Any]) -> None:
    verdict = check(checker, layer, formula)
    assert verdict.kind == REFUTED
    assert verdict.counterexample is not None
    numbers = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64))
                              for v in verdict.counterexample.case.values()])
    assert np.all(numbers == np.round(numbers)) and np.abs(numbers).max() <= 3, \
        verdict.counterexample.case


def test_a_conv1d_hypothesis_fails_with_input_and_outputs_side_by_side(
        checker: Checker) -> None:
    verdict = check(checker, CONV, flipped_convolution)
    text = failure_text(verdict)
    assert "x  " in text and "Keras output" in text and "hypothesis output" in text
    assert "step" not in text.split("Tried")[0]  # no step table for a layer without steps
    assert "--x '" in text and 'Layer("Conv1D"' in text


def test_embedding_inputs_are_indices_and_variances_positive(checker: Checker) -> None:
    seen: list[Any] = []

    def spy(embeddings: Any, x: Any) -> Any:
        seen.append(x)
        return embeddings[x]

    assert check(checker, EMBEDDING, spy).kind == HOLDS
    assert all(x.dtype == np.int64 and x.min() >= 0 and x.max() <= 4 for x in seen)
    assert any(x.max() > 0 for x in seen)
    variances: list[Any] = []

    def watch(gamma: Any, beta: Any, moving_mean: Any, moving_variance: Any, x: Any) -> Any:
        variances.append(moving_variance)
        return batchnorm(gamma, beta, moving_mean, moving_variance, x)

    assert check(checker, BATCHNORM, watch).kind == HOLDS
    assert min(float(v.min()) for v in variances) > 0


def test_scopes_fix_any_weight_and_limit_a_variable_axis(checker: Checker) -> None:
    def centred(gamma: Any, beta: Any, x: Any) -> Any:  # true only when beta is 0
        return layernorm(gamma, np.zeros_like(beta), x)

    assert check(checker, LAYERNORM, centred).kind == REFUTED
    assert check(checker, LAYERNORM, centred, fixed={"beta": 0}).kind == HOLDS
    conv = Layer("Conv1D", filters=1, kernel_size=2, use_bias=False, input_shape=(None, 1))

    def first_only(kernel: Any, x: Any) -> Any:  # the first window, repeated
        first = x[0, 0] * kernel[0, 0, 0] + x[1, 0] * kernel[1, 0, 0]
        return np.full((len(x) - 1, 1), first)

    assert check(checker, conv, first_only).kind == REFUTED
    assert check(checker, conv, first_only, timesteps=2).kind == HOLDS
    assert "fixed shape" in declaration_error(lambda: hypothesis(DENSE, timesteps=2))

    def first_is_row_0(embeddings: Any, x: Any) -> Any:  # true only when x[0] is 0
        out = embeddings[x]
        out[0] = embeddings[0]
        return out

    assert check(checker, EMBEDDING, first_is_row_0).kind == REFUTED
    assert check(checker, EMBEDDING, first_is_row_0, where=lambda x: x[0] == 0).kind == HOLDS


def test_the_recurrent_constructors_are_layers() -> None:
    assert Layer("SimpleRNN", units=1, activation="linear", use_bias=False,
                 input_shape=(None, 1)) == PART_A
    assert parse_layer(str(BIDI)) == BIDI and parse_layer(str(CONV)) == CONV
    assert parse_layer("Dense(units=2, input_shape=(3,))") == DENSE
    assert GRU_AFTER.weight_shapes["bias"] == (2, 3) and BIDI.input_name == "xs"
    assert DENSE.input_name == "x" and not BIDI.is_recurrent and RNN_TANH.is_recurrent


@pytest.mark.parametrize(("make", "words"), [
    (lambda: Layer("Conv1d", filters=1, kernel_size=2, input_shape=(3, 1)),
     "Keras has no layer class 'Conv1d'"),
    (lambda: Layer("Dense", units=-2, input_shape=(3,)), "expected a positive integer"),
    (lambda: Layer("Dropout", rate=0.5, input_shape=(3,)), "has no weights"),
    (lambda: Layer("Dense", units=2), "needs input_shape="),
])
def test_layers_keras_rejects_are_that_hypothesis_s_error(make: Callable[[], Layer],
                                                    words: str) -> None:
    assert words in declaration_error(lambda: hypothesis(make()))


def test_a_stochastic_layer_in_training_mode_is_refused_with_the_reason() -> None:
    with pytest.raises(LayerSpecError, match="random"):
        Layer("SimpleRNN", units=1, dropout=0.5, input_shape=(None, 1), training=True)
    with pytest.raises(LayerSpecError, match="different output each time"):
        Layer("GaussianNoise", stddev=1.0, input_shape=(3,), training=True)


def test_unknown_parameter_names_list_the_allowed_ones() -> None:
    message = declaration_error(lambda: hypothesis(BATCHNORM)(lambda gamma, variance, x: x))
    for name in ("gamma", "beta", "moving_mean", "moving_variance", "weights", "x"):
        assert name in message


def test_parse_layer_never_evaluates() -> None:
    for text in ("__import__('os').system('true')", "Dense(units=(1).__class__)",
                 "Dense(**{'units': 1})", "os.system('true')"):
        with pytest.raises(LayerSpecError):
            parse_layer(text)


def test_a_worker_accepts_any_layer_without_importing_keras() -> None:
    code = """
import sys
from harness import layers, Layer, hypothesis
layers.DEFER_KERAS_CHECKS = True
@hypothesis(Layer("Conv1D", filters=1, kernel_size=3, input_shape=(6, 1)),
            fixed={"bias": [0]})
def f(kernel, bias, x):
    return x
assert "tensorflow" not in sys.modules and "keras" not in sys.modules
print(str(f.__harness_claim__.spec))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert parse_layer(done.stdout.strip()) == Layer(
        "Conv1D", filters=1, kernel_size=3, input_shape=(6, 1))


def test_large_batches_give_the_same_outputs_as_small_ones() -> None:
    from harness.engine import strategies
    from harness.engine.oracle import Oracle
    from harness.scope import make_scope

    for layer in (CONV, BATCHNORM):
        cases = strategies.sample_cases(layer, make_scope(layer, fixed=None, timesteps=None,
                                                          where=None), count=600, seed=3)
        large = Oracle().outputs(layer, cases)  # one batch of 600 (compiled apart)
        small = Oracle()
        for i in (0, 1, 299, 599):
            assert np.allclose(small.outputs(layer, [cases[i]])[0], large[i], rtol=1e-12,
                               atol=1e-12)


def test_hints_for_a_layer_without_steps_hold_when_pasted(checker: Checker) -> None:
    from harness.engine.hints import claim_in, hints_for
    from harness.output.render import call

    claim = claim_of(hypothesis(BATCHNORM)(_copy(textbook_epsilon)))
    assert claim is not None
    verdict = checker.check(claim)
    hints = hints_for(checker, claim, verdict, budget=60, steady=True)
    assert hints is not None and hints.holds_when and hints.first_disagreeing_step is None
    for regime in hints.holds_when:  # each regime, pasted as a scope, holds
        assert Checker(CheckSettings(seed=5)).check(claim_in(claim, regime)).kind == HOLDS
    embedded = check(checker, EMBEDDING, embedding_scaled)
    assert "x=np.array([" in call(embedded) and "x=np.array([1." not in call(embedded)


def test_canonical_drops_arguments_equal_to_keras_defaults() -> None:
    written = Layer("Dense", units=2, use_bias=True, activation=None, input_shape=(3,))
    assert written != DENSE and written.canonical() == DENSE
    assert Layer("Dense", units=2, use_bias=False, input_shape=(3,)).canonical() != DENSE
    wrapped = Layer("Bidirectional", layer=Layer("SimpleRNN", units=1, input_shape=(None, 1)),
                    merge_mode="concat", input_shape=(None, 1))
    assert wrapped.canonical() == BIDI


#: One Dense layer spelt two ways: Keras's defaults left out, or spelt out in another order.
SPELLINGS = {"dee.py": 'Layer("Dense", units=2, input_shape=(3,))',
             "eve.py": 'Layer("Dense", input_shape=(3,), use_bias=True, activation=None, '
                       'units=2)'}


def test_one_layer_spelt_two_ways_draws_the_same_cases(tmp_path: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``harness check``: a claim is checked as its layer's canonical spelling (same seed,
    cases, counterexample and behaviour; one Keras model traced), and shown as written."""
    from harness import api

    for name, layer in SPELLINGS.items():
        (tmp_path / name).write_text(
            f"from harness import Layer, hypothesis\n\n\n@hypothesis({layer}, refuted=True)\n"
            "def minus_bias(kernel, bias, x):\n    return x @ kernel - bias\n")
    made: list[Checker] = []

    class Kept(Checker):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(api, "Checker", Kept)
    run = api.check_paths([tmp_path], CheckSettings(cases=40, search=100), hints=False)
    records = [{key: getattr(v, key) for key in
                ("kind", "cases", "counterexample", "behaviour", "seed")}
               for v in run.verdicts]
    assert len(records) == 2 and records[0] == records[1]
    assert records[0]["kind"] == REFUTED and records[0]["behaviour"]
    assert sorted(str(v.layer) for v in run.verdicts) == sorted(
        str(parse_layer(layer)) for layer in SPELLINGS.values())
    (checker,) = made
    assert {spec for spec, _ in checker.oracle._runners} == {DENSE}
