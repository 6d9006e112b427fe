"""Unit tests for the grading pieces that need no worker and no Keras."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness import PART_A, PART_B, hypothesis
from harness.cases import make_case
from harness.claims import claim_of
from harness.errors import AssignmentError, UsageError
from harness.grading.assignment import load_assignment, parse_assignment
from harness.grading.feedback import problem_words, status_words
from harness.grading.outputs import grades_csv
from harness.grading.progress import Progress
from harness.grading.protocol import ProtocolError, encode_value, frame, parse
from harness.grading.results import ExerciseResult, HypothesisResult, Status, SubmissionResult
from harness.grading.scoring import score_exercises, score_hypothesis
from harness.grading.session import decode_outcome, rebuild_layer
from harness.grading.submissions import find_submissions
from harness.ipynb import notebook_to_source
from harness.output.files import write_atomic
from harness.verdict import Verdict, VerdictKind

MINIMAL = """
[assignment]
name = "T"
[[exercise]]
layer = "PART_A"
points = 2
"""


def test_default_assignment_is_the_course_exercise() -> None:
    assignment = load_assignment()
    assert [e.id for e in assignment.exercises] == ["part_a", "part_b", "part_c"]
    assert assignment.exercise_for(PART_B).points == 2  # type: ignore[union-attr]


def test_minimal_assignment_gets_defaults_and_an_id() -> None:
    assignment = parse_assignment(MINIMAL)
    assert assignment.exercises[0].id == "part_a" and assignment.cases == 200
    assert assignment.with_seed(3).fingerprint() != assignment.fingerprint()


@pytest.mark.parametrize("text, words", [
    ("[assignment]\nname = 1\n", "name must be a str"),
    (MINIMAL.replace('"PART_A"', '"Dense(3)"'), "Could not read the layer"),
    (MINIMAL + "colour = 'red'\n", "unknown key 'colour'"),
    ("[assignment]\n", "no exercises"),
    (MINIMAL.replace("points = 2", "points = -1"), "cannot be negative"),
])
def test_bad_assignments_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(AssignmentError, match=words):
        parse_assignment(text)


def test_submissions_folder_rules(tmp_path: Path) -> None:
    (tmp_path / "alice.py").write_text("x = 1\n")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "a.py").write_text("a = 1\n")
    (tmp_path / "bob" / "notes.txt").write_text("ignored\n")
    (tmp_path / "conftest.py").write_text("import os\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "_private.py").write_text("")
    (tmp_path / "eve.py").symlink_to("/etc/passwd")
    found = {s.student: s for s in find_submissions(tmp_path)}
    assert sorted(found) == ["alice", "bob", "eve"]
    assert [name for name, _ in found["bob"].files] == ["a.py"]
    assert found["eve"].problem is not None and "symbolic link" in found["eve"].problem


def test_zip_members_cannot_escape_and_links_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("../../evil.py", "x = 1\n")
        handle.writestr("/abs.py", "x = 1\n")
        handle.writestr("alice.py", "x = 1\n")
        link = zipfile.ZipInfo("mallory.py")
        link.external_attr = (0o120777 << 16)
        handle.writestr(link, "/etc/passwd")
    found = {s.student: s for s in find_submissions(archive)}
    assert sorted(found) == ["alice", "mallory"]
    assert found["mallory"].problem is not None


def test_not_a_submission_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        find_submissions(tmp_path / "missing")


def test_notebook_keeps_only_hypotheses_and_their_imports() -> None:
    cells = [
        {"cell_type": "code", "source": "import numpy as np\nfrom keras.layers import LSTM\n"},
        {"cell_type": "code", "source": "%matplotlib inline\nmodel = build()\nN = 3\n"},
        {"cell_type": "code", "source": ["@hypothesis(PART_A)\n", "def f(xs):\n",
                                         "    return xs[-1] * N\n"]},
        {"cell_type": "markdown", "source": "import os"},
    ]
    source = notebook_to_source(json.dumps({"cells": cells}).encode())
    assert "import numpy as np" in source and "def f(xs)" in source and "N = 3" in source
    assert "keras" not in source and "build()" not in source and "import os" not in source


def test_frames_round_trip_and_junk_is_refused() -> None:
    data = frame({"a": [1.5, float("nan")]})
    assert parse(data[4:])["a"][0] == 1.5
    for junk in (b"[1, 2]", b"\xff", b"[" * 100_000):
        with pytest.raises(ProtocolError):
            parse(junk)


class _Liar(np.ndarray):
    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return True


@pytest.mark.parametrize("value, words", [
    ("13", "returned a str"), (None, "forget `return`"), ({"a": 1}, "returned a dict"),
    (np.array([1j]), "complex"), (np.array([True]), "True/False"),
    (np.zeros(10**6), "shape"), (object(), "returned a object"),
])
def test_worker_values_are_rechecked_in_the_parent(value: object, words: str) -> None:
    @hypothesis(PART_A)
    def formula(xs):  # type: ignore[no-untyped-def]
        return xs

    claim = claim_of(formula)
    assert claim is not None
    case = make_case(PART_A, [[[1]], [[1]]], [1, 2])
    outcome = decode_outcome(claim, case, {"value": json.loads(json.dumps(encode_value(value)))})
    assert outcome.error is not None and words in outcome.error


def test_an_ndarray_subclass_arrives_as_plain_numbers() -> None:
    @hypothesis(PART_A)
    def formula(xs):  # type: ignore[no-untyped-def]
        return xs

    claim = claim_of(formula)
    assert claim is not None
    case = make_case(PART_A, [[[1]], [[1]]], [1, 2])
    outcome = decode_outcome(claim, case, {"value": encode_value(np.zeros(1).view(_Liar))})
    assert type(outcome.value) is np.ndarray and outcome.value.tolist() == [0.0]


def test_forged_metadata_cannot_build_a_layer() -> None:
    fields = {"kind": "SimpleRNN", "units": 1, "activation": "linear",
              "recurrent_activation": "sigmoid", "use_bias": False, "unit_forget_bias": None,
              "reset_after": None, "return_sequences": False, "input_dim": 1}
    with pytest.raises(ValueError):
        rebuild_layer(fields)
    with pytest.raises(ValueError):
        rebuild_layer({"kind": "os.system"})


def _hypothesis(verdict: str, recorded: str, general: bool = True) -> HypothesisResult:
    checked = Verdict(file="a.py", function="h", name="h", layer=PART_A, scope="s",
                      recorded=recorded == "refuted", kind=VerdictKind(verdict), cases=40,
                      seed=1, general=general)
    return HypothesisResult(checked, exercise="part_a", plausible=True)


@pytest.mark.parametrize("verdict, recorded, general, credit, earned", [
    ("holds", "holds", True, "general", 2),
    ("holds", "holds", False, "narrow", 0.5),
    ("refuted", "refuted", True, "refuted", 1),
    ("refuted", "holds", True, "none", 0),
    ("holds", "refuted", True, "none", 0),
    ("timeout", "holds", True, "none", 0),
])
def test_scoring_rules(verdict: str, recorded: str, general: bool, credit: str,
                       earned: float) -> None:
    assignment = parse_assignment(MINIMAL.replace("points = 2", "points = 2\nnarrow_points = "
                                                  "0.5\nrefuted_points = 1"))
    scored = score_hypothesis(_hypothesis(verdict, recorded, general), assignment.exercises[0])
    assert (scored.credit, scored.earned) == (credit, earned)
    (exercise,) = score_exercises(assignment, (scored,))
    assert exercise.points == earned


def test_grades_csv_is_sorted_and_plain() -> None:
    assignment = parse_assignment(MINIMAL)
    results = [SubmissionResult(student=s, key="k", status="graded",
                                exercises=(ExerciseResult("part_a", "A", p, 2),))
               for s, p in (("zoe", 2.0), ("adam", 0.5))]
    assert grades_csv(assignment, results) == (
        "student,part_a,total,max_total,status,overridden,problems\n"
        "adam,0.5,0.5,2,graded,,\nzoe,2,2,2,graded,,\n")


def test_interrupted_write_leaves_the_old_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = write_atomic(tmp_path / "grades.csv", "old\n")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new\n" * 1000)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv"]


def test_progress_line_has_counts_and_eta() -> None:
    stream = io.StringIO()
    bar = Progress(4, stream=stream, enabled=True, tty=True)
    bar.tick("alice")
    assert "1/4" in stream.getvalue() and "left" in stream.getvalue()
    assert Progress(4, stream=io.StringIO(), enabled=False).enabled is False


class _Proc:
    def __init__(self) -> None:
        self.alive = True

    def poll(self) -> int | None:
        return None if self.alive else 0


class _Launch:
    """Stands for a started worker (the pool only polls and kills it)."""

    def __init__(self) -> None:
        self.proc = _Proc()
        self.killed = False

    def kill(self) -> None:
        self.killed, self.proc.alive = True, False


def test_spare_workers_belong_to_their_class_run() -> None:
    """A class run's pool keeps at most READY spares per kind, hands out live ones only,
    and kills what is left when it closes; another pool shares none of it."""
    import time

    from harness.grading.isolation.spares import READY, SparePool

    started: list[_Launch] = []

    def launch(plan: Any, limits: Any) -> Any:
        started.append(_Launch())
        return started[-1]

    pool = SparePool(launch)
    assert pool.take("plan", "limits") is None  # type: ignore[arg-type]
    for _ in range(READY + 2):
        pool.want("plan", "limits")  # type: ignore[arg-type]
    deadline = time.monotonic() + 10
    while (len(started) < READY or any(pool._pending.values())) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(started) == READY
    started[0].proc.alive = False  # a spare that died while waiting is never handed out
    assert pool.take("plan", "limits") is started[1]  # type: ignore[arg-type]
    assert started[0].killed and not started[1].killed
    assert SparePool(launch).take("plan", "limits") is None  # type: ignore[arg-type]
    pool.want("other plan", "limits")  # type: ignore[arg-type]
    pool.close()
    deadline = time.monotonic() + 10
    while any(pool._pending.values()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(w.killed for w in started if w is not started[1])
    pool.want("plan", "limits")  # type: ignore[arg-type]
    assert pool.take("plan", "limits") is None  # type: ignore[arg-type]


def test_every_status_but_graded_has_its_words_written_once() -> None:
    for status in Status:
        if status != Status.GRADED:
            assert status_words(status).endswith(".")
    assert problem_words("syntax-error") == "a syntax error"
    assert problem_words("no such *kind*") != "no such *kind*"  # unknown: shown escaped
