"""PrairieLearn's external grader on a fake ``/grade`` layout (issue 17, item 3).

Each case is a folder laid out as PrairieLearn's ``/grade`` (``student/``,
``data/data.json``, ``tests/``), named by ``HARNESS_PRAIRIELEARN_ROOT``, graded
once for the module by the real grader (real Keras, the sandbox as
``harness gradescope`` chooses it).  The hostile submission tries to write
``results.json`` itself, from the file's top level and from inside a formula;
it earns full marks in its own forged file, and 0 in the grader's.  These tests
run as root and as an unprivileged user in ``.ci/run``.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_grading import ASSIGNMENT, CLASS
from markdown_it import MarkdownIt

from harness.cli import main
from harness.grading.autograder import platform_secret
from harness.grading.prairielearn import (
    MAX_BYTES,
    ROOT_VARIABLE,
    within_limit,
)

#: The hypothesis name of the hostile submission: HTML, Markdown, an ANSI colour code.
HOSTILE_NAME = "<script>alert(1)</script> **b** [x](http://e.vil) \x1b[31mred"
HOSTILE_FILE = "<img src=x onerror=alert(1)>*a*[l](x).py"
FORGED = {"gradable": True, "score": 1.0, "points": 5, "max_points": 5,
          "message": "FORGED by the submission"}

HOSTILE = '''import json
import os

import numpy as np
from harness import PART_A, hypothesis

TARGETS = {targets!r}


def _forge():
    """Write results.json where the grader will; say where it could."""
    wrote = []
    for folder in TARGETS:
        try:
            os.makedirs(folder, exist_ok=True)
            with open(folder + "/results.json", "w") as handle:
                json.dump({forged!r}, handle)
            with open(folder + "/forged-by-student", "w") as handle:
                handle.write("x")
            wrote.append(folder)
        except OSError:
            pass
    return wrote


SECRET = "none"
try:
    with open({root!r} + "/tests/secret") as handle:
        SECRET = handle.read().strip()
except OSError:
    pass
REAL = "grade-rw" if "/grade/results" in _forge() else "grade-ro"


@hypothesis(PART_A, name=REAL + " s=" + SECRET + " " + {name!r})
def forger(kernel, recurrent_kernel, xs):
    _forge()
    return np.zeros(1)
'''


def _layout(root: Path, files: dict[str, str], data: dict[str, Any] | None = None) -> Path:
    """A fake ``/grade``: the student's files, data.json, and tests/ with the assignment
    and a secret (no results/: PrairieLearn does not make it)."""
    (root / "student").mkdir(parents=True)
    for name, text in files.items():
        (root / "student" / name).write_text(text)
    (root / "data").mkdir()
    (root / "data" / "data.json").write_text(json.dumps(data if data is not None else {
        "params": {}, "submitted_answers": {}, "gradable": True}))
    (root / "tests").mkdir()
    shutil.copy(ASSIGNMENT, root / "tests" / "assignment.toml")
    (root / "tests" / "secret").write_text("0123456789abcdef-test-secret-" + root.name + "\n")
    return root


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Each case graded once, through the command line: its exit code, output and the
    results.json left in its layout."""
    base = tmp_path_factory.mktemp("prairielearn")
    cases: dict[str, tuple[dict[str, str], list[str]]] = {
        "correct": ({"answers.py": (CLASS / "alice.py").read_text()}, []),
        "wrong": ({"answers.py": (CLASS / "carol.py").read_text()}, []),
        "no_hypotheses": ({"answers.py": "import numpy as np\nTWO = 2\n"}, []),
        "syntax_error": ({"answers.py": "def broken(:  # <b>**x**</b> \x1b[31m\n    pass\n"}, []),
        "empty": ({}, []),
        "zip": ({"answers.zip": "not a zip <b>x</b>"}, []),
        "hostile": ({}, []),
        "hostile_unsandboxed": ({}, ["--no-sandbox"]),
    }
    found: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as patch:
        for case, (files, options) in cases.items():
            root = base / case
            if case.startswith("hostile"):
                # without a sandbox it could write to the real /grade: aim only at its own
                targets = [str(root / "results"), *(["/grade/results"] if not options else [])]
                files = {HOSTILE_FILE: HOSTILE.format(root=str(root), forged=FORGED,
                                                      name=HOSTILE_NAME, targets=targets)}
            _layout(root, files)
            patch.setenv(ROOT_VARIABLE, str(root))
            code = main(["prairielearn", *options])
            results = root / "results" / "results.json"
            found[case] = {"code": code, "root": root, "text": results.read_text(),
                           "data": json.loads(results.read_text())}
    yield found


def test_correct_submission_scores_full_marks(graded: dict[str, Any]) -> None:
    case = graded["correct"]
    data = case["data"]
    assert case["code"] == 0
    assert data["gradable"] is True and data["score"] == 1.0
    assert (data["points"], data["max_points"]) == (5, 5)
    assert [(t["name"], t["points"], t["max_points"]) for t in data["tests"]] == [
        ("Part A", 3, 3), ("Part B", 2, 2)]
    for test in data["tests"]:
        assert {"name", "description", "points", "max_points", "message", "output"} <= set(test)
        assert "It holds" in test["output"]
    assert "Score: 5 / 5" in data["message"]
    assert len(case["text"].encode()) < 1_000_000
    # the secret and its source never reach what the student sees
    assert (case["root"] / "tests" / "secret").read_text().strip() not in case["text"]


def test_wrong_submission_is_graded_zero(graded: dict[str, Any]) -> None:
    data = graded["wrong"]["data"]
    assert data["gradable"] is True and data["score"] == 0.0 and data["points"] == 0
    assert [t["points"] for t in data["tests"]] == [0, 0]
    assert all(t["output"].strip() for t in data["tests"])  # each says why


@pytest.mark.parametrize("case, words", [
    ("empty", "could not be read"),
    ("zip", "could not be read"),
    ("no_hypotheses", "no hypotheses were found"),
    ("syntax_error", "a syntax error"),
])
def test_submission_that_cannot_be_graded_is_not_gradable(graded: dict[str, Any], case: str,
                                                          words: str) -> None:
    data = graded[case]["data"]
    assert graded[case]["code"] == 0
    assert data["gradable"] is False and "score" not in data and "tests" not in data
    assert isinstance(data["format_errors"], list) and words in data["format_errors"][0].lower()
    assert "does not count" in data["format_errors"][0]
    assert "\x1b" not in graded[case]["text"]


def test_hostile_submission_cannot_write_results_json(graded: dict[str, Any]) -> None:
    case = graded["hostile"]
    data, root = case["data"], case["root"]
    assert case["code"] == 0
    # the grader's file is the one left: a wrong formula, 0 points, nothing forged
    assert data["gradable"] is True and data["score"] == 0.0
    assert "FORGED" not in case["text"]
    # the worker could not write into the host's folders (its /tmp is its own)...
    assert sorted(p.name for p in (root / "results").iterdir()) == ["results.json"]
    # ... nor into /grade/results (the sandbox's root is read-only), nor read tests/
    output = data["tests"][0]["output"]
    assert re.search(r"^### grade-ro s=none ", output, re.MULTILINE)
    assert not Path("/grade/results/forged-by-student").exists()


def test_without_sandbox_the_graders_file_still_wins(graded: dict[str, Any]) -> None:
    """--no-sandbox (trusted code only): the forgery is written, then replaced, since
    results.json is written only after the worker is dead."""
    case = graded["hostile_unsandboxed"]
    root = case["root"]
    assert (root / "results" / "forged-by-student").exists()  # the attack really ran
    assert case["data"]["score"] == 0.0 and "FORGED" not in case["text"]


def test_hostile_names_are_escaped(graded: dict[str, Any]) -> None:
    text = graded["hostile"]["text"]
    output = graded["hostile"]["data"]["tests"][0]["output"]
    assert "\x1b" not in text and "\\u001b" not in text  # no ANSI colour reaches the page
    # Rendered as CommonMark with HTML on, no element comes from the name (in a code span
    # it is shown as written, which is inert too).
    data = graded["hostile"]["data"]
    for shown in [data.get("message", "")] + [t["output"] for t in data["tests"]]:
        page = MarkdownIt("commonmark", {"html": True}).render(shown)
        assert "<script" not in page and "<a " not in page and "<strong>b</strong>" not in page
    assert r"\<script\>alert(1)\</script\>" in output and r"\*\*b\*\*" in output
    assert r"\[x\](http\://e.vil)" in output  # no link made
    # the file's name: graded under a plain one (the harness renames odd names)
    assert "<img" not in text and "in img_src_x_onerror_alert_1_a_l_x.py, line" in output
    syntax = "\n".join(graded["syntax_error"]["data"]["format_errors"])
    assert "<b>**x**</b>" in syntax  # plain text: PrairieLearn escapes it for the page


# ---------------------------------------------------------------- cheap cases: no grading

def test_grader_failure_is_not_gradable_and_not_blamed_on_the_student() -> None:
    from harness.grading.assignment import load_assignment
    from harness.grading.prairielearn import results_json
    from harness.grading.results import ExerciseResult, SubmissionResult

    rules = load_assignment(ASSIGNMENT)
    result = SubmissionResult("submission", "k", "grader-error", tuple(
        ExerciseResult(e.id, e.name, 0.0, e.max_points) for e in rules.exercises),
        message="MemoryError \x1b[2J in the grader")
    data = results_json(rules, result)
    assert data["gradable"] is False and "tell your instructor" in data["format_errors"][0]
    assert "fix it" not in data["format_errors"][0]
    assert data["format_errors"][1] == "MemoryError \ufffd[2J in the grader"


def test_results_are_cut_to_prairielearns_limit() -> None:
    small = {"gradable": True, "score": 1.0, "tests": [{"name": "A", "output": "fine"}]}
    assert within_limit(json.loads(json.dumps(small))) == small
    big = {"gradable": True, "score": 0.5, "tests": [
        {"name": name, "output": "\u00e9" * 2 * MAX_BYTES} for name in "AB"]}
    cut = within_limit(big)
    assert len(json.dumps(cut).encode()) <= MAX_BYTES
    assert all(t["output"].endswith("too long for PrairieLearn to show)") for t in cut["tests"])


@pytest.fixture
def no_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.grading.api as api

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"graded although it should not have: {args}")

    monkeypatch.setattr(api, "grade_one", refused)


@pytest.mark.usefixtures("no_grading")
def test_outside_the_layout_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ROOT_VARIABLE, str(tmp_path))
    assert main(["prairielearn"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'student'}" in err and ROOT_VARIABLE in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_grading")
def test_prairielearn_marked_not_gradable_is_not_graded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _layout(tmp_path / "grade", {"answers.py": "x = 1\n"}, {"gradable": False})
    monkeypatch.setenv(ROOT_VARIABLE, str(root))
    assert main(["prairielearn"]) == 0
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["gradable"] is False and data["format_errors"]


def test_broken_assignment_writes_not_gradable_and_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = _layout(tmp_path / "grade", {"answers.py": "x = 1\n"})
    (root / "tests" / "assignment.toml").write_text("[assignment\n")
    monkeypatch.setenv(ROOT_VARIABLE, str(root))
    assert main(["prairielearn"]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["gradable"] is False and "not in your work" in data["format_errors"][0]


# ---------------------------------------------------------------- harness autograder prairielearn

def test_autograder_writes_the_question_files(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "question"
    assert main(["autograder", "prairielearn", "--assignment", str(ASSIGNMENT),
                 "-o", str(out), "--image", "course/rnn-grader:1"]) == 0
    printed = capsys.readouterr().out
    assert (out / "tests" / "assignment.toml").read_bytes() == ASSIGNMENT.read_bytes()
    secret = out / "tests" / "secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) == 64 and secret.read_text().strip() not in printed
    options = json.loads((out / "externalGradingOptions.json").read_text())
    grading = options["externalGradingOptions"]
    assert grading == {"enabled": True, "image": "course/rnn-grader:1",
                       "entrypoint": "/opt/harness/bin/harness prairielearn",
                       "timeout": 8 + 60, "enableNetworking": False}
    assert json.dumps(options, indent=2) in printed  # printed as written
    wheels = list((out / "image").glob("*.whl"))
    assert len(wheels) == 1
    dockerfile = (out / "image" / "Dockerfile").read_text()
    assert f"COPY {wheels[0].name} " in dockerfile and "bubblewrap" in dockerfile
    assert dockerfile.startswith("#") and "\nFROM python:3.11-slim\n" in dockerfile
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
    assert "harness/grading/prairielearn.py" in names
    assert "harness/assignments/rnn_weights.toml" in names
    assert not any("__pycache__" in name for name in names)


@pytest.mark.parametrize("image", ["Course/Grader", "a b", "x\nRUN evil"])
def test_autograder_refuses_an_image_name_docker_would_not_take(
        tmp_path: Path, image: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["autograder", "prairielearn", "-o", str(tmp_path / "q"), "--image", image]) == 2
    assert "--image must be a Docker image name" in capsys.readouterr().err
    assert not (tmp_path / "q").exists()


def test_platform_secret_is_kept_copied_or_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    assert platform_secret(path, None) == (path, True)
    first = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert platform_secret(path, None) == (path, False) and path.read_text() == first
    given = tmp_path / "given"
    given.write_text("a-secret-of-the-instructor-0123\n")
    assert platform_secret(path, given) == (path, False)
    assert path.read_text() == "a-secret-of-the-instructor-0123\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("short\n")
    from harness.errors import UsageError

    with pytest.raises(UsageError, match="characters long"):
        platform_secret(path, None)
