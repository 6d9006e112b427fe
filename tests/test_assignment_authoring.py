"""Authoring an assignment (``harness assignment new`` / ``check``) and students' preview of
their points (``harness check --assignment``, ``pytest --harness-assignment``), with real
Keras and the real grader."""

from __future__ import annotations

import csv
import re
import shutil
import textwrap
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import HarnessError
from harness.grading.assignment import (
    _EXERCISE,
    _SETTINGS,
    Assignment,
    Exercise,
    load_assignment,
    parse_assignment,
)
from harness.grading.authoring import new_assignment
from harness.grading.preview import IF_SECRET

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FIXTURES = Path(__file__).parent / "grading_fixtures"
CONV = 'Conv1D(filters=1, kernel_size=2, input_shape=(4, 1))'
GRU = "GRU(units=1)"

REFERENCE = '''
import numpy as np

from harness import GRU, Layer, hypothesis

CONV = Layer("Conv1D", filters=1, kernel_size=2, input_shape=(4, 1))


@hypothesis(CONV, name="conv")
def conv(kernel, bias, x):
    return np.stack([sum(x[t + k] @ kernel[k] for k in range(2)) + bias for t in range(3)])


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


@hypothesis(GRU(units=1), name="gru")
def gru(kernel, recurrent_kernel, bias, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        xz, xr, xh = np.split(x @ kernel + bias[0], 3)
        hz, hr, hh = np.split(h @ recurrent_kernel + bias[1], 3)
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        h = z * h + (1 - z) * np.tanh(xh + r * hh)
    return h
'''
#: The convolution that forgets the kernel's second tap: refuted.
FORGETFUL = REFERENCE.replace("for k in range(2)", "for k in range(1)")


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _grades(out: Path) -> dict[str, dict[str, str]]:
    """grades.csv of ``harness grade --out OUT``, by student."""
    lines = (out / "grades.csv").read_text().splitlines()
    return {row["student"]: row for row in csv.DictReader(lines)}


def test_new_writes_every_key_with_its_default_and_a_comment() -> None:
    text = new_assignment(["PART_A", GRU, CONV], name="Weights")
    data = tomllib.loads(text)
    assert set(data["assignment"]) == set(_SETTINGS)
    assert [set(e) for e in data["exercise"]] == [set(_EXERCISE)] * 3
    defaults = {f.name: f.default for f in fields(Assignment)}
    for key in _SETTINGS:
        if key != "name":
            assert data["assignment"][key] == defaults[key], key
    lines = text.splitlines()
    for i, line in enumerate(lines):  # every key has its line of explanation above it
        if re.match(r"\w+ = ", line):
            assert lines[i - 1].startswith("# ") and len(lines[i - 1]) > 10, line
    rules = parse_assignment(text)  # the grader's own loader
    assert [e.id for e in rules.exercises] == ["part_a", "gru", "conv1d"]
    assert rules.exercises[2].layer == ('Layer("Conv1D", filters=1, kernel_size=2, '
                                        'input_shape=(4, 1))')
    assert rules.exercises[1].narrow_points == Exercise.narrow_points
    assert rules.name == "Weights" and rules.max_total == 3


def test_new_refuses_a_layer_keras_refuses(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="input_shape"):
        new_assignment(["Conv1D(filters=1)"])
    out = tmp_path / "a.toml"
    assert main(["assignment", "new", "Conv1D(filters=1, kernel_size=9, input_shape=(4, 1))",
                 "-o", str(out)]) == 2
    assert "harness assignment new:" in capsys.readouterr().err
    assert not out.exists()


def test_new_then_check_then_grade_a_conv1d_and_gru_assignment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assignment = tmp_path / "assignment.toml"
    assert main(["assignment", "new", CONV, GRU, "--cases", "30", "--points", "2",
                 "-o", str(assignment)]) == 0
    assert load_assignment(assignment).cases == 30
    reference = tmp_path / "reference"
    _write(reference, "reference.py", REFERENCE)
    _write(reference, "other.py", "from harness import PART_A, hypothesis\n\n"
                                  "@hypothesis(PART_A)\ndef zero(kernel, recurrent_kernel, xs):"
                                  "\n    return 0 * kernel[0]\n")
    capsys.readouterr()
    assert main(["assignment", "check", str(assignment), "--reference", str(reference)]) == 0
    out = capsys.readouterr().out
    assert "ignored: zero (other.py, line 3) is about SimpleRNN(units=1" in out
    assert "A full-marks student (the reference): 4 / 4 points" in out
    assert '@hypothesis(Layer("Conv1D", filters=1, kernel_size=2, input_shape=(4, 1)))' in out
    assert "def my_formula(kernel, recurrent_kernel, bias, xs)" in out
    assert "from harness import Layer, hypothesis" in out
    assert "from harness import GRU, hypothesis" in out
    assert "costs this exercise's points" in out and "ready" in out

    submissions = tmp_path / "class"
    _write(submissions / "ada", "mine.py", REFERENCE)
    _write(submissions / "ben", "mine.py", FORGETFUL)
    grades = tmp_path / "grades"
    assert main(["grade", str(submissions), "--assignment", str(assignment),
                 "--out", str(grades), "--workers", "1", "--no-progress"]) == 0
    rows = _grades(grades)
    assert (rows["ada"]["conv1d"], rows["ada"]["gru"], rows["ada"]["total"]) == ("2", "2", "4")
    assert (rows["ben"]["conv1d"], rows["ben"]["gru"], rows["ben"]["total"]) == ("0", "2", "2")


def test_check_fails_clearly_on_a_refuted_or_missing_reference(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assignment = tmp_path / "assignment.toml"
    assignment.write_text(new_assignment([CONV, GRU, "PART_A"], cases=30))
    reference = tmp_path / "reference"
    _write(reference, "reference.py", FORGETFUL)
    assert main(["assignment", "check", str(assignment), "--reference", str(reference)]) == 1
    err = capsys.readouterr().err
    assert "NOT ready" in err
    assert "reference conv (reference.py, line 9) is refuted:" in err
    assert "Keras output" in err  # the counterexample, to fix the reference with
    assert "exercise part_a has no reference hypothesis: add one about PART_A" in err
    assert "exercise gru" not in err


# ---------------------------------------------------------------- students' preview

GOOD_A = '''
import numpy as np
from harness import PART_A, PART_B, hypothesis

@hypothesis(PART_A, name="rnn a")
def rnn_a(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h

@hypothesis(PART_B, name="swapped b")  # recorded as holding, refuted: costs part_b
def swapped_b(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel.T
    return h

@hypothesis(PART_B, name="rnn b")
def rnn_b(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
'''

#: student -> files; the fixtures' assignment: part_a 2 (+1 refuted), part_b 2.
CLASS = {
    "alice": {"alice.py": (FIXTURES / "class" / "alice.py").read_text()},
    "bob": {"bob.py": (FIXTURES / "class" / "bob.py").read_text()},
    "mixed": {"good.py": GOOD_A, "broken.py": "import harness\ndef oops(:\n    pass\n"},
}
EXPECTED = {"alice": 5.0, "bob": 2.0, "mixed": 2.0}
POINTS = re.compile(rf"Points: ([\d.]+) / ([\d.]+) {re.escape(IF_SECRET)}\.")


def _class(root: Path) -> Path:
    for student, files in CLASS.items():
        for name, text in files.items():
            _write(root / student, name, text)
    return root


def test_check_shows_the_points_harness_grade_gives(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    submissions = _class(tmp_path / "class")
    assignment = FIXTURES / "assignment.toml"
    previewed = {}
    for student in CLASS:
        code = main(["check", str(submissions / student), "--assignment", str(assignment),
                     "--report-dir", str(tmp_path / "reports" / student), "--no-pictures",
                     "--no-hints"])
        assert code == (0 if student == "alice" else 1)  # a wrong claim, a broken file
        out = capsys.readouterr().out
        found = POINTS.search(out)
        assert found, out
        previewed[student] = (float(found[1]), float(found[2]))
        if student == "mixed":
            assert "broken file: " in out and "broken.py could not be loaded" in out
            assert "wrong claim: swapped b" in out and "counts: rnn a" in out
    grades = tmp_path / "grades"
    assert main(["grade", str(submissions), "--assignment", str(assignment),
                 "--out", str(grades), "--workers", "1", "--no-progress"]) == 0
    rows = _grades(grades)
    graded = {s: (float(rows[s]["total"]), float(rows[s]["max_total"])) for s in CLASS}
    assert previewed == graded
    assert {s: total for s, (total, _) in graded.items()} == EXPECTED


@pytest.fixture(scope="module")
def _keras_loaded_once() -> None:
    """pytester's in-process runs restore sys.modules; TensorFlow loads once, here."""
    from harness.course import PART_A
    from harness.engine.oracle import keras_layer

    keras_layer(PART_A)


@pytest.mark.usefixtures("_keras_loaded_once")
def test_pytest_shows_the_same_preview(pytester: pytest.Pytester) -> None:
    folder = pytester.path / "hypotheses"
    for name, text in CLASS["mixed"].items():
        _write(folder, name, text)
    shutil.copy(FIXTURES / "assignment.toml", pytester.path / "assignment.toml")
    result = pytester.runpytest("hypotheses", "--harness-assignment", "assignment.toml",
                                "--harness-no-hints")
    out = result.stdout.str()
    assert POINTS.search(out) and POINTS.search(out)[1] == "2", out  # type: ignore[index]
    assert "harness: seed 11, 40 cases per hypothesis" in out  # the assignment's settings
    assert "wrong claim: swapped b" in out and "broken file: " in out
    refused = pytester.runpytest("hypotheses", "--harness-assignment", "missing.toml")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert "Could not read the assignment missing.toml" in refused.stderr.str()


NARROW_ASSIGNMENT = '''
[assignment]
name = "Narrow (test)"
seed = 11
cases = 40
hypothesis_timeout = 2
submission_timeout = 8
max_scopes = 2

[[exercise]]
id = "part_a"
layer = "PART_A"
points = 2
narrow_points = 1

[[exercise]]
id = "part_b"
layer = "PART_B"
points = 2
'''

NARROW = '''
import numpy as np
from harness import PART_A, PART_C, hypothesis

@hypothesis(PART_A, fixed={"recurrent_kernel": 0}, name="last input")  # narrow, plausible
def last_input(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel

@hypothesis(PART_A, fixed={"kernel": 0}, name="zero")  # narrow: Keras gives 0 there
def zero(kernel, recurrent_kernel, xs):
    return np.zeros(1)

@hypothesis(PART_A, timesteps=[1], name="one step")  # a third scope: over max_scopes
def one_step(kernel, recurrent_kernel, xs):
    return xs[0] @ kernel

@hypothesis(PART_C, name="lstm")  # no exercise is about PART_C
def lstm(kernel, recurrent_kernel, xs):
    return np.zeros(1)
'''


def test_narrow_scopes_limits_and_other_layers_count_as_the_grader_counts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assignment = tmp_path / "assignment.toml"
    assignment.write_text(NARROW_ASSIGNMENT)
    submissions = tmp_path / "class"
    _write(submissions / "nora", "narrow.py", NARROW)
    main(["check", str(submissions / "nora"), "--assignment", str(assignment),
          "--report-dir", str(tmp_path / "reports"), "--no-pictures", "--no-hints"])
    out = capsys.readouterr().out
    assert "narrow scope: last input" in out
    assert "earns nothing: zero" in out and "always 0 or always the same" in out
    assert "earns nothing: one step" in out and "use 2 different scopes" in out
    assert "counts for no exercise: lstm" in out
    found = POINTS.search(out)
    assert found and (found[1], found[2]) == ("1", "4"), out
    grades = tmp_path / "grades"
    assert main(["grade", str(submissions), "--assignment", str(assignment),
                 "--out", str(grades), "--workers", "1", "--no-progress"]) == 0
    row = _grades(grades)["nora"]
    assert (row["part_a"], row["part_b"], row["total"]) == ("1", "0", "1")
