"""The tolerance rule: float32 rounding in a correct formula passes, small real errors do not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from harness import PART_B, PART_C, hypothesis
from harness.claims import claim_of
from harness.engine.checker import Checker


def b_float32(kernel, recurrent_kernel, xs):
    k, r = kernel.astype(np.float32), recurrent_kernel.astype(np.float32)
    h = np.zeros(2, dtype=np.float32)
    for x in xs.astype(np.float32):
        h = x @ k + h @ r
    return h


def c_float32(kernel, recurrent_kernel, xs):
    h = c = np.float32(0)
    out = []
    for x in xs[:, 0].astype(np.float32):
        i, f, g, o = x * kernel[0].astype(np.float32) + h * recurrent_kernel[0].astype(np.float32)
        c = f * c + i * g
        h = o * c
        out.append(h)
    return out


def b_off_by_a_thousandth(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h * 1.001


def b_leaks(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + 0.999 * (h @ recurrent_kernel)
    return h


@pytest.mark.parametrize(("spec", "fn", "expected"), [
    (PART_B, b_float32, "holds"),
    (PART_C, c_float32, "holds"),
    (PART_B, b_off_by_a_thousandth, "refuted"),
    (PART_B, b_leaks, "refuted"),
], ids=["B computed in float32", "C computed in float32", "B x 1.001", "B feedback x 0.999"])
def test_tolerance(checker: Checker, spec: Any, fn: Callable[..., Any], expected: str) -> None:
    verdict = checker.check(claim_of(hypothesis(spec)(fn)))
    assert verdict.kind == expected, verdict.counterexample
