"""Formulas that fail to give an output get verdict "error" with a message that says why."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from formulas import claim_for, declaration_error, recheck_counterexample, true_claim

from harness import PART_A, PART_B, PART_C, SimpleRNN, hypothesis
from harness.cases import case_from_json
from harness.claims import claim_of
from harness.collect import load_claims
from harness.engine.checker import Checker
from harness.engine.compare import agree
from harness.engine.formula import InProcess
from harness.engine.oracle import Oracle, predict
from harness.errors import ClaimError
from harness.sentences import verdict_words

# ---- formulas (Part A unless the name says otherwise) -------------------------------------


def raises_zero_division(kernel, recurrent_kernel, xs):
    total = float(xs.sum())
    return [total / 0]


def raises_index_error(kernel, recurrent_kernel, xs):
    return [kernel[1][0] * xs[-1][0]]


def raises_own_error(kernel, recurrent_kernel, xs):
    raise ValueError("not finished yet")


def calls_sys_exit(kernel, recurrent_kernel, xs):
    sys.exit(3)


def returns_two_numbers(kernel, recurrent_kernel, xs):
    return np.zeros(2)


def returns_keras_batch_shape(kernel, recurrent_kernel, xs):
    h = np.zeros((1, 1))
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


def b_returns_one_number(kernel, recurrent_kernel, xs):
    return 5.0


def c_returns_last_step_only(kernel, recurrent_kernel, xs):
    return np.zeros(1)


def returns_none(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel


def returns_str(kernel, recurrent_kernel, xs):
    return "13"


def returns_dict(kernel, recurrent_kernel, xs):
    return {"output": 13}


def returns_complex(kernel, recurrent_kernel, xs):
    return np.array([1 + 2j])


def returns_bool_array(kernel, recurrent_kernel, xs):
    return np.array([True])


def returns_bool(kernel, recurrent_kernel, xs):
    return True


def b_returns_ragged_list(kernel, recurrent_kernel, xs):
    return [[1, 2], [3]]


def returns_generator(kernel, recurrent_kernel, xs):
    return (x for x in xs[-1])


def returns_nan(kernel, recurrent_kernel, xs):
    return [float("nan")]


def returns_inf(kernel, recurrent_kernel, xs):
    return np.array([np.inf])


#: (id, layer, formula, substrings the message must contain)
ERRORS: list[tuple[str, Any, Callable[..., Any], tuple[str, ...]]] = [
    ("ZeroDivisionError", PART_A, raises_zero_division,
     ("it raised ZeroDivisionError", "division by zero", "return [total / 0]", "line ")),
    ("IndexError", PART_A, raises_index_error,
     ("it raised IndexError", "index 1 is out of bounds", "kernel[1][0]")),
    ("own ValueError", PART_A, raises_own_error,
     ("it raised ValueError: not finished yet", 'raise ValueError("not finished yet")')),
    ("sys.exit", PART_A, calls_sys_exit, ("it raised SystemExit", "sys.exit(3)")),
    ("shape (2,) for units=1", PART_A, returns_two_numbers,
     ("should return shape (1,)", "units=1", "returned shape (2,)")),
    ("shape (1, 1) for units=1", PART_A, returns_keras_batch_shape,
     ("should return shape (1,)", "returned shape (1, 1)")),
    ("scalar for units=2", PART_B, b_returns_one_number,
     ("should return shape (2,)", "units=2", "returned shape ()")),
    ("last step only for return_sequences", PART_C, c_returns_last_step_only,
     ("should return shape (", ", 1)", "one row per timestep", "returned shape (1,)")),
    ("None", PART_A, returns_none, ("should return numbers", "None", "forget `return`")),
    ("str", PART_A, returns_str, ("should return numbers", "str", "'13'")),
    ("dict", PART_A, returns_dict, ("should return numbers", "dict", "output")),
    ("complex", PART_A, returns_complex, ("should return real numbers", "complex numbers")),
    ("bool array", PART_A, returns_bool_array, ("should return real numbers", "True/False")),
    ("bool", PART_A, returns_bool, ("should return real numbers", "True/False")),
    ("ragged list", PART_B, b_returns_ragged_list, ("numpy cannot read as numbers", "list")),
    ("generator", PART_A, returns_generator, ("should return real numbers", "generator")),
    ("NaN", PART_A, returns_nan, ("it returned NaN", "where Keras gives finite numbers")),
    ("inf", PART_A, returns_inf, ("it returned infinity", "where Keras gives finite numbers")),
]


@pytest.mark.parametrize(("spec", "fn", "needles"), [row[1:] for row in ERRORS],
                         ids=[row[0] for row in ERRORS])
def test_formula_error_gives_error_verdict(checker: Checker, spec: Any, fn: Callable[..., Any],
                                           needles: tuple[str, ...]) -> None:
    claim = claim_for(spec, fn)
    verdict = checker.check(claim)
    assert verdict.kind == "error", (verdict.kind, verdict.message)
    assert verdict.message is not None
    for needle in needles:
        assert needle in verdict.message, (needle, verdict.message)
    assert not verdict.as_expected
    assert verdict_words(verdict.kind) == "could not be checked (error)"
    # The case it failed on is real: Keras gives the recorded output for it.
    example = verdict.counterexample
    assert example is not None
    assert example.hypothesis_output is None
    case = case_from_json(spec, example.case)
    assert agree(spec, case, predict(spec, case), np.array(example.keras_output, dtype=float))
    # ... and the checker still works for the next claim.
    assert checker.check(true_claim(spec)).kind == "holds"


def test_exception_message_names_the_students_line(checker: Checker) -> None:
    claim = claim_for(PART_A, raises_zero_division)
    verdict = checker.check(claim)
    assert verdict.message is not None
    line = raises_zero_division.__code__.co_firstlineno + 2
    assert f"(line {line}: return [total / 0])" in verdict.message
    assert verdict.line == raises_zero_division.__code__.co_firstlineno
    assert verdict.file == __file__


def test_error_counterexample_is_small(checker: Checker) -> None:
    verdict = checker.check(claim_for(PART_A, raises_own_error))
    example = verdict.counterexample
    assert example is not None
    values = np.concatenate([np.ravel(np.array(v, dtype=float)) for v in example.case.values()])
    assert np.all(values == 0)
    assert len(example.case["xs"]) == 1


def test_endless_loop_times_out(oracle: Oracle) -> None:
    calls: list[int] = []

    def endless(kernel, recurrent_kernel, xs):
        calls.append(1)
        while True:
            pass

    checker = Checker(oracle=oracle, evaluator=InProcess(time_limit=0.2))
    verdict = checker.check(claim_for(PART_A, endless))
    assert verdict.kind == "error"
    assert verdict.message is not None
    assert "took longer than 0.2 s" in verdict.message
    # Counted, not timed: the first endless call ends the check (no search spends 0.2 s
    # on each of hundreds of examples).
    assert len(calls) == 1
    assert checker.check(true_claim(PART_A)).kind == "holds"


# ---- return values that only look right ----------------------------------------------------


class AlwaysEqual(np.ndarray):
    """An array that claims to equal, and be close to, anything."""

    def __eq__(self, other):  # type: ignore[override]
        return np.ones(np.shape(self), dtype=bool)

    def __ne__(self, other):  # type: ignore[override]
        return np.zeros(np.shape(self), dtype=bool)

    def __sub__(self, other):  # type: ignore[override]
        return np.zeros(np.shape(self))

    def __rsub__(self, other):  # type: ignore[override]
        return np.zeros(np.shape(self))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):  # type: ignore[override]
        return np.zeros(np.shape(self))


def returns_always_equal(kernel, recurrent_kernel, xs):
    return np.array([42.0]).view(AlwaysEqual)


def b_returns_always_equal_right_numbers(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return np.asarray(h).view(AlwaysEqual)


def test_array_that_equals_everything_does_not_pass(checker: Checker) -> None:
    assert (np.array([42.0]).view(AlwaysEqual) == 13).all()  # it really does lie
    claim = claim_for(PART_A, returns_always_equal)
    verdict = checker.check(claim)
    assert verdict.kind in ("refuted", "error")
    assert verdict.kind != "holds"
    if verdict.kind == "refuted":
        recheck_counterexample(claim, verdict)
        assert verdict.counterexample is not None
        assert verdict.counterexample.hypothesis_output == [42]
    # The subclass itself is not a problem when the numbers are right.
    assert checker.check(claim_for(PART_B, b_returns_always_equal_right_numbers)).kind == (
        "holds")


# ---- formulas that change the arrays they are given ---------------------------------------


def right_then_vandalise(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    kernel[...] = 99
    recurrent_kernel *= 0
    xs[:] = -5
    return h


def vandalise_then_wrong(kernel, recurrent_kernel, xs):
    kernel += 1
    xs *= 2
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    recurrent_kernel[...] = 7
    return h


def vandalise_weights_list(weights, xs):
    kernel, recurrent_kernel = weights
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    weights[0][...] = 1e6
    weights.clear()
    return h


def _screening_snapshot(checker: Checker, spec: Any) -> list[tuple[bytes, ...]]:
    cases, wants = checker.screening(true_claim(spec))
    return [case.key for case in cases] + [tuple(w.tobytes() for w in wants)]


def test_mutating_the_given_arrays_changes_nothing(checker: Checker) -> None:
    before = _screening_snapshot(checker, PART_A)
    assert checker.check(claim_for(PART_A, right_then_vandalise)).kind == "holds"
    assert checker.check(claim_for(PART_A, vandalise_weights_list)).kind == "holds"
    wrong = claim_for(PART_A, vandalise_then_wrong)
    verdict = checker.check(wrong)
    assert verdict.kind == "refuted"
    assert _screening_snapshot(checker, PART_A) == before
    # The recorded counterexample is the case Keras was given, not a vandalised copy.
    example = verdict.counterexample
    assert example is not None
    case = case_from_json(PART_A, example.case)
    assert agree(PART_A, case, predict(PART_A, case), np.array(example.keras_output, dtype=float))
    # Run again: same verdict, same counterexample.
    assert checker.check(claim_for(PART_A, vandalise_then_wrong)).counterexample == example
    assert checker.check(true_claim(PART_A)).kind == "holds"


# ---- conveniences that are accepted ----------------------------------------------------------


def a_python_float(kernel, recurrent_kernel, xs):
    h = 0.0
    for (x,) in xs:
        h = float(kernel[0][0]) * x + float(recurrent_kernel[0][0]) * h
    return h


def a_numpy_scalar(kernel, recurrent_kernel, xs):
    h = np.float64(0)
    for x in xs:
        h = x[0] * kernel[0, 0] + h * recurrent_kernel[0, 0]
    return h


def a_zero_d_array(kernel, recurrent_kernel, xs):
    h = np.zeros(())
    for x in xs:
        h = np.asarray(x[0] * kernel[0, 0] + h * recurrent_kernel[0, 0])
    return h


def b_tuple(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return (h[0], h[1])


def b_list(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return [float(h[0]), float(h[1])]


def c_flat_list_per_step(kernel, recurrent_kernel, xs):
    h, c, out = 0.0, 0.0, []
    k, r = kernel[0], recurrent_kernel[0]
    for (x,) in xs:
        z = x * k + h * r
        c = z[1] * c + z[0] * z[2]
        h = z[3] * c
        out.append(h)
    return out


def rnn_tuple_of_rows(kernel, recurrent_kernel, bias, xs):
    h, rows = np.zeros(2), []
    for x in xs:
        h = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
        rows.append(tuple(h))
    return tuple(rows)


@pytest.mark.parametrize(("spec", "fn"), [
    (PART_A, a_python_float),
    (PART_A, a_numpy_scalar),
    (PART_A, a_zero_d_array),
    (PART_B, b_tuple),
    (PART_B, b_list),
    (PART_C, c_flat_list_per_step),
    (SimpleRNN(2, return_sequences=True), rnn_tuple_of_rows),
], ids=["A float", "A numpy scalar", "A 0-d array", "B tuple", "B list", "C flat list",
        "tuple of row tuples"])
def test_convenient_return_values_are_accepted(checker: Checker, spec: Any,
                                               fn: Callable[..., Any]) -> None:
    verdict = checker.check(claim_for(spec, fn))
    assert verdict.kind == "holds", (verdict.message, verdict.counterexample)


# ---- declaration errors: the hypothesis's own error, never an exception ----------------------


def test_unknown_parameter_names_the_allowed_ones() -> None:
    def formula(kernel, recurrent_kernel, inputs):
        return inputs

    message = declaration_error(lambda: hypothesis(PART_A)(formula))
    assert "'inputs'" in message
    assert "Allowed names for PART_A" in message
    assert "kernel, recurrent_kernel, weights, xs" in message
    assert message.startswith("test_formula_errors.py, line ")


def test_a_misspelt_parameter_gets_the_nearest_name() -> None:
    def formula(kernal, recurrent_kernel, xs):
        return xs

    message = declaration_error(lambda: hypothesis(PART_A)(formula))
    assert "'kernal'" in message and "did you mean 'kernel'?" in message


def test_a_broken_claim_is_an_error_verdict_without_running_anything(checker: Checker) -> None:
    def formula(kernel, recurrent_kernel, xs):
        raise AssertionError("a broken hypothesis is never run")

    declaration_error(lambda: hypothesis(PART_A, fixed={"recurent_kernel": [[1]]})(formula))
    claim = claim_of(formula)
    assert claim is not None
    verdict = checker.check(claim)
    assert (verdict.kind, verdict.cases, verdict.as_expected) == ("error", 0, False)
    assert verdict.message == claim.error
    assert "fixed= names 'recurent_kernel', which PART_A does not have; did you mean " \
        "'recurrent_kernel'?" in (verdict.message or "")


def test_bias_on_a_layer_without_bias() -> None:
    def formula(kernel, recurrent_kernel, bias, xs):
        return xs

    assert "use_bias=False" in declaration_error(lambda: hypothesis(PART_A)(formula))
    hypothesis(SimpleRNN(1))(formula)  # fine when the layer has a bias
    claim = claim_of(formula)
    assert claim is not None and claim.error is None
    assert claim.params == ("kernel", "recurrent_kernel", "bias", "xs")


@pytest.mark.parametrize("formula", [
    lambda *args: 0, lambda xs, **kwargs: 0, lambda kernel, *rest: 0,
], ids=["*args", "**kwargs", "kernel, *rest"])
def test_star_parameters_are_refused(formula: Callable[..., Any]) -> None:
    message = declaration_error(lambda: hypothesis(PART_A)(formula))
    assert "*args and **kwargs are not allowed" in message


def test_bare_decorator_without_layer() -> None:
    def declare() -> Any:
        @hypothesis
        def formula(kernel, recurrent_kernel, xs):
            return 0

        return formula

    message = declaration_error(declare)
    assert "needs the layer first" in message
    assert "@hypothesis(PART_A)" in message
    assert "'formula'" in message


def _fake_keras_layer(module: str) -> object:
    fake = type("SimpleRNN", (), {"__module__": module})
    return fake()


@pytest.mark.parametrize("module", ["keras.layers", "keras.src.layers.rnn.simple_rnn",
                                    "tensorflow.python.keras.layers"])
def test_keras_layer_instead_of_harness_spec(module: str) -> None:
    message = declaration_error(lambda: hypothesis(_fake_keras_layer(module)))
    assert "not a Keras layer" in message
    assert "from harness import SimpleRNN" in message
    assert module in message


@pytest.mark.parametrize("layer", ["PART_A", None, 1, SimpleRNN],
                         ids=["string", "None", "number", "constructor"])
def test_other_things_instead_of_a_layer(layer: object) -> None:
    assert "PART_A" in declaration_error(lambda: hypothesis(layer))  # type: ignore[arg-type]
    # the harness's own SimpleRNN is never given a claim (every file importing it would
    # then seem to hold a broken hypothesis)
    assert claim_of(SimpleRNN) is None


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"name": ""}, "name= must be a non-empty string"),
    ({"name": "   "}, "name= must be a non-empty string"),
    ({"name": 3}, "name= must be a non-empty string"),
    ({"refuted": "yes"}, "refuted= must be True or False"),
    ({"refuted": 1}, "refuted= must be True or False"),
    ({"refuted": None}, "refuted= must be True or False"),
])
def test_bad_name_or_refuted(kwargs: dict[str, Any], needle: str) -> None:
    message = declaration_error(lambda: hypothesis(PART_A, **kwargs))
    assert needle in message
    assert repr(next(iter(kwargs.values()))) in message


def test_decorating_something_that_is_not_a_plain_function() -> None:
    answer = None

    def declare() -> Any:
        nonlocal answer
        answer = hypothesis(PART_A)(42)  # type: ignore[type-var]
        return answer

    assert "must decorate a function" in declaration_error(declare)
    assert callable(answer)  # a stand-in holding the broken claim: calling it says why
    with pytest.raises(ClaimError, match="must decorate a function"):
        answer()

    class Student:
        def formula(self, kernel, recurrent_kernel, xs):
            return 0

    assert "plain function" in declaration_error(lambda: hypothesis(PART_A)(Student().formula))


def test_decorator_returns_the_function_unchanged() -> None:
    def formula(kernel, recurrent_kernel, xs):
        return [13]

    returned = hypothesis(PART_A, name="Thirteen")(formula)
    assert returned is formula
    assert formula(None, None, None) == [13]
    claim = claim_of(formula)
    assert claim is not None
    assert (claim.name, claim.function, claim.refuted, claim.expected) == (
        "Thirteen", "formula", False, "holds")


# ---- one bad claim in a file does not stop the others --------------------------------------


def test_other_claims_in_the_file_still_run(checker: Checker, tmp_path: Path) -> None:
    path = tmp_path / "part_a_mixed.py"
    path.write_text(textwrap.dedent("""\
        import numpy as np
        from harness import PART_A, hypothesis

        @hypothesis(PART_A, name="crashes")
        def crashes(kernel, recurrent_kernel, xs):
            return xs[99]

        @hypothesis(PART_A, name="Hypothesis #2")
        def hypothesis_2(kernel, recurrent_kernel, xs):
            h = np.zeros(1)
            for x in xs:
                h = x @ kernel + h @ recurrent_kernel
            return h

        @hypothesis(PART_A, name="no return")
        def no_return(kernel, recurrent_kernel, xs):
            h = xs[-1] @ kernel

        @hypothesis(PART_A, name="Hypothesis #1", refuted=True)
        def hypothesis_1(kernel, recurrent_kernel, xs):
            return kernel[0] * (xs[-1] + recurrent_kernel[0] * xs[:-1].sum(axis=0))
        """), encoding="utf-8")
    claims = load_claims(path)
    assert [c.name for c in claims] == ["crashes", "Hypothesis #2", "no return", "Hypothesis #1"]
    verdicts = [checker.check(c) for c in claims]
    assert [v.kind for v in verdicts] == ["error", "holds", "error", "refuted"]
    assert [v.as_expected for v in verdicts] == [False, True, False, True]
    crash = verdicts[0].message
    assert crash is not None
    assert "it raised IndexError" in crash
    assert "(line 6: return xs[99])" in crash
    assert verdicts[2].message is not None
    assert "forget `return`" in verdicts[2].message
    assert all(v.file == str(path) for v in verdicts)


# ---- known harness bug (reported): student objects that fail while being read --------------


class ExceptionWithoutText(Exception):
    def __str__(self) -> str:
        raise RuntimeError("str() of this exception fails")


class NoRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr() fails")


class NoArray:
    """Like a torch tensor that requires grad: numpy cannot read it."""

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad")


def raises_without_text(kernel, recurrent_kernel, xs):
    raise ExceptionWithoutText()


def returns_no_repr(kernel, recurrent_kernel, xs):
    return NoRepr()


def returns_no_array(kernel, recurrent_kernel, xs):
    return NoArray()


@pytest.mark.parametrize("fn", [raises_without_text, returns_no_repr, returns_no_array],
                         ids=["exception str fails", "repr fails", "__array__ fails"])
def test_student_objects_that_fail_while_read_give_error(checker: Checker,
                                                         fn: Callable[..., Any]) -> None:
    verdict = checker.check(claim_for(PART_A, fn))
    assert verdict.kind == "error"
