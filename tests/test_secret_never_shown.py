"""No secret case is ever shown, in any output of a class run.

A formula sees every secret case it is checked on.  So a counterexample shown
comes from the public search (seeded by the run's seed, never the secret); a
failure only the grader's own cases show is reported without any case, without
numbers and without the formula's own words.  Graded here: a formula that
raises only on one secret case it remembers (its message holds that case's
numbers), one wrong only on its first fresh cases, an ordinary wrong formula and
a right one.  Every file the run writes is searched for every secret number.
"""

from __future__ import annotations

import re
import textwrap
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest_grading import ASSIGNMENT

from harness import PART_A
from harness.cases import Case
from harness.claims import Claim
from harness.engine.checker import SECRET_ONLY, Checker
from harness.engine.strategies import explicit_cases
from harness.grading import grade
from harness.numbers import format_number
from harness.scope import Scope
from harness.verdict import ERROR, HOLDS, REFUTED

SECRET = "a secret nobody outside the course staff knows"
SCREENED = 40  # the test assignment's cases

RIGHT = '''
def _right(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
'''

SUBMISSIONS = {
    "remembers": '''
REMEMBERED = []


@hypothesis(PART_A, name="raises on one case it remembers")
def remembers(kernel, recurrent_kernel, xs):
    values = np.concatenate([kernel.ravel(), recurrent_kernel.ravel(), xs.ravel()])
    key = values.tobytes()
    if not REMEMBERED and np.any(np.round(values * 20) != values * 20):
        REMEMBERED.append(key)  # the first case with a number off the 1/20 grid: secret
    if REMEMBERED and key == REMEMBERED[0]:
        raise ValueError(f"kernel={kernel.tolist()!r} xs={xs.tolist()!r}")
    return _right(kernel, recurrent_kernel, xs)
''',
    "fresh_only": f'''
CALLS = []


@hypothesis(PART_A, name="wrong on its first fresh cases only")
def fresh_only(kernel, recurrent_kernel, xs):
    CALLS.append(1)
    wrong = {SCREENED} < len(CALLS) <= {SCREENED + 10}  # the first fresh candidates
    return _right(kernel, recurrent_kernel, xs) + (1.0 if wrong else 0.0)
''',
    "wrong": '''
@hypothesis(PART_A, name="no feedback")
def wrong(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel
''',
    "honest": '''
@hypothesis(PART_A, name="right")
def right(kernel, recurrent_kernel, xs):
    return _right(kernel, recurrent_kernel, xs)
''',
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The class graded with a secret; every secret case the grader drew, recorded."""
    root = tmp_path_factory.mktemp("never_shown")
    folder = root / "class"
    folder.mkdir()
    for student, body in SUBMISSIONS.items():
        (folder / f"{student}.py").write_text(
            "import numpy as np\nfrom harness import PART_A, hypothesis\n"
            + textwrap.dedent(RIGHT) + textwrap.dedent(body))
    (root / "secret.txt").write_text(SECRET)
    secret: list[Case] = []
    patch = pytest.MonkeyPatch()
    for name in ("screening", "fresh"):
        patch.setattr(Checker, name, _recording(getattr(Checker, name), secret))
    original = Checker.fresh_candidates

    def candidates(self: Checker, claim: Claim) -> list[Case]:
        found = original(self, claim)
        secret.extend(found)
        return found

    patch.setattr(Checker, "fresh_candidates", candidates)
    try:
        run = grade(folder, assignment=ASSIGNMENT, out=root / "out", workers=2,
                    secret=root / "secret.txt")
    finally:
        patch.undo()
    return {"run": run, "out": root / "out", "secret": secret}


def _recording(method: Any, seen: list[Case]) -> Any:
    def recorded(self: Checker, claim: Claim) -> tuple[list[Case], list[np.ndarray]]:
        cases, wants = method(self, claim)
        seen.extend(cases)
        return cases, wants

    return recorded


def _verdicts(graded: dict[str, Any]) -> dict[str, Any]:
    return {r.student: r.hypotheses[0].checked for r in graded["run"].results}


def test_the_class_fails_where_it_should(graded: dict[str, Any]) -> None:
    verdicts = _verdicts(graded)
    assert {s: v.kind for s, v in verdicts.items()} == {
        "remembers": ERROR, "fresh_only": REFUTED, "wrong": REFUTED, "honest": HOLDS}
    for student in ("remembers", "fresh_only"):  # only secret cases show it: no case
        verdict = verdicts[student]
        assert verdict.counterexample is None
        assert verdict.message == SECRET_ONLY[verdict.kind]
    assert verdicts["wrong"].counterexample is not None  # found by the public search
    text = (graded["out"] / "feedback" / "fresh_only.md").read_text()
    assert "the grader's own cases, which stay secret" in text
    assert "the case below" not in text


def _distinctive(value: float) -> bool:
    """A number no public output could show by chance: not tiny (the harness writes those
    as 0) and no simple fraction (1/3 shows up in any picture's sweep)."""
    size = abs(value)
    return size >= 1e-3 and abs(Fraction(size).limit_denominator(1000) - size) > 1e-9


def _patterns(value: float) -> list[str]:
    """Ways a number may be written: rounded to 6 significant digits (``.6g``), as the
    harness formats it, and its first 7 significant digits followed by anything (so at
    any longer precision, ``repr`` included)."""
    size = abs(value)
    exact = {f"{size:.6g}", format_number(size)}
    patterns = [rf"(?<![\d.]){re.escape(text)}(?!\d)" for text in exact]
    if size >= 0.1:
        digits = f"{size:.15f}"
        prefix = digits[:8] if size >= 1 else digits[:9]
        patterns.append(rf"(?<![\d.]){re.escape(prefix)}")
    return patterns


def test_no_secret_number_is_in_any_output(graded: dict[str, Any]) -> None:
    public = set(explicit_cases(PART_A, Scope()))  # the notebook's: anyone may print them
    values = {float(v) for case in set(graded["secret"]) - public
              for array in (*case.weights, case.xs) for v in np.ravel(array)
              if _distinctive(float(v))}
    assert len(values) > 100  # the run drew many off-grid secret numbers
    files = [p for p in Path(graded["out"]).rglob("*") if p.is_file() and p.name != ".secret"]
    names = {p.relative_to(graded["out"]).parts[0] for p in files}
    assert {"feedback", "gradescope", ".results", "grades.csv", "summary.md",
            "summary.html"} <= names
    text = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in files)
    found = [(v, p) for v in sorted(values) for p in _patterns(v) if re.search(p, text)]
    assert found == [], found[:5]
