"""Cases: one setting of the weights plus one input sample (``x``, or a sequence ``xs``).

A case is plain data (float64 numpy arrays), so it can be hashed for the
oracle's memo and cross a process boundary as JSON.  ``bindings`` hands a
formula fresh copies, so a formula can never change what Keras sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.errors import CaseError
from harness.layers import Layer

_FLOAT64 = np.dtype(np.float64)

@dataclass(frozen=True, eq=False)
class Case:
    """Weights in ``get_weights()`` order and one input sample ``xs`` (the layer's input
    shape; a recurrent layer's is (timesteps, input_dim)), whatever the layer calls it."""

    weights: tuple[np.ndarray, ...]
    xs: np.ndarray

    @property
    def timesteps(self) -> int:
        return int(self.xs.shape[0])

    @property
    def key(self) -> tuple[int, bytes]:
        """A hashable identity: (timesteps, every number as float64 bytes, weights then xs).

        Within one layer spec the weight shapes are fixed, so equal keys mean equal
        cases; the oracle also rebuilds whole batches from these bytes at once.
        Computed once (stored in the instance dict, which a frozen dataclass allows).
        """
        cached: tuple[int, bytes] | None = self.__dict__.get("_key")
        if cached is None:
            raw = b"".join([a.tobytes() for a in self.weights]) + self.xs.tobytes()
            cached = self.__dict__["_key"] = (len(self.xs), raw)
        return cached

    def __post_init__(self) -> None:
        """Hold float64 arrays only (what the key's bytes and the oracle assume)."""
        if any(a.dtype is not _FLOAT64 for a in self.weights):
            object.__setattr__(self, "weights",
                               tuple(np.asarray(a, dtype=np.float64) for a in self.weights))
        if self.xs.dtype is not _FLOAT64:
            object.__setattr__(self, "xs", np.asarray(self.xs, dtype=np.float64))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Case) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def named(self, spec: Layer) -> dict[str, np.ndarray]:
        """The weights by name (``kernel``, ``recurrent_kernel``, ``bias``, ...) plus the
        input under the layer's name for it (``xs`` or ``x``)."""
        return {**dict(zip(spec.weight_names, self.weights, strict=True)),
                spec.input_name: self.xs}

    def to_json(self, spec: Layer) -> dict[str, Any]:
        """Weights by name and the input, as nested lists of numbers."""
        from harness.numbers import to_plain

        return {name: to_plain(array) for name, array in self.named(spec).items()}


def make_case(spec: Layer, weights: Sequence[Any], xs: Any) -> Case:
    """Build a case from lists, checking every shape against the layer.

    ``xs`` may leave out a last axis of size 1 (``[3, 3, 7]`` when ``input_dim`` is 1).
    """
    names = spec.weight_names
    if len(weights) != len(names):
        raise CaseError(
            f"{spec} has {len(names)} weight arrays ({', '.join(names)}), in get_weights() "
            f"order. Received {len(weights)} arrays.")
    arrays = tuple(_as_array(name, w, spec.weight_shapes[name])
                   for name, w in zip(names, weights, strict=True))
    return Case(arrays, as_xs(spec, xs))


def case_from_json(spec: Layer, record: dict[str, Any]) -> Case:
    """Inverse of :meth:`Case.to_json`."""
    name = spec.input_name if spec.input_name in record else "xs"
    return make_case(spec, [record[n] for n in spec.weight_names], record[name])


def as_xs(spec: Layer, xs: Any) -> np.ndarray:
    """An input sample as a float64 array of the layer's input shape."""
    name = spec.input_name
    array = _numbers(name, xs)
    if spec.is_recurrent:
        if array.ndim == 1 and spec.input_dim == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2 or array.shape[1] != spec.input_dim or array.shape[0] < 1:
            raise CaseError(
                f"xs must be a list of timesteps, each with {spec.input_dim} number(s): shape "
                f"(timesteps, {spec.input_dim}). Received shape {array.shape}: {xs!r}.")
        return array
    shape = spec.input_shape
    if shape and shape[-1] == 1 and array.ndim == len(shape) - 1 and array.ndim >= 1:
        array = array[..., None]  # a last axis of size 1 may be left out
    expected = tuple("any" if n is None else n for n in shape)
    length = array.shape[0] if array.ndim >= 1 else 0
    if array.ndim != len(shape) or length < 1 or \
            array.shape != spec.input_sample_shape(length if spec.variable else None):
        raise CaseError(f"{name} must have shape {expected} (one input sample, without the "
                        f"batch axis). Received shape {array.shape}: {_short(xs)}.")
    if spec.input_kind == "index":
        limit = spec.index_limit
        if not (np.all(array == np.round(array)) and np.all((array >= 0) & (array < limit))):
            raise CaseError(f"{name} must hold whole numbers from 0 to {limit - 1} (indices "
                            f"into the {limit} rows). Received: {_short(xs)}.")
    return array


def bindings(spec: Layer, case: Case, names: Sequence[str]) -> dict[str, Any]:
    """Fresh copies of what a formula asked for, by parameter name (an index input as
    whole numbers, ``int64``, so it can index an array)."""
    named = case.named(spec)
    out: dict[str, Any] = {}
    for name in names:
        if name == "weights":
            out[name] = [w.copy() for w in case.weights]
        elif name == spec.input_name and spec.input_kind == "index":
            out[name] = named[name].astype(np.int64)
        else:
            out[name] = named[name].copy()
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _as_array(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    array = _numbers(name, value)
    if array.shape != shape:
        raise CaseError(f"{name} must have shape {shape} (as get_weights() gives it). "
                        f"Received shape {array.shape}: {value!r}.")
    return array


def _numbers(name: str, value: Any) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CaseError(f"{name} must be a (nested) list of numbers. "
                        f"Received: {value!r}.") from None
    if not np.isfinite(array).all():
        raise CaseError(f"{name} must hold finite numbers. Received: {value!r}.")
    return array
