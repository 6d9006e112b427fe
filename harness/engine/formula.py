"""Running a student's formula on cases, and describing what went wrong.

An :class:`Evaluator` turns (claim, cases) into :class:`Outcome` objects.  The
checker only talks to this interface, so the same checker runs formulas in
this process (a student's own run, :class:`InProcess`) or in an isolated
worker process (grading).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from harness.cases import Case, bindings
from harness.claims import Claim
from harness.engine.compare import OutputError, normalize
from harness.faults import describe_exception


@dataclass(frozen=True)
class Outcome:
    """What a formula gave for one case: a normalised output, or why there is none."""

    value: np.ndarray | None = None
    error: str | None = None
    fatal: bool = False  # the formula cannot be run again (timed out, worker died)

    @classmethod
    def failed(cls, error: str) -> Outcome:
        return cls(error=error)


class Evaluator(Protocol):
    """Runs a claim's formula on cases."""

    def evaluate(self, claim: Claim, cases: Sequence[Case]) -> list[Outcome]: ...


class FormulaTimeout(BaseException):
    """A formula call ran past its time limit (a BaseException, so a student's
    ``except Exception`` cannot swallow it)."""


class InProcess:
    """Runs formulas right here (a student's own run: their code, their machine).

    Each call gets ``time_limit`` seconds (enforced with a timer signal when
    running in the main thread), so an endless loop becomes an error verdict
    instead of a hung run.
    """

    def __init__(self, time_limit: float = 5.0) -> None:
        self.time_limit = time_limit

    def evaluate(self, claim: Claim, cases: Sequence[Case]) -> list[Outcome]:
        with _time_limit(self.time_limit) as arm:
            outcomes: list[Outcome] = []
            for case in cases:
                if outcomes and outcomes[-1].fatal:
                    outcomes.append(outcomes[-1])
                    continue
                arm()
                outcomes.append(run_formula(claim, case))
            return outcomes


def run_formula(claim: Claim, case: Case) -> Outcome:
    """Call the formula on one case and normalise what it returns."""
    try:
        with np.errstate(all="ignore"):  # overflow in a student's formula is not noise to show
            value = claim.formula(**bindings(claim.spec, case, claim.params))
    except FormulaTimeout as exc:
        return Outcome(error=str(exc), fatal=True)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the boundary around student code
        return Outcome.failed(describe_exception(exc, claim.file))
    try:
        return check_value(claim, case, value)
    except Exception as exc:  # noqa: BLE001 - reading a student's object ran their code
        return Outcome.failed(f"its return value could not be read as numbers "
                              f"({type(exc).__name__} while converting it)")


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def _time_limit(seconds: float) -> Iterator[Callable[[], None]]:
    """Yield ``arm()``: each call gives the next formula call ``seconds`` to finish.

    Uses SIGALRM, so only in the main thread; elsewhere ``arm`` does nothing.
    """
    if not seconds or not _can_alarm():
        yield lambda: None
        return

    def expire(signum: int, frame: object) -> None:
        raise FormulaTimeout(f"it took longer than {seconds:g} s on one case "
                             "(an endless loop?)")

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        yield lambda: signal.setitimer(signal.ITIMER_REAL, seconds) and None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_value(claim: Claim, case: Case, value: object) -> Outcome:
    """Normalise a formula's raw return value for ``case``."""
    try:
        return Outcome(value=normalize(value, claim.spec.output_shape(case.timesteps)))
    except OutputError as exc:
        return Outcome.failed(str(exc))
