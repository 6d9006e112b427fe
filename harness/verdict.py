"""Verdicts: the result of checking one hypothesis, as plain data.

:class:`VerdictKind` is the one list of verdicts.  The checker gives
``holds``, ``refuted`` or ``error``; grading adds ``timeout``, ``crashed`` and
``not-checked`` for hypotheses whose formula could not be run to the end.  It
is a :class:`enum.StrEnum`, so a kind compares equal to its text and is
written to JSON as that text.

A verdict holds only JSON-friendly values (and the layer spec), so it can be
stored, compared across runs and rendered by any writer; :meth:`Verdict.to_json`
and :meth:`Verdict.from_json` round-trip it exactly, with the same types.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from harness.layers import LayerSpec, parse_layer


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

_SENTENCE = {
    HOLDS: "holds", REFUTED: "is refuted", ERROR: "could not be checked (error)",
    VerdictKind.TIMEOUT: "could not be checked (it took too long)",
    VerdictKind.CRASHED: "could not be checked (it crashed)",
    VerdictKind.NOT_CHECKED: "was not checked",
}


@dataclass(frozen=True)
class Counterexample:
    """The smallest case found where the hypothesis fails, with both outputs."""

    case: dict[str, Any]                      # weights by name and xs, as nested lists
    keras_output: Any                         # nested lists of numbers
    hypothesis_output: Any = None             # nested lists, or None when the formula failed
    keras_steps: Any = None                   # Keras's output at every step (for the table)


@dataclass(frozen=True)
class Verdict:
    """One hypothesis, checked.  ``recorded`` is the student's ``refuted=`` flag."""

    file: str
    function: str
    name: str
    layer: LayerSpec
    scope: str
    recorded: bool
    verdict: VerdictKind
    cases: int
    seed: int
    seconds: float = 0.0
    counterexample: Counterexample | None = None
    message: str | None = None
    line: int = 0
    general: bool = True
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", VerdictKind(self.verdict))  # one type everywhere

    @property
    def expected(self) -> VerdictKind:
        """The verdict the student recorded (``refuted=True`` means refuted)."""
        return REFUTED if self.recorded else HOLDS

    @property
    def as_expected(self) -> bool:
        return self.verdict == self.expected

    @property
    def sentence(self) -> str:
        """``Hypothesis #1 is refuted`` / ``... holds`` / ``... could not be checked``."""
        return f"{self.name} {_SENTENCE[VerdictKind(self.verdict)]}"

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: the layer as its constructor text, kinds as their text."""
        data = asdict(self)
        data["layer"] = str(self.layer)
        data["verdict"] = str(self.verdict)
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        """The verdict :meth:`to_json` wrote (the layer parsed safely, never evaluated)."""
        fields = dict(data)
        fields["layer"] = parse_layer(data["layer"])
        fields["verdict"] = VerdictKind(data["verdict"])
        fields["recorded"] = bool(data["recorded"])
        example = data.get("counterexample")
        fields["counterexample"] = Counterexample(**example) if example else None
        fields["notes"] = tuple(data.get("notes", ()))
        return cls(**fields)
