"""Gradebook exports (Canvas, Moodle) and overrides (overrides.toml, ``harness override``).

One small class (alice, bob, carol) is graded once for the module, then regraded in
full once; everything else reads its outputs or hand-written grades.csv files.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest_grading import ASSIGNMENT, EXPECTED, build_class

from harness.errors import UsageError
from harness.grading import grade
from harness.grading.assignment import load_assignment
from harness.grading.cli import main
from harness.grading.export import export_grades
from harness.grading.overrides import (
    Entry,
    append_override,
    apply_overrides,
    read_overrides,
    toml_string,
)
from harness.grading.results import ExerciseResult, SubmissionResult

CLASS = ("alice", "bob", "carol")
REASON = 'Regrade request: the "scope" was right <b>really</b>'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _grades(out: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in csv.DictReader(io.StringIO(
        (out / "grades.csv").read_text()))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Graded once with no overrides; then bob's Part A overridden with ``harness
    override``, two bad entries added by hand, and the class graded again (a resume:
    every result reused) through ``harness grade``."""
    root = tmp_path_factory.mktemp("gradebook")
    out = root / "out"
    submissions = build_class(root, out, only=CLASS)
    first = grade(submissions, assignment=ASSIGNMENT, out=out, workers=1)
    before = (out / "grades.csv").read_bytes()
    code = main(["override", "bob", "part_a", "1.5", "--reason", REASON, "--out", str(out),
                 "--by", "TA Sam", "--assignment", str(ASSIGNMENT)])
    with (out / "overrides.toml").open("a") as handle:
        handle.write('\n[[override]]\nstudent = "zed"\nexercise = "part_a"\npoints = 1\n'
                     'reason = "not in the class"\n'
                     '\n[[override]]\nstudent = "alice"\nexercise = "part_z"\npoints = 1\n'
                     'reason = "no such exercise"\n'
                     '\n[[override]]\nstudent = "carol\nexercise = "part_a"\n')  # broken
    overrides = (out / "overrides.toml").read_bytes()
    return {"root": root, "out": out, "submissions": submissions, "first": first,
            "before": before, "code": code, "overrides": overrides}


@pytest.fixture(scope="module")
def resumed(graded: dict[str, Any]) -> dict[str, Any]:
    out = graded["out"]
    capture = io.StringIO()
    with contextlib.redirect_stderr(capture), contextlib.redirect_stdout(io.StringIO()) as said:
        code = main(["grade", str(graded["submissions"]), "--assignment", str(ASSIGNMENT),
                     "--out", str(out), "--workers", "1", "--no-progress"])
    return {"code": code, "stderr": capture.getvalue(), "stdout": said.getvalue(),
            "csv": (out / "grades.csv").read_bytes()}


def test_the_class_grades_as_expected_without_overrides(graded: dict[str, Any]) -> None:
    rows = _grades(graded["out"])
    assert {s: (r["status"], float(r["part_a"]), float(r["part_b"]), float(r["total"]))
            for s, r in rows.items()} == {s: EXPECTED[s] for s in CLASS}
    assert all(r["overridden"] == "" for r in rows.values())
    assert graded["first"].override_warnings == []


def test_an_override_shows_in_grades_csv_after_a_resume(graded: dict[str, Any],
                                                         resumed: dict[str, Any]) -> None:
    assert graded["code"] == 0 and resumed["code"] == 0
    assert "reused 3" in resumed["stdout"]
    rows = _grades(graded["out"])
    assert (rows["bob"]["part_a"], rows["bob"]["total"], rows["bob"]["overridden"]) == (
        "1.5", "3.5", "part_a")
    assert (rows["alice"]["total"], rows["alice"]["overridden"]) == ("5", "")
    assert rows["carol"]["overridden"] == ""
    # grading reads overrides.toml and never writes it
    assert (graded["out"] / "overrides.toml").read_bytes() == graded["overrides"]


def test_an_override_shows_in_feedback_results_json_and_summary(
        graded: dict[str, Any], resumed: dict[str, Any]) -> None:
    out = graded["out"]
    feedback = (out / "feedback" / "bob.md").read_text()
    assert "**Score: 3.5 / 5**" in feedback
    assert "## Part A: 1.5 / 3 points" in feedback
    assert "Points set by your instructor** (the grader gave 0)" in feedback
    assert "\\<b\\>really\\</b\\>" in feedback and "<b>" not in feedback  # escaped
    assert "**Points set" not in (out / "feedback" / "alice.md").read_text()
    results = json.loads((out / "gradescope" / "bob" / "results.json").read_text())
    part_a = next(t for t in results["tests"] if t["name"] == "Part A")
    assert (results["score"], part_a["score"]) == (3.5, 1.5)
    assert "Points set by your instructor" in part_a["output"]
    summary = (out / "summary.md").read_text()
    assert "## Overrides" in summary and "1 applied, 4 problem(s)" in summary
    assert "| bob | part_a | 0 | 1.5 |" in summary and "TA Sam" in summary
    assert "Overrides" in (out / "summary.html").read_text()


def test_grade_warns_about_unknown_students_exercises_and_a_malformed_file(graded: dict[str, Any],
                                                           resumed: dict[str, Any]) -> None:
    err = resumed["stderr"]
    assert "no submission 'zed' in this run" in err
    assert "no exercise 'part_z' in this assignment" in err
    assert "overrides: 1 applied, 4 warning(s)" in resumed["stdout"]
    # a malformed file: its TOML error with the line, and grading went on with the rest
    assert "the entry at line 23: Illegal character" in err and "(at line 24" in err
    summary = (graded["out"] / "summary.md").read_text()
    assert "no submission 'zed'" in summary and "'part_z'" in summary


def test_an_override_survives_a_full_regrade(graded: dict[str, Any],
                                             resumed: dict[str, Any]) -> None:
    out = graded["out"]
    shutil.rmtree(out / ".results")
    again = grade(graded["submissions"], assignment=ASSIGNMENT, out=out, workers=1)
    assert (again.graded, again.reused) == (3, 0)
    assert (out / "grades.csv").read_bytes() == resumed["csv"]
    assert "Points set by your instructor" in (out / "feedback" / "bob.md").read_text()
    assert (out / "overrides.toml").read_bytes() == graded["overrides"]
    stored = json.loads((out / ".results" / "bob.json").read_text())["result"]
    assert stored["overrides"] == [] and stored["exercises"][0]["points"] == 0  # as graded


def test_canvas_export_round_trips(graded: dict[str, Any], resumed: dict[str, Any],
                                   tmp_path: Path) -> None:
    roster = tmp_path / "canvas_roster.csv"
    roster.write_text(
        "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (11)\n"
        "    Points Possible,,,,,10\n"
        "\"Liddell, Alice\",101,S1,ALICE@uni.edu,Sec 1,7\n"
        "\"Builder, Bob\",102,S2,bob,Sec 1,8\n"
        "\"=HYPERLINK(\"\"http://x\"\")\",103,S3,dora,Sec 2,9\n", encoding="utf-8")
    target = tmp_path / "canvas.csv"
    done = export_grades("canvas", graded["out"], roster, target, missing="zero")
    table = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                   "RNN weights (test)"]
    assert table.iloc[0]["Student"] == "Points Possible"
    assert table.iloc[0]["RNN weights (test)"] == "5"
    students = table.iloc[1:]
    assert list(students["ID"]) == ["101", "102", "103"]  # every roster student, in order
    assert list(students["RNN weights (test)"]) == ["5", "3.5", "0"]  # bob's override
    assert students.iloc[2]["Student"].startswith("'=")  # never read as a formula
    unmatched = pd.read_csv(done.unmatched_file, dtype=str, keep_default_na=False)
    assert list(unmatched["submission"]) == ["carol"]
    # every submission is accounted for: in the export, or listed as unmatched
    assert done.graded + len(unmatched) == len(_grades(graded["out"]))
    assert done.missing == ["dora"]
    assert not any(str(cell).startswith(FORMULA_START)
                   for cell in [*table.to_numpy().ravel(), *unmatched.to_numpy().ravel()])


def test_moodle_export_round_trips_with_blank_for_missing(
        graded: dict[str, Any], resumed: dict[str, Any], tmp_path: Path) -> None:
    roster = tmp_path / "moodle.csv"
    roster.write_text(
        "First name,Last name,ID number,Institution,Department,Email address\n"
        "Alice,Liddell,1001,U,CS,alice@uni.edu\n"
        "Carol,Singer,1003,U,CS,Carol@uni.edu\n"
        "Erin,Doe,1005,U,CS,erin@uni.edu\n", encoding="utf-8")
    target = tmp_path / "moodle_out.csv"
    done = export_grades("moodle", graded["out"], roster, target, column="Hypotheses")
    table = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["First name", "Last name", "ID number", "Email address",
                                   "Hypotheses"]
    assert list(table["Email address"]) == ["alice@uni.edu", "Carol@uni.edu", "erin@uni.edu"]
    assert list(table["Hypotheses"]) == ["5", "0", ""]  # carol scored 0; erin: blank
    unmatched = pd.read_csv(done.unmatched_file, dtype=str, keep_default_na=False)
    assert list(unmatched["submission"]) == ["bob"]
    assert list(unmatched["points"]) == ["3.5"]
    assert "no roster row has Email address 'bob'" in unmatched["reason"][0]


def test_export_cli_warns_about_unmatched_submissions(
        graded: dict[str, Any], resumed: dict[str, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\nA,1,,alice,S\n")
    code = main(["export", "canvas", str(graded["out"]), "--roster", str(roster),
                 "-o", str(tmp_path / "c.csv")])
    said = capsys.readouterr()
    assert code == 0
    assert "warning: submission 'bob' (3.5 points) is not in the export" in said.err
    assert "warning: submission 'carol'" in said.err
    assert "1 roster students, 1 with a grade, 0 with no submission" in said.out
    assert "2 submission(s) with no roster match" in said.out


# --- exports from hand-written grades (no grading) ------------------------------------

def _grades_dir(tmp_path: Path, rows: str) -> Path:
    folder = tmp_path / "grades"
    folder.mkdir()
    (folder / "grades.csv").write_text(
        "student,part_a,total,max_total,status,overridden\n" + rows)
    return folder


def test_formula_like_ids_match_and_are_escaped_everywhere(tmp_path: Path) -> None:
    folder = _grades_dir(tmp_path, "'=1+2,1,1,3,graded,\n'@SUM(A1),2,2,3,graded,\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                      "+Eve,1,-7,=1+2,@here\n")
    done = export_grades("canvas", folder, roster, tmp_path / "out.csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert rows[2] == ["'+Eve", "1", "'-7", "'=1+2", "'@here", "1"]
    unmatched = pd.read_csv(done.unmatched_file, dtype=str, keep_default_na=False)
    assert list(unmatched["submission"]) == ["'@SUM(A1)"]


def test_two_submissions_for_one_student_are_both_listed_and_the_cell_left_blank(
        tmp_path: Path) -> None:
    folder = _grades_dir(tmp_path, "Bob,1,1,3,graded,\nbob,2,2,3,graded,\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\nB,1,,bob@uni.edu,S\n")
    done = export_grades("canvas", folder, roster, tmp_path / "out.csv", missing="zero")
    table = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert table.iloc[1]["Harness"] == ""  # never 0, never one of the two
    assert sorted(u.grade.student for u in done.unmatched) == ["Bob", "bob"]
    assert done.missing == [] and done.conflicting == ["bob@uni.edu"]


def test_a_roster_without_the_match_column_is_refused_with_the_columns(tmp_path: Path) -> None:
    folder = _grades_dir(tmp_path, "alice,1,1,3,graded,\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("First name;Last name;ID number;Email address\nA;L;1;a@x\n")
    with pytest.raises(UsageError, match=r"no 'Username' column for --match login.*"
                                         r"Use --match email or sis or id"):
        export_grades("moodle", folder, roster, tmp_path / "out.csv", match="login")
    with pytest.raises(UsageError, match=r"grades\.csv"):
        export_grades("moodle", tmp_path, roster, tmp_path / "out.csv")


# --- overrides.toml without grading ---------------------------------------------------

def test_override_cli_appends_valid_toml_and_refuses_points_out_of_range(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reason = 'He said "\\n" \\ then\nleft\t\x07\x7f ☃'
    assert main(["override", "alice", "part_b", "2", "--reason", reason, "--out",
                 str(tmp_path), "--assignment", str(ASSIGNMENT), "--by", "Ann"]) == 0
    assert "no graded submission 'alice'" in capsys.readouterr().err
    first = (tmp_path / "overrides.toml").read_bytes()
    assert main(["override", "alice", "part_a", "3.5", "--reason", "x", "--out",
                 str(tmp_path), "--assignment", str(ASSIGNMENT)]) == 2
    assert "points must be from 0 to 3" in capsys.readouterr().err
    assert main(["override", "alice", "part_q", "1", "--reason", "x", "--out",
                 str(tmp_path), "--assignment", str(ASSIGNMENT)]) == 2
    assert "no exercise 'part_q'" in capsys.readouterr().err
    assert (tmp_path / "overrides.toml").read_bytes() == first  # refused: nothing written
    assert main(["override", "bob", "part_a", "0", "--reason", "second", "--out",
                 str(tmp_path), "--assignment", str(ASSIGNMENT)]) == 0
    text = (tmp_path / "overrides.toml").read_bytes()
    assert text.startswith(first)  # earlier entries kept byte for byte
    tables = tomllib.loads(text.decode())["override"]
    assert [(t["student"], t["exercise"], t["points"], t["reason"]) for t in tables] == [
        ("alice", "part_b", 2, reason), ("bob", "part_a", 0, "second")]
    assert tables[0]["who"] == "Ann" and tables[0]["when"].tzinfo is not None
    entries = read_overrides(tmp_path)
    assert entries.problems == [] and [e.line for e in entries.entries] == [3, 11]


def test_toml_string_reads_back_as_itself() -> None:
    for text in ["", 'a"b', "c\\d", "\x00\x1f\x7f\u2028", "''' \"\"\" #", "\r\n"]:
        assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


def test_a_malformed_file_keeps_its_good_entries_and_says_which_line(tmp_path: Path) -> None:
    (tmp_path / "overrides.toml").write_text(
        '[[override]]\nstudent = "alice"\nexercise = "part_a"\npoints = 1\nreason = "ok"\n'
        '\n[[override]]\nstudent = "bob\nexercise = "part_a"\n'          # broken string
        '\n[[override]]\nstudent = "carol"\nexercise = "part_b"\npoints = true\nreason = "r"\n'
        '\n[[override]]\nstudent = "dave"\nexercise = "part_b"\npoints = 2\n'  # no reason
        '\n[[override]]\nstudent = "erin"\nexercise = "part_b"\npoints = 2.0\nreason = "y"\n'
        'colour = "red"\n')
    found = read_overrides(tmp_path)
    assert [(e.student, e.line) for e in found.entries] == [("alice", 1), ("erin", 22)]
    problems = "\n".join(found.problems)
    assert "the entry at line 7:" in problems and "(at line 8" in problems
    assert "the entry at line 11: points is True, not a number" in problems
    assert "the entry at line 17: reason is missing" in problems
    assert "'colour' ignored" in problems


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "overrides.toml"
    path.write_bytes(b'[[override]]\nstudent = "\xff"\n')
    found = read_overrides(tmp_path)
    assert found.entries == [] and "line 2: the file is not UTF-8" in found.problems[0]
    path.write_text('override = "x"\n')
    assert "must be a list of [[override]] tables" in read_overrides(tmp_path).problems[0]
    path.write_text('[[override]]\nstudent = ' + '[' * 50_000 + '\n')
    assert "nested too deeply" in read_overrides(tmp_path).problems[0]
    path.unlink()
    assert read_overrides(tmp_path) == read_overrides(tmp_path / "nowhere")


def test_apply_overrides_last_entry_wins_and_bad_entries_are_warned() -> None:
    rules = load_assignment(ASSIGNMENT)
    result = SubmissionResult("alice", "k", "graded", (
        ExerciseResult("part_a", "Part A", 3, 3), ExerciseResult("part_b", "Part B", 0, 2)))
    entries = [Entry("alice", "part_b", 1, "first", line=1),
               Entry("alice", "part_b", 2, "second", line=8),
               Entry("alice", "part_a", 4, "too many", line=15),
               Entry("Alice", "part_a", 1, "wrong case", line=22)]
    odd = SubmissionResult("-2-3", "k", "graded", result.exercises)
    (applied, odd), warnings = apply_overrides(
        rules, [result, odd], [*entries, Entry("'-2-3", "part_b", 1, "as in grades.csv")])
    assert odd.points("part_b") == 1
    assert (applied.points("part_a"), applied.points("part_b"), applied.total) == (3, 2, 5)
    override = applied.override("part_b")
    assert override is not None and (override.reason, override.graded) == ("second", 0)
    assert len(warnings) == 2 and "line 15: points 4 is outside 0 to 3" in warnings[0]
    assert "line 22: no submission 'Alice'" in warnings[1]
    assert SubmissionResult.from_json(applied.to_json()) == applied


def test_append_override_refuses_text_that_is_not_utf8(tmp_path: Path) -> None:
    rules = load_assignment(ASSIGNMENT)
    with pytest.raises(UsageError, match=r"--reason is not valid text"):
        append_override(tmp_path, rules, "alice", "part_a", 1, "bad \udcff")
    with pytest.raises(UsageError, match="--reason must be a text of 1 to 500"):
        append_override(tmp_path, rules, "alice", "part_a", 1, "  ")
    assert not (tmp_path / "overrides.toml").exists()
