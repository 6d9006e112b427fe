"""Scopes: the setting a hypothesis is about.

A scope fixes some weight entries (``fixed=``, any weight of the layer), the
lengths of a variable input axis (``timesteps=``: a sequence's length, or any
layer's variable first axis) and a condition on the case (``where=``, over any
name a formula may take).  Cases are drawn only inside it, and reports show it.

Where Keras cannot be imported (a grading worker), a layer other than the
three recurrent ones does not know its weights: names and shapes are then
taken as written and checked again where the layer is built (the grading
parent rebuilds every scope with :func:`make_scope`).
"""

from __future__ import annotations

import ast
import inspect
import linecache
import math
import reprlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness import layers
from harness.cases import Case, bindings
from harness.errors import ScopeError
from harness.layers import Layer

#: Longest sequence drawn when a hypothesis does not say.
DEFAULT_TIMESTEPS = tuple(range(1, 9))
MAX_TIMESTEPS = 64


@dataclass(frozen=True, eq=False)
class Scope:
    """Fixed weight entries (NaN = free), allowed sequence lengths, and a ``where`` condition."""

    fixed: tuple[tuple[str, np.ndarray], ...] = ()
    timesteps: tuple[int, ...] = DEFAULT_TIMESTEPS
    where: Callable[..., Any] | None = None
    where_params: tuple[str, ...] = ()
    text: str = field(default="all weights and sequences")

    @property
    def is_general(self) -> bool:
        """True when the scope is the whole space (no fixed entries, no condition)."""
        return not self.fixed and self.where is None and self.timesteps == DEFAULT_TIMESTEPS

    @property
    def key(self) -> tuple[Any, ...]:
        fixed = tuple((name, a.tobytes()) for name, a in self.fixed)
        return (fixed, self.timesteps, self.where)  # the function itself: ids can be reused

    def apply_fixed(self, spec: Layer, weights: list[np.ndarray]) -> list[np.ndarray]:
        """Overwrite the fixed entries of ``weights`` (arrays in get_weights() order)."""
        out = [w.copy() for w in weights]
        for name, values in self.fixed:
            target = out[spec.weight_names.index(name)]
            mask = ~np.isnan(values)
            target[mask] = values[mask]
        return out

    def contains(self, spec: Layer, case: Case) -> bool:
        """Is ``case`` inside this scope?  A ``where`` that raises counts as False."""
        return self.contains_many(spec, [case])[0]

    def contains_many(self, spec: Layer, cases: Sequence[Case]) -> list[bool]:
        """``contains`` for many cases; a ``where`` with a ``many`` attribute (a remote
        condition, when grading) is asked about all of them at once."""
        inside = [self._fits(spec, case) for case in cases]
        if self.where is None:
            return inside
        todo = [case for case, ok in zip(cases, inside, strict=True) if ok]
        args = [bindings(spec, case, self.where_params) for case in todo]
        many = getattr(self.where, "many", None)
        answers = iter(many(args) if callable(many) else [self._ask(a) for a in args])
        return [ok and bool(next(answers)) for ok in inside]

    def _fits(self, spec: Layer, case: Case) -> bool:
        if spec.variable and case.timesteps not in self.timesteps:
            return False
        for name, values in self.fixed:
            actual = case.weights[spec.weight_names.index(name)]
            mask = ~np.isnan(values)
            if not np.array_equal(actual[mask], values[mask]):
                return False
        return True

    def _ask(self, args: dict[str, Any]) -> bool:
        assert self.where is not None
        try:
            return bool(self.where(**args))
        except Exception:  # noqa: BLE001 - a failing condition just means "not in scope"
            return False


def make_scope(
    spec: Layer,
    *,
    fixed: dict[str, Any] | None,
    timesteps: int | Iterable[int] | None,
    where: Callable[..., Any] | None,
) -> Scope:
    """Validate the scope arguments of ``@hypothesis`` and build a :class:`Scope`."""
    fixed_arrays = _fixed(spec, fixed or {})
    if timesteps is not None and spec.input_shape and not spec.variable:
        raise ScopeError(f"timesteps= limits the length of a variable input axis, but the "
                         f"input of {spec} has the fixed shape {spec.input_sample_shape()}. "
                         f"Leave timesteps= out, or make the first axis variable "
                         f"(input_shape=(None, ...)).")
    steps = _timesteps(timesteps)
    where_params = parameters_of(where, spec, "where=") if where is not None else ()
    text = _describe(spec, fixed_arrays, steps if timesteps is not None else None, where)
    return Scope(fixed_arrays, steps, where, where_params, text)


def parameters_of(fn: Callable[..., Any], spec: Layer, what: str) -> tuple[str, ...]:
    """The bindable names ``fn`` asks for; an error naming the allowed ones otherwise."""
    if not callable(fn):
        raise ScopeError(f"{what} must be a function. Received: {fn!r}.")
    deferred = deferred_checks(spec)
    allowed = [] if deferred else list(spec.bindable)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise ScopeError(f"{what} must be a plain Python function. Received: {fn!r}.") from None
    names = []
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ScopeError(
                f"{what} {getattr(fn, '__name__', '')}: parameters are bound by name, so "
                f"*args and **kwargs are not allowed. Use some of: {', '.join(allowed)}.")
        if not deferred and param.name not in allowed:
            why = _why_not(spec, param.name) or did_you_mean(param.name, allowed)
            raise ScopeError(
                f"{what} {getattr(fn, '__name__', '')} has a parameter {param.name!r} that "
                f"the harness cannot fill{_end(why)} Allowed names for {layer_words(spec)}: "
                f"{', '.join(allowed)}.")
        names.append(param.name)
    return tuple(names)


def deferred_checks(spec: Layer) -> bool:
    """True where the layer's weights cannot be known (no Keras here): names and shapes
    are then checked where the layer is built."""
    return layers.DEFER_KERAS_CHECKS and not spec.known


def layer_words(spec: Layer) -> str:
    """A layer as the student wrote it: ``PART_A`` for a course preset, else its text."""
    from harness.course import PRESETS

    return next((name for name, preset in PRESETS.items() if preset == spec), str(spec))


def did_you_mean(name: object, known: Sequence[str]) -> str:
    """``; did you mean 'recurrent_kernel'?`` for a near miss, else nothing."""
    import difflib

    if not isinstance(name, str):
        return ""
    close = [k for k in known if k.lower() == name.lower()] or difflib.get_close_matches(
        name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _end(text: str) -> str:
    """``text`` ended as a sentence (a question keeps its question mark)."""
    return text if text.endswith("?") else text + "."


def _why_not(spec: Layer, name: str) -> str:
    if name == "bias" and spec.is_recurrent:
        return " (this layer has use_bias=False, so it has no bias)"
    if name in ("x", "xs"):
        return f" (this layer's input is called {spec.input_name})"
    return ""


def _fixed(spec: Layer, fixed: dict[str, Any]) -> tuple[tuple[str, np.ndarray], ...]:
    if not isinstance(fixed, dict):
        raise ScopeError(f"fixed= must be a dict like {{'kernel': [[1, None]]}}. "
                         f"Received: {fixed!r}.")
    if deferred_checks(spec):
        return _fixed_as_written(fixed)
    out = []
    for name, value in fixed.items():
        if name not in spec.weight_names:
            raise ScopeError(f"fixed= names {short_repr(name)}, which {layer_words(spec)} "
                             f"does not have{_end(did_you_mean(name, spec.weight_names))} "
                             f"fixed= can fix {', '.join(spec.weight_names)}.")
        shape = spec.weight_shapes[name]
        _check_nesting(name, value, shape)
        try:
            array = np.array(_nones_to_nan(value), dtype=np.float64)
        except (TypeError, ValueError):
            raise ScopeError(f"fixed={{{name!r}: ...}} must hold numbers or None (free). "
                             f"Received: {short_repr(value)}.") from None
        if array.ndim == 0:
            array = np.full(shape, float(array))
        if array.shape != shape or np.isinf(array).any():
            raise ScopeError(f"fixed={{{name!r}: ...}} must have shape {shape} (as "
                             f"get_weights() gives it), numbers or None. "
                             f"Received: {short_repr(value)}.")
        out.append((name, array))
    order = spec.weight_names
    return tuple(sorted(out, key=lambda item: order.index(item[0])))


def _fixed_as_written(fixed: dict[str, Any]) -> tuple[tuple[str, np.ndarray], ...]:
    """``fixed=`` where the weights' shapes cannot be known: numbers as written (bounded),
    checked again where the layer is built."""
    out = []
    for name, value in fixed.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ScopeError(f"fixed= keys must be weight names. Received the key {name!r}.")
        _check_nesting(name, value, (10, 10, 10, 10))
        try:
            array = np.array(_nones_to_nan(value), dtype=np.float64)
        except (TypeError, ValueError):
            raise ScopeError(f"fixed={{{name!r}: ...}} must hold numbers or None (free). "
                             f"Received: {short_repr(value)}.") from None
        out.append((name, array))
    return tuple(out)


def _check_nesting(name: str, value: Any, shape: tuple[int, ...]) -> None:
    """Refuse a ``fixed=`` value nested deeper, or holding more entries, than the
    weight's ``shape`` allows, before anything recurses into it (no RecursionError,
    no huge copies).  Walks the lists and tuples without recursion."""
    most = math.prod(shape)
    stack: list[tuple[Any, int]] = [(value, 0)]
    entries = 0
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (list, tuple)):
            entries += 1
            if entries > most:
                raise ScopeError(f"fixed={{{name!r}: ...}} must have shape {shape} (as "
                                 f"get_weights() gives it), but it holds more entries than "
                                 f"that shape has ({most}). Received: {short_repr(value)}.")
            continue
        if depth >= len(shape):
            raise ScopeError(f"fixed={{{name!r}: ...}} must have shape {shape} (as "
                             f"get_weights() gives it): lists nested {len(shape)} deep at "
                             f"most. Received: {short_repr(value)}.")
        stack.extend((inner, depth + 1) for inner in item)


def short_repr(value: Any) -> str:
    """A short, safe ``repr`` of something a student wrote (bounded depth and length)."""
    shortener = reprlib.Repr()
    shortener.maxlevel, shortener.maxlist, shortener.maxtuple = 3, 6, 6
    shortener.maxother = shortener.maxstring = 60
    try:
        return shortener.repr(value)
    except Exception:  # noqa: BLE001 - a student's __repr__
        return f"a {type(value).__name__}"


def _nones_to_nan(value: Any) -> Any:
    if value is None:
        return np.nan
    if isinstance(value, (list, tuple)):
        return [_nones_to_nan(v) for v in value]
    return value


def _timesteps(timesteps: int | Iterable[int] | None) -> tuple[int, ...]:
    if timesteps is None:
        return DEFAULT_TIMESTEPS
    values = [timesteps] if isinstance(timesteps, int) else _iterable(timesteps)
    if not values or any(isinstance(v, bool) or not isinstance(v, int)
                         or not 1 <= v <= MAX_TIMESTEPS for v in values):
        raise ScopeError(f"timesteps= must be a whole number from 1 to {MAX_TIMESTEPS}, or a "
                         f"range of them like range(1, 5). Received: {timesteps!r}.")
    return tuple(sorted(set(values)))


def _iterable(value: object) -> list[Any]:
    try:
        return list(value)  # type: ignore[call-overload]
    except TypeError:
        return []


def _describe(spec: Layer, fixed: tuple[tuple[str, np.ndarray], ...],
              timesteps: tuple[int, ...] | None, where: Callable[..., Any] | None) -> str:
    parts = [f"{name}={_fixed_text(array)}" for name, array in fixed]
    if timesteps is not None:
        parts.append(f"timesteps={_steps_text(timesteps)}")
    if where is not None:
        parts.append(f"where {callable_text(where)}")
    inputs = "sequences" if spec.input_name == "xs" else "inputs"
    everything = f"all weights and {inputs}"
    return "; ".join(parts) if parts else everything


def _fixed_text(array: np.ndarray) -> str:
    from harness.numbers import format_number

    def walk(a: np.ndarray) -> str:
        if a.ndim == 0:
            return "any" if np.isnan(a) else format_number(float(a))
        return "[" + ", ".join(walk(x) for x in a) + "]"

    return walk(array)


def _steps_text(steps: tuple[int, ...]) -> str:
    if len(steps) == 1:
        return str(steps[0])
    if steps == tuple(range(steps[0], steps[-1] + 1)):
        return f"{steps[0]}..{steps[-1]}"
    return ", ".join(map(str, steps))


def callable_text(fn: Callable[..., Any]) -> str:
    """Readable source of a small function: a lambda's own text, else its name."""
    name = getattr(fn, "__name__", "condition")
    if name != "<lambda>":
        return f"{name}()"
    code = fn.__code__
    source = "".join(linecache.getlines(code.co_filename))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return "a lambda condition"
    lambdas = [n for n in ast.walk(tree)
               if isinstance(n, ast.Lambda) and n.lineno == code.co_firstlineno]
    if len(lambdas) == 1:
        return ast.get_source_segment(source, lambdas[0]) or "a lambda condition"
    return "a lambda condition"
