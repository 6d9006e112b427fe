"""What an audit found: each mutant's result, each exercise's counts, the whole run.

The data of ``harness assignment audit`` (:mod:`harness.grading.audit` makes it,
:mod:`harness.grading.audit_pages` writes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.grading.assignment import Assignment, Exercise

KILLED_SCREENING = "killed-by-screening"
KILLED_SEARCH = "killed-by-search"
SURVIVED = "survived"
NOT_CHECKED = "not-checked"


@dataclass(frozen=True)
class MutantResult:
    """What the grading does with one mutant (or, ``operator`` None, the reference)."""

    exercise: str
    function: str
    operator: str | None
    source: str
    status: str
    #: The grader's verdict on the mutant: holds, refuted, error or timeout.
    verdict: str
    #: Survivors only: whether it also holds on ten times as many cases.
    equivalent: bool | None = None
    detail: str | None = None

    def record(self) -> dict[str, Any]:
        """One record of audit.json (a reference's says whether it holds)."""
        data: dict[str, Any] = {"exercise": self.exercise, "function": self.function,
                                "operator": self.operator, "source": self.source,
                                "verdict": self.verdict}
        if self.operator is None:
            return data | {"holds": self.verdict == "holds"}
        data["status"] = self.status
        if self.status == SURVIVED:
            data["equivalent"] = self.equivalent
        if self.detail is not None:
            data["detail"] = self.detail
        return data


@dataclass(frozen=True)
class ExerciseAudit:
    """One exercise's counts."""

    exercise: Exercise
    references: tuple[MutantResult, ...]
    mutants: tuple[MutantResult, ...]

    def count(self, status: str) -> int:
        return sum(m.status == status for m in self.mutants)

    @property
    def killed(self) -> int:
        return self.count(KILLED_SCREENING) + self.count(KILLED_SEARCH)

    @property
    def equivalent(self) -> int:
        return self.count(SURVIVED) - len(self.wrong_survivors)

    @property
    def kill_rate(self) -> float | None:
        """Killed among the wrong mutants: those checked, less the probably equivalent
        survivors (they are not wrong); None when there is none."""
        wrong = len(self.mutants) - self.count(NOT_CHECKED) - self.equivalent
        return self.killed / wrong if wrong else None

    @property
    def wrong_survivors(self) -> tuple[MutantResult, ...]:
        """Survivors that are not equivalent: wrong formulas graded as right."""
        return tuple(m for m in self.mutants if m.status == SURVIVED and not m.equivalent)

    def line(self) -> str:
        """The progress line: ``part_a: 17 mutants, 12 killed by screening, ...``."""
        rate = ("no wrong mutants" if self.kill_rate is None
                else f"kill rate {self.kill_rate:.0%} of the wrong ones")
        return (f"{self.exercise.id}: {len(self.mutants)} mutants, "
                f"{self.count(KILLED_SCREENING)} killed by screening, "
                f"{self.count(KILLED_SEARCH)} only by the search, {self.count(SURVIVED)} "
                f"survived ({self.equivalent} probably equivalent); {rate}")


@dataclass(frozen=True)
class AuditRun:
    """A whole audit."""

    assignment: Assignment
    exercises: tuple[ExerciseAudit, ...]
    seconds: float
    workers: int

    @property
    def mutants(self) -> tuple[MutantResult, ...]:
        return tuple(m for e in self.exercises for m in e.mutants)
