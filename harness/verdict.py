"""Verdicts: the result of checking one hypothesis, as plain data.

:class:`VerdictKind` is the one list of verdicts.  The checker gives
``holds``, ``refuted`` or ``error``; grading adds ``timeout``, ``crashed`` and
``not-checked`` for hypotheses whose formula could not be run to the end.  It
is a :class:`enum.StrEnum`, so a kind compares equal to its text and is
written to JSON as that text.

A verdict holds only JSON-friendly values (and the layer spec), so it can be
stored, compared across runs and rendered by any writer; :meth:`Verdict.to_json`
and :meth:`Verdict.from_json` round-trip it exactly, with the same types.
A file that could not be imported at all gets no verdict but a :class:`LoadFailure`.
The sentences a user reads about a verdict are written in :mod:`harness.sentences`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from harness.layers import Layer
from harness.parse import parse_layer


class VerdictKind(StrEnum):
    """What checking a hypothesis found."""

    HOLDS = "holds"
    REFUTED = "refuted"
    ERROR = "error"
    #: Grading only: the formula took longer than the time limit.
    TIMEOUT = "timeout"
    #: Grading only: the formula crashed the worker running it.
    CRASHED = "crashed"
    #: Grading only: the submission ran out of time or restarts before this one.
    NOT_CHECKED = "not-checked"


HOLDS = VerdictKind.HOLDS
REFUTED = VerdictKind.REFUTED
ERROR = VerdictKind.ERROR

@dataclass(frozen=True)
class Counterexample:
    """The smallest case found where the hypothesis fails, with both outputs."""

    case: dict[str, Any]                      # weights by name and xs, as nested lists
    keras_output: Any                         # nested lists of numbers
    hypothesis_output: Any = None             # nested lists, or None when the formula failed
    keras_steps: Any = None                   # Keras's output at every step (for the table)


@dataclass(frozen=True)
class Regime:
    """A narrower scope, in the words of ``@hypothesis``: ``fixed=`` entries (a number for a
    whole array, or nested lists with ``None`` for free entries) and ``timesteps``."""

    fixed: tuple[tuple[str, Any], ...] = ()
    timesteps: tuple[int, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"fixed": dict(self.fixed),
                "timesteps": None if self.timesteps is None else list(self.timesteps)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Regime:
        steps = data.get("timesteps")
        return cls(tuple(dict(data.get("fixed") or {}).items()),
                   None if steps is None else tuple(int(t) for t in steps))


@dataclass(frozen=True)
class Hints:
    """What narrows a refuted hypothesis down, each a fact observed from Keras: the
    simplest regimes where it holds, the first step of the counterexample where it
    disagrees, and the weight arrays that, set to 0 in the counterexample, make it agree.
    ``complete`` is False when the time budget cut the search short."""

    holds_when: tuple[Regime, ...] = ()
    first_disagreeing_step: int | None = None
    weights_that_matter: tuple[str, ...] = ()
    complete: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"holds_when": [r.to_json() for r in self.holds_when],
                "first_disagreeing_step": self.first_disagreeing_step,
                "weights_that_matter": list(self.weights_that_matter),
                "complete": self.complete}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hints:
        return cls(tuple(Regime.from_json(r) for r in data.get("holds_when", ())),
                   data.get("first_disagreeing_step"),
                   tuple(data.get("weights_that_matter", ())), bool(data.get("complete", True)))


@dataclass(frozen=True)
class Sweep:
    """One weight element swept over a range around the counterexample's value, the other
    weights and the inputs as in the counterexample: the final output of Keras and of the
    hypothesis (its first unit) at each value (``None`` where the formula gave no number)."""

    weight: str
    index: tuple[int, ...]
    values: tuple[float, ...]
    keras: tuple[float, ...]
    hypothesis: tuple[float | None, ...]
    #: The counterexample step by step (first unit): Keras's output after each step and
    #: the formula's output on each prefix of the sequence (``None`` where it gave none).
    keras_steps: tuple[float, ...] = ()
    hypothesis_steps: tuple[float | None, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"weight": self.weight, "index": list(self.index), "values": list(self.values),
                "keras": list(self.keras), "hypothesis": list(self.hypothesis),
                "keras_steps": list(self.keras_steps),
                "hypothesis_steps": list(self.hypothesis_steps)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sweep:
        return cls(str(data["weight"]), tuple(data["index"]), tuple(data["values"]),
                   tuple(data["keras"]), tuple(data["hypothesis"]),
                   tuple(data.get("keras_steps", ())), tuple(data.get("hypothesis_steps", ())))


@dataclass(frozen=True)
class Verdict:
    """One hypothesis, checked.  ``recorded`` is the student's ``refuted=`` flag."""

    file: str
    function: str
    name: str
    layer: Layer
    scope: str
    recorded: bool
    kind: VerdictKind  # written to JSON as "verdict", the name stored results use
    cases: int
    seed: int
    seconds: float = 0.0
    counterexample: Counterexample | None = None
    message: str | None = None
    line: int = 0
    general: bool = True
    notes: tuple[str, ...] = field(default=())
    #: Teaching extras (filled in after checking, see issue 9): hints for a refuted
    #: hypothesis, a weight sweep for its picture, a digest of its outputs on the
    #: screening cases (equal digests = look-alike behaviour) and the look-alikes' names.
    hints: Hints | None = None
    sweep: Sweep | None = None
    behaviour: str | None = None
    same_as: tuple[str, ...] = field(default=())
    #: The formula's parameter names (so the failing call shows only those); empty = unknown.
    params: tuple[str, ...] = field(default=())
    #: The hypothesis has a ``where=`` condition (its hints keep it).  Written to JSON only
    #: when true, so verdicts without a condition are stored as before.
    where: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", VerdictKind(self.kind))  # one type everywhere

    @property
    def expected(self) -> VerdictKind:
        """The verdict the student recorded (``refuted=True`` means refuted)."""
        return REFUTED if self.recorded else HOLDS

    @property
    def as_expected(self) -> bool:
        return self.kind == self.expected

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: the layer as its constructor text, kinds as their text."""
        data = {"verdict" if key == "kind" else key: value  # the stored name, in place
                for key, value in asdict(self).items()}
        data["layer"] = str(self.layer)
        data["verdict"] = str(self.kind)
        data["notes"] = list(self.notes)
        data["hints"] = None if self.hints is None else self.hints.to_json()
        data["sweep"] = None if self.sweep is None else self.sweep.to_json()
        data["same_as"] = list(self.same_as)
        data["params"] = list(self.params)
        if not self.where:
            del data["where"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        """The verdict :meth:`to_json` wrote (the layer parsed safely, never evaluated)."""
        fields = dict(data)
        fields["layer"] = parse_layer(data["layer"])
        fields["kind"] = VerdictKind(fields.pop("verdict"))
        fields["recorded"] = bool(data["recorded"])
        example = data.get("counterexample")
        fields["counterexample"] = Counterexample(**example) if example else None
        fields["notes"] = tuple(data.get("notes", ()))
        hints, sweep = data.get("hints"), data.get("sweep")
        fields["hints"] = None if hints is None else Hints.from_json(hints)
        fields["sweep"] = None if sweep is None else Sweep.from_json(sweep)
        fields["same_as"] = tuple(data.get("same_as", ()))
        fields["params"] = tuple(data.get("params", ()))
        fields["where"] = bool(data.get("where", False))
        return cls(**fields)


@dataclass(frozen=True)
class LoadFailure:
    """A hypothesis file that could not be imported, or a notebook cell that could not be
    run (``cell``: its number; the other cells ran), and why."""

    file: str
    message: str
    cell: int | None = None

    @property
    def what(self) -> str:
        """``the file could not be imported`` / ``cell 5 could not be run``."""
        if self.cell is None:
            return "the file could not be imported"
        return f"cell {self.cell} could not be run"
