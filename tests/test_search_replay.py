"""Replaying a recorded search gives exactly what a fresh search gives."""

from __future__ import annotations

import numpy as np
import pytest

from harness import PART_A, PART_B, hypothesis
from harness.claims import Claim, claim_of
from harness.engine import checker as checker_module
from harness.engine.checker import Checker, CheckSettings


def _claims() -> list[Claim]:
    @hypothesis(PART_A, name="swapped")
    def swapped(kernel, recurrent_kernel, xs):
        h = np.zeros(1)
        for x in xs:
            h = x @ recurrent_kernel + h @ kernel
        return h

    @hypothesis(PART_A, name="swapped, written another way")
    def swapped_too(kernel, recurrent_kernel, xs):
        h = 0.0
        for x in xs[:, 0]:
            h = x * recurrent_kernel[0, 0] + h * kernel[0, 0]
        return [h]

    @hypothesis(PART_A, name="forgets the feedback")
    def no_feedback(kernel, xs):
        return xs[-1] @ kernel

    @hypothesis(PART_B, name="transposed")
    def transposed(kernel, recurrent_kernel, xs):
        h = np.zeros(2)
        for x in xs:
            h = x @ kernel + recurrent_kernel @ h
        return h

    @hypothesis(PART_B, name="one number for two units")
    def divides(kernel, recurrent_kernel, xs):
        return float((xs[-1] @ kernel).sum())

    return [claim_of(f) for f in (swapped, swapped_too, no_feedback, transposed, divides)]


def _results(checker: Checker, claims: list[Claim]) -> dict[str, tuple[object, ...]]:
    out = {}
    for claim in claims:
        v = checker.check(claim)
        out[claim.name] = (v.kind, v.cases, v.message,
                           v.counterexample.case if v.counterexample else None,
                           v.counterexample.hypothesis_output if v.counterexample else None)
    return out


def test_replayed_searches_equal_fresh_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    claims = _claims()
    settings = CheckSettings(cases=60)
    shared = Checker(settings)
    forward = _results(shared, claims)
    backward = _results(Checker(settings, oracle=shared.oracle), claims[::-1])
    monkeypatch.setattr(checker_module, "MAX_SEARCHES", 0)  # nothing remembered: fresh searches
    fresh = _results(Checker(settings, oracle=shared.oracle), claims)
    assert forward == fresh == backward
    assert forward["swapped"][3] == forward["swapped, written another way"][3]
    assert {v[0] for v in forward.values()} == {"refuted", "error"}
