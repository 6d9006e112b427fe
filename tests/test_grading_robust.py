"""The grader never falls over, skips nothing in silence, and limits its own work.

Unit tests need no worker; one small class (``tests/grading_fixtures/robust``,
a tiny assignment: 10 cases, a 2-second load limit, at most 2 scopes per
submission) is graded once, end to end, with real sandboxed workers and the
real Keras oracle.
"""

from __future__ import annotations

import io
import json
import shutil
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness import PART_A, SimpleRNN, hypothesis
from harness.cases import make_case
from harness.claims import Claim, claim_of
from harness.errors import AssignmentError, ScopeError
from harness.grading import grade, runner
from harness.grading.assignment import load_assignment, parse_assignment
from harness.grading.isolation.workers import TAMPERED, Isolation, Limits, WorkerStopped
from harness.grading.protocol import ProtocolError, encode_value, frame, parse
from harness.grading.runner import GraderWork
from harness.grading.session import Session, WorkerTime, decode_outcome
from harness.grading.submissions import (
    MAX_SUBMISSION,
    Submission,
    find_submissions,
    scan_submissions,
)
from harness.ipynb import NotebookError, notebook_to_source
from harness.nesting import nesting_depth
from harness.scope import make_scope

ROBUST = Path(__file__).parent / "grading_fixtures" / "robust"
ASSIGNMENT = ROBUST / "assignment.toml"
FIELDS = ("kind", "units", "activation", "recurrent_activation", "use_bias",
          "unit_forget_bias", "reset_after", "return_sequences", "input_dim")


def _deep(levels: int) -> Any:
    value: Any = None
    for _ in range(levels):
        value = [value]
    return value


def _claim(fixed: dict[str, Any] | None = None) -> Claim:
    @hypothesis(PART_A, fixed=fixed)
    def zero(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
        return np.zeros(1)

    claim = claim_of(zero)
    assert claim is not None
    return claim


def _notebook(source: str) -> bytes:
    return json.dumps({"cells": [{"cell_type": "code", "source": source}]}).encode()


def _long_formula(terms: int) -> str:
    return f'''import numpy as np
from harness import PART_A, hypothesis


@hypothesis(PART_A, name="long")
def long(kernel, recurrent_kernel, xs):
    zero = 0.0
    offset = {" + ".join(["zero"] * terms)}
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel + offset
    return h
'''


# -- notebooks ------------------------------------------------------------------------------

def test_a_legal_notebook_with_a_1500_term_expression_is_kept_whole() -> None:
    source = notebook_to_source(_notebook(_long_formula(1500)))
    assert "def long(kernel, recurrent_kernel, xs):" in source
    assert source.count("zero + ") == 1499
    compile(source, "long.py", "exec")


def test_a_cell_too_deep_to_read_is_that_submissions_problem(tmp_path: Path) -> None:
    deep = _notebook("from harness import hypothesis\ny = " + "+".join(["1"] * 20_000))
    with pytest.raises(NotebookError, match="cell 1 is nested too deeply"):
        notebook_to_source(deep)
    (tmp_path / "deep.ipynb").write_bytes(deep)
    (tmp_path / "fine.py").write_text("x = 1\n")
    found = {s.student: s for s in find_submissions(tmp_path)}
    assert found["deep"].problem is not None and "too deeply" in found["deep"].problem
    assert found["fine"].problem is None


def test_a_huge_cell_is_refused_before_parsing() -> None:
    with pytest.raises(NotebookError, match="cell 1 has 700"):
        notebook_to_source(_notebook(_long_formula(100_000)))


def test_a_notebook_nested_deeper_than_json_needs_is_refused_before_parsing() -> None:
    with pytest.raises(NotebookError, match="nested more than"):
        notebook_to_source(b'{"cells": ' + b"[" * 5000 + b"]" * 5000 + b"}")


# -- messages, shapes, fixed= -----------------------------------------------------------------

def test_nesting_depth_ignores_brackets_inside_strings() -> None:
    assert nesting_depth(b'{"a": [[1], []], "b": "[[[[\\"[["}') == 3
    assert nesting_depth(b"1") == 0


def test_a_message_nested_600_deep_is_refused_before_json_parses_it() -> None:
    body = frame({"fixed": _deep(600)})[4:]
    with pytest.raises(ProtocolError, match="nested 601 levels deep"):
        parse(body)
    assert parse(frame({"data": _deep(30)})[4:])["data"] == _deep(30)


def test_a_forged_complex_shape_is_a_protocol_error_not_an_overflow() -> None:
    case = make_case(PART_A, [[[1.0]], [[0.5]]], [[1.0]])
    raw = {"value": {"kind": "array", "dtype": "c", "shape": [2**40] * 4, "data": None}}
    with pytest.raises(ProtocolError):
        decode_outcome(_claim(), case, raw)
    raw["value"]["dtype"] = "f"
    with pytest.raises(ProtocolError):
        decode_outcome(_claim(), case, raw)


@pytest.mark.parametrize("ndim", [1, 31, 33, 64])
def test_any_honest_array_crosses_the_channel_within_the_limits(ndim: int) -> None:
    case = make_case(PART_A, [[[1.0]], [[0.5]]], [[1.0]])
    message = parse(frame({"outcomes": [{"value": encode_value(np.ones((1,) * ndim))}]})[4:])
    outcome = decode_outcome(_claim(), case, message["outcomes"][0])
    assert (outcome.error is None) == (ndim == 1)


@pytest.mark.parametrize("value, words", [
    (_deep(600), "nested 2 deep at most"),
    ([[1.0]] * 10**6, "more entries than that shape has"),
])
def test_fixed_values_are_checked_for_depth_and_size_before_recursing(value: Any,
                                                                      words: str) -> None:
    errors: list[BaseException] = []

    def build() -> None:  # a fresh thread: as little stack to spare as a grading thread
        try:
            make_scope(PART_A, fixed={"kernel": value}, timesteps=None, where=None)
        except BaseException as exc:  # noqa: BLE001 - the test looks at what it was
            errors.append(exc)

    thread = threading.Thread(target=build)
    thread.start()
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], ScopeError), errors
    assert words in str(errors[0]) and len(str(errors[0])) < 400


def test_a_forged_load_reply_with_deep_fixed_is_tampering_not_a_crash() -> None:
    session = Session(Submission("eve", (("eve.py", b""),)), Limits(), Isolation(),
                      WorkerTime(1.0), 5)
    meta = {"name": "forged", "function": "f", "line": 1, "file": "eve.py",
            "layer": {name: getattr(PART_A, name) for name in FIELDS}, "refuted": False,
            "params": ["xs"], "fixed": {"kernel": _deep(600)}, "timesteps": [1],
            "where": None, "scope": "forged"}
    with pytest.raises(WorkerStopped) as stopped:
        session._loaded({"ok": True, "total": 1, "claims": [meta]})
    assert stopped.value.reason == TAMPERED


# -- the assignment and the grader's budget ---------------------------------------------------

def test_load_timeout_and_budgets_are_assignment_settings() -> None:
    rules = load_assignment(ASSIGNMENT)
    assert (rules.load_timeout, rules.max_scopes) == (2, 2)
    default = load_assignment()
    assert default.load_timeout == 20 and default.grader_seconds > 0
    assert default.max_cases >= default.cases
    with pytest.raises(AssignmentError, match="load_timeout must be more than 0"):
        parse_assignment('[assignment]\nload_timeout = 0\n[[exercise]]\nlayer = "PART_A"\n'
                         "points = 1\n")


def _budget(**settings: Any) -> GraderWork:
    lines = "\n".join(f"{key} = {value}" for key, value in settings.items())
    return GraderWork(parse_assignment(f'[assignment]\ncases = 10\n{lines}\n[[exercise]]\n'
                                         'layer = "PART_A"\npoints = 1\n'))


def _nothing() -> Any:
    return None


class _Session:
    """What the budget reads of a grading session: the CPU spent on hints."""

    teaching_seconds = 0.0


def test_grader_budget_counts_distinct_scopes_before_the_work() -> None:
    budget = _budget(max_scopes=2)
    claims = [_claim({"kernel": [[k]]}) for k in (0, 1, 0, 2)]
    done = []
    for claim in claims:
        if budget.refusal(claim) is None:
            budget.run(claim, _Session(), _nothing)
            done.append(claim)
    assert done == claims[:3]
    refusal = budget.refusal(claims[3])
    assert refusal is not None and "2 different scopes" in refusal


def test_grader_budget_counts_cases_and_cpu_seconds() -> None:
    budget = _budget(max_cases=25)
    claim = _claim()
    for _ in range(2):
        budget.run(claim, _Session(), _nothing)
    refusal = budget.refusal(claim)
    assert refusal is not None and "at most 25 cases" in refusal

    budget = _budget(grader_seconds=0.001)

    def spin() -> Any:  # grader CPU time, as much as it takes (no clock is asserted)
        start = time.thread_time()
        while time.thread_time() - start < 0.01:
            pass

    assert budget.refusal(claim) is None
    budget.run(claim, _Session(), spin)
    refusal = budget.refusal(claim)
    assert refusal is not None and "limit of 0.001 seconds" in refusal


def test_grader_budget_leaves_out_the_hint_search() -> None:
    """Hints have their own budget (counted in work): CPU spent on them never makes a
    later hypothesis 'not checked'."""
    budget, session = _budget(grader_seconds=0.001), _Session()
    claim = _claim()

    def hints_only() -> Any:
        start = time.thread_time()
        while time.thread_time() - start < 0.01:
            pass
        session.teaching_seconds += time.thread_time() - start

    budget.run(claim, session, hints_only)
    assert budget.refusal(claim) is None


# -- submissions --------------------------------------------------------------------------------

def test_per_student_zips_are_graded_like_folders(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "eve.zip", "w") as archive:
        archive.writestr("eve/hyp.py", "x = 1\n")
        archive.writestr("../../escape.py", "x = 1\n")
        archive.writestr("data.csv", "1,2\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    found = scan_submissions(tmp_path)
    assert [(s.student, [n for n, _ in s.files]) for s in found.submissions] == \
        [("eve", ["hyp.py"])]
    reasons = {s.path: s.reason for s in found.skipped}
    assert set(reasons) == {"eve.zip/../../escape.py", "eve.zip/data.csv", "notes.txt",
                            ".DS_Store"}
    assert "leaves the archive" in reasons["eve.zip/../../escape.py"]


def test_colliding_ids_are_both_graded_under_stable_distinct_ids(tmp_path: Path) -> None:
    (tmp_path / "correct ctl.py").write_text("a = 1\n")
    (tmp_path / "correct_ctl.py").write_text("b = 2\n")
    (tmp_path / "alice.py").write_text("c = 3\n")
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "work.py").write_text("d = 4\n")
    (tmp_path / "bob.py").write_text("e = 5\n")
    found = scan_submissions(tmp_path)
    by_content = {s.files[0][1]: s.student for s in found.submissions}
    assert len(set(by_content.values())) == 5 and by_content[b"e = 5\n"] == "bob"
    for data, prefix in ((b"a = 1\n", "correct_ctl-"), (b"b = 2\n", "correct_ctl-"),
                         (b"c = 3\n", "alice-"), (b"d = 4\n", "alice-")):
        assert by_content[data].startswith(prefix)
    assert {r.path for r in found.renamed} == {"correct ctl.py", "correct_ctl.py",
                                              "alice.py", "alice/"}
    again = scan_submissions(tmp_path)
    assert [s.student for s in again.submissions] == [s.student for s in found.submissions]


def test_one_oversized_student_in_a_class_zip_does_not_stop_the_others(tmp_path: Path) -> None:
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("export/ann/a.py", "a = 1\n")
        for i in range(5):
            handle.writestr(f"export/huge/part{i}.py", "#" * (MAX_SUBMISSION // 4))
        handle.writestr("export/zed.py", "z = 1\n")
        handle.writestr("export/bomb.zip", _bomb())
    found = {s.student: s for s in find_submissions(archive)}
    assert sorted(found) == ["ann", "bomb", "huge", "zed"]
    assert found["ann"].problem is None and found["zed"].problem is None
    assert found["huge"].problem is not None and "at most 8 MB" in found["huge"].problem
    assert found["bomb"].problem is not None and "compressed" in found["bomb"].problem


def _bomb() -> bytes:
    buffer = io.BytesIO()  # in memory: the source tree may be read-only (CI's second user)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as inner:
        inner.writestr("big.py", "#" * (3 * 2**20))
    return buffer.getvalue()


# -- one class, end to end ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def robust(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("robust")
    submissions = root / "class"
    shutil.copytree(ROBUST, submissions, ignore=shutil.ignore_patterns("*.toml"))
    (submissions / "long.ipynb").write_bytes(_notebook(_long_formula(1500)))
    (submissions / "alice").mkdir()
    shutil.copy(ROBUST / "boom.py", submissions / "alice" / "zero.py")
    shutil.copy(ROBUST / "good.py", submissions / "alice.py")
    with zipfile.ZipFile(submissions / "eve.zip", "w") as archive:
        archive.write(ROBUST / "good.py", "eve/good.py")
    (submissions / "notes.txt").write_text("not a submission\n")
    out = root / "out"
    original = runner._check_all

    def failing(ctx: Any, session: Any, loaded: Any) -> Any:
        if session.submission.student == "boom":
            raise RuntimeError("an injected grader bug")
        return original(ctx, session, loaded)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "_check_all", failing)
        run = grade(submissions, assignment=ASSIGNMENT, out=out, workers=2)
    resumed = grade(submissions, assignment=ASSIGNMENT, out=out, workers=2)
    return {"run": run, "resumed": resumed, "out": out,
            "results": {r.student: r for r in run.results}}


def _feedback(robust: dict[str, Any], student: str) -> str:
    return (robust["out"] / "feedback" / f"{student}.md").read_text()


def test_a_grader_error_is_one_row_and_a_resume_reuses_it(robust: dict[str, Any]) -> None:
    boom = robust["results"]["boom"]
    assert (boom.status, boom.total) == ("grader-error", 0)
    assert "RuntimeError" in (boom.message or "")
    assert robust["results"]["good"].total == 2
    resumed = robust["resumed"]
    assert (resumed.graded, resumed.reused) == (0, len(robust["results"]))
    assert {r.student: r.status for r in resumed.results}["boom"] == "grader-error"


def test_hostile_replies_are_tampering_and_the_class_goes_on(robust: dict[str, Any]) -> None:
    results = robust["results"]
    assert results["forged_fixed"].status == "tampered"
    assert results["forged_shape"].status == "tampered"


def test_a_legal_long_notebook_is_graded(robust: dict[str, Any]) -> None:
    long = robust["results"]["long"]
    assert (long.status, long.total) == ("graded", 2)


def test_a_layer_outside_the_assignment_is_not_checked(robust: dict[str, Any]) -> None:
    other = robust["results"]["other_layer"]
    verdicts = {h.name: h.verdict for h in other.hypotheses}
    assert verdicts == {"a layer the assignment does not ask about": "not-checked",
                        "input plus feedback": "holds"}
    assert other.total == 2
    assert f"it is about {SimpleRNN(units=3)}, which is not a layer of this assignment" in \
        _feedback(robust, "other_layer")


def test_scopes_beyond_the_budget_are_not_checked(robust: dict[str, Any]) -> None:
    verdicts = [h.verdict for h in robust["results"]["scopes"].hypotheses]
    assert verdicts == ["refuted", "refuted", "refuted", "not-checked"]
    assert "already use 2 different scopes" in _feedback(robust, "scopes")


def test_an_endless_loop_at_the_top_costs_the_load_limit(robust: dict[str, Any]) -> None:
    loop = robust["results"]["loop"]
    assert loop.status == "timeout"
    assert "importing the file took longer than 2 seconds" in (loop.message or "")


def test_nothing_is_skipped_in_silence(robust: dict[str, Any]) -> None:
    results = robust["results"]
    assert results["eve"].total == 2
    alices = sorted(s for s in results if s.startswith("alice-"))
    assert len(alices) == 2 and sorted(results[s].total for s in alices) == [0, 2]
    run = robust["run"]
    assert [s.path for s in run.skipped] == ["notes.txt"]
    assert {r.path for r in run.renamed} == {"alice.py", "alice/"}
    summary = (robust["out"] / "summary.md").read_text()
    assert "## Not graded" in summary and "`notes.txt`" in summary and "`alice/`" in summary


def test_the_output_folder_inside_the_class_folder_is_no_student(tmp_path: Path) -> None:
    from harness.grading.submissions import scan_submissions

    (tmp_path / "alice.py").write_text("X = 1\n")
    (tmp_path / "out" / "feedback").mkdir(parents=True)
    (tmp_path / "out" / ".secret").write_text("s" * 32)
    (tmp_path / "out" / "feedback" / "alice.py").write_text("X = 2\n")
    assert [s.student for s in scan_submissions(tmp_path).submissions] == ["alice", "out"]
    found = scan_submissions(tmp_path, tmp_path / "out")
    assert [s.student for s in found.submissions] == ["alice"]
    assert [(s.path, s.reason) for s in found.skipped] == [
        ("out/", "the grader's own output folder (--out)")]
