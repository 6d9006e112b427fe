"""A formula that never returns becomes an error verdict, quickly, and others still run."""

from __future__ import annotations

import numpy as np

from harness import PART_A, hypothesis
from harness.claims import claim_of
from harness.engine.checker import Checker, CheckSettings
from harness.engine.formula import InProcess


def test_endless_formula_is_an_error_not_a_hang() -> None:
    calls: list[int] = []

    @hypothesis(PART_A, name="Endless")
    def endless(xs):
        calls.append(1)
        while True:
            pass

    @hypothesis(PART_A, name="Fine")
    def fine(kernel, recurrent_kernel, xs):
        h = np.zeros(1)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        return h

    checker = Checker(CheckSettings(cases=30), evaluator=InProcess(time_limit=0.2))
    slow, ok = (checker.check(claim_of(f)) for f in (endless, fine))
    assert slow.kind == "error"
    assert "took longer than 0.2 s" in (slow.message or "")
    assert len(calls) == 1  # counted, not timed: the first endless call ends the check
    assert ok.kind == "holds"
