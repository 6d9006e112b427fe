"""Comparison: does a hypothesis's output agree with Keras's?

The rule (documented in docs/architecture.md and the README):

* The hypothesis's return value is first turned into a float64 ``ndarray``.
  Numbers, lists, tuples and numpy arrays are accepted; ``bool``, ``complex``,
  strings, ``None`` and other objects are not.  The shape must be exactly the
  layer's output shape -- no broadcasting -- except that when ``units == 1`` the
  last axis may be left out (a plain number, or a list of one number per step).
* Outputs agree when every element satisfies
  ``|got_i - want_i| <= RTOL * max(|want_i|, |got_i|) + ATOL * scale(case) + FLOOR``:
  a relative tolerance per element, plus an absolute one proportional to a
  bound on the numbers Keras sums for that case (:func:`scale`), to absorb
  cancellation.  For the recurrent layers (and ``Bidirectional`` around one)
  the bound follows the recurrence step by step; for any other layer it is
  ``n * max(1, |x|) * max(1, |w|)``: the count of numbers in the input sample
  times the largest input times the largest weight, which bounds every sum
  of products of an input and a weight the layer can form (a dense or
  convolution layer's sums, a normalisation's centred and scaled input).  The oracle runs
  Keras in float64 (exact to ~1e-13); the slack is sized for a correct formula
  computed in float32 (rounding ~6e-8 per operation, as the notebook's own
  arrays are), yet far below what a wrong formula changes: a formula off by
  0.1 % is refuted (tests/test_tolerance.py).
* Cases where Keras itself gives NaN/inf, no numbers at all (an input shorter
  than a kernel) or values beyond ``LIMIT``, or whose scale passes
  ``SCALE_LIMIT``, are out of range: skipped, never used to judge.

Limits of the rule, said plainly: the generic bound does not know a layer's
formula, so a layer whose output grows faster than a sum of products (an
exponential activation, a product of many inputs, a division by a number
near zero such as a variance near 0) is judged mostly by the relative part,
and a correct float32 formula may then be refuted on a case where the output
cancels to nearly zero; drawing keeps variances at 0.1 or more for this
reason.  A formula wrong by less than ~1e-5 relative (or inside the
cancellation slack) is not refuted: the harness checks ideas, not the last
float32 bit.  ``tests/test_tolerance.py`` and ``tests/test_any_layer.py``
check both directions on every bundled layer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from harness.cases import Case
from harness.layers import Layer

RTOL = 1e-5
ATOL = 1e-6
LIMIT = 1e12
SCALE_LIMIT = 1e14
FLOOR = 1e-12  # TensorFlow flushes subnormal numbers to zero
#: Activations whose output is within [-1, 1] (they cap the recurrence).
BOUNDED = frozenset({"tanh", "sigmoid", "hard_sigmoid", "softsign"})


class OutputError(Exception):
    """A formula's return value is not a valid output (message says why)."""


def normalize(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The formula's return value as a float64 base ``ndarray`` of ``shape``."""
    array = _numeric(value)
    if array.shape != shape:
        if shape[-1] == 1 and array.shape == shape[:-1]:
            return array.reshape(shape)
        raise OutputError(
            f"it should return shape {shape}{_shape_hint(shape)}, but returned shape "
            f"{array.shape}")
    return array


def _numeric(value: Any) -> np.ndarray:
    if isinstance(value, (str, bytes, dict, set)) or value is None:
        raise OutputError(f"it should return numbers, but returned {_kind(value)}")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise OutputError(f"it returned something numpy cannot read as numbers "
                          f"({_kind(value)}: {exc})") from None
    if array.dtype.kind not in "iuf":
        what = {"b": "True/False values", "c": "complex numbers"}.get(
            array.dtype.kind, _kind(value))
        raise OutputError(f"it should return real numbers, but returned {what}")
    return np.array(array, dtype=np.float64)


def _kind(value: Any) -> str:
    if value is None:
        return "None (did you forget `return`?)"
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    try:
        text = repr(value)[:60]
    except Exception:  # noqa: BLE001 - a student's object whose repr fails
        text = "?"
    return f"{article} {name} ({text})"


def _shape_hint(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f" (one number per unit: units={shape[0]})"
    return f" (one row per timestep, one number per unit: {shape[0]} x {shape[1]})"


def out_of_range(want: np.ndarray, spec: Layer | None = None,
                 case: Case | None = None) -> bool:
    """True when a case cannot be judged: Keras gives NaN, inf or huge values, or the
    numbers summed are so large that float64 rounding alone could hide a difference."""
    if want.size == 0 or not np.isfinite(want).all() \
            or bool(np.abs(want).max(initial=0) > LIMIT):
        return True  # nothing to judge (an input shorter than a kernel), or overflow
    return spec is not None and case is not None and scale(spec, case) > SCALE_LIMIT


def bad_values(got: np.ndarray) -> bool:
    """True when a formula's output holds NaN or inf."""
    return not np.isfinite(got).all()


def scale(spec: Layer, case: Case) -> float:
    """A bound on the magnitude of the numbers Keras sums for this case (for ATOL).

    For a recurrent layer, follows the recurrence step by step with absolute
    values: ``a`` bounds the input term, ``r`` the feedback term, ``b`` the bias;
    a bounded activation (tanh, sigmoid, ...) caps what it returns at 1.  So a
    case whose weights are zero has scale 0, and a tanh layer's scale does not
    explode with length.  ``Bidirectional`` takes the larger of its two
    directions; any other layer the generic bound (module docstring).
    """
    if spec.is_recurrent:
        return _recurrent_scale(spec, case)
    inner = spec.kwargs.get("layer")
    if spec.kind == "Bidirectional" and isinstance(inner, Layer) and inner.is_recurrent:
        named = case.named(spec)
        return max(_recurrent_scale(inner, Case(
            tuple(named[f"{side}_{n}"] for n in inner.weight_names), case.xs))
            for side in ("forward", "backward"))
    size = max(1, case.xs.size)
    biggest = max((_norm(w) for w in case.weights), default=0.0)
    value = size * max(1.0, _norm(case.xs)) * max(1.0, biggest)
    return math.inf if value > SCALE_LIMIT else value


def _recurrent_scale(spec: Layer, case: Case) -> float:
    weights = case.named(spec)
    a = _norm(weights["kernel"]) * spec.input_dim
    r = _norm(weights["recurrent_kernel"]) * spec.units
    b = _norm(weights["bias"]) * 2 if "bias" in weights else 0.0
    act = spec.activation in BOUNDED
    gate = (spec.recurrent_activation or "linear") in BOUNDED
    h = c = biggest = 0.0
    for x in np.abs(case.xs).max(axis=1):
        pre = a * float(x) + r * h + b
        if spec.kind == "SimpleRNN":
            h = 1.0 if act else pre
        elif spec.kind == "LSTM":
            g, i = (1.0 if act else pre), (1.0 if gate else pre)
            c = i * c + i * g
            h = i * (1.0 if act else c)
        else:  # GRU: h = z * h + (1 - z) * candidate, candidate uses r * h
            z = 1.0 if gate else pre
            cand = 1.0 if act else pre * (1.0 + z)
            h = z * h + (1.0 + z) * cand
        biggest = max(biggest, pre, h, c)
        if biggest > SCALE_LIMIT:
            return math.inf
    return biggest


def _norm(array: np.ndarray) -> float:
    return float(np.abs(array).max(initial=0.0))


def tolerance(spec: Layer, case: Case, want: np.ndarray, got: np.ndarray) -> np.ndarray:
    """Largest allowed difference, element by element."""
    return (RTOL * np.maximum(np.abs(want), np.abs(got)) + ATOL * scale(spec, case)
            + FLOOR)


def disagreements(spec: Layer, case: Case, want: np.ndarray, got: np.ndarray) -> np.ndarray:
    """Where two outputs of the same shape disagree under the tolerance rule, element by
    element (a NaN or an infinity disagrees)."""
    return ~(np.abs(got - want) <= tolerance(spec, case, want, got))


def agree(spec: Layer, case: Case, want: np.ndarray, got: np.ndarray) -> bool:
    """Do two outputs of the same shape agree under the tolerance rule?"""
    return not disagreements(spec, case, want, got).any()
