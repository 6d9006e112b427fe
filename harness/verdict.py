"""Verdicts: the result of checking one hypothesis, as plain data.

A verdict holds only JSON-friendly values (and the layer spec), so it can be
stored, compared across runs and rendered by any writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.layers import LayerSpec

HOLDS = "holds"
REFUTED = "refuted"
ERROR = "error"


@dataclass(frozen=True)
class Counterexample:
    """The smallest case found where the hypothesis fails, with both outputs."""

    case: dict[str, Any]                      # weights by name and xs, as nested lists
    keras_output: Any                         # nested lists of numbers
    hypothesis_output: Any = None             # nested lists, or None when the formula failed
    keras_steps: Any = None                   # Keras's output at every step (for the table)


@dataclass(frozen=True)
class Verdict:
    """One hypothesis, checked."""

    file: str
    function: str
    name: str
    layer: LayerSpec
    scope: str
    recorded: bool
    verdict: str
    cases: int
    seed: int
    seconds: float = 0.0
    counterexample: Counterexample | None = None
    message: str | None = None
    line: int = 0
    general: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def expected(self) -> str:
        """The verdict the student recorded (``refuted=True`` means refuted)."""
        return REFUTED if self.recorded else HOLDS

    @property
    def as_expected(self) -> bool:
        return self.verdict == self.expected

    @property
    def sentence(self) -> str:
        """``Hypothesis #1 is refuted`` / ``... holds`` / ``... could not be checked``."""
        text = {HOLDS: "holds", REFUTED: "is refuted", ERROR: "could not be checked (error)"}
        return f"{self.name} {text[self.verdict]}"
