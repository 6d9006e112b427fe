"""True reference formulas, written in numpy the way a student would write them.

Not a test module: the tests import it.  ``true_formula(spec)`` returns a
fresh function ``f(kernel, recurrent_kernel, xs)`` (or
``f(kernel, recurrent_kernel, bias, xs)`` when the layer has a bias) that
computes what the Keras 3 layer outputs for one sequence, step by step.

Keras 3 conventions (keras/src/layers/rnn/*.py):

* SimpleRNN: ``h = act(x @ kernel + bias + h @ recurrent_kernel)``.
* LSTM, gate blocks i, f, c, o: ``c = f * c + i * act(...)``, ``h = o * act(c)``.
* GRU, gate blocks z, r, h: ``h = z * h_prev + (1 - z) * hh``.  With
  ``reset_after=True`` the bias has shape (2, 3u) (input bias, recurrent bias) and
  the reset gate multiplies ``h_prev @ recurrent_kernel_h + recurrent_bias_h``;
  with ``reset_after=False`` the bias has shape (3u,) and the reset gate
  multiplies ``h_prev`` before the matmul.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from harness import hypothesis
from harness.cases import Case, bindings, case_from_json
from harness.claims import Claim, claim_of
from harness.engine.compare import agree, normalize
from harness.engine.oracle import predict
from harness.layers import ACTIVATIONS, LayerSpec
from harness.verdict import Verdict

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x: 1 / inf = 0
        return 1 / (1 + np.exp(-x))


def elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def exponential(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.exp(x)


#: Every activation name the harness accepts, as Keras 3 defines it.
ACTIVATION_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda x: np.maximum(x, 0),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,  # relu6(x + 3) / 6
    "softsign": lambda x: x / (1 + np.abs(x)),
    "softplus": lambda x: np.logaddexp(0, x),  # log(1 + exp(x)), without overflow
    "elu": elu,
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "exponential": exponential,
    "swish": lambda x: x * sigmoid(x),
    "silu": lambda x: x * sigmoid(x),
    "relu6": lambda x: np.clip(x, 0, 6),
}
assert set(ACTIVATION_FUNCTIONS) == set(ACTIVATIONS)

Compute = Callable[[np.ndarray, np.ndarray, Any, np.ndarray], np.ndarray]


def simple_rnn(spec: LayerSpec) -> Compute:
    """SimpleRNN: the new output is act(input part + bias + previous output part)."""
    act = ACTIVATION_FUNCTIONS[spec.activation]

    def layer(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: Any,
              xs: np.ndarray) -> np.ndarray:
        if bias is None:
            bias = np.zeros(spec.units)
        h = np.zeros(spec.units)
        outputs = []
        for x in xs:
            h = act(x @ kernel + bias + h @ recurrent_kernel)
            outputs.append(h)
        return np.array(outputs) if spec.return_sequences else h

    return layer


def lstm(spec: LayerSpec) -> Compute:
    """LSTM with gate blocks i, f, c, o along the last axis."""
    act = ACTIVATION_FUNCTIONS[spec.activation]
    gate = ACTIVATION_FUNCTIONS[spec.recurrent_activation or "sigmoid"]
    u = spec.units

    def layer(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: Any,
              xs: np.ndarray) -> np.ndarray:
        if bias is None:
            bias = np.zeros(4 * u)
        h = np.zeros(u)
        c = np.zeros(u)
        outputs = []
        for x in xs:
            z = x @ kernel + h @ recurrent_kernel + bias
            i = gate(z[:u])
            f = gate(z[u:2 * u])
            candidate = act(z[2 * u:3 * u])
            o = gate(z[3 * u:])
            c = f * c + i * candidate
            h = o * act(c)
            outputs.append(h)
        return np.array(outputs) if spec.return_sequences else h

    return layer


def gru(spec: LayerSpec) -> Compute:
    """GRU with gate blocks z, r, h; ``h = z * h_prev + (1 - z) * hh`` (Keras 3)."""
    act = ACTIVATION_FUNCTIONS[spec.activation]
    gate = ACTIVATION_FUNCTIONS[spec.recurrent_activation or "sigmoid"]
    u = spec.units
    reset_after = spec.reset_after is not False

    def layer(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: Any,
              xs: np.ndarray) -> np.ndarray:
        if bias is None:
            input_bias, recurrent_bias = np.zeros(3 * u), np.zeros(3 * u)
        elif reset_after:
            input_bias, recurrent_bias = bias[0], bias[1]
        else:
            input_bias, recurrent_bias = bias, np.zeros(3 * u)
        h = np.zeros(u)
        outputs = []
        for x in xs:
            x_part = x @ kernel + input_bias
            if reset_after:
                h_part = h @ recurrent_kernel + recurrent_bias
                z = gate(x_part[:u] + h_part[:u])
                r = gate(x_part[u:2 * u] + h_part[u:2 * u])
                hh = act(x_part[2 * u:] + r * h_part[2 * u:])
            else:
                z = gate(x_part[:u] + h @ recurrent_kernel[:, :u])
                r = gate(x_part[u:2 * u] + h @ recurrent_kernel[:, u:2 * u])
                hh = act(x_part[2 * u:] + (r * h) @ recurrent_kernel[:, 2 * u:])
            h = z * h + (1 - z) * hh
            outputs.append(h)
        return np.array(outputs) if spec.return_sequences else h

    return layer


COMPUTE = {"SimpleRNN": simple_rnn, "LSTM": lstm, "GRU": gru}


def reference(spec: LayerSpec, case: Case) -> np.ndarray:
    """The reference output for one case (float64, the layer's output shape)."""
    named = case.named(spec)
    out = COMPUTE[spec.kind](spec)(named["kernel"], named["recurrent_kernel"],
                                   named.get("bias"), named["xs"])
    return normalize(out, spec.output_shape(case.timesteps))


def true_formula(spec: LayerSpec) -> Callable[..., Any]:
    """A fresh formula function with the parameters a student would write."""
    compute = COMPUTE[spec.kind](spec)
    if spec.use_bias:
        def layer_with_bias(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray,
                            xs: np.ndarray) -> np.ndarray:
            return compute(kernel, recurrent_kernel, bias, xs)

        return layer_with_bias

    def layer_without_bias(kernel: np.ndarray, recurrent_kernel: np.ndarray,
                           xs: np.ndarray) -> np.ndarray:
        return compute(kernel, recurrent_kernel, None, xs)

    return layer_without_bias


def fresh(fn: Callable[..., Any]) -> types.FunctionType:
    """A new function object with ``fn``'s code, so decorating it never touches ``fn``."""
    assert isinstance(fn, types.FunctionType)
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                              fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    copy.__qualname__ = fn.__qualname__
    return copy


def claim_for(spec: LayerSpec, fn: Callable[..., Any], **kw: Any) -> Claim:
    """Apply ``@hypothesis(spec, **kw)`` to a fresh copy of ``fn`` and return its claim."""
    formula = fresh(fn)
    returned = hypothesis(spec, **kw)(formula)
    assert returned is formula  # the decorator hands back the function unchanged
    claim = claim_of(formula)
    assert claim is not None
    return claim


def true_claim(spec: LayerSpec, **kw: Any) -> Claim:
    """The claim that the true formula computes what ``spec`` outputs."""
    return claim_for(spec, true_formula(spec), **kw)


def formula_output(claim: Claim, case: Case) -> np.ndarray:
    """What the claim's formula returns for ``case``, normalised to the output shape."""
    value = claim.formula(**bindings(claim.spec, case, claim.params))
    return normalize(value, claim.spec.output_shape(case.timesteps))


def recheck_counterexample(claim: Claim, verdict: Verdict) -> Case:
    """Rebuild the counterexample, run it through Keras the notebook's way, and check it.

    Keras (``predict``: set_weights, then call) must give the recorded output, and
    the formula's own output on the case must differ from it.  Returns the case.
    """
    assert verdict.kind == "refuted", (verdict.kind, verdict.message)
    example = verdict.counterexample
    assert example is not None
    spec = claim.spec
    case = case_from_json(spec, example.case)
    keras = predict(spec, case)
    recorded = np.array(example.keras_output, dtype=np.float64)
    assert recorded.shape == keras.shape
    assert agree(spec, case, keras, recorded), (keras, recorded)
    got = formula_output(claim, case)
    assert not agree(spec, case, keras, got), (keras, got)
    assert example.hypothesis_output is not None
    np.testing.assert_allclose(np.array(example.hypothesis_output, dtype=np.float64), got,
                               rtol=1e-12, atol=0)
    return case


def declaration_error(declare: Callable[[], Any]) -> str:
    """The error of the broken claim ``declare()`` makes (``hypothesis(...)(f)``, or
    ``hypothesis(...)`` alone, then applied to a plain function): it must warn with a
    :class:`ClaimWarning` (outside a harness run) and never raise."""
    import pytest

    from harness.errors import ClaimWarning

    with pytest.warns(ClaimWarning) as warned:
        made = declare()
        if not inspect.isfunction(made) or claim_of(made) is None:  # the decorator alone
            made = made(lambda kernel, recurrent_kernel, xs: xs)
    claim = claim_of(made)
    assert claim is not None and claim.error is not None
    assert claim.error in str(warned[0].message)
    return claim.error
