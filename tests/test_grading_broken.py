"""Grading weighs files and claims one by one (issue 15, item 2).

One small class, graded once in the sandbox with the default assignment's
exercises and points (A 2, B 2, C 1; fewer cases, no hints, to stay quick):

* ``typo/``: right Parts A, B, C and an ``extra.py`` whose only hypothesis misspells a
  ``fixed=`` key: 5 of 5, the feedback names ``extra.py``, its line and the fix;
* ``syntax/``: the same plus a half-written ``scratch.py`` (a syntax error): 5 of 5;
* ``wrong/``: a right and a wrong Part A formula, the wrong one recorded as holding (a
  *wrong claim*), right B and C: 3 of 5, the feedback names the wrong claim;
* the same three as notebooks, each with its broken cell;
* ``mixed.py``: one file, a typo hypothesis between right ones: 5 of 5;
* ``keras_scratch/``: a right Part A and a scratch file importing Keras: Part A counts.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.grading import grade
from harness.grading.assignment import load_assignment

HEADER = "import numpy as np\nfrom harness import PART_A, PART_B, PART_C, hypothesis\n"
A = '''
@hypothesis(PART_A, name="A")
def part_a(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
'''
B = A.replace("PART_A", "PART_B").replace('"A"', '"B"').replace("part_a", "part_b").replace(
    "zeros(1)", "zeros(2)")
C = '''
@hypothesis(PART_C, name="C")
def part_c(kernel, recurrent_kernel, xs):
    h, c, out = np.zeros(1), np.zeros(1), []
    for x in xs:
        i, f, g, o = x @ kernel + h @ recurrent_kernel
        c = f * c + i * g
        h = o * c
        out.append(h)
    return np.array(out)
'''
TYPO = '''
@hypothesis(PART_A, name="scratch idea", fixed={"recurent_kernel": [[0]]})
def idea(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel
'''
WRONG = '''
@hypothesis(PART_A, name="wrong A")
def wrong_a(kernel, recurrent_kernel, xs):
    return xs.sum(axis=0) @ kernel
'''
SCRATCH = "import numpy as np\n\ndef half_written(kernel, xs:\n    return\n"
TYPO_WORDS = ("fixed= names 'recurent_kernel', which PART_A does not have; did you mean "
              "'recurrent_kernel'?")


def _notebook(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                                  "execution_count": None, "source": text}
                                 for text in cells], "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5})


FOLDERS = {
    "typo": {"part_a.py": HEADER + A, "part_b.py": HEADER + B, "part_c.py": HEADER + C,
             "extra.py": HEADER + TYPO},
    "syntax": {"part_a.py": HEADER + A, "part_b.py": HEADER + B, "part_c.py": HEADER + C,
               "extra.py": HEADER + TYPO, "scratch.py": SCRATCH},
    "wrong": {"part_a.py": HEADER + A + WRONG, "part_b.py": HEADER + B,
              "part_c.py": HEADER + C},
    "keras_scratch": {"part_a.py": HEADER + A, "scratch.py": "import keras\n" + HEADER + B},
}
FILES = {
    "nb_typo.ipynb": _notebook([HEADER, A, B, C, TYPO]),
    "nb_syntax.ipynb": _notebook([HEADER, A, B, C, TYPO, "@hypothesis(PART_A\n" + SCRATCH]),
    "nb_wrong.ipynb": _notebook([HEADER, A, WRONG, B, C]),
    "mixed.py": HEADER + A + TYPO + B + C,
}
#: student -> (part_a, part_b, part_c, total, problems column)
EXPECTED = {
    "typo": ("2", "2", "1", "5", "extra.py: bad-hypothesis"),
    "syntax": ("2", "2", "1", "5", "scratch.py: syntax-error; extra.py: bad-hypothesis"),
    "wrong": ("0", "2", "1", "3", ""),
    "nb_typo": ("2", "2", "1", "5", "nb_typo.ipynb: bad-hypothesis"),
    "nb_syntax": ("2", "2", "1", "5",
                  "nb_syntax.ipynb: syntax-error; nb_syntax.ipynb: bad-hypothesis"),
    "nb_wrong": ("0", "2", "1", "3", ""),
    "mixed": ("2", "2", "1", "5", "mixed.py: bad-hypothesis"),
    "keras_scratch": ("2", "0", "0", "2", "scratch.py: used-keras"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("broken")
    for student, files in FOLDERS.items():
        (root / "class" / student).mkdir(parents=True)
        for name, text in files.items():
            (root / "class" / student / name).write_text(text)
    for name, text in FILES.items():
        (root / "class" / name).write_text(text)
    default = load_assignment()  # its exercises, points and rules; fewer cases, no hints
    rules = replace(default, cases=40, fresh_cases=10, hints=False)
    out = root / "out"
    grade(root / "class", assignment=rules, out=out, workers=2)
    rows = {row["student"]: row
            for row in csv.DictReader((out / "grades.csv").read_text().splitlines())}
    return {"out": out, "rows": rows, "default": default}


def _feedback(graded: dict[str, Any], student: str) -> str:
    return Path(graded["out"] / "feedback" / f"{student}.md").read_text()


def test_the_default_assignment_is_what_the_class_is_graded_with(
        graded: dict[str, Any]) -> None:
    default = graded["default"]
    assert [(e.id, e.points, e.wrong_claims) for e in default.exercises] == [
        ("part_a", 2, "cost"), ("part_b", 2, "cost"), ("part_c", 1, "cost")]


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_file_and_claim_is_weighed_on_its_own(graded: dict[str, Any],
                                                  student: str) -> None:
    row = graded["rows"][student]
    assert (row["status"], row["part_a"], row["part_b"], row["part_c"], row["total"],
            row["problems"]) == ("graded", *EXPECTED[student])


@pytest.mark.parametrize("student", ["syntax", "nb_syntax"])
def test_the_feedback_names_the_broken_files_the_reason_and_the_line(
        graded: dict[str, Any], student: str) -> None:
    text = _feedback(graded, student)
    assert "**Score: 5 / 5**" in text
    assert "## Parts of your submission that could not be used" in text
    assert TYPO_WORDS in text
    if student == "syntax":
        assert "scratch.py could not be read: line 3 has a syntax error" in text
        assert "extra.py, line 4: " + TYPO_WORDS in text
    else:
        assert "nb_syntax.ipynb, cell 6, line 2 has a syntax error" in text
        assert "nb_syntax.ipynb, cell 5, line 2: " + TYPO_WORDS in text
    results = json.loads((graded["out"] / "gradescope" / student / "results.json").read_text())
    assert TYPO_WORDS in results["output"] and results["score"] == 5


@pytest.mark.parametrize("student", ["wrong", "nb_wrong"])
def test_a_wrong_claim_costs_its_exercise_and_is_named(graded: dict[str, Any],
                                                       student: str) -> None:
    text = _feedback(graded, student)
    assert "## Part A: single-unit SimpleRNN: 0 / 2 points" in text
    assert "**Wrong claim:** `wrong A` is recorded as holding, but the harness refuted it" in text
    assert "Recording it with `refuted=True` is what the exercise asks" in text
    assert "### A (no points)" in text  # it holds, but the wrong claim costs the exercise


def test_a_scratch_file_importing_keras_costs_only_its_own(graded: dict[str, Any]) -> None:
    text = _feedback(graded, "keras_scratch")
    assert "**scratch.py** (it imports Keras/TensorFlow)" in text
    assert "Keras/TensorFlow cannot be used while grading" in text
