"""Teaching extras for a checked hypothesis, filled in after :meth:`Checker.check`.

:func:`enrich` is the one call every front end makes (``harness check``, the
pytest plugin, the notebook, grading): for a refuted hypothesis it adds the
hints (:mod:`harness.hints`) and, when :mod:`harness.sweep` is there, the weight
sweep its picture is drawn from (pictures follow a recurrent layer's output
step by step: a layer without steps gets hints only).  Any other verdict comes
back unchanged.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from harness.checker import Checker
from harness.claims import Claim
from harness.hints import DEFAULT_BUDGET, hints_for
from harness.verdict import REFUTED, Verdict


def enrich(checker: Checker, claim: Claim, verdict: Verdict, *, hints: bool = True,
           budget: float = DEFAULT_BUDGET, steady: bool = False) -> Verdict:
    """``verdict`` with its hints (unless ``hints`` is False; ``budget`` seconds at most
    for their search, counted in work when ``steady``, as grading does so regrades are
    identical) and its weight sweep, for a refuted hypothesis."""
    if verdict.verdict != REFUTED or verdict.counterexample is None:
        return verdict
    if hints:
        found = hints_for(checker, claim, verdict, budget=budget, steady=steady)
        verdict = dataclasses.replace(verdict, hints=found)
    sweep_for = _sweep_for()
    if sweep_for is not None:
        verdict = dataclasses.replace(verdict, sweep=sweep_for(checker, claim, verdict))
    return verdict


def _sweep_for() -> Any:
    """``harness.sweep.sweep_for`` when that module exists (it draws the pictures' data)."""
    try:
        module = importlib.import_module("harness.sweep")
    except ModuleNotFoundError as exc:
        if exc.name != "harness.sweep":
            raise
        return None
    return getattr(module, "sweep_for", None)
