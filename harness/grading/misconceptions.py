"""The class's misconceptions: refuted hypotheses of the whole class grouped by what
they do (exercise or layer, scope and behaviour digest, :func:`harness.engine.lookalike.digest`),
one cluster per misconception, largest first.  Computed from outputs on the shared
screening cases, never from source text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.grading.results import HypothesisResult, SubmissionResult
from harness.verdict import REFUTED


@dataclass(frozen=True)
class Member:
    """One refuted hypothesis of one student."""

    student: str
    result: HypothesisResult


@dataclass(frozen=True)
class Cluster:
    """Refuted hypotheses of the class that behave alike: one misconception."""

    exercise: str
    members: tuple[Member, ...]

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def students(self) -> int:
        return len({m.student for m in self.members})

    @property
    def representative(self) -> Member:
        return self.members[0]


def clusters(results: Iterable[SubmissionResult]) -> list[Cluster]:
    """Refuted hypotheses of the whole class grouped by (exercise or layer, scope,
    behaviour); largest first, ties by exercise and representative.  Computed from
    outputs on the shared screening cases, never from source text."""
    found: dict[tuple[str, str, str], list[Member]] = {}
    for result in sorted(results, key=lambda r: r.student):
        for h in result.hypotheses:
            v = h.checked
            if v.kind != REFUTED or v.behaviour is None:
                continue
            key = (h.exercise or str(v.layer), v.scope, v.behaviour)
            found.setdefault(key, []).append(Member(result.student, h))
    ranked = [Cluster(key[0], tuple(members)) for key, members in found.items()]
    return sorted(ranked, key=lambda c: (-c.size, c.exercise, c.representative.student,
                                         c.representative.result.name))
