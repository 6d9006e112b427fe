"""The CLI's edges: Gradescope's layout and results.json, nothing to check, bounds on
numbers, help for every option, progress when stdout is not a terminal, no seed shown."""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest_grading import ASSIGNMENT, CLASS, EXPECTED

from harness.cli import build_parser, main
from harness.grading.assignment import load_assignment
from harness.grading.gradescope import ROOT_VARIABLE, results_json
from harness.grading.progress import Progress
from harness.grading.results import ExerciseResult, SubmissionResult

#: Every key of Gradescope's results.json specification ("Output format" in
#: https://gradescope-autograders.readthedocs.io/en/latest/specs/), top level and per test.
SPEC_TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
            "leaderboard"}
SPEC_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}
#: Gradescope's output string formats.
SPEC_FORMATS = {"text", "html", "simple_format", "md", "ansi"}
#: A seed no other number in the outputs looks like.
SEED = "987654321"


def _result(status: str = "graded", points: tuple[float, float] = (2, 0),
            message: str | None = None, student: str = "alice",
            seconds: float = 3.21) -> SubmissionResult:
    exercises = (ExerciseResult("part_a", "Part A", points[0], 3),
                 ExerciseResult("part_b", "Part B", points[1], 2))
    return SubmissionResult(student, "key", status, exercises,  # type: ignore[arg-type]
                            message=message, seconds=seconds)


# ---------------------------------------------------------------- Gradescope results.json

def test_results_json_says_markdown_and_uses_only_spec_keys() -> None:
    assignment = load_assignment(ASSIGNMENT)
    message = "answers.py line 3 has a syntax error:\n    x = ```\n    _not_ *markdown*"
    data = results_json(assignment, _result("syntax-error", (0, 0), message))
    assert data["output_format"] == "md" and data["test_output_format"] == "md"
    assert set(data) <= SPEC_TOP
    assert data["tests"]
    for test in data["tests"]:
        assert set(test) <= SPEC_TEST
        assert test["output_format"] == "md"
    formats = [v for k, v in data.items() if k.endswith("_format")]
    assert set(formats) <= SPEC_FORMATS
    # the student's text is shown as it is, in a code block whose fence is longer than any
    # run of backticks in it (so ``` cannot end it), never as Markdown
    body = data["output"].split("````\n", 1)[1]
    assert body.endswith("\n````") and body.count("````") == 1
    assert "x = ```\n    _not_ *markdown*" in body
    assert "seed" not in json.dumps(data).lower()


# ---------------------------------------------------------------- harness gradescope

@pytest.fixture
def no_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Grading or writing anything is a failure (and never touches a real /autograder)."""
    import harness.grading.api as api

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"graded or wrote although the layout is missing: {args}")

    monkeypatch.setattr(api, "grade_one", refused)
    monkeypatch.setattr(api, "write_json", refused)


@pytest.mark.usefixtures("no_grading")
def test_gradescope_refuses_outside_the_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ROOT_VARIABLE, str(tmp_path))
    assert main(["gradescope"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'submission'} and {tmp_path / 'results'}" in err
    assert "--submission DIR --results FILE" in err and "Traceback" not in err
    (tmp_path / "submission").mkdir()
    assert main(["gradescope", "--submission", str(tmp_path / "submission")]) == 2
    assert f"{tmp_path / 'results'} is not there" in capsys.readouterr().err
    assert [p.name for p in tmp_path.rglob("*")] == ["submission"]  # nothing written


@pytest.mark.usefixtures("no_grading")
def test_gradescope_explicit_submission_must_be_a_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results.json"
    assert main(["gradescope", "--submission", str(tmp_path / "nope"),
                 "--results", str(results)]) == 2
    assert "--submission must be a folder" in capsys.readouterr().err
    assert not results.exists()


@pytest.mark.usefixtures("no_grading")
def test_gradescope_real_default_refuses_without_autograder(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    if Path("/autograder").exists():
        pytest.skip("this machine has a real /autograder; the test leaves it alone")
    monkeypatch.delenv(ROOT_VARIABLE, raising=False)
    assert main(["gradescope"]) == 2
    assert "/autograder/submission and /autograder/results" in capsys.readouterr().err
    assert not Path("/autograder").exists()


def test_gradescope_in_the_layout_writes_results_without_the_seed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "submission").mkdir()
    (tmp_path / "results").mkdir()
    shutil.copy(CLASS / "alice.py", tmp_path / "submission" / "answers.py")
    monkeypatch.setenv(ROOT_VARIABLE, str(tmp_path))
    _only_under(tmp_path, monkeypatch)
    assert main(["gradescope", "--assignment", str(ASSIGNMENT), "--seed", SEED]) == 0
    captured = capsys.readouterr()
    text = (tmp_path / "results" / "results.json").read_text()
    data = json.loads(text)
    assert data["score"] == EXPECTED["alice"][3] and data["output_format"] == "md"
    assert SEED not in text + captured.out + captured.err


def _only_under(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Grading and writing anywhere but under ``root`` fails the test (no real /autograder)."""
    import harness.grading.api as api

    def inside(path: Any) -> None:
        assert Path(path).resolve().is_relative_to(root.resolve()), f"{path} is outside {root}"

    def grade_one(folder: Any, *args: Any, **kwargs: Any) -> Any:
        inside(folder)
        return real_grade_one(folder, *args, **kwargs)

    def write_json(path: Any, data: Any) -> Any:
        inside(path)
        return real_write_json(path, data)

    real_grade_one, real_write_json = api.grade_one, api.write_json
    monkeypatch.setattr(api, "grade_one", grade_one)
    monkeypatch.setattr(api, "write_json", write_json)


# ---------------------------------------------------------------- help for every option

def _parsers(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(parser.prog, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_option_has_help() -> None:
    parsers = _parsers(build_parser())
    assert {prog for prog, _ in parsers} >= {
        "harness", "harness check", "harness probe", "harness grade", "harness gradescope"}
    missing = [f"{prog} {action.dest}" for prog, parser in parsers for action in parser._actions
               if not isinstance(action, argparse._HelpAction)
               and not (action.help or "").strip()]
    assert missing == []


# ---------------------------------------------------------------- nothing to check

@pytest.mark.parametrize("contents", [
    {},
    {"notes.txt": "not Python\n", "helper.py": "import math\nTWO = 2\n",
     "_private.py": "from harness import PART_A, hypothesis\n"},
])
def test_check_with_nothing_to_check_exits_2_and_keeps_the_reports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], contents: dict[str, str]) -> None:
    folder = tmp_path / "hypotheses"
    folder.mkdir()
    for name, text in contents.items():
        (folder / name).write_text(text)
    reports = tmp_path / "reports"
    reports.mkdir()
    before = {}
    for name in ("report.md", "report.csv", "report.html", "report.json"):
        (reports / name).write_bytes(f"the last report ({name})\n".encode())
        before[name] = (reports / name).read_bytes()
    assert main(["check", str(folder), "--report-dir", str(reports)]) == 2
    captured = capsys.readouterr()
    assert f"no hypotheses found in {folder}" in captured.err
    assert captured.out == ""
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before


# ---------------------------------------------------------------- numbers in words

@pytest.mark.parametrize(("argv", "message"), [
    (["check", "x.py", "--cases", "10**20"],
     "--cases must be a whole number from 1 to 100000; received '10**20'"),
    (["check", "x.py", "--cases", "abc"],
     "--cases must be a whole number from 1 to 100000; received 'abc'"),
    (["check", "x.py", "--cases", "0"],
     "--cases must be a whole number from 1 to 100000; received '0'"),
    (["check", "x.py", "--cases", "100001"],
     "--cases must be a whole number from 1 to 100000; received '100001'"),
    (["check", "x.py", "--seed", "1.5"], "--seed must be a whole number; received '1.5'"),
    (["grade", "class", "--workers", "0"],
     "--workers must be a whole number from 1 to 1024; received '0'"),
    (["grade", "class", "--workers", "two"],
     "--workers must be a whole number from 1 to 1024; received 'two'"),
    (["gradescope", "--seed", "x"], "--seed must be a whole number; received 'x'"),
])
def test_numbers_out_of_bounds_are_refused_in_words(
        capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"error: {message}" in err
    assert "invalid" not in err and "argument --" not in err and "_" not in err.split(
        "error:")[1]


def test_numbers_in_bounds_are_accepted() -> None:
    args = build_parser().parse_args(["check", "x.py", "--cases", "100000", "--seed", "-3"])
    assert (args.cases, args.seed) == (100_000, -3)
    args = build_parser().parse_args(["grade", "class", "--workers", "1"])
    assert args.workers == 1


# ---------------------------------------------------------------- progress

class Recorder(io.StringIO):
    """A stream that remembers what it held each time it was flushed."""

    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.tty = tty
        self.flushed: list[str] = []

    def isatty(self) -> bool:
        return self.tty

    def flush(self) -> None:
        self.flushed.append(self.getvalue())


def test_progress_off_a_terminal_is_one_flushed_line_per_submission() -> None:
    stream = Recorder()
    progress = Progress(3, stream=stream)
    progress.tick(_result())
    assert stream.flushed == ["[1/3] alice: graded, 2/5 points (3.2 s)\n"]
    progress.tick(_result("timeout", (0, 2), student="busy_loop", seconds=8.04))
    assert stream.flushed[-1].splitlines()[-1] == "[2/3] busy_loop: timeout, 2/5 points (8.0 s)"
    assert "\r" not in stream.getvalue()


def test_progress_on_a_terminal_is_redrawn_in_place() -> None:
    stream = Recorder(tty=True)
    progress = Progress(2, stream=stream)
    progress.tick(_result())
    assert stream.getvalue().startswith("\rgrading [") and "1/2" in stream.getvalue()
    assert "\n" not in stream.getvalue()
    progress.tick(_result(student="bob"))
    assert stream.getvalue().endswith("\n") and stream.getvalue().count("\r") == 2


def test_no_progress_writes_nothing() -> None:
    stream = Recorder()
    Progress(1, stream=stream, enabled=False).tick(_result())
    assert stream.getvalue() == ""


def _fake_grade(monkeypatch: pytest.MonkeyPatch, results: list[SubmissionResult]) -> None:
    import harness.grading.api as api

    def grade(submissions: Any, **options: Any) -> api.GradeRun:
        rules = api.resolve_assignment(options["assignment"], options["seed"])
        for result in results:
            options["on_result"](result)
        run = api.GradeRun(rules, results, Path(options["out"]), graded=len(results))
        setattr(run, "skipped", ["late.txt: not a .py, .ipynb, folder or .zip"])  # noqa: B010
        return run

    monkeypatch.setattr(api, "grade", grade)


@pytest.mark.parametrize("flag", [None, "--progress", "--no-progress"])
def test_grade_progress_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str], flag: str | None) -> None:
    for student in ("alice", "bob"):
        shutil.copy(CLASS / f"{student}.py", tmp_path / f"{student}.py")
    _fake_grade(monkeypatch, [_result(), _result(student="bob", points=(0, 2))])
    argv = ["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--seed", SEED]
    assert main(argv + ([flag] if flag else [])) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("[")]
    if flag == "--no-progress":
        assert lines == []
    else:
        assert lines == ["[1/2] alice: graded, 2/5 points (3.2 s)",
                         "[2/2] bob: graded, 2/5 points (3.2 s)"]
    assert "not graded: late.txt" in out
    assert SEED not in out


def test_grade_progress_reaches_a_pipe_line_by_line(tmp_path: Path) -> None:
    students = ("alice", "bob", "carol")
    submissions = tmp_path / "class"
    submissions.mkdir()
    for student in students:
        shutil.copy(CLASS / f"{student}.py", submissions / f"{student}.py")
    done = subprocess.run(
        [sys.executable, "-m", "harness", "grade", str(submissions), "--assignment",
         str(ASSIGNMENT), "--out", str(tmp_path / "out"), "--workers", "1", "--seed", SEED],
        capture_output=True, text=True, timeout=300, check=False)  # stdout is a pipe
    assert done.returncode == 0, done.stderr
    pattern = re.compile(r"\[(\d)/3\] (\w+): (\S+), (\d+)/5 points \(\d+\.\d s\)")
    found = [pattern.fullmatch(line) for line in done.stdout.splitlines()
             if line.startswith("[")]
    assert all(found) and len(found) == 3, done.stdout
    rows = [m.groups() for m in found if m]
    assert [int(row[0]) for row in rows] == [1, 2, 3]
    assert sorted((s, status, int(total)) for _, s, status, total in rows) == [
        (s, EXPECTED[s][0], int(EXPECTED[s][3])) for s in students]
    assert "\r" not in done.stdout and SEED not in done.stdout + done.stderr


@pytest.mark.parametrize("workers", [0, -2, 1.5, True])
def test_grade_api_refuses_a_worker_count_below_one(tmp_path: Path, workers: object) -> None:
    from harness.errors import UsageError
    from harness.grading import grade

    (tmp_path / "class").mkdir()
    with pytest.raises(UsageError, match="workers must be a whole number of at least 1"):
        grade(tmp_path / "class", out=tmp_path / "out", workers=workers)  # type: ignore[arg-type]
    assert not (tmp_path / "out" / "grades.csv").exists()
