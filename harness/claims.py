"""Authoring: the ``@hypothesis`` decorator and the ``Claim`` it records.

The decorator checks the formula's parameters when the file is imported and
attaches a :class:`Claim` to the function (no global registry): collection
finds claims by looking at a module's functions.  The function itself is
returned unchanged, so a student can still call it by hand.

**A broken declaration never raises.**  A mistake in ``@hypothesis(...)`` (an
unknown parameter name, a bad ``fixed=``/``timesteps=``/``where=``, a layer
Keras refuses, a bare ``@hypothesis``) becomes a *broken* claim: a
:class:`Claim` whose ``error`` says what is wrong, where (file and line, or
notebook cell and line) and how to fix it.  The checker turns it into an
``error`` verdict without running anything, so the file's other hypotheses are
still checked.  While the harness loads a file (:func:`collecting`) broken
claims are also gathered there (so even one attached to nothing is found);
anywhere else -- a notebook cell, ``import part_a`` -- the decorator also
warns (:class:`harness.errors.ClaimWarning`), so the mistake shows at once.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar, cast

from harness.cells import parse_cell_name
from harness.errors import ClaimError, ClaimWarning, HarnessError
from harness.layers import Layer
from harness.scope import Scope, deferred_checks, make_scope, parameters_of, short_repr
from harness.verdict import VerdictKind

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "__harness_claim__"


@dataclass(frozen=True, eq=False)
class Claim:
    """One hypothesis: a formula about a layer, its scope, and what the student recorded.

    ``spec`` is the layer as it is checked: canonical (:meth:`Layer.canonical`, Keras's
    defaults left out), so one layer however it is spelt gets the same seeds, cases,
    memo entries and Keras model.  ``written`` is the layer as the file spells it, when
    that differs; it is only shown (:attr:`shown`).  ``error``: why the declaration is
    broken (with its file and line); such a claim is never run.
    """

    formula: Callable[..., Any]
    spec: Layer
    name: str
    refuted: bool
    params: tuple[str, ...]
    scope: Scope
    file: str
    line: int
    function: str
    written: Layer | None = None
    error: str | None = None

    @property
    def shown(self) -> Layer:
        """The layer as the student wrote it (what reports show)."""
        return self.spec if self.written is None else self.written

    @property
    def expected(self) -> VerdictKind:
        """The verdict the student recorded: ``"refuted"`` or ``"holds"``."""
        return VerdictKind.REFUTED if self.refuted else VerdictKind.HOLDS


def hypothesis(
    layer: Layer,
    *,
    name: str | None = None,
    refuted: bool = False,
    fixed: dict[str, Any] | None = None,
    timesteps: int | Iterable[int] | None = None,
    where: Callable[..., Any] | None = None,
) -> Callable[[F], F]:
    """Declare that the decorated formula computes what ``layer`` outputs.

    ``layer`` is a course preset, ``SimpleRNN(...)``/``LSTM(...)``/``GRU(...)``, or any
    Keras layer with weights: ``Layer("Conv1D", filters=1, kernel_size=3,
    input_shape=(6, 1))``.  The formula's parameters are bound by name: the
    layer's weight names as ``layer.weights`` names them (``kernel``,
    ``recurrent_kernel``, ``bias``, ``embeddings``, ``gamma``, ...), ``weights``
    (all of them, in ``get_weights()`` order) and the input sample: ``xs`` for
    a recurrent layer (one sequence, shape (timesteps, input_dim)), ``x``
    otherwise.  ``fixed``, ``timesteps`` (the length of a variable input axis)
    and ``where`` limit the cases checked to the setting the hypothesis is about.
    """
    caller = sys._getframe(1)
    at = (caller.f_code.co_filename, caller.f_lineno)
    if inspect.isfunction(layer) and not _ours(layer):  # a bare @hypothesis: the function
        # came as the layer (``@hypothesis(SimpleRNN)``, the harness's own, is a wrong layer)
        return cast(Callable[[F], F], _broken(layer, NO_LAYER, None, refuted, at, (
            "@hypothesis needs the layer first: write @hypothesis(PART_A) or "
            "@hypothesis(SimpleRNN(units=1, ...)), not a bare @hypothesis. "
            f"Received the function {layer.__name__!r}.")))
    scope = Scope()
    try:
        _check_layer(layer)
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ClaimError(f"name= must be a non-empty string. Received: {name!r}.")
        if not isinstance(refuted, bool):
            raise ClaimError(f"refuted= must be True or False. Received: {refuted!r}.")
        scope = make_scope(layer, fixed=fixed, timesteps=timesteps, where=where)
        problem = None
    except HarnessError as exc:
        problem = str(exc)
    spec = layer if isinstance(layer, Layer) else NO_LAYER

    def decorate(formula: F) -> F:
        if problem is not None:
            return _broken(formula, spec, name, refuted, at, problem)
        if not inspect.isfunction(formula):
            what = ("a plain function (def ...)" if callable(formula) else "a function")
            return _broken(formula, spec, name, refuted, at, (
                f"@hypothesis(...) must decorate {what}. Received: {short_repr(formula)}."))
        try:
            params = parameters_of(formula, spec, "the formula")
            checked = checked_layer(spec)
        except HarnessError as exc:
            return _broken(formula, spec, name, refuted, at, str(exc))
        code = formula.__code__
        claim = Claim(
            formula=formula, spec=checked, name=name or formula.__name__, refuted=refuted,
            params=params, scope=scope, file=code.co_filename, line=code.co_firstlineno,
            function=formula.__name__, written=None if checked == spec else spec,
        )
        setattr(formula, ATTRIBUTE, claim)
        return formula

    return decorate


def checked_layer(layer: Layer) -> Layer:
    """The layer a claim about ``layer`` is checked as: its canonical spelling.  Where
    Keras cannot be asked (a grading worker), the layer as written: the grader, which
    rebuilds every claim, canonicalises it there."""
    return layer if deferred_checks(layer) else layer.canonical()


#: The layer of a broken claim whose ``@hypothesis(...)`` names no layer description
#: (it matches no exercise and is never built).
NO_LAYER = Layer("UnknownLayer")


@dataclass
class Collected:
    """What loading one file turned up besides its module: broken claims, and notebook
    cells that failed (cell name, exception; the other cells still ran)."""

    broken: list[Claim] = field(default_factory=list)
    cells: list[tuple[str, BaseException]] = field(default_factory=list)


#: Set while the harness loads a file (see :func:`collecting`).
_COLLECTING: ContextVar[Collected | None] = ContextVar("harness_collecting", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[Collected]:
    """While the harness loads a file: every broken claim made, and every notebook cell
    that fails, is gathered in the :class:`Collected` yielded, and the decorator does
    not warn (the harness reports the claim itself)."""
    found = Collected()
    token = _COLLECTING.set(found)
    try:
        yield found
    finally:
        _COLLECTING.reset(token)


def current_collection() -> Collected | None:
    """The :class:`Collected` of the file the harness is loading, if any."""
    return _COLLECTING.get()


def broken_claim(spec: Layer | None, name: str | None, refuted: object, file: str,
                 line: int, function: str, problem: str) -> Claim:
    """A claim whose declaration is broken: never run, checked as an ``error`` verdict
    whose message is ``problem`` with where it is (``part_a.py, line 12: ...``)."""
    message = f"{location(file, line)}: {problem}"

    def not_checked(*args: Any, **kwargs: Any) -> Any:
        raise ClaimError(message)

    not_checked.__name__ = function
    claim = Claim(formula=not_checked, spec=spec or NO_LAYER,
                  name=name if isinstance(name, str) and name.strip() else function,
                  refuted=refuted if isinstance(refuted, bool) else False, params=(),
                  scope=Scope(), file=file, line=line, function=function, error=message)
    found = _COLLECTING.get()
    if found is not None:
        found.broken.append(claim)
    return claim


def location(file: str, line: int) -> str:
    """``part_a.py, line 12``, ``explore.ipynb, cell 3, line 2`` in a notebook read by
    the harness, ``cell In [5], line 2`` in a running Jupyter kernel."""
    cell = parse_cell_name(file)
    where = f"line {line}" if line else "somewhere"
    if cell is not None:
        return f"{Path(cell[0]).name}, cell {cell[1]}, {where}"
    number = kernel_cell(file)
    if number is not None:
        return f"cell In [{number}], {where}"
    return f"{Path(file).name}, {where}"


def kernel_cell(filename: str) -> int | None:
    """The ``In [n]`` of a Jupyter cell whose code lives in ``filename`` (a file the
    kernel made up, ``/tmp/ipykernel_.../123.py``); None outside a running kernel (IPython
    is never imported here)."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    number = names.get(filename) if isinstance(names, dict) else None
    return number if isinstance(number, int) else None


def _broken(formula: Any, spec: Layer, name: str | None, refuted: object,
            at: tuple[str, int], problem: str) -> Any:
    """Attach a broken claim to ``formula`` (a stand-in function when it cannot hold
    one) and return it; warn when not loaded by the harness."""
    function = getattr(formula, "__name__", None)
    function = function if isinstance(function, str) else "not_a_function"
    claim = broken_claim(spec, name, refuted, at[0], at[1], function, problem)
    if _COLLECTING.get() is None:
        warnings.warn(ClaimWarning(f"{claim.error} This hypothesis is not checked until "
                                   "that is fixed."), stacklevel=3)
    target = formula if inspect.isfunction(formula) and not _ours(formula) else claim.formula
    setattr(target, ATTRIBUTE, claim)
    return target


def _ours(function: Any) -> bool:
    """A function of the harness itself (``SimpleRNN``, ...): never given a claim, which
    every file importing it would then seem to hold."""
    module = getattr(function, "__module__", None)
    return isinstance(module, str) and module.split(".")[0] == "harness"


def claim_of(obj: object) -> Claim | None:
    """The claim attached to ``obj`` by ``@hypothesis``, if any."""
    claim = getattr(obj, ATTRIBUTE, None) if inspect.isfunction(obj) else None
    return claim if isinstance(claim, Claim) else None


def claims_in(module: ModuleType, broken: Iterable[Claim] = ()) -> list[Claim]:
    """Every claim defined in ``module`` (and the ``broken`` ones gathered while it was
    loaded, see :func:`collecting`), in the order they appear in the file."""
    seen: dict[int, Claim] = {}
    for value in list(vars(module).values()):
        claim = claim_of(value)
        if claim is not None:
            seen.setdefault(id(claim), claim)
    for claim in broken:
        seen.setdefault(id(claim), claim)
    return sorted(seen.values(), key=lambda c: (_cell_of(c.file), c.line, c.name))


def _cell_of(file: str) -> int:
    """The notebook cell a claim is defined in (0 for a plain file): a notebook's claims
    are ordered by cell, then by line in the cell."""
    cell = parse_cell_name(file)
    return cell[1] if cell else 0


def _check_layer(layer: object) -> None:
    if isinstance(layer, Layer):
        layer.require_input_shape()
        if not deferred_checks(layer):
            layer.validate()  # builds the Keras layer once: what Keras rejects, said now
        return
    if inspect.isfunction(layer) and _ours(layer):
        raise ClaimError(
            f"@hypothesis({layer.__name__}) needs the layer itself: call it, e.g. "
            f"@hypothesis({layer.__name__}(units=1, activation=\"linear\")), or use a course "
            f"preset (PART_A, PART_B, PART_C). Received the function {layer.__name__!r}.")
    if type(layer).__module__.startswith(("keras", "tensorflow")):
        raise ClaimError(
            "@hypothesis takes a harness layer description, not a Keras layer: use "
            "`from harness import SimpleRNN` (same arguments). "
            f"Received: {type(layer).__name__} from {type(layer).__module__}.")
    raise ClaimError(
        "@hypothesis(layer) needs SimpleRNN(...), LSTM(...), GRU(...) or Layer(...) from "
        "harness (e.g. Layer(\"Dense\", units=2, input_shape=(3,))), or a course preset "
        f"(PART_A, PART_B, PART_C). Received: {layer!r}.")


__all__ = ["NO_LAYER", "Claim", "Collected", "broken_claim", "claim_of",
           "claims_in", "collecting", "current_collection", "hypothesis", "kernel_cell", "location"]
