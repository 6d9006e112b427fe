"""Cases: one setting of the weights plus one input sequence.

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
from harness.layers import LayerSpec

_FLOAT64 = np.dtype(np.float64)

#: Names a formula (or a ``where=`` predicate) may ask for.
BINDABLE = ("kernel", "recurrent_kernel", "bias", "weights", "xs")


@dataclass(frozen=True, eq=False)
class Case:
    """Weights in ``get_weights()`` order and one sequence ``xs``, shape (timesteps, input_dim)."""

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

    def named(self, spec: LayerSpec) -> dict[str, np.ndarray]:
        """The weights by name (``kernel``, ``recurrent_kernel``, ``bias``) plus ``xs``."""
        return {**dict(zip(spec.weight_names, self.weights, strict=True)), "xs": self.xs}

    def to_json(self, spec: LayerSpec) -> dict[str, Any]:
        """Weights by name and ``xs``, as nested lists of numbers."""
        from harness.numbers import to_plain

        return {name: to_plain(array) for name, array in self.named(spec).items()}


def make_case(spec: LayerSpec, weights: Sequence[Any], xs: Any) -> Case:
    """Build a case from lists, checking every shape against the layer.

    ``xs`` may be flat (``[3, 3, 7]``) when ``input_dim`` is 1.
    """
    names = spec.weight_names
    if len(weights) != len(names):
        raise CaseError(
            f"{spec} has {len(names)} weight arrays ({', '.join(names)}), in get_weights() "
            f"order. Received {len(weights)} arrays.")
    arrays = tuple(_as_array(name, w, spec.weight_shapes[name])
                   for name, w in zip(names, weights, strict=True))
    return Case(arrays, as_xs(spec, xs))


def case_from_json(spec: LayerSpec, record: dict[str, Any]) -> Case:
    """Inverse of :meth:`Case.to_json`."""
    return make_case(spec, [record[name] for name in spec.weight_names], record["xs"])


def as_xs(spec: LayerSpec, xs: Any) -> np.ndarray:
    """An input sequence as a float64 array of shape (timesteps, input_dim)."""
    array = _numbers("xs", xs)
    if array.ndim == 1 and spec.input_dim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[1] != spec.input_dim or array.shape[0] < 1:
        raise CaseError(
            f"xs must be a list of timesteps, each with {spec.input_dim} number(s): shape "
            f"(timesteps, {spec.input_dim}). Received shape {array.shape}: {xs!r}.")
    return array


def bindings(spec: LayerSpec, case: Case, names: Sequence[str]) -> dict[str, Any]:
    """Fresh copies of what a formula asked for, by parameter name."""
    named = case.named(spec)
    out: dict[str, Any] = {}
    for name in names:
        if name == "weights":
            out[name] = [w.copy() for w in case.weights]
        else:
            out[name] = named[name].copy()
    return out


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
