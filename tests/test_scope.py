"""Scopes: a claim true only inside its scope holds there and fails without it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from formulas import claim_for, declaration_error, recheck_counterexample

from harness import PART_A, PART_B, SimpleRNN
from harness.claims import Claim
from harness.engine.checker import Checker
from harness.errors import ClaimError, ScopeError
from harness.scope import DEFAULT_TIMESTEPS, MAX_TIMESTEPS, make_scope

# ---- formulas that are only true in part of the space ----------------------------------


def last_input_and_zero(kernel, recurrent_kernel, xs):
    """Part B with kernel [[1, 0]] and no feedback: [last input, 0]."""
    return [xs[-1][0], 0]


def last_input_times_both(kernel, recurrent_kernel, xs):
    """Part B with kernel [[1, anything]] and no feedback: [x, k * x] for the last x."""
    return [xs[-1][0], kernel[0][1] * xs[-1][0]]


def kernel_times_last_input(kernel, recurrent_kernel, xs):
    """Part A with recurrent weight 0: the output forgets everything but the last input."""
    return kernel[0][0] * xs[-1][0]


def one_step_tanh(kernel, recurrent_kernel, bias, xs):
    """SimpleRNN with one timestep: no feedback yet."""
    return np.tanh(xs[0] @ kernel + bias)


def two_steps_by_ratio(kernel, recurrent_kernel, xs):
    """Part A over two steps, factored through x2: k*x2*(1 + r*x1/x2) (divides by x2)."""
    x1, x2 = xs[0][0], xs[1][0]
    return kernel[0][0] * x2 * (1 + recurrent_kernel[0][0] * x1 / x2)


def linear_recurrence(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


def swapped_weights(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ recurrent_kernel + h @ kernel
    return h


def nonzero(xs):
    return bool((xs != 0).all())


def non_negative(kernel, recurrent_kernel, xs):
    return bool((kernel >= 0).all() and (recurrent_kernel >= 0).all() and (xs >= 0).all())


RELU_1 = SimpleRNN(1, "relu", use_bias=False)
TANH_2 = SimpleRNN(2)

PART_B_SILENT = {"kernel": [[1, 0]], "recurrent_kernel": [[0, 0], [0, 0]]}

#: (id, layer, formula, scope, scope text, verdict without the scope)
SCOPED: list[tuple[str, Any, Callable[..., Any], dict[str, Any], str, str]] = [
    ("B [last input, 0]", PART_B, last_input_and_zero, {"fixed": PART_B_SILENT},
     "kernel=[[1, 0]]; recurrent_kernel=[[0, 0], [0, 0]]", "refuted"),
    ("B kernel [[1, None]]", PART_B, last_input_times_both,
     {"fixed": {"kernel": [[1, None]], "recurrent_kernel": 0}},
     "kernel=[[1, any]]; recurrent_kernel=[[0, 0], [0, 0]]", "refuted"),
    ("A recurrent [[0]]", PART_A, kernel_times_last_input,
     {"fixed": {"recurrent_kernel": [[0]]}}, "recurrent_kernel=[[0]]", "refuted"),
    ("A recurrent 0 (scalar)", PART_A, kernel_times_last_input,
     {"fixed": {"recurrent_kernel": 0}}, "recurrent_kernel=[[0]]", "refuted"),
    ("tanh one step", TANH_2, one_step_tanh, {"timesteps": 1}, "timesteps=1", "refuted"),
    ("A divides by x2", PART_A, two_steps_by_ratio,
     {"timesteps": 2, "where": lambda xs: (xs != 0).all()},
     "timesteps=2; where lambda xs: (xs != 0).all()", "error"),
    ("A divides by x2, named where", PART_A, two_steps_by_ratio,
     {"timesteps": [2], "where": nonzero}, "timesteps=2; where nonzero()", "error"),
    ("relu acts linear when non-negative", RELU_1, linear_recurrence,
     {"where": non_negative, "timesteps": range(1, 4)},
     "timesteps=1..3; where non_negative()", "refuted"),
]


def _without_scope(spec: Any, fn: Callable[..., Any], scope: dict[str, Any]) -> dict[str, Any]:
    """The same claim without its scope (keeping timesteps when the formula needs them)."""
    return {"timesteps": scope["timesteps"]} if fn is two_steps_by_ratio else {}


def _assert_cases_in_scope(checker: Checker, claim: Claim) -> None:
    cases, wants = checker.screening(claim)
    assert cases
    assert len(cases) == len(wants)
    for case in cases:
        assert claim.scope.contains(claim.spec, case), case.to_json(claim.spec)
        assert case.timesteps in claim.scope.timesteps


@pytest.mark.parametrize(("spec", "fn", "scope", "text", "outside"),
                         [row[1:] for row in SCOPED], ids=[row[0] for row in SCOPED])
def test_scoped_claim_holds_inside_and_not_outside(checker: Checker, spec: Any,
                                                   fn: Callable[..., Any], scope: dict[str, Any],
                                                   text: str, outside: str) -> None:
    claim = claim_for(spec, fn, **scope)
    assert claim.scope.text == text
    verdict = checker.check(claim)
    assert verdict.kind == "holds", (verdict.message, verdict.counterexample)
    assert verdict.scope == text
    assert not verdict.general
    _assert_cases_in_scope(checker, claim)

    unscoped = claim_for(spec, fn, **_without_scope(spec, fn, scope))
    other = checker.check(unscoped)
    assert other.kind == outside, (other.message, other.counterexample)
    if outside == "refuted":
        recheck_counterexample(unscoped, other)
    else:  # dividing by an input that is 0: NaN where Keras has a number
        assert other.message is not None
        assert "NaN" in other.message
        assert "finite" in other.message


def test_fixed_none_entries_are_drawn(checker: Checker) -> None:
    claim = claim_for(PART_B, last_input_times_both,
                      fixed={"kernel": [[1, None]], "recurrent_kernel": 0})
    cases, _ = checker.screening(claim)
    kernels = np.array([case.weights[0] for case in cases])
    assert np.all(kernels[:, 0, 0] == 1)
    assert len(set(kernels[:, 0, 1].tolist())) >= 10  # the free entry really varies
    assert all(np.all(case.weights[1] == 0) for case in cases)
    assert len({case.timesteps for case in cases}) == len(DEFAULT_TIMESTEPS)


def test_timesteps_scope_limits_lengths(checker: Checker) -> None:
    claim = claim_for(PART_A, linear_recurrence, timesteps=[4, 2])
    assert claim.scope.timesteps == (2, 4)
    assert claim.scope.text == "timesteps=2, 4"
    assert checker.check(claim).kind == "holds"
    assert {case.timesteps for case in checker.screening(claim)[0]} == {2, 4}
    long = claim_for(PART_A, linear_recurrence, timesteps=MAX_TIMESTEPS,
                     fixed={"recurrent_kernel": 1})
    assert long.scope.text == f"recurrent_kernel=[[1]]; timesteps={MAX_TIMESTEPS}"
    assert checker.check(long).kind == "holds"
    _assert_cases_in_scope(checker, long)


def test_counterexample_respects_the_scope(checker: Checker) -> None:
    claim = claim_for(PART_A, swapped_weights, fixed={"kernel": 2}, timesteps=range(2, 4))
    verdict = checker.check(claim)
    case = recheck_counterexample(claim, verdict)
    assert claim.scope.contains(PART_A, case)
    assert case.weights[0][0, 0] == 2
    assert case.timesteps in (2, 3)
    _assert_cases_in_scope(checker, claim)


def test_notebook_cases_outside_the_scope_are_left_out(checker: Checker) -> None:
    claim = claim_for(PART_A, linear_recurrence, fixed={"kernel": [[2]]})
    cases, _ = checker.screening(claim)
    assert all(case.weights[0][0, 0] == 2 for case in cases)
    inside = claim_for(PART_A, linear_recurrence, fixed={"kernel": [[1]]}, timesteps=3)
    first = checker.screening(inside)[0][0]  # the notebook's 13: kernel 1, xs [3, 3, 7]
    assert first.xs[:, 0].tolist() == [3, 3, 7]
    assert first.weights[1][0, 0] == 1


@pytest.mark.parametrize("where", [lambda xs: False, lambda xs: 1 / 0],
                         ids=["never true", "raises"])
def test_empty_scope_is_an_error(fast_checker: Checker, where: Callable[..., Any]) -> None:
    claim = claim_for(PART_A, linear_recurrence, where=where, timesteps=1)
    verdict = fast_checker.check(claim)
    assert verdict.kind == "error"
    assert verdict.cases == 0
    assert verdict.message is not None
    assert "no case inside this hypothesis's scope" in verdict.message


def test_general_scope_text() -> None:
    claim = claim_for(PART_A, linear_recurrence)
    assert claim.scope.text == "all weights and sequences"
    assert claim.scope.is_general
    assert claim.scope.timesteps == DEFAULT_TIMESTEPS


# ---- malformed scopes are refused at decoration time -------------------------------------


@pytest.mark.parametrize(("spec", "kwargs", "needle"), [
    (PART_B, {"fixed": {"kernel": [[1, 0, 0]]}}, "(1, 2)"),
    (PART_B, {"fixed": {"recurrent_kernel": [1, 0]}}, "(2, 2)"),
    (PART_A, {"fixed": {"bias": 0}}, "kernel, recurrent_kernel"),
    (PART_A, {"fixed": {"Kernel": [[1]]}}, "'Kernel'"),
    (PART_A, {"fixed": {"weights": [[1]]}}, "'weights'"),
    (PART_A, {"fixed": [[1]]}, "must be a dict"),
    (PART_A, {"fixed": {"kernel": "one"}}, "numbers or None"),
    (PART_A, {"fixed": {"kernel": [[float("inf")]]}}, "numbers or None"),
    (PART_A, {"timesteps": 0}, f"1 to {MAX_TIMESTEPS}"),
    (PART_A, {"timesteps": "3"}, "'3'"),
    (PART_A, {"timesteps": True}, f"1 to {MAX_TIMESTEPS}"),
    (PART_A, {"timesteps": 2.0}, f"1 to {MAX_TIMESTEPS}"),
    (PART_A, {"timesteps": MAX_TIMESTEPS + 1}, f"1 to {MAX_TIMESTEPS}"),
    (PART_A, {"timesteps": []}, f"1 to {MAX_TIMESTEPS}"),
    (PART_A, {"timesteps": range(0, 3)}, f"1 to {MAX_TIMESTEPS}"),
    (PART_A, {"where": lambda h: True}, "'h'"),
    (PART_A, {"where": lambda bias: True}, "use_bias=False"),
    (PART_A, {"where": lambda *xs: True}, "*args"),
    (PART_A, {"where": "xs > 0"}, "must be a function"),
], ids=lambda value: repr(value)[:40] if isinstance(value, dict) else None)
def test_malformed_scope_raises_at_decoration(spec: Any, kwargs: dict[str, Any],
                                              needle: str) -> None:
    from harness import hypothesis

    with pytest.raises(ScopeError) as raised:  # make_scope itself raises: a ScopeError
        make_scope(spec, fixed=kwargs.get("fixed"), timesteps=kwargs.get("timesteps"),
                   where=kwargs.get("where"))
    assert isinstance(raised.value, ClaimError)
    assert isinstance(raised.value, TypeError)
    assert needle in str(raised.value)
    # @hypothesis never raises: the claim carries the same message, with its line
    message = declaration_error(lambda: hypothesis(spec, **kwargs))
    assert message.endswith(str(raised.value))
    assert message.startswith("test_scope.py, line ")


def test_unknown_where_parameter_names_the_allowed_ones() -> None:
    from harness import hypothesis

    message = declaration_error(lambda: hypothesis(TANH_2, where=lambda hidden: True))
    assert "Allowed names for" in message
    for name in ("kernel", "recurrent_kernel", "bias", "weights", "xs"):
        assert name in message


def always_zero(kernel, recurrent_kernel, xs):
    return [0.0]


def test_large_fixed_weights_over_many_steps(checker: Checker) -> None:
    claim = claim_for(PART_A, always_zero, fixed={"kernel": 0, "recurrent_kernel": 1e7},
                      timesteps=MAX_TIMESTEPS)
    verdict = checker.check(claim)  # Keras outputs 0 for every case: the claim is true
    assert verdict.kind == "holds"
