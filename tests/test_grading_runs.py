"""Whole runs: determinism, resuming a killed run, zip input, Gradescope, Dask."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest_grading import ASSIGNMENT, CLASS, EXPECTED, QUICK, build_class, no_worker_processes

from harness.grading import grade
from harness.grading.results import SubmissionResult


def _rows(out: Path) -> dict[str, tuple[str, float, float, float]]:
    rows = {}
    for row in csv.DictReader((out / "grades.csv").read_text().splitlines()):
        rows[row["student"]] = (row["status"], float(row["part_a"]), float(row["part_b"]),
                                float(row["total"]))
    return rows


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("quick")
    submissions = build_class(root, root / "one", only=QUICK)
    run = grade(submissions, assignment=ASSIGNMENT, out=root / "one", workers=1)
    return {"root": root, "submissions": submissions, "run": run,
            "csv": (root / "one" / "grades.csv").read_bytes()}


def test_quick_rows_as_expected(quick: dict[str, Any]) -> None:
    assert _rows(quick["root"] / "one") == {s: EXPECTED[s] for s in QUICK}


def test_two_workers_and_shuffled_order_give_identical_grades(quick: dict[str, Any]) -> None:
    out = quick["root"] / "two"
    grade(quick["submissions"], assignment=ASSIGNMENT, out=out, workers=2,
          order=sorted(QUICK, reverse=True))
    assert (out / "grades.csv").read_bytes() == quick["csv"]


def test_rerun_reuses_everything_byte_identical(quick: dict[str, Any]) -> None:
    out = quick["root"] / "one"
    again = grade(quick["submissions"], assignment=ASSIGNMENT, out=out, workers=2)
    assert (again.graded, again.reused) == (0, len(QUICK))
    assert (out / "grades.csv").read_bytes() == quick["csv"]


def test_a_changed_seed_grades_again(quick: dict[str, Any]) -> None:
    out = quick["root"] / "seeded"
    grade(quick["submissions"], assignment=ASSIGNMENT, out=out, workers=2)
    again = grade(quick["submissions"], assignment=ASSIGNMENT, out=out, workers=2, seed=12)
    assert again.graded == len(QUICK)


def test_zip_of_the_class_grades_the_same(quick: dict[str, Any]) -> None:
    archive = quick["root"] / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(quick["submissions"].rglob("*")):
            if path.is_file() and not path.is_symlink():
                handle.write(path, Path("export") / path.relative_to(quick["submissions"]))
    out = quick["root"] / "zipped"
    grade(archive, assignment=ASSIGNMENT, out=out, workers=2)
    assert (out / "grades.csv").read_bytes() == quick["csv"]


def test_killed_run_resumes_without_loss_or_regrading(quick: dict[str, Any]) -> None:
    out = quick["root"] / "killed"
    command = [sys.executable, "-m", "harness.grading.cli", "grade", str(quick["submissions"]),
               "--assignment", str(ASSIGNMENT), "--out", str(out), "--workers", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    stored = out / ".results"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(stored.glob("*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.stem for p in stored.glob("*.json")}
    assert 2 <= len(done) < len(QUICK)
    seen: list[SubmissionResult] = []
    run = grade(quick["submissions"], assignment=ASSIGNMENT, out=out, workers=2,
                on_result=seen.append)
    assert run.reused == len(done) and run.graded == len(QUICK) - len(done)
    assert sorted(r.student for r in seen) == sorted(QUICK)
    assert (out / "grades.csv").read_bytes() == quick["csv"]
    assert no_worker_processes() == []


def test_gradescope_command(tmp_path: Path) -> None:
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "answers.py").write_bytes((CLASS / "alice.py").read_bytes())
    results = tmp_path / "results" / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "harness.grading.cli", "gradescope", "--submission",
         str(submission), "--results", str(results), "--assignment", str(ASSIGNMENT)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(results.read_text())
    assert data["score"] == 5
    assert [t["status"] for t in data["tests"]] == ["passed", "passed"]


def test_dask_local_cluster_gives_the_same_grades(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    students = ("alice", "bob", "erin")
    submissions = build_class(tmp_path, tmp_path / "out", only=students)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster:
        run = grade(submissions, assignment=ASSIGNMENT, out=tmp_path / "out",
                    scheduler=cluster.scheduler_address)
    assert run.graded == 3
    assert _rows(tmp_path / "out") == {s: EXPECTED[s] for s in students}
