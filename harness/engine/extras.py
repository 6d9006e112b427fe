"""Teaching extras for a checked hypothesis, filled in after :meth:`Checker.check`.

:func:`enrich` is the one call every front end makes (``harness check``, the
pytest plugin, the notebook, grading): for a refuted hypothesis it adds the
hints (:mod:`harness.engine.hints`) and, when :mod:`harness.engine.sweep` is there, the weight
sweep its picture is drawn from (pictures follow a recurrent layer's output
step by step: a layer without steps gets hints only).  Any other verdict comes
back unchanged.

**Teaching at a fixed cost.**  Hints and pictures cost ~0.1-0.3 s per refuted
hypothesis, so a run does not give them to every one (a class folder has
hundreds).  :func:`worth_teaching`: a refuted hypothesis gets them when its
verdict is not what its file records, or when it is in the student's own files;
a bundled example refuted as recorded (:func:`harness.surprises.is_bundled`)
keeps its counterexample, steps and probe command only.  And at most
:data:`LIMIT` hypotheses per run get them: :func:`enrich_all` (``harness
check``, the API, the notebook) takes them surprises first, the student's own
files first; the pytest plugin, which checks item by item, in run order.
Grading (``grading/extras_memo.py``) calls :func:`enrich` for what it scores.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from typing import Any

from harness.claims import Claim
from harness.engine.checker import Checker
from harness.engine.hints import DEFAULT_BUDGET, hints_for
from harness.surprises import is_bundled, ordered
from harness.verdict import REFUTED, Verdict

#: The most hypotheses one run gives hints and pictures to.
LIMIT = 10


def worth_teaching(verdict: Verdict) -> bool:
    """A refuted hypothesis that is a surprise, or in the student's own files."""
    return verdict.kind == REFUTED and verdict.counterexample is not None and (
        not verdict.as_expected or not is_bundled(verdict.file))


def enrich_all(checker: Checker, claims: Sequence[Claim], verdicts: Sequence[Verdict], *,
               hints: bool = True, budget: float = DEFAULT_BUDGET,
               limit: int = LIMIT) -> list[Verdict]:
    """``verdicts`` (one per claim, same order) with the teaching extras for at most
    ``limit`` of those :func:`worth_teaching`, surprises and the student's own files
    first."""
    out = list(verdicts)
    position = {id(v): i for i, v in enumerate(out)}
    chosen = [position[id(v)] for v in ordered(out) if worth_teaching(v)][:limit]
    for i in chosen:
        out[i] = enrich(checker, claims[i], out[i], hints=hints, budget=budget)
    return out


def enrich(checker: Checker, claim: Claim, verdict: Verdict, *, hints: bool = True,
           budget: float = DEFAULT_BUDGET, steady: bool = False) -> Verdict:
    """``verdict`` with its hints (unless ``hints`` is False; ``budget`` seconds at most
    for their search, counted in work when ``steady``, as grading does so regrades are
    identical) and its weight sweep, for a refuted hypothesis."""
    if verdict.kind != REFUTED or verdict.counterexample is None:
        return verdict
    if hints:
        found = hints_for(checker, claim, verdict, budget=budget, steady=steady)
        verdict = dataclasses.replace(verdict, hints=found)
    sweep_for = _sweep_for()
    if sweep_for is not None:
        verdict = dataclasses.replace(verdict, sweep=sweep_for(checker, claim, verdict))
    return verdict


def _sweep_for() -> Any:
    """``harness.engine.sweep.sweep_for`` when that module exists (it draws the pictures' data)."""
    try:
        module = importlib.import_module("harness.engine.sweep")
    except ModuleNotFoundError as exc:
        if exc.name != "harness.engine.sweep":
            raise
        return None
    return getattr(module, "sweep_for", None)
