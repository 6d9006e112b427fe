"""Look-alike hypotheses and misconception clusters come from behaviour, not source text."""

from __future__ import annotations

import numpy as np
import pytest

from harness import PART_A, hypothesis
from harness.claims import claim_of
from harness.engine.checker import Checker
from harness.engine.formula import Outcome
from harness.engine.lookalike import cases_of, digest, function_source, group, sentences
from harness.grading.misconceptions import clusters
from harness.grading.results import GRADED, HypothesisResult, SubmissionResult
from harness.verdict import HOLDS, REFUTED


# Three ways of writing "forgets the recurrent term" (one wrong idea), one other wrong idea,
# and the true recurrence written twice.
@hypothesis(PART_A, name="last input only")
def last_input(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel


@hypothesis(PART_A, name="last input, as a product")
def last_input_product(kernel, recurrent_kernel, xs):
    return np.array([kernel[0, 0] * xs[len(xs) - 1, 0]])


@hypothesis(PART_A, name="last input, the long way")
def last_input_loop(kernel, recurrent_kernel, xs):
    h = 0.0
    for x in xs:
        h = float(x[0]) * float(kernel[0][0]) + 0.0 * h
    return h


@hypothesis(PART_A, name="sum of inputs")
def sum_of_inputs(kernel, recurrent_kernel, xs):
    return xs.sum(axis=0) @ kernel


@hypothesis(PART_A, name="recurrence")
def recurrence(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="recurrence, swapped order")
def recurrence_swapped(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = recurrent_kernel @ h + kernel.T @ x
    return h


def test_digest_ignores_float_noise_and_marks_errors() -> None:
    a = [Outcome(np.array([1.0, 0.0])), Outcome(error="boom")]
    b = [Outcome(np.array([1.0 + 1e-12, -1e-15])), Outcome(error="another message")]
    c = [Outcome(np.array([1.001, 0.0])), Outcome(error="boom")]
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)
    assert digest(a) != digest([Outcome(np.array([1.0, 0.0])), Outcome(np.array([0.0]))])
    assert cases_of(digest(a)) == 2


@hypothesis(PART_A, name="returns None")
def returns_none(kernel, recurrent_kernel, xs):
    h = xs[-1] @ kernel  # noqa: F841 (forgets to return it)


@hypothesis(PART_A, name="wrong shape")
def wrong_shape(kernel, recurrent_kernel, xs):
    return xs @ kernel


@pytest.fixture(scope="module")
def verdicts(checker: Checker):  # type: ignore[no-untyped-def]
    formulas = [last_input, last_input_product, last_input_loop, sum_of_inputs,
                recurrence, recurrence_swapped, returns_none, wrong_shape]
    return group([checker.check(claim_of(f)) for f in formulas])


def test_same_behaviour_groups_differently_written_formulas(verdicts) -> None:  # type: ignore[no-untyped-def]
    by_name = {v.name: v for v in verdicts}
    assert by_name["last input only"].same_as == ("last input, as a product",
                                                  "last input, the long way")
    assert by_name["sum of inputs"].same_as == ()
    assert by_name["recurrence"].kind == HOLDS
    assert by_name["recurrence"].same_as == ("recurrence, swapped order",)
    assert sentences(verdicts)[0] == (
        "last input, as a product behaves exactly like last input only on all 200 cases.")
    assert len(sentences(verdicts)) == 3
    # Two formulas that give no output on any case are not "alike": neither was judged.
    errors = [v for v in verdicts if v.name in ("returns None", "wrong shape")]
    assert [v.kind for v in errors] == ["error", "error"]
    assert errors[0].behaviour == errors[1].behaviour  # the same digest, all "no output"...
    assert [v.same_as for v in errors] == [(), ()]  # ...yet no look-alike sentence


def test_class_clusters_follow_behaviour_not_source(verdicts) -> None:  # type: ignore[no-untyped-def]
    refuted = [v for v in verdicts if v.kind == REFUTED]
    assert len(refuted) == 4
    results = [SubmissionResult(f"student{i}", "k", GRADED, (),
                                (HypothesisResult(v, "a"),)) for i, v in enumerate(refuted)]
    found = clusters(results)
    assert [c.size for c in found] == [3, 1]
    assert {m.result.name for m in found[0].members} == {
        "last input only", "last input, as a product", "last input, the long way"}
    assert found[0].representative.student == "student0"
    assert found[1].representative.result.name == "sum of inputs"


def test_function_source_is_found_by_parsing() -> None:
    text = (b"import numpy as np\n\n@hypothesis(PART_A)\ndef f(xs):\n    return xs\n\n"
            b"def f(xs):\n    raise SystemExit\n")
    files = [("sub/part_a.py", text), ("other.py", b"def f(:\n")]
    assert function_source(files, "part_a.py", "f", 3) == (
        "@hypothesis(PART_A)\ndef f(xs):\n    return xs")
    assert function_source(files, "part_a.py", "f", 7) == "def f(xs):\n    raise SystemExit"
    assert function_source(files, "other.py", "f", 1) is None
    assert function_source(files, "part_a.py", "g", 1) is None


def test_misconception_source_cannot_break_out_of_its_code_block(verdicts) -> None:  # type: ignore[no-untyped-def]
    from harness.grading.summary import misconceptions_markdown

    refuted = [v for v in verdicts if v.kind == REFUTED]
    results = [SubmissionResult("ann", "k", GRADED, (),
                                tuple(HypothesisResult(v, "a") for v in refuted))]
    source = b'def last_input(kernel, recurrent_kernel, xs):\n    """````\n# Hacked"""\n'
    lines = misconceptions_markdown(results, {"ann": [("test_lookalike.py", source)]})
    start = lines.index("`````python")
    assert lines[start + 2] == "`````"
    assert "# Hacked" in lines[start + 1]
