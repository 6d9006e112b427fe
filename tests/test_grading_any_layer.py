"""Grading with any layer (issue 10): an exercise names a Keras layer by its constructor text,
and a small class is graded in the sandbox (the worker has no Keras; the layer it reports is
parsed and validated by the grader)."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from harness.errors import AssignmentError
from harness.grading import grade
from harness.grading.assignment import parse_assignment
from harness.grading.isolation.workers import TAMPERED, Isolation, Limits, WorkerStopped
from harness.grading.session import Session, WorkerTime
from harness.grading.submissions import Submission

ASSIGNMENT = """
[assignment]
name = "Any layer (test)"
seed = 5
cases = 40
hypothesis_timeout = 5
submission_timeout = 20
max_hypotheses = 10

[[exercise]]
id = "conv"
name = "Conv1D"
layer = 'Layer("Conv1D", filters=1, kernel_size=3, use_bias=False, input_shape=(6, 1))'
points = 2

[[exercise]]
id = "dense"
name = "Dense"
layer = "Dense(units=2, use_bias=False, input_shape=(2,))"
points = 1

[[exercise]]
id = "embedding"
name = "Embedding"
layer = 'Layer("Embedding", input_dim=3, output_dim=2, input_shape=(2,))'
points = 1
"""

HEADER = """
import numpy as np
from harness import Layer, hypothesis

CONV = Layer("Conv1D", filters=1, kernel_size=3, use_bias=False, input_shape=(6, 1))
"""

SWAPPED = """
@hypothesis({layer}, name="kernel the other way round")
def swapped(kernel, x):
    return x @ kernel.T
"""

STUDENTS = {
    # the right formulas for both layers
    "ada": HEADER + """
@hypothesis(CONV, name="slide the filter")
def slide(kernel, x):
    w = kernel[:, 0, 0]
    return np.array([[x[t:t + 3, 0] @ w] for t in range(4)])


@hypothesis(Layer("Dense", use_bias=False, units=2, input_shape=(2,)), name="x times kernel")
def dense(kernel, x):
    return x @ kernel


@hypothesis(Layer("Embedding", input_dim=3, output_dim=2, input_shape=(2,)), name="rows")
def rows(embeddings, x):    # x holds whole numbers: it indexes the matrix
    return embeddings[x]
""",
    # the classic misconception: a convolution flips the filter
    "ben": HEADER + """
@hypothesis(CONV, name="flip the filter")
def flipped(kernel, x):
    w = kernel[::-1, 0, 0]
    return np.array([[x[t:t + 3, 0] @ w] for t in range(4)])
""",
    # a parameter Conv1D does not have: only the grader can tell (Keras names the weights)
    "cy": HEADER + """
@hypothesis(CONV, name="a typo")
def typo(kernels, x):
    return x[:4] * kernels[0, 0, 0]
""",
    # the same wrong idea about the Dense exercise, spelt two ways (issue 16): Keras's
    # defaults left out, or spelt out in another argument order
    "dee": HEADER + SWAPPED.format(layer='Layer("Dense", units=2, use_bias=False, '
                                         'input_shape=(2,))'),
    "eve": HEADER + SWAPPED.format(layer='Layer("Dense", input_shape=(2,), activation=None, '
                                         'kernel_initializer="glorot_uniform", '
                                         'use_bias=False, units=2)'),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("any_layer")
    (root / "class").mkdir()
    for student, source in STUDENTS.items():
        (root / "class" / f"{student}.py").write_text(textwrap.dedent(source))
    (root / "assignment.toml").write_text(ASSIGNMENT)
    out = root / "out"
    run = grade(root / "class", assignment=root / "assignment.toml", out=out, workers=2)
    rows = {row["student"]: row
            for row in csv.DictReader((out / "grades.csv").read_text().splitlines())}
    return {"out": out, "rows": rows, "run": run}


def _results(graded: dict[str, Any], student: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (graded["out"] / ".results" / f"{student}.json").read_text())
    return data


def _feedback(graded: dict[str, Any], student: str) -> str:
    return Path(graded["out"] / "feedback" / f"{student}.md").read_text()


def test_the_right_formulas_earn_the_points(graded: dict[str, Any]) -> None:
    row = graded["rows"]["ada"]
    assert (row["status"], row["conv"], row["dense"], row["embedding"], row["total"]) == (
        "graded", "2", "1", "1", "4")
    assert "Holds for all weights and inputs." in _feedback(graded, "ada")


def test_the_misconception_is_refuted_with_a_counterexample(graded: dict[str, Any]) -> None:
    row = graded["rows"]["ben"]
    assert (row["status"], row["conv"], row["total"]) == ("graded", "0", "0")
    text = json.dumps(_results(graded, "ben"))
    assert '"refuted"' in text
    feedback = _feedback(graded, "ben")
    assert "It is refuted: Keras gives a different answer" in feedback
    assert "flipped(kernel=np.array(" in feedback and "x=np.array(" in feedback
    assert "| x | Keras output | hypothesis output |" in feedback
    assert ("harness probe 'Layer(\"Conv1D\", filters=1, kernel_size=3, use_bias=False, "
            "input_shape=(6, 1))'") in feedback
    # the exercise without a hypothesis says how to write one, as students import layers
    assert ('`@hypothesis(Layer("Dense", units=2, use_bias=False, input_shape=(2,)))`'
            in feedback)


def test_one_layer_spelt_two_ways_is_judged_on_the_same_cases(graded: dict[str, Any]) -> None:
    """Keras's defaults spelt out or not, arguments in any order: the claim is checked as
    the exercise's layer, so both students meet the same secret cases and counterexample,
    and their wrong idea is one misconception."""
    from harness.grading.misconceptions import clusters

    checked = {}
    for student in ("dee", "eve"):
        (hypothesis,) = _results(graded, student)["result"]["hypotheses"]
        verdict = hypothesis["checked"]
        assert (hypothesis["exercise"], verdict["verdict"]) == ("dense", "refuted")
        checked[student] = {key: verdict[key] for key in
                            ("cases", "counterexample", "behaviour", "hints", "seed")}
    assert checked["dee"]["behaviour"] and checked["dee"]["counterexample"]
    assert checked["dee"] == checked["eve"]
    dense = [c for c in clusters(graded["run"].results) if c.exercise == "dense"]
    assert [sorted(m.student for m in c.members) for c in dense] == [["dee", "eve"]]
    # each student still sees the layer as they wrote it
    assert 'activation=None' in _feedback(graded, "eve")
    assert 'activation=None' not in _feedback(graded, "dee")


def test_a_name_the_layer_does_not_have_is_a_bad_hypothesis(graded: dict[str, Any]) -> None:
    row = graded["rows"]["cy"]  # that hypothesis's error; the submission is graded
    assert (row["status"], row["total"], row["max_total"]) == ("graded", "0", "4")
    assert row["problems"] == "cy.py: bad-hypothesis"
    feedback = _feedback(graded, "cy")
    assert "cy.py, line" in feedback
    assert "the formula typo has a parameter 'kernels'" in feedback
    assert "kernel, weights, x" in feedback
    assert "tampered" not in feedback


@pytest.mark.parametrize(("layer", "message"), [
    ("Conv1d(filters=1, kernel_size=3, input_shape=(6, 1))",
     "Keras has no layer class 'Conv1d'"),
    ("Dense(units=0, input_shape=(2,))",
     "Keras refused Layer(\"Dense\", units=0, input_shape=(2,)): Received an invalid value "
     "for `units`"),
    ("Dropout(rate=0.5, input_shape=(2,))", "has no weights"),
    ("Dense(units=2)", "needs input_shape="),
])
def test_an_exercise_layer_keras_refuses_is_a_clear_error(layer: str, message: str) -> None:
    text = ASSIGNMENT.replace("Dense(units=2, use_bias=False, input_shape=(2,))", layer)
    with pytest.raises(AssignmentError, match="exercise #2") as raised:
        parse_assignment(text)
    assert message in str(raised.value)


def _load_report(layer: str, params: list[str], fixed: dict[str, Any]) -> Any:
    session = Session(Submission("eve", (("eve.py", b""),)), Limits(), Isolation(),
                      WorkerTime(1.0), 5)
    meta = {"name": "h", "function": "h", "line": 3, "file": "eve.py", "layer": layer,
            "refuted": False, "params": params, "fixed": fixed, "timesteps": [1],
            "where": None, "scope": "all weights and inputs"}
    return session._loaded({"ok": True, "total": 1, "claims": [meta]})


@pytest.mark.parametrize(("layer", "params", "fixed"), [
    ("Layer(\"Dense\", units=__import__('os'), input_shape=(2,))", ["kernel", "x"], {}),
    ("not a layer", ["kernel", "x"], {}),
    # the worker checks a known recurrent layer's names and fixed= itself: a report that
    # fails here was forged
    ("SimpleRNN(units=1, activation=\"linear\", use_bias=False)", ["bias", "xs"], {}),
])
def test_a_forged_layer_report_is_tampering(layer: str, params: list[str],
                                            fixed: dict[str, Any]) -> None:
    with pytest.raises(WorkerStopped) as stopped:
        _load_report(layer, params, fixed)
    assert stopped.value.reason == TAMPERED


def test_a_layer_only_the_grader_can_check_gives_a_bad_hypothesis() -> None:
    loaded = _load_report('Layer("Dense", units=2, input_shape=(2,))', ["kernel", "x"],
                          {"kernel": [[1, 2, 3]]})
    assert loaded.status is None  # that hypothesis is broken, the others would be checked
    (claim,) = loaded.claims
    assert claim.error is not None
    assert claim.error.startswith("eve.py, line 3: ") and "kernel" in claim.error


def test_a_layer_with_keras_defaults_spelled_out_is_the_exercise() -> None:
    from harness import Layer

    rules = parse_assignment(ASSIGNMENT, source="test")
    spelled = Layer("Dense", units=2, use_bias=False, activation=None, input_shape=(2,))
    assert rules.exercise_for(spelled) is not None
    assert rules.exercise_for(spelled).id == "dense"  # type: ignore[union-attr]
    other = Layer("Dense", units=3, use_bias=False, input_shape=(2,))
    assert rules.exercise_for(other) is None


def test_a_conv1d_attempt_right_on_some_cases_is_plausible() -> None:
    """A Conv1D output's rows are positions, not steps: plausibility compares whole
    outputs, so a formula right only where the filter is symmetric still counts, and a
    constant does not."""
    import numpy as np

    from harness import Layer
    from harness.claims import claim_of
    from harness.engine.checker import Checker, CheckSettings
    from harness.engine.formula import InProcess
    from harness.grading.plausible import plausible, public_cases

    conv = Layer("Conv1D", filters=1, kernel_size=3, use_bias=False, input_shape=(6, 1))

    def flipped(kernel, x):  # type: ignore[no-untyped-def]
        k = kernel[::-1, 0, 0]
        return np.array([[x[t:t + 3, 0] @ k] for t in range(4)])

    def constant(kernel, x):  # type: ignore[no-untyped-def]
        return np.ones((4, 1))

    from harness import hypothesis

    checker = Checker(CheckSettings(cases=200))
    verdicts = {}
    for fn in (flipped, constant):
        claim = claim_of(hypothesis(conv, refuted=True)(fn))
        assert claim is not None
        cases, wants = checker.screening(claim)
        outcomes = InProcess().evaluate(claim, cases)
        verdicts[fn.__name__] = plausible(conv, cases, wants, outcomes,
                                          public_cases(conv, claim.scope))
    assert verdicts == {"flipped": True, "constant": False}


def test_a_layer_outside_the_assignment_is_never_built() -> None:
    """A hostile submission may name many large layers: the grader reports each as not
    part of the assignment and builds none of them with Keras."""
    from harness.engine import oracle
    from harness.scope import DEFAULT_TIMESTEPS

    rules = parse_assignment(ASSIGNMENT, source="test")
    session = Session(Submission("eve", (("eve.py", b""),)), Limits(), Isolation(),
                      WorkerTime(1.0), 5, accepts=lambda spec: rules.exercise_for(spec) is not None)
    big = 'Layer("Dense", units=999, input_shape=(997,))'
    meta = {"name": "h", "function": "h", "line": 3, "file": "eve.py", "layer": big,
            "refuted": False, "params": ["kernel", "x"], "fixed": {},
            "timesteps": list(DEFAULT_TIMESTEPS), "where": None, "scope": "all weights and inputs"}
    loaded = session._loaded({"ok": True, "total": 1, "claims": [meta]})
    assert loaded.status is None and [str(c.spec) for c in loaded.claims] == [big]
    assert not any("999" in str(spec) for spec in oracle._BUILT)
    assert rules.exercise_for(loaded.claims[0].spec) is None  # the grader says so


def test_an_assignment_layer_is_still_validated_by_the_grader() -> None:
    from harness.scope import DEFAULT_TIMESTEPS

    rules = parse_assignment(ASSIGNMENT, source="test")
    session = Session(Submission("eve", (("eve.py", b""),)), Limits(), Isolation(),
                      WorkerTime(1.0), 5, accepts=lambda spec: rules.exercise_for(spec) is not None)
    meta = {"name": "h", "function": "h", "line": 3, "file": "eve.py",
            "layer": 'Layer("Dense", units=2, use_bias=False, input_shape=(2,))',
            "refuted": False, "params": ["kernels", "x"], "fixed": {},
            "timesteps": list(DEFAULT_TIMESTEPS), "where": None, "scope": "all weights and inputs"}
    loaded = session._loaded({"ok": True, "total": 1, "claims": [meta]})
    assert loaded.status is None and "kernels" in (loaded.claims[0].error or "")
