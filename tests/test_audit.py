"""``harness assignment audit`` end to end on a small assignment, with real Keras.

One exercise (Part A), one screening case and one fresh case per hypothesis: so few
that some wrong formulas get through, which the audit must then say.  The
reference counts with a ``while`` loop, so one mutant (``t = t + 0``) never ends:
the audit must go on past it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_pages_browser import visit

from harness.cli import main
from harness.grading.assignment import parse_assignment
from harness.grading.audit import audit
from harness.grading.audit_pages import write_audit
from harness.grading.audit_results import (
    KILLED_SCREENING,
    KILLED_SEARCH,
    SURVIVED,
    AuditRun,
    MutantResult,
)
from harness.grading.secret import Secret

ASSIGNMENT = """
[assignment]
name = "Small <audit> & co"
cases = 1
fresh_cases = 1
hypothesis_timeout = 1

[[exercise]]
id = "part_a"
name = "Part A"
layer = "PART_A"
points = 1
"""
REFERENCE = '''
import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="Sum of inputs", refuted=True)
def sum_of_inputs(kernel, recurrent_kernel, xs):
    return xs.sum() * kernel[0]


@hypothesis(PART_A, name="Recurrence")
def recurrence(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    t = 0
    while t < len(xs):
        h = xs[t] @ kernel + h @ recurrent_kernel
        t = t + 1
    return h
'''
#: A secret whose one fresh case, like the one screening case, has a wrong weight agree with
#: Keras (a formula reading kernel for recurrent_kernel), so one wrong mutant gets through.
#: Another secret may catch it: the cases are drawn from the secret, as in grading.
SECRET = Secret(b"audit-test-secret-00-0123456789", "the test")


def body(mutant: MutantResult) -> str:
    return " / ".join(line.strip() for line in mutant.source.splitlines()[2:])


def find(run: AuditRun, operator: str, text: str) -> MutantResult:
    found = [m for m in run.mutants if m.operator == operator and text in body(m)]
    assert len(found) == 1, [body(m) for m in run.mutants if m.operator == operator]
    return found[0]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("audit")
    (root / "reference").mkdir()
    (root / "reference" / "part_a.py").write_text(REFERENCE)
    (root / "small.toml").write_text(ASSIGNMENT)
    (root / "secret").write_bytes(SECRET.value)
    return root


@pytest.fixture(scope="module")
def run(folder: Path) -> tuple[AuditRun, list[str]]:
    lines: list[str] = []
    assignment = parse_assignment(ASSIGNMENT).with_secret(SECRET)
    result = audit(assignment, folder / "reference", workers=1, progress=lines.append)
    write_audit(folder / "out", result)
    return result, lines


def test_the_reference_holds_and_only_it_is_mutated(run: tuple[AuditRun, list[str]]) -> None:
    result, _ = run
    [exercise] = result.exercises
    assert [(r.function, r.verdict) for r in exercise.references] == [("recurrence", "holds")]
    assert {m.function for m in result.mutants} == {"recurrence"}  # not the refuted one
    assert len(result.mutants) >= 10


def test_a_wrong_formula_is_killed_and_one_that_never_ends_does_not_stop_it(
        run: tuple[AuditRun, list[str]]) -> None:
    result, _ = run
    assert find(result, "drop-term", "h = xs[t] @ kernel /").status == KILLED_SCREENING
    endless = find(result, "small-constant", "t = t + 0")
    assert endless.status == KILLED_SCREENING and endless.verdict == "error"


def test_survivors_get_an_equivalence_verdict(run: tuple[AuditRun, list[str]]) -> None:
    result, _ = run
    survivors = [m for m in result.mutants if m.status == SURVIVED]
    assert survivors and all(isinstance(m.equivalent, bool) for m in survivors)
    # a 1x1 transpose is the reference written another way
    transposed = find(result, "transpose", "xs[t] @ kernel.T")
    assert (transposed.status, transposed.equivalent) == (SURVIVED, True)
    # two cases let a wrong weight through; ten times as many do not
    wrong = find(result, "swap-name", "h @ kernel /")
    assert (wrong.status, wrong.equivalent) == (SURVIVED, False)
    assert {m.status for m in result.mutants} == {KILLED_SCREENING, KILLED_SEARCH, SURVIVED}


def test_progress_line_and_counts(run: tuple[AuditRun, list[str]]) -> None:
    result, lines = run
    [exercise] = result.exercises
    assert lines == [exercise.line()]
    assert lines[0].startswith(f"part_a: {len(result.mutants)} mutants, ")
    wrong = len(result.mutants) - exercise.equivalent
    assert exercise.kill_rate == pytest.approx(exercise.killed / wrong)


def test_audit_json_has_one_record_per_mutant(run: tuple[AuditRun, list[str]],
                                              folder: Path) -> None:
    result, _ = run
    data = json.loads((folder / "out" / "audit.json").read_text())
    assert len(data["mutants"]) == len(result.mutants)
    for record, mutant in zip(data["mutants"], result.mutants, strict=True):
        assert record["exercise"] == "part_a" and record["source"] == mutant.source
        assert record["status"] in (KILLED_SCREENING, KILLED_SEARCH, SURVIVED)
        assert ("equivalent" in record) == (record["status"] == SURVIVED)
    assert data["references"][0]["holds"] is True


def test_audit_markdown_lists_survivors_with_their_source(
        run: tuple[AuditRun, list[str]], folder: Path) -> None:
    text = (folder / "out" / "audit.md").read_text()
    assert "# Audit: Small \\<audit\\> \\& co" in text  # escaped
    assert "NOT equivalent: full marks for a wrong formula" in text
    assert "xs[t] @ kernel.T" in text and "raise the assignment's `cases`" in text


def test_the_same_secret_gives_the_same_audit_on_two_processes(
        run: tuple[AuditRun, list[str]], folder: Path) -> None:
    result, _ = run
    assignment = parse_assignment(ASSIGNMENT).with_secret(SECRET)
    parallel = audit(assignment, folder / "reference", workers=2)
    assert parallel.workers == 2
    assert [m.record() for m in parallel.mutants] == [m.record() for m in result.mutants]


def test_the_command_writes_the_three_files(folder: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = folder / "cli"
    code = main(["assignment", "audit", str(folder / "small.toml"), "--reference",
                 str(folder / "reference"), "--secret-file", str(folder / "secret"),
                 "--out", str(out), "--workers", "1"])
    said = capsys.readouterr().out
    assert code == 0
    assert "part_a: " in said and "wrong formulas would get full marks" in said
    assert sorted(p.name for p in out.iterdir()) == ["audit.html", "audit.json", "audit.md"]


def test_the_command_refuses_a_folder_without_reference(
        folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.py").write_text("x = 1\n")
    code = main(["assignment", "audit", str(folder / "small.toml"), "--reference",
                 str(tmp_path), "--secret-file", str(folder / "secret"),
                 "--out", str(tmp_path / "out")])
    assert code == 2
    assert "No reference formula found" in capsys.readouterr().err


def test_a_reference_that_does_not_hold_fails_the_command(
        folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "wrong.py").write_text(
        "from harness import PART_A, hypothesis\n\n@hypothesis(PART_A)\n"
        "def last_input(kernel, recurrent_kernel, xs):\n    return xs[-1] @ kernel\n")
    code = main(["assignment", "audit", str(folder / "small.toml"), "--reference",
                 str(tmp_path / "wrong.py"), "--secret-file", str(folder / "secret"),
                 "--out", str(tmp_path / "out"), "--workers", "1"])
    assert code == 1
    assert "the reference last_input (part_a) does not hold (refuted)" in capsys.readouterr().err
    data = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert data["references"] == [{"exercise": "part_a", "function": "last_input",
                                   "operator": None, "source": data["references"][0]["source"],
                                   "verdict": "refuted", "holds": False}]



def test_audit_page_in_the_browser(browser: Any, run: tuple[AuditRun, list[str]],
                                   folder: Path) -> None:
    result, _ = run
    page, errors = visit(browser, folder / "out" / "audit.html")
    assert page.title() == "Audit: Small <audit> & co"
    assert page.locator("h1").inner_text() == "Audit: Small <audit> & co"
    rows = page.locator("table.mutants tbody tr")
    assert rows.count() == len(result.mutants)
    totals = page.locator("table.totals tbody td").all_inner_texts()
    assert totals[:2] == ["part_a", str(len(result.mutants))]
    colours = page.evaluate("""() => [...document.querySelectorAll('td.status')]
        .map(td => getComputedStyle(td).backgroundColor)""")
    assert len(set(colours)) >= 3  # killed, equivalent and wrong survivors look different
    first = page.locator("table.mutants td.status").first.inner_text()
    assert first.startswith("survived, NOT equivalent")  # wrong survivors come first
    assert errors == []
    page.close()
