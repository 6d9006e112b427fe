"""Misconceptions in the grading summary: a synthetic class graded end to end, clustered by
what the formulas output, never by how they are written."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest_grading import ASSIGNMENT

from harness.grading import grade
from harness.grading.summary import misconceptions_markdown, summary_figure, summary_html

HEADER = "import numpy as np\n\nfrom harness import PART_A, hypothesis\n\n\n"

#: Two ways of writing "the output is the last input times the kernel" (one idea), one
#: "sum of the inputs" (another idea), one true recurrence.
CLASS = {
    "ann": '@hypothesis(PART_A, name="Last input")\n'
           "def last(kernel, recurrent_kernel, xs):\n    return xs[-1] @ kernel\n",
    "ben": '@hypothesis(PART_A, name="Only the newest input counts")\n'
           "def newest(kernel, recurrent_kernel, xs):\n"
           "    value = 0.0\n    for x in xs:\n        value = kernel[0, 0] * x[0]\n"
           "    return np.array([value])\n",
    "cat": '@hypothesis(PART_A, name="Sum of inputs")\n'
           "def total(kernel, recurrent_kernel, xs):\n    return xs.sum(axis=0) @ kernel\n",
    "dan": '@hypothesis(PART_A, name="Recurrence")\n'
           "def rnn(kernel, recurrent_kernel, xs):\n    h = np.zeros(1)\n"
           "    for x in xs:\n        h = x @ kernel + h @ recurrent_kernel\n    return h\n",
}


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("misconceptions")
    folder = root / "submissions"
    folder.mkdir()
    for student, body in CLASS.items():
        (folder / f"{student}.py").write_text(HEADER + body)
    out = root / "out"
    run = grade(folder, assignment=ASSIGNMENT, out=out, workers=2)
    return {"md": (out / "summary.md").read_text(), "html": (out / "summary.html").read_text(),
            "out": out, "run": run, "sources": {s: [(f"{s}.py", (folder / f"{s}.py").read_bytes())]
                                                for s in CLASS}}


def test_same_behaviour_one_cluster_different_behaviour_split(summary: dict[str, Any]) -> None:
    md = summary["md"]
    section = md.split("## Misconceptions", 1)[1].split("## Not graded", 1)[0]
    titles = re.findall(r"^### (.*)$", section, flags=re.M)
    assert titles == [
        "1. part_a: 2 refuted hypotheses (2 students) behave like ann's Last input",
        "2. part_a: 1 refuted hypothesis (1 student) behaves like cat's Sum of inputs"]
    first, second = section.split("### ")[1:3]
    assert "Also: ben." in first
    assert "```python\n@hypothesis(PART_A, name=\"Last input\")\ndef last(" in first
    assert "return xs.sum(axis=0) @ kernel" in second
    assert "Recurrence" not in section  # it holds: no misconception


def test_summary_html_lists_the_misconceptions(summary: dict[str, Any]) -> None:
    page = summary["html"]
    assert page.startswith("<!doctype html>")
    assert page.count('class="misconception"') == 2
    assert "def last(kernel, recurrent_kernel, xs):" in page
    assert "harness probe" in page  # the representative's counterexample, checkable
    assert 'src="data:image/png;base64,' in page  # the chart travels with the page


def test_summary_html_is_the_same_bytes_every_time(summary: dict[str, Any]) -> None:
    run = summary["run"]
    again = summary_html(run.assignment, run.results, run.skipped, run.renamed, run.isolation,
                         sources=summary["sources"],
                         chart=(summary["out"] / "summary.png").read_bytes())
    assert again == summary["html"]


def test_no_public_seed_where_cases_came_from_the_secret(summary: dict[str, Any]) -> None:
    run = summary["run"]
    public = misconceptions_markdown(run.results, summary["sources"])
    assert any("(seed 11)" in line for line in public)  # no secret: the seed gives them back
    secret = "\n".join(misconceptions_markdown(run.results, summary["sources"], secret=True))
    assert "Tried" in secret and "drawn from the grader's secret" in secret
    assert "seed" not in secret


def test_summary_html_has_a_row_per_student_with_a_feedback_link(
        summary: dict[str, Any]) -> None:
    page = summary["html"]
    table = page.split('<h2 id="students">Students</h2>', 1)[1].split("</table>", 1)[0]
    for student in CLASS:
        assert f'<a href="feedback/{student}.md">feedback</a>' in table
        assert (summary["out"] / "feedback" / f"{student}.md").is_file()  # the link works
    assert re.findall(r"<th [^>]*>([^<]+)</th>", table) == [
        "student", "part_a", "part_b", "total", "status", "feedback"]
    assert table.count("<tr>") == 1 + len(CLASS)


def test_score_chart_counts_students_in_whole_numbers(summary: dict[str, Any]) -> None:
    run = summary["run"]
    axes = summary_figure(run.assignment, run.results).axes[1]
    ticks = axes.get_yticks()
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
