"""Points that reward the science, not gaming (issue 7, items 2 and 8).

* Under the default assignment, every formula right is full marks.
* Refutation credit (an instructor's opt-in) goes only to a plausible hypothesis:
  ``return 0``, constants, random numbers and tables of the notebook's answers,
  recorded ``refuted=True``, earn nothing, and the feedback says why in plain words.
* One result model: enums for verdicts, statuses and credit; a grading result
  embeds the checker's ``Verdict`` and round-trips through JSON with the same types.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest_grading import ASSIGNMENT

from harness import PART_A, PART_B, hypothesis
from harness.claims import Claim, claim_of
from harness.course import NOTEBOOK_CASES
from harness.engine.checker import Checker, CheckSettings
from harness.engine.compare import agree
from harness.engine.formula import InProcess
from harness.grading import grade
from harness.grading.assignment import load_assignment
from harness.grading.feedback import feedback_markdown
from harness.grading.plausible import plausible, public_cases
from harness.grading.results import (
    Credit,
    ExerciseResult,
    HypothesisResult,
    Status,
    SubmissionResult,
)
from harness.grading.scoring import score_exercises, score_hypothesis
from harness.grading.store import ResultStore
from harness.layers import LayerSpec
from harness.verdict import Counterexample, Verdict, VerdictKind

SEED, CASES = 11, 40  # the test assignment's


def _verdict(kind: VerdictKind, spec: LayerSpec = PART_A, refuted: bool = False,
             general: bool = True, name: str = "h") -> Verdict:
    example = None
    if kind == VerdictKind.REFUTED:
        example = Counterexample(case={"kernel": [[1.0]], "recurrent_kernel": [[2.0]],
                                       "xs": [[1.0], [1.0]]},
                                 keras_output=[3.0], hypothesis_output=[2.0],
                                 keras_steps=[[1.0], [3.0]])
    return Verdict(file="a.py", function="f", name=name, layer=spec, scope="all", recorded=refuted,
                   kind=kind, cases=CASES, seed=SEED, seconds=0.25, counterexample=example,
                   message=None, line=3, general=general, notes=("a note",))


# ---- 1. every formula right is full marks under the default assignment -----------------

def test_every_formula_right_is_full_marks_by_default() -> None:
    assignment = load_assignment()
    hypotheses = tuple(
        score_hypothesis(HypothesisResult(_verdict(VerdictKind.HOLDS, e.spec), e.id), e)
        for e in assignment.exercises)
    exercises = score_exercises(assignment, hypotheses)
    result = SubmissionResult("s", "k", Status.GRADED, exercises, hypotheses)
    assert result.total == result.max_total == 5
    assert all(e.refuted_points == 0 for e in assignment.exercises)


# ---- 2. plausibility, on real screening cases and Keras's real outputs -------------------

def _claim(spec: LayerSpec, formula: Callable[..., Any]) -> Claim:
    claim = claim_of(hypothesis(spec, name=formula.__name__, refuted=True)(formula))
    assert claim is not None
    return claim


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(CheckSettings(seed=SEED, cases=CASES))


def _is_plausible(checker: Checker, spec: LayerSpec, formula: Callable[..., Any]) -> bool:
    claim = _claim(spec, formula)
    cases, wants = checker.screening(claim)
    outcomes = InProcess().evaluate(claim, cases)
    return plausible(spec, cases, wants, outcomes, public_cases(spec, claim.scope))


def zero(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    return 0


def thirteen(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    return 13.0


def one(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    return np.ones(recurrent_kernel.shape[0])


def uniform(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    return np.random.rand(recurrent_kernel.shape[0])


_DICE = random.Random(0)


def small_integers(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    return [float(_DICE.randint(-3, 3)) for _ in range(recurrent_kernel.shape[0])]


def _table(spec: LayerSpec) -> Callable[..., Any]:
    """Keras's printed answers to the notebook's cases, 0 elsewhere."""
    answers = {(np.asarray(c.weights[0], dtype=float).tobytes(),
                np.asarray(c.weights[1], dtype=float).tobytes(),
                np.asarray(c.xs, dtype=float).tobytes()): c.output
               for c in NOTEBOOK_CASES[spec]}

    def table(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
        key = (kernel.tobytes(), recurrent_kernel.tobytes(), xs[:, 0].tobytes())
        return answers.get(key, np.zeros(recurrent_kernel.shape[0]))

    return table


def last_input_only(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    return xs[-1] @ kernel  # right for one step, or when the feedback weight is 0


def first_guess(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    return kernel[0] * (xs[-1] + recurrent_kernel[0, 0] * xs[:-1].sum())  # the notebook's


def no_feedback(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h  # the feedback weights left out
    return h


@pytest.mark.parametrize("spec, formula", [
    (PART_A, zero), (PART_B, zero), (PART_A, thirteen), (PART_A, one), (PART_B, one),
    (PART_A, uniform), (PART_B, uniform), (PART_A, small_integers),
    (PART_B, small_integers), (PART_A, _table(PART_A)), (PART_B, _table(PART_B)),
], ids=lambda p: getattr(p, "__name__", None) or str(p.units))
def test_placeholders_are_not_plausible(checker: Checker, spec: LayerSpec,
                                        formula: Callable[..., Any]) -> None:
    assert not _is_plausible(checker, spec, formula)


def test_the_table_does_match_keras_on_the_notebook(checker: Checker) -> None:
    """The table is right on the notebook's cases, which is why those do not count."""
    claim = _claim(PART_A, _table(PART_A))
    cases, wants = checker.screening(claim)
    outcomes = InProcess().evaluate(claim, cases)
    public = public_cases(PART_A, claim.scope)
    hits = [c for c, w, o in zip(cases, wants, outcomes, strict=True)
            if o.value is not None and agree(PART_A, c, w, o.value)
            and not agree(PART_A, c, w, np.zeros_like(w))]
    assert len(hits) == len(NOTEBOOK_CASES[PART_A]) and set(hits) <= public
    assert plausible(PART_A, cases, wants, outcomes, public=())  # counted, it would pass


@pytest.mark.parametrize("spec, formula", [
    (PART_A, last_input_only), (PART_A, first_guess), (PART_A, no_feedback),
    (PART_B, last_input_only), (PART_B, no_feedback),
], ids=lambda p: getattr(p, "__name__", None) or str(p.units))
def test_honest_wrong_formulas_are_plausible(checker: Checker, spec: LayerSpec,
                                             formula: Callable[..., Any]) -> None:
    assert _is_plausible(checker, spec, formula)


# ---- scoring with refutation credit turned on --------------------------------------------

def _refuted(plausible: bool | None) -> HypothesisResult:
    return HypothesisResult(_verdict(VerdictKind.REFUTED, refuted=True), "part_a",
                            plausible=plausible)


def test_refutation_credit_needs_a_plausible_hypothesis() -> None:
    from harness.grading.assignment import parse_assignment

    assignment = parse_assignment(ASSIGNMENT.read_text())
    exercise = assignment.exercises[0]
    assert exercise.refuted_points == 1
    real = score_hypothesis(_refuted(True), exercise)
    assert (real.credit, real.earned) == (Credit.REFUTED, 1)
    for fake in (score_hypothesis(_refuted(False), exercise),
                 score_hypothesis(_refuted(None), exercise)):
        assert (fake.credit, fake.earned) == (Credit.NONE, 0)
        assert "not a real attempt at the rule" in fake.note
        assert "recurrent_kernel" not in fake.note and "@" not in fake.note  # no spoilers
    assert score_exercises(assignment, (fake,))[0].points == 0


def test_narrow_credit_needs_a_plausible_hypothesis() -> None:
    from harness.grading.assignment import parse_assignment

    text = ASSIGNMENT.read_text().replace("refuted_points = 1", "narrow_points = 0.5", 1)
    exercise = parse_assignment(text).exercises[0]
    narrow = _verdict(VerdictKind.HOLDS, general=False)
    real = score_hypothesis(HypothesisResult(narrow, "part_a", plausible=True), exercise)
    assert (real.credit, real.earned) == (Credit.NARROW, 0.5)
    for fake in (HypothesisResult(narrow, "part_a", plausible=False),
                 HypothesisResult(narrow, "part_a")):
        scored = score_hypothesis(fake, exercise)
        assert (scored.credit, scored.earned) == (Credit.NONE, 0)
        assert "always 0 or always the same" in scored.note


NARROW = {
    "narrow_zero": '@hypothesis(PART_A, name="zero", fixed={"kernel": 0})\n'
                   'def zero(kernel, recurrent_kernel, xs):\n    return 0\n',
    "narrow_real": '@hypothesis(PART_A, name="no feedback", fixed={"recurrent_kernel": 0})\n'
                   'def last(kernel, recurrent_kernel, xs):\n    return xs[-1] @ kernel\n',
}


def test_placeholders_earn_nothing_when_graded(tmp_path: Path) -> None:
    """Graded end to end (real workers, real Keras), refutation and narrow credit on: a
    real refuted attempt earns the refutation point; 0, a constant, random numbers and a
    table of the notebook's answers do not, and the feedback says why.  Narrow credit
    the same: ``return 0`` where the kernel is 0 (Keras's output is always 0) holds
    but earns nothing; a real narrow formula earns the narrow points."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    assignment = tmp_path / "assignment.toml"
    assignment.write_text(ASSIGNMENT.read_text().replace(
        "refuted_points = 1", "refuted_points = 1\nnarrow_points = 0.5", 1))
    table = {(c.weights[0][0][0], c.weights[1][0][0], *c.xs): c.output[0]
             for c in NOTEBOOK_CASES[PART_A]}
    header = ("import random\n\nimport numpy as np\nfrom harness import PART_A, hypothesis\n\n"
              f"TABLE = {table!r}\n\n")
    bodies = {
        "honest": "return kernel[0] * (xs[-1] + recurrent_kernel[0, 0] * xs[:-1].sum())",
        "zero": "return 0",
        "constant": "return 13.0",
        "noise": "return np.random.rand()",
        "dice": "return float(random.randint(-3, 3))",
        "table": "return TABLE.get((float(kernel[0, 0]), float(recurrent_kernel[0, 0]), "
                 "*xs[:, 0].tolist()), 0.0)",
    }
    for student, body in bodies.items():
        (submissions / f"{student}.py").write_text(
            f"{header}@hypothesis(PART_A, name='guess', refuted=True)\n"
            f"def guess(kernel, recurrent_kernel, xs):\n    {body}\n")
    for student, source in NARROW.items():
        (submissions / f"{student}.py").write_text(header + source)
    run = grade(submissions, assignment=assignment, out=tmp_path / "out", workers=2)
    results = {r.student: r for r in run.results}
    assert {s: (r.status, r.points("part_a")) for s, r in results.items()} == {
        "honest": ("graded", 1), "zero": ("graded", 0), "constant": ("graded", 0),
        "noise": ("graded", 0), "dice": ("graded", 0), "table": ("graded", 0),
        "narrow_zero": ("graded", 0), "narrow_real": ("graded", 0.5)}
    for student in NARROW:
        (h,) = results[student].hypotheses
        assert h.verdict == VerdictKind.HOLDS and not h.checked.general
        assert h.plausible is (student == "narrow_real")
    assert "always 0 or always the same" in (
        tmp_path / "out" / "feedback" / "narrow_zero.md").read_text()
    for student in bodies:
        (h,) = results[student].hypotheses
        assert h.verdict == VerdictKind.REFUTED and h.checked.recorded is True
        assert h.plausible is (student == "honest")
    text = (tmp_path / "out" / "feedback" / "zero.md").read_text()
    assert "not a real attempt at the rule" in text


# ---- 3. one result model -----------------------------------------------------------------

def _submission() -> SubmissionResult:
    hypotheses = (
        HypothesisResult(_verdict(VerdictKind.HOLDS, name="right"), "part_a", earned=2,
                         credit=Credit.GENERAL, note="holds for all weights and sequences."),
        HypothesisResult(_verdict(VerdictKind.REFUTED, refuted=True, name="refuted"),
                         "part_a", plausible=True, earned=1, credit=Credit.REFUTED),
        HypothesisResult(_verdict(VerdictKind.TIMEOUT, PART_B, general=False), None,
                         used_keras=True),
    )
    return SubmissionResult("ann", "key", Status.TIMEOUT,
                            (ExerciseResult("part_a", "A", 3, 3, "n"),), hypotheses,
                            message="m", notes=("x",), ignored=2, seconds=1.5,
                            isolation=("limits",))


def test_results_round_trip_through_json_with_the_same_types(tmp_path: Path) -> None:
    result = _submission()
    text = json.dumps(result.to_json())
    back = SubmissionResult.from_json(json.loads(text))
    assert back == result
    assert json.dumps(back.to_json()) == text
    assert type(back.status) is Status
    for before, after in zip(result.hypotheses, back.hypotheses, strict=True):
        assert type(after.checked) is Verdict and type(after.credit) is Credit
        assert type(after.checked.kind) is VerdictKind
        assert type(after.checked.recorded) is bool
        assert after.checked.layer == before.checked.layer
        assert after.checked.counterexample == before.checked.counterexample
    store = ResultStore(tmp_path)
    store.put(result)
    assert store.get("ann", "key") == result


def test_recorded_is_the_same_bool_in_checker_and_grading_results(checker: Checker) -> None:
    claim = _claim(PART_A, last_input_only)
    verdict = checker.check(claim)
    assert verdict.kind is VerdictKind.REFUTED and verdict.recorded is True
    result = HypothesisResult(verdict, "part_a")
    assert result.checked is verdict and result.verdict is VerdictKind.REFUTED
    assert type(SubmissionResult.from_json(json.loads(json.dumps(SubmissionResult(
        "s", "k", Status.GRADED, (), (result,)).to_json()))).hypotheses[0].checked.recorded) \
        is bool


def test_enums_read_as_their_text() -> None:
    assert Status.GRADED == "graded" and f"{Status.USED_KERAS}" == "used-keras"
    assert VerdictKind.NOT_CHECKED == "not-checked" and json.dumps(VerdictKind.HOLDS) == '"holds"'
    assert {str(s) for s in Status} >= {"graded", "syntax-error", "timeout", "invalid-submission"}
    with pytest.raises(ValueError):
        SubmissionResult("s", "k", "graded-ish", ())  # type: ignore[arg-type]


def test_feedback_reads_the_embedded_verdict() -> None:
    text = feedback_markdown(load_assignment(), _submission())
    assert "### right (earned: 2)" in text and "`f` in a.py, line 3" in text
    assert "Keras outputs `[3]`" in text and "It could not be checked: it took too long." in text


def test_feedback_under_a_secret_promises_no_replay_and_names_no_seed() -> None:
    from harness.grading.secret import Secret

    public = feedback_markdown(load_assignment(), _submission())
    assert "seed 20240601" in public and "see the same verdicts" in public
    secret = load_assignment().with_secret(Secret(b"s" * 32, "test"))
    text = feedback_markdown(secret, _submission())
    assert "seed" not in text and "see the same verdicts" not in text
    assert "keeps secret" in text


# ---- 3. wrong claims (issue 15): a refuted hypothesis recorded as holding costs ----------

def _scored(assignment: Any, kind: VerdictKind, refuted: bool, name: str) -> HypothesisResult:
    exercise = assignment.exercises[0]
    return score_hypothesis(HypothesisResult(_verdict(kind, exercise.spec, refuted, name=name),
                                             exercise.id), exercise)


@pytest.mark.parametrize(("rule", "points"), [(None, 0), ("cost", 0), ("ignore", 2)])
def test_a_wrong_claim_costs_the_exercise_unless_ignored(rule: str | None,
                                                         points: float) -> None:
    assignment = load_assignment() if rule is None else _with_rule(rule)
    right = _scored(assignment, VerdictKind.HOLDS, False, "right")
    wrong = _scored(assignment, VerdictKind.REFUTED, False, "wrong")
    recorded = _scored(assignment, VerdictKind.REFUTED, True, "recorded")
    (part_a, *_) = score_exercises(assignment, (right, wrong, recorded))
    assert part_a.points == points
    # a correctly recorded refutation never costs anything
    (alone, *_) = score_exercises(assignment, (right, recorded))
    assert alone.points == 2
    result = SubmissionResult("s", "k", Status.GRADED,
                              score_exercises(assignment, (right, wrong, recorded)),
                              (right, wrong, recorded))
    feedback = feedback_markdown(assignment, result)
    named = "**Wrong claim:** `wrong` is recorded as holding" in feedback
    assert named == (rule != "ignore")
    assert ("Recording it with `refuted=True` is what the exercise asks" in feedback) == named


def _with_rule(rule: str) -> Any:
    from importlib import resources

    from harness.grading.assignment import parse_assignment

    text = resources.files("harness.assignments").joinpath("rnn_weights.toml").read_text()
    assert 'wrong_claims = "cost"' in text  # the bundled assignment says it
    return parse_assignment(text.replace('wrong_claims = "cost"', f'wrong_claims = "{rule}"'))


def test_wrong_claims_may_be_set_per_exercise_and_is_checked() -> None:
    from harness.errors import AssignmentError
    from harness.grading.assignment import parse_assignment

    text = ('[assignment]\nwrong_claims = "ignore"\n[[exercise]]\nlayer = "PART_A"\n'
            'points = 2\n[[exercise]]\nlayer = "PART_B"\npoints = 2\nwrong_claims = "cost"\n')
    rules = parse_assignment(text)
    assert [e.wrong_claims for e in rules.exercises] == ["ignore", "cost"]
    with pytest.raises(AssignmentError, match=r'wrong_claims of \[assignment\] must be "cost"'):
        parse_assignment(text.replace('"ignore"', '"forgive"'))


def test_a_correct_refutation_never_reads_like_a_penalty() -> None:
    assignment = load_assignment()  # refuted_points = 0
    recorded = _scored(assignment, VerdictKind.REFUTED, True, "first guess")
    right = _scored(assignment, VerdictKind.HOLDS, False, "second guess")
    result = SubmissionResult("s", "k", Status.GRADED,
                              score_exercises(assignment, (recorded, right)), (recorded, right))
    feedback = feedback_markdown(assignment, result)
    assert "### first guess (correctly recorded as refuted)" in feedback
    assert "no points: 0" not in feedback and "(no points" not in feedback
    assert "**Recorded:** Correctly recorded as refuted (refuted=True)" in feedback
    assert "### second guess (earned: 2)" in feedback


def test_problems_round_trip_and_fill_the_csv_column() -> None:
    from harness.grading.outputs import grades_csv
    from harness.grading.results import FileProblem

    assignment = load_assignment()
    problems = (FileProblem("scratch.py", "syntax-error", "scratch.py could not be read: "
                            "line 3 has a syntax error (...)."),
                FileProblem("extra.py", "bad-hypothesis", "extra.py, line 4: ..."))
    result = SubmissionResult("s", "k", Status.GRADED, score_exercises(assignment, ()),
                              problems=problems)
    again = SubmissionResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again == result
    row = grades_csv(assignment, [again]).splitlines()[1]
    assert row.endswith(",graded,,scratch.py: syntax-error; extra.py: bad-hypothesis")
    feedback = feedback_markdown(assignment, again)
    assert "- **scratch.py** (a syntax error):" in feedback
    assert "line 3 has a syntax error" in feedback
    from harness.grading.progress import Progress

    line = Progress(1, stream=io.StringIO()).finished_line(again)
    assert line.endswith(": graded, 0/5 points; could not use scratch.py, extra.py (0.0 s)")
