"""Student text is bounded and inert in every output, and the class run never ends without
its summary (issue 14, items 3 and 4).

One small hostile class is graded once through the real command line: names, exception
type names and messages carrying HTML, forged Markdown (a ``**Score: 5 / 5**`` line, a
heading, a ``javascript:`` link), mathtext (``$\\foo$``), 10 kB messages, file names
with HTML and newlines, ids a spreadsheet reads as formulas.  Every Markdown output is
rendered by a real CommonMark renderer with raw HTML allowed (as Gradescope or a Markdown
viewer would), and checked for what the student tried to make.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest_grading import ASSIGNMENT
from markdown_it import MarkdownIt

from harness import PART_A
from harness.engine.lookalike import function_source
from harness.grading.assignment import load_assignment
from harness.grading.feedback import feedback_markdown
from harness.grading.results import ExerciseResult, HypothesisResult, SubmissionResult
from harness.output.report import write_reports
from harness.untrusted import (
    FULL_MESSAGES,
    LINE,
    MESSAGE,
    NAME,
    SENTENCE,
    SHORT_MESSAGE,
    csv_cell,
    cut,
    cut_block,
    label,
    markdown,
)
from harness.verdict import Verdict, VerdictKind

FORGE = "x\n\n**Score: 5 / 5**\n\n# Forged heading\n\n"
LINK = "[link](javascript:alert(1))"
IMG = "<img src=x onerror=alert(1)>"
#: A 10 kB message: HTML, a link and a forged score line, over and over.
BIG = ("<script>alert(1)</script>" + LINK + FORGE) * 150

HOSTILE = f'''import numpy as np

from harness import PART_A, hypothesis

Bad = type({IMG!r}, (Exception,), {{}})


@hypothesis(PART_A, name="last input $\\\\foo$", refuted=True)
def last(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel


@hypothesis(PART_A, name={(IMG + FORGE)!r})
def loud(kernel, recurrent_kernel, xs):
    raise ValueError({BIG!r})


@hypothesis(PART_A, name={LINK!r})
def typed(kernel, recurrent_kernel, xs):
    raise Bad({(IMG + FORGE)!r})
'''

#: Things a student must never make in a rendered page.
MADE = ("<img", "<script", "<a ", "<strong>Score: 5 / 5", "<strong>Score 5 of 5", "<h1>Forged")


def _markdown_html(text: str) -> str:
    renderer = MarkdownIt("commonmark", {"html": True}).enable("table")
    return renderer.render(text)


def _assert_inert(text: str, where: str) -> None:
    page = _markdown_html(text)
    for made in MADE:
        assert made not in page, f"{where}: {made!r} made from student text"


# ---------------------------------------------------------------- a hostile class, graded

@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "submissions"
    folder.mkdir()
    (folder / "-2-3.py").write_text(HOSTILE)
    for student in ("=cmd", "@x"):
        (folder / f"{student}.py").write_text("x = 1\n")
    other = folder / "-A1-B2"
    other.mkdir()
    (other / "answers.py").write_text("x = 1\n")
    (other / f"{IMG}\n**Score 5 of 5**.txt").write_text("not a submission")
    (other / "img_src_x_onerror_alert_5.py").write_text("y = 2\n")
    (other / "<img src=x onerror=alert(5)>.py").write_text("y = 3\n")  # same module name
    out = root / "out"
    done = subprocess.run(
        [sys.executable, "-m", "harness.grading.cli", "grade", str(folder), "--assignment",
         str(ASSIGNMENT), "--out", str(out), "--workers", "2", "--no-progress"],
        capture_output=True, text=True, timeout=300, check=False)
    return {"done": done, "out": out, "folder": folder}


def test_the_class_run_exits_0_and_writes_its_summary(hostile: dict[str, Any]) -> None:
    done, out = hostile["done"], hostile["out"]
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("summary.md", "summary.html"):
        assert (out / name).read_text().startswith(("# Grading summary", "<!doctype html>"))
    chart = (out / "summary.png").read_bytes()
    assert chart.startswith(b"\x89PNG") and len(chart) > 5000  # the real chart, drawn


def test_a_name_with_mathtext_is_a_misconception_with_its_pictures(
        hostile: dict[str, Any]) -> None:
    """``last input $\\foo$`` represents a misconception: its legend drew (mathtext made
    matplotlib raise, and ``harness grade`` exit 1, before)."""
    md = (hostile["out"] / "summary.md").read_text()
    misconceptions = md.split("## Misconceptions", 1)[1]
    assert "like \\-2-3's last input \\$\\\\foo\\$" in misconceptions
    page = (hostile["out"] / "summary.html").read_text()
    section = page.split('class="misconception"', 1)[1]
    assert "<svg" in section and "could not be built" not in page
    assert "last input $\\foo$" in section  # shown as written (html-escaped text)


def test_every_markdown_output_renders_inert(hostile: dict[str, Any]) -> None:
    out = hostile["out"]
    files = [out / "summary.md", *sorted((out / "feedback").glob("*.md"))]
    assert len(files) == 5
    for path in files:
        _assert_inert(path.read_text(), path.name)
    for path in sorted((out / "gradescope").glob("*/results.json")):
        data = json.loads(path.read_text())
        assert data["output_format"] == data["test_output_format"] == "md"
        _assert_inert(data["output"], f"{path.parent.name} results.json")
        for test in data["tests"]:
            _assert_inert(test["output"], f"{path.parent.name} results.json, {test['name']}")


def test_the_hostile_feedback_shows_the_text_bounded(hostile: dict[str, Any]) -> None:
    text = (hostile["out"] / "feedback" / "-2-3.md").read_text()
    page = _markdown_html(text)
    assert page.count("<h1>") == 1  # only "Feedback for -2-3"
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the name, as written
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") <= 3  # 150 in the message
    assert max(len(line) for line in text.splitlines()) < 600
    assert len(text.encode()) < 12_000  # two 10 kB messages went in


def test_html_pages_escape_everything(hostile: dict[str, Any]) -> None:
    page = (hostile["out"] / "summary.html").read_text()
    assert "<img src=x" not in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the skipped file, named


def test_grades_csv_cells_are_never_formulas(hostile: dict[str, Any]) -> None:
    rows = list(csv.reader(io.StringIO((hostile["out"] / "grades.csv").read_text())))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert {row[0] for row in rows[1:]} == {"'-2-3", "'-A1-B2", "cmd", "x"}


def test_a_rerun_never_leaves_a_stale_summary(hostile: dict[str, Any], tmp_path: Path) -> None:
    from harness.grading import grade

    out = tmp_path / "out"  # a copy: the other tests read the class's own outputs
    shutil.copytree(hostile["out"], out)
    (out / "summary.md").write_text("# stale summary from an earlier run\n")
    run = grade(hostile["folder"], assignment=ASSIGNMENT, out=out, workers=1, summary=False)
    assert run.reused == 4
    assert not [name for name in ("summary.md", "summary.html", "summary.png")
                if (out / name).exists()]


# ---------------------------------------------------------------- the summary's guards

def test_a_failing_part_is_replaced_by_a_line_and_logged(
        hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    from harness.grading import summary

    def explode(*args: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    results = _stored(hostile["out"])
    assert len(results) == 4
    monkeypatch.setattr(summary, "source_of", explode)
    monkeypatch.setattr(summary, "_chart", explode)
    with caplog.at_level(logging.ERROR, logger="harness.grading"):
        written = summary.write_summary(tmp_path, load_assignment(ASSIGNMENT), results)
    assert [p.name for p in written] == ["summary.md", "summary.html", "summary.png"]
    md = (tmp_path / "summary.md").read_text()
    assert "(Misconception 1 could not be built; the grader's log says why.)" in md
    assert "## Not graded" in md  # the sections after it are still there
    assert "could not be built" in (tmp_path / "summary.html").read_text()
    assert (tmp_path / "summary.png").read_bytes().startswith(b"\x89PNG")
    logged = [r for r in caplog.records if r.name == "harness.grading"]
    assert any("misconception 1" in r.getMessage() and r.exc_info for r in logged)
    assert any("the chart" in r.getMessage() for r in logged)


def test_a_picture_that_cannot_be_drawn_leaves_the_other(
        hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from harness.grading.summary import summary_html
    from harness.output import pictures

    drawn = pictures._svg_text

    def first_only(figure: Any, alt: str, salt: str) -> str:
        if salt.endswith(":1"):
            raise ValueError("Unknown symbol: \\foo")
        return drawn(figure, alt, salt)

    monkeypatch.setattr(pictures, "_svg_text", first_only)
    with caplog.at_level(logging.ERROR, logger="harness.grading"):
        page = summary_html(load_assignment(ASSIGNMENT), _stored(hostile["out"]))
    section = page.split('class="misconception"', 1)[1]
    assert section.count("<svg") == 1
    assert "(Picture 2 of misconception 1 could not be built; the grader" in section
    assert any("picture 2 of misconception 1" in r.getMessage() for r in caplog.records)


def _stored(out: Path) -> list[SubmissionResult]:
    return [SubmissionResult.from_json(json.loads(p.read_text())["result"])
            for p in sorted((out / ".results").glob("*.json"))]


def test_source_parser_survives_deep_and_huge_files() -> None:
    deep = ("@hypothesis(PART_A)\ndef f(kernel, recurrent_kernel, xs):\n    if False:\n"
            "        x = a" + ".b" * 4000 + "\n    return xs[-1]\n").encode()
    assert function_source([("s.py", deep)], "s.py", "f", 1) is None
    huge = b"def f():\n    return 1\n" + b"# padding\n" * 40_000
    assert function_source([("s.py", huge)], "s.py", "f", 1) is None
    fine = b"def f():\n    return 1\n"
    assert function_source([("s.py", fine)], "s.py", "f", 1) == "def f():\n    return 1"


# ---------------------------------------------------------------- the escapers themselves

@pytest.mark.parametrize("text", [IMG, IMG + FORGE, LINK, "!" + LINK, "$\\foo$", "- list",
                                  "1. list",
                                  "> quote", "`code` *em* _em_ ~~s~~ | cell |", "# heading",
                                  "<https://example.org>", "&lt;img src=x&gt;", "a\\",
                                  "==\n---", "\x1b[31mred\x1b[0m\u202eevil"])
def test_markdown_text_makes_nothing(text: str) -> None:
    shown = markdown(text)
    assert "\n" not in shown
    page = _markdown_html(f"### {shown} (2 points)\n\n- {shown}\n\n| a |\n|---|\n| {shown} |\n")
    for made in (*MADE, "<em>", "<code>", "<blockquote>", "<ol>", "<del>", "<h1>", "<h2>", "<hr"):
        assert made not in page
    assert page.count("<li>") == 1 and page.count("<td>") == 1


def test_csv_cells_that_spreadsheets_read_as_formulas_are_text() -> None:
    for cell in ("-2-3", "-A1-B2", "=cmd", "@x", "+1", "\tx"):
        assert csv_cell(cell) == "'" + cell
    assert not csv_cell("\r=1").startswith(("=", "\r"))
    assert csv_cell("alice") == "alice" and csv_cell("2-3") == "2-3"


def test_cut_bounds_and_says_so() -> None:
    cut_text = cut("word " * 1000, NAME)
    assert len(cut_text) <= NAME and cut_text.endswith("\u2026")
    assert cut("a\nb\r\nc\td", NAME) == "a b c d"
    assert cut("x" * 10**7, MESSAGE) == "x" * (MESSAGE - 1) + "\u2026"
    block = cut_block("\n".join(f"line {i}" for i in range(100)), 6)
    assert block.splitlines() == ["line 0", "line 1", "line 2", "\u2026 (94 lines not shown)",
                                  "line 97", "line 98", "line 99"]
    wrapped = cut_block("word " * 100 + "\n" + "x" * 1000, 10).splitlines()
    assert max(len(line) for line in wrapped) <= LINE and len(wrapped) == 11
    assert wrapped[0].startswith("word word") and wrapped[-1] == "x" * (1000 - 6 * LINE)


def test_a_picture_label_is_never_mathtext() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure()
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], label=label("last input $\\foo$"))
    axes.legend()
    figure.savefig(io.BytesIO(), format="png")  # "$\foo$" as mathtext raises here
    assert axes.get_legend().get_texts()[0].get_text() == "last input \\$\\foo\\$"


# ---------------------------------------------------------------- the bound on feedback

def _error(name: str, message: str) -> Verdict:
    return Verdict(file="s.py", function="f", name=name, layer=PART_A, scope="all",
                   recorded=False, kind=VerdictKind.ERROR, cases=1, seed=1, message=message)


def test_feedback_bytes_are_bounded_whatever_the_messages() -> None:
    assignment = load_assignment(ASSIGNMENT)
    hypotheses = tuple(HypothesisResult(_error(IMG * 30, "it raised ValueError: " + BIG),
                                        "part_a", note="no hypothesis holds")
                       for _ in range(assignment.max_hypotheses))
    result = SubmissionResult("s", "k", "graded", (ExerciseResult("part_a", "Part A", 0, 3),
                                                   ExerciseResult("part_b", "Part B", 0, 2)),
                              hypotheses)
    text = feedback_markdown(assignment, result)
    wrong = [line for line in text.splitlines() if line.startswith("*What went wrong:*")]
    lengths = [len(line.removeprefix("*What went wrong:* ").replace("\\", "")) for line in wrong]
    assert len(wrong) == assignment.max_hypotheses
    assert all(n <= SENTENCE for n in lengths[:FULL_MESSAGES])
    assert all(n <= SHORT_MESSAGE for n in lengths[FULL_MESSAGES:])
    assert len(text.encode()) < assignment.max_hypotheses * 1000  # 20 x 14 kB went in
    _assert_inert(text, "feedback")


def test_a_students_own_report_is_inert(tmp_path: Path) -> None:
    verdicts = [_error(IMG + FORGE, BIG), _error("=HYPERLINK(\"http://x\")", LINK)]
    write_reports(tmp_path, verdicts, pictures=False)
    _assert_inert((tmp_path / "report.md").read_text(), "report.md")
    page = (tmp_path / "report.html").read_text()
    assert "<img src=x" not in page and "<script>alert" not in page
    rows = list(csv.reader(io.StringIO((tmp_path / "report.csv").read_text())))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert max(len(c) for c in cells) <= SENTENCE + 1
