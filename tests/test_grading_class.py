"""A synthetic class, adversarial submissions included, graded end to end.

Each submission in ``tests/grading_fixtures/class`` is one attack or one kind
of mistake; each gets one assertion on its row, and the rest of the batch,
the reports and the grader must be unaffected.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from conftest_grading import ASSIGNMENT, CLASS, EXPECTED, build_class, no_worker_processes

from harness.grading import grade


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("class")
    out = root / "out"
    submissions = build_class(root, out)
    run = grade(submissions, assignment=ASSIGNMENT, out=out, workers=2)
    rows = {row["student"]: row
            for row in csv.DictReader((out / "grades.csv").read_text().splitlines())}
    return {"run": run, "out": out, "rows": rows, "submissions": submissions}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_row(graded: dict[str, Any], student: str) -> None:
    status, part_a, part_b, total = EXPECTED[student]
    row = graded["rows"][student]
    got = (row["status"], float(row["part_a"]), float(row["part_b"]), float(row["total"]))
    assert got == (status, part_a, part_b, total)
    assert row["max_total"] == "5"


def test_only_real_submissions_are_rows(graded: dict[str, Any]) -> None:
    assert set(graded["rows"]) == set(EXPECTED)  # no conftest.py, no pytest.ini


def test_no_process_outlives_its_worker(graded: dict[str, Any]) -> None:
    assert no_worker_processes() == []


def test_vandal_changed_nothing(graded: dict[str, Any]) -> None:
    out, submissions = graded["out"], graded["submissions"]
    assert (submissions / "alice.py").read_bytes() == (CLASS / "alice.py").read_bytes()
    assert ASSIGNMENT.read_text().startswith("# The test assignment")
    for student in EXPECTED:
        assert (out / "feedback" / f"{student}.md").read_text().startswith("# Feedback for")
        assert (out / ".results" / f"{student}.json").is_file()


def test_isolation_in_force_is_reported(graded: dict[str, Any]) -> None:
    isolation = " ".join(graded["run"].isolation)
    assert "limits" in isolation and "Keras/TensorFlow imports blocked" in isolation


def test_ten_thousand_hypotheses_are_capped(graded: dict[str, Any]) -> None:
    result = next(r for r in graded["run"].results if r.student == "many")
    assert len(result.hypotheses) == 20 and result.ignored == 9_980


def test_keras_use_is_named_in_feedback(graded: dict[str, Any]) -> None:
    text = (graded["out"] / "feedback" / "keras_user.md").read_text()
    assert "Keras/TensorFlow" in text and "earns nothing" in text


def test_timeout_keeps_finished_work(graded: dict[str, Any]) -> None:
    result = next(r for r in graded["run"].results if r.student == "busy_loop")
    verdicts = {h.name: h.verdict for h in result.hypotheses}
    assert verdicts == {"spins": "timeout", "fine after the timeout": "holds"}


def test_feedback_gives_a_checkable_counterexample(graded: dict[str, Any]) -> None:
    text = (graded["out"] / "feedback" / "bob.md").read_text()
    assert "recorded as holding, but it is refuted" in text.lower()
    assert "A case you can check by hand" in text
    assert "harness probe 'SimpleRNN(units=1, activation=\"linear\", use_bias=False)' " \
           "--weights '[[[" in text
    assert "first_guess(kernel=np.array(" in text  # the failing call, ready to paste
    assert '@hypothesis(PART_A, fixed={"recurrent_kernel": 1})' in text  # a hint
    assert "It first disagrees with Keras at step" in text


def _check_test(test: dict[str, Any]) -> None:
    assert set(test) == {"name", "score", "max_score", "status", "output", "output_format",
                         "visibility"}
    assert isinstance(test["name"], str) and isinstance(test["output"], str)
    assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
    assert test["status"] in ("passed", "failed")
    assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")


@pytest.mark.parametrize("student", ["alice", "syntax_error", "busy_loop", "link"])
def test_gradescope_results_follow_the_spec(graded: dict[str, Any], student: str) -> None:
    path: Path = graded["out"] / "gradescope" / student / "results.json"
    data = json.loads(path.read_text())
    assert isinstance(data["score"], (int, float))
    assert "execution_time" not in data  # optional; timings would make regrades differ
    assert isinstance(data["output"], str) and isinstance(data["tests"], list)
    assert data["score"] == float(graded["rows"][student]["total"])
    for test in data["tests"]:
        _check_test(test)


def test_summary_is_written(graded: dict[str, Any]) -> None:
    out = graded["out"]
    text = (out / "summary.md").read_text()
    assert "Pass rate per exercise" in text and "Most common refuting counterexamples" in text
    assert (out / "summary.png").read_bytes().startswith(b"\x89PNG")
