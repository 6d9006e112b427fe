"""Comparison: does a hypothesis's output agree with Keras's?

The rule (documented in docs/architecture.md and the README):

* The hypothesis's return value is first turned into a float64 ``ndarray``.
  Numbers, lists, tuples and numpy arrays are accepted; ``bool``, ``complex``,
  strings, ``None`` and other objects are not.  The shape must be exactly the
  layer's output shape -- no broadcasting -- except that when ``units == 1`` the
  last axis may be left out (a plain number, or a list of one number per step).
* Outputs agree when every element satisfies
  ``|got - want| <= RTOL * max(|want|max, |got|max) + ATOL * scale(case)``:
  a relative tolerance on the size of the output, plus an absolute one that
  grows with the size of the case (weights, inputs, length) to absorb
  cancellation.  The oracle runs Keras in float64, so both sides are exact to
  ~1e-13 and the slack is about a million times the rounding error, yet far
  below any difference a wrong formula makes on the course's cases.
* Cases where Keras itself gives NaN/inf or values beyond ``LIMIT`` are out of
  range: they are skipped, never used to judge.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.cases import Case
from harness.layers import LayerSpec

RTOL = 1e-6
ATOL = 1e-10
LIMIT = 1e12


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
    return f"a {type(value).__name__} ({value!r:.60})"


def _shape_hint(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f" (one number per unit: units={shape[0]})"
    return f" (one row per timestep, one number per unit: {shape[0]} x {shape[1]})"


def out_of_range(want: np.ndarray) -> bool:
    """True when Keras's own output is not usable to judge (NaN, inf, or huge)."""
    return not np.isfinite(want).all() or bool(np.abs(want).max(initial=0) > LIMIT)


def bad_values(got: np.ndarray) -> bool:
    """True when a formula's output holds NaN or inf."""
    return not np.isfinite(got).all()


def scale(spec: LayerSpec, case: Case) -> float:
    """A bound on the size of the terms summed to make the output (for ATOL)."""
    width = spec.units + spec.input_dim + (1 if spec.use_bias else 0)
    w = max((float(np.abs(a).max(initial=0)) for a in case.weights), default=0.0)
    x = float(np.abs(case.xs).max(initial=0))
    with np.errstate(over="ignore"):
        return float(max(1.0, x) * max(1.0, w * width) ** case.timesteps)


def tolerance(spec: LayerSpec, case: Case, want: np.ndarray, got: np.ndarray) -> float:
    """Largest allowed difference for one element."""
    size = max(float(np.abs(want).max(initial=0)), float(np.abs(got).max(initial=0)))
    return RTOL * size + ATOL * scale(spec, case)


def agree(spec: LayerSpec, case: Case, want: np.ndarray, got: np.ndarray) -> bool:
    """Do two outputs of the same shape agree under the tolerance rule?"""
    return bool(np.all(np.abs(got - want) <= tolerance(spec, case, want, got)))
