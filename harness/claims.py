"""Authoring: the ``@hypothesis`` decorator and the ``Claim`` it records.

The decorator checks the formula's parameters when the file is imported and
attaches a :class:`Claim` to the function (no global registry): collection
finds claims by looking at a module's functions.  The function itself is
returned unchanged, so a student can still call it by hand.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from harness.errors import ClaimError
from harness.ipynb import parse_cell_name
from harness.layers import LayerSpec
from harness.scope import Scope, deferred_checks, make_scope, parameters_of
from harness.verdict import VerdictKind

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "__harness_claim__"


@dataclass(frozen=True, eq=False)
class Claim:
    """One hypothesis: a formula about a layer, its scope, and what the student recorded.

    ``spec`` is the layer as it is checked: canonical (:meth:`Layer.canonical`, Keras's
    defaults left out), so one layer however it is spelt gets the same seeds, cases,
    memo entries and Keras model.  ``written`` is the layer as the file spells it, when
    that differs; it is only shown (:attr:`shown`).
    """

    formula: Callable[..., Any]
    spec: LayerSpec
    name: str
    refuted: bool
    params: tuple[str, ...]
    scope: Scope
    file: str
    line: int
    function: str
    written: LayerSpec | None = None

    @property
    def shown(self) -> LayerSpec:
        """The layer as the student wrote it (what reports show)."""
        return self.spec if self.written is None else self.written

    @property
    def expected(self) -> VerdictKind:
        """The verdict the student recorded: ``"refuted"`` or ``"holds"``."""
        return VerdictKind.REFUTED if self.refuted else VerdictKind.HOLDS


def hypothesis(
    layer: LayerSpec,
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
    _check_layer(layer)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ClaimError(f"name= must be a non-empty string. Received: {name!r}.")
    if not isinstance(refuted, bool):
        raise ClaimError(f"refuted= must be True or False. Received: {refuted!r}.")
    scope = make_scope(layer, fixed=fixed, timesteps=timesteps, where=where)

    def decorate(formula: F) -> F:
        if not callable(formula):
            raise ClaimError(f"@hypothesis(...) must decorate a function. "
                             f"Received: {formula!r}.")
        params = parameters_of(formula, layer, "the formula")
        code = getattr(formula, "__code__", None)
        checked = checked_layer(layer)
        claim = Claim(
            formula=formula, spec=checked, name=name or formula.__name__, refuted=refuted,
            params=params, scope=scope,
            file=code.co_filename if code else "<unknown>",
            line=code.co_firstlineno if code else 0,
            function=getattr(formula, "__name__", "formula"),
            written=None if checked == layer else layer,
        )
        try:
            setattr(formula, ATTRIBUTE, claim)
        except AttributeError:
            raise ClaimError(f"@hypothesis(...) must decorate a plain function (def ...). "
                             f"Received: {formula!r}.") from None
        return formula

    return decorate


def checked_layer(layer: LayerSpec) -> LayerSpec:
    """The layer a claim about ``layer`` is checked as: its canonical spelling.  Where
    Keras cannot be asked (a grading worker), the layer as written: the grader, which
    rebuilds every claim, canonicalises it there."""
    return layer if deferred_checks(layer) else layer.canonical()


def claim_of(obj: object) -> Claim | None:
    """The claim attached to ``obj`` by ``@hypothesis``, if any."""
    claim = getattr(obj, ATTRIBUTE, None) if inspect.isfunction(obj) else None
    return claim if isinstance(claim, Claim) else None


def claims_in(module: ModuleType) -> list[Claim]:
    """Every claim defined in ``module``, in the order they appear in the file."""
    seen: dict[int, Claim] = {}
    for value in list(vars(module).values()):
        claim = claim_of(value)
        if claim is not None:
            seen.setdefault(id(claim), claim)
    return sorted(seen.values(), key=lambda c: (_cell_of(c.file), c.line, c.name))


def _cell_of(file: str) -> int:
    """The notebook cell a claim is defined in (0 for a plain file): a notebook's claims
    are ordered by cell, then by line in the cell."""
    cell = parse_cell_name(file)
    return cell[1] if cell else 0


def _check_layer(layer: object) -> None:
    if isinstance(layer, LayerSpec):
        layer.require_input_shape()
        if not deferred_checks(layer):
            layer.validate()  # builds the Keras layer once: what Keras rejects, said now
        return
    if inspect.isfunction(layer):
        raise ClaimError(
            "@hypothesis needs the layer first: write @hypothesis(PART_A) or "
            "@hypothesis(SimpleRNN(units=1, ...)), not a bare @hypothesis. "
            f"Received the function {layer.__name__!r}.")
    if type(layer).__module__.startswith(("keras", "tensorflow")):
        raise ClaimError(
            "@hypothesis takes a harness layer description, not a Keras layer: use "
            "`from harness import SimpleRNN` (same arguments). "
            f"Received: {type(layer).__name__} from {type(layer).__module__}.")
    raise ClaimError(
        "@hypothesis(layer) needs SimpleRNN(...), LSTM(...), GRU(...) or Layer(...) from "
        "harness (e.g. Layer(\"Dense\", units=2, input_shape=(3,))), or a course preset "
        f"(PART_A, PART_B, PART_C). Received: {layer!r}.")


__all__ = ["Claim", "claim_of", "claims_in", "hypothesis"]
