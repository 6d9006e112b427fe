"""Running a student's formula on cases, and describing what went wrong.

An :class:`Evaluator` turns (claim, cases) into :class:`Outcome` objects.  The
checker only talks to this interface, so the same checker runs formulas in
this process (a student's own run, :class:`InProcess`) or in an isolated
worker process (grading).
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from harness.cases import Case, bindings
from harness.claims import Claim
from harness.compare import OutputError, normalize


@dataclass(frozen=True)
class Outcome:
    """What a formula gave for one case: a normalised output, or why there is none."""

    value: np.ndarray | None = None
    error: str | None = None

    @classmethod
    def failed(cls, error: str) -> Outcome:
        return cls(error=error)


class Evaluator(Protocol):
    """Runs a claim's formula on cases."""

    def evaluate(self, claim: Claim, cases: Sequence[Case]) -> list[Outcome]: ...


class InProcess:
    """Runs formulas right here (a student's own run: their code, their machine)."""

    def evaluate(self, claim: Claim, cases: Sequence[Case]) -> list[Outcome]:
        return [run_formula(claim, case) for case in cases]


def run_formula(claim: Claim, case: Case) -> Outcome:
    """Call the formula on one case and normalise what it returns."""
    try:
        value = claim.formula(**bindings(claim.spec, case, claim.params))
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the boundary around student code
        return Outcome.failed(describe_exception(exc, claim.file))
    return check_value(claim, case, value)


def check_value(claim: Claim, case: Case, value: object) -> Outcome:
    """Normalise a formula's raw return value for ``case``."""
    try:
        return Outcome(value=normalize(value, claim.spec.output_shape(case.timesteps)))
    except OutputError as exc:
        return Outcome.failed(str(exc))


def describe_exception(exc: BaseException, file: str) -> str:
    """``it raised ZeroDivisionError: division by zero (line 12)``: the student's line only."""
    line = ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == file]
    if frames:
        line = f" (line {frames[-1].lineno}: {(frames[-1].line or '').strip()})"
    message = str(exc).strip()
    return f"it raised {type(exc).__name__}{': ' + message if message else ''}{line}"
