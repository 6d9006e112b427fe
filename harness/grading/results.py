"""Grading results as plain objects: one per hypothesis, exercise and submission.

Everything here is JSON-friendly, so a result can be stored for a resumed
run, sent back from a Dask worker, and rendered by every writer (grades.csv,
feedback, Gradescope's results.json, the summary) without re-grading.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Submission statuses.  ``graded`` means nothing went wrong while grading.
GRADED = "graded"
STATUSES = (
    GRADED, "syntax-error", "import-error", "load-error", "bad-hypothesis", "no-hypotheses",
    "timeout", "crashed", "tampered", "used-keras", "invalid-submission",
)

#: Hypothesis verdicts beyond the checker's holds / refuted / error.
TIMEOUT = "timeout"
CRASHED = "crashed"
NOT_CHECKED = "not-checked"


@dataclass(frozen=True)
class HypothesisResult:
    """One hypothesis of one student, checked and scored."""

    name: str
    function: str
    file: str
    line: int
    layer: str
    exercise: str | None
    scope: str
    general: bool
    recorded: str
    verdict: str
    cases: int = 0
    message: str | None = None
    counterexample: dict[str, Any] | None = None
    used_keras: bool = False
    earned: float = 0.0
    credit: str = "none"
    note: str = ""


@dataclass(frozen=True)
class ExerciseResult:
    """Points for one exercise."""

    id: str
    name: str
    points: float
    max_points: float
    note: str = ""


@dataclass(frozen=True)
class SubmissionResult:
    """One student's grade and everything the feedback needs."""

    student: str
    key: str
    status: str
    exercises: tuple[ExerciseResult, ...]
    hypotheses: tuple[HypothesisResult, ...] = ()
    message: str | None = None
    notes: tuple[str, ...] = field(default=())
    ignored: int = 0
    seconds: float = 0.0
    isolation: tuple[str, ...] = field(default=())

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises), 6)

    @property
    def max_total(self) -> float:
        return round(sum(e.max_points for e in self.exercises), 6)

    def points(self, exercise: str) -> float:
        return next((e.points for e in self.exercises if e.id == exercise), 0.0)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        fields = dict(data)
        fields["exercises"] = tuple(ExerciseResult(**e) for e in data["exercises"])
        fields["hypotheses"] = tuple(HypothesisResult(**h) for h in data["hypotheses"])
        fields["notes"] = tuple(data.get("notes", ()))
        fields["isolation"] = tuple(data.get("isolation", ()))
        return cls(**fields)


def format_points(value: float) -> str:
    """``2`` not ``2.0``; ``1.5`` stays."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
