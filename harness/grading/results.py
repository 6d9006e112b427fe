"""Grading results as plain objects: one per hypothesis, exercise and submission.

The result model is defined once: :class:`harness.verdict.VerdictKind` for what
checking a hypothesis found, :class:`Status` for what happened to a whole
submission, :class:`Credit` for what a hypothesis earned.  All three are
:class:`enum.StrEnum`, so they compare equal to their text and are written to
JSON (grades.csv, results) as that text.

A :class:`HypothesisResult` embeds the checker's :class:`harness.verdict.Verdict`
unchanged (``recorded`` is the student's ``refuted=`` flag, a bool, everywhere)
and adds only what grading decides: the exercise, points, credit and note.

Everything round-trips through JSON (:meth:`SubmissionResult.to_json` /
:meth:`SubmissionResult.from_json`, with the same types), so a result can be
stored for a resumed run, sent back from a Dask worker, and rendered by every
writer (grades.csv, feedback, Gradescope's results.json, the summary) without
re-grading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.verdict import Verdict, VerdictKind


class Status(StrEnum):
    """What happened to a whole submission.  ``graded`` means nothing went wrong."""

    GRADED = "graded"
    SYNTAX_ERROR = "syntax-error"
    IMPORT_ERROR = "import-error"
    LOAD_ERROR = "load-error"
    BAD_HYPOTHESIS = "bad-hypothesis"
    NO_HYPOTHESES = "no-hypotheses"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    TAMPERED = "tampered"
    USED_KERAS = "used-keras"
    INVALID_SUBMISSION = "invalid-submission"
    GRADER_ERROR = "grader-error"


class Credit(StrEnum):
    """What one hypothesis earns points for."""

    NONE = "none"
    GENERAL = "general"        # holds for all weights and sequences
    NARROW = "narrow"          # holds in a narrower scope only (plausible, if it earns)
    REFUTED = "refuted"        # recorded refuted=True, refuted, and plausible


GRADED = Status.GRADED


@dataclass(frozen=True)
class HypothesisResult:
    """One hypothesis of one student: the checker's verdict (``checked``, embedded
    unchanged), then what it earns.

    ``plausible`` is decided only for a hypothesis recorded ``refuted=True`` that
    is refuted and for one that holds in a narrower scope only (see
    :mod:`harness.grading.plausible`); ``None`` otherwise.
    """

    checked: Verdict
    exercise: str | None
    used_keras: bool = False
    plausible: bool | None = None
    earned: float = 0.0
    credit: Credit = Credit.NONE
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "credit", Credit(self.credit))

    @property
    def verdict(self) -> VerdictKind:
        """What checking found: holds, refuted, error, timeout, crashed, not-checked."""
        return self.checked.kind

    @property
    def name(self) -> str:
        return self.checked.name

    def to_json(self) -> dict[str, Any]:
        return {"checked": self.checked.to_json(), "exercise": self.exercise,
                "used_keras": self.used_keras, "plausible": self.plausible,
                "earned": self.earned, "credit": str(self.credit), "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HypothesisResult:
        fields = dict(data)
        fields["checked"] = Verdict.from_json(data["checked"])
        fields["credit"] = Credit(data["credit"])
        return cls(**fields)


@dataclass(frozen=True)
class ExerciseResult:
    """Points for one exercise."""

    id: str
    name: str
    points: float
    max_points: float
    note: str = ""


@dataclass(frozen=True)
class FileProblem:
    """Part of a submission that could not be used, costing only its own hypotheses: a
    file that could not be imported, a notebook cell that could not be run, or a
    hypothesis whose ``@hypothesis(...)`` declaration is broken.  ``status`` says which
    kind (``syntax-error``, ``import-error``, ``load-error``, ``used-keras``,
    ``bad-hypothesis``); ``message`` names the file, the line and the reason."""

    file: str
    status: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "status": self.status, "message": self.message}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileProblem:
        return cls(str(data["file"]), str(data["status"]), str(data["message"]))


@dataclass(frozen=True)
class Override:
    """Points a person set for one exercise (``overrides.toml``, see
    :mod:`harness.grading.overrides`), with the points the grader gave (``graded``).
    Applied to a result when the outputs are written, never stored with it."""

    exercise: str
    points: float
    graded: float
    reason: str
    who: str = ""
    when: str = ""


@dataclass(frozen=True)
class SubmissionResult:
    """One student's grade and everything the feedback needs."""

    student: str
    key: str
    status: Status
    exercises: tuple[ExerciseResult, ...]
    hypotheses: tuple[HypothesisResult, ...] = ()
    message: str | None = None
    notes: tuple[str, ...] = field(default=())
    ignored: int = 0
    seconds: float = 0.0
    isolation: tuple[str, ...] = field(default=())
    #: Overrides applied to ``exercises`` (their points are already the overridden ones).
    overrides: tuple[Override, ...] = field(default=())
    #: Files (or notebook cells, or declarations) that could not be used; the rest is
    #: graded as usual.
    problems: tuple[FileProblem, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))

    def override(self, exercise: str) -> Override | None:
        """The override applied to ``exercise``, if any."""
        return next((o for o in self.overrides if o.exercise == exercise), None)

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises), 6)

    @property
    def max_total(self) -> float:
        return round(sum(e.max_points for e in self.exercises), 6)

    def points(self, exercise: str) -> float:
        return next((e.points for e in self.exercises if e.id == exercise), 0.0)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (lists, strings, numbers); :meth:`from_json` reads it back."""
        return {
            "student": self.student, "key": self.key, "status": str(self.status),
            "exercises": [vars(e).copy() for e in self.exercises],
            "hypotheses": [h.to_json() for h in self.hypotheses],
            "message": self.message, "notes": list(self.notes), "ignored": self.ignored,
            "seconds": self.seconds, "isolation": list(self.isolation),
            "problems": [p.to_json() for p in self.problems],
            "overrides": [vars(o).copy() for o in self.overrides],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        fields = dict(data)
        fields["status"] = Status(data["status"])
        fields["exercises"] = tuple(ExerciseResult(**e) for e in data["exercises"])
        fields["hypotheses"] = tuple(HypothesisResult.from_json(h) for h in data["hypotheses"])
        fields["notes"] = tuple(data.get("notes", ()))
        fields["isolation"] = tuple(data.get("isolation", ()))
        fields["overrides"] = tuple(Override(**o) for o in data.get("overrides", ()))
        fields["problems"] = tuple(FileProblem.from_json(p) for p in data.get("problems", ()))
        return cls(**fields)


def format_points(value: float) -> str:
    """``2`` not ``2.0``; ``1.5`` stays."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
