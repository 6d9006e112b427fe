"""Teaching extras for a class: searched once per behaviour, replayed for look-alikes.

The hints and the weight sweep of a refuted hypothesis (:func:`harness.engine.extras.enrich`)
are a function of Keras's outputs (memoised, the same for everyone) and of the
formula's outcomes on the cases the search asks about: the search is seeded by
the layer and scope, its budget is counted in work (``steady``), so two formulas
that give the same outcome on every case it asked about get the same extras.  In
a class most wrong formulas are the same few ideas, each written many ways.

So a search is recorded (every case the formula was asked about, and what it
gave); a later hypothesis with the same layer, scope and counterexample is run
on all of those cases in ONE batch, and if every
outcome is identical (bit for bit: values, error text) it gets the recorded
extras -- exactly what its own search would have found.  Otherwise the search
runs as usual, and is recorded too.  Scopes with a ``where=`` condition are never
replayed: in grading the condition runs in the student's worker, and its answers
are not part of the recording.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.cases import Case
from harness.claims import Claim
from harness.engine.checker import Checker
from harness.engine.extras import enrich
from harness.engine.formula import Evaluator, Outcome
from harness.verdict import REFUTED, Verdict

#: Recorded searches kept per layer, scope and counterexample (each costs a replay try).
PER_KEY = 3

Signature = tuple[Any, ...]


def signature(outcome: Outcome) -> Signature:
    """What a formula gave for a case, exactly: value bytes and shape, or error text."""
    value = outcome.value
    if value is None:
        return (None, outcome.error, outcome.fatal)
    return (value.dtype.str, value.shape, value.tobytes(), outcome.error, outcome.fatal)


class Recording:
    """An evaluator that remembers every case it was asked about and what it gave."""

    def __init__(self, inner: Evaluator) -> None:
        self.inner = inner
        self.asked: dict[tuple[int, bytes], tuple[Case, Signature]] = {}
        self.consistent = True

    def evaluate(self, claim: Claim, cases: Sequence[Case]) -> list[Outcome]:
        outcomes = self.inner.evaluate(claim, cases)
        for case, outcome in zip(cases, outcomes, strict=True):
            got = signature(outcome)
            if self.asked.setdefault(case.key, (case, got))[1] != got or outcome.fatal:
                self.consistent = False  # a formula that changes its mind: never replayed
        return outcomes


@dataclass(frozen=True)
class Taught:
    """One recorded search: the cases asked about, in order, with the outcomes, and the
    extras it found."""

    cases: tuple[Case, ...]
    signatures: tuple[Signature, ...]
    extras: dict[str, Any]


class ExtrasMemo:
    """Recorded hint searches of one grading run, shared by the grading threads (a lock
    guards the recordings, never a search or a replay)."""

    def __init__(self) -> None:
        self._taught: dict[tuple[object, ...], list[Taught]] = {}
        self._lock = threading.Lock()
        self.replayed = 0
        self.searched = 0

    def enrich(self, checker: Checker, claim: Claim, verdict: Verdict, *, hints: bool,
               budget: float) -> Verdict:
        """``enrich`` (steady: counted in work), recording what it asked."""
        self.searched += 1
        key = self.key(claim, verdict, hints, budget)
        if key is None:
            return enrich(checker, claim, verdict, hints=hints, budget=budget, steady=True)
        recording = Recording(checker.evaluator)
        recorded = copy.copy(checker)  # the same memos and oracle; this thread's evaluator
        recorded.evaluator = recording
        found = enrich(recorded, claim, verdict, hints=hints, budget=budget, steady=True)
        if recording.consistent and recording.asked:
            cases, signatures = zip(*recording.asked.values(), strict=True)
            taught = Taught(tuple(cases), tuple(signatures), _extras(found))
            with self._lock:
                kept = self._taught.setdefault(key, [])
                kept.insert(0, taught)
                del kept[PER_KEY:]
        return found

    def replay(self, evaluator: Evaluator, claim: Claim, verdict: Verdict, *, hints: bool,
               budget: float) -> Verdict | None:
        """The extras of a recorded search this formula would follow step for step, or
        None.  One batch per recorded search tried; no lock needed."""
        key = self.key(claim, verdict, hints, budget)
        if key is None:
            return None
        with self._lock:
            candidates = list(self._taught.get(key, ()))
        for taught in candidates:
            outcomes = evaluator.evaluate(claim, taught.cases)
            if tuple(signature(o) for o in outcomes) == taught.signatures:
                self.replayed += 1
                return dataclasses.replace(verdict, **taught.extras)
        return None

    @staticmethod
    def key(claim: Claim, verdict: Verdict, hints: bool,
            budget: float) -> tuple[object, ...] | None:
        if (verdict.kind != REFUTED or verdict.counterexample is None
                or claim.scope.where is not None):
            return None
        case = json.dumps(verdict.counterexample.case, sort_keys=True)
        return (claim.spec, claim.scope.key, case, hints, budget)


def _extras(verdict: Verdict) -> dict[str, Any]:
    return {"hints": verdict.hints, "sweep": verdict.sweep}
