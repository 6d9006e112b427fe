"""report.html and summary.html in a real browser: Debian's Chromium driven by Playwright.

The browser is the system's (``/usr/bin/chromium``; ``.ci/run`` installs it when
missing), never one Playwright downloads.  Without it these tests are skipped with the
reason shown in pytest's summary (a fresh machine's ``pytest`` passes), unless
``HARNESS_REQUIRE_BROWSER=1`` (``.ci/run`` sets it): then a missing browser fails them.
Each page must load with no console error, show the verdict colours, and every picture
must have loaded (an ``<img>`` has a natural width; an inline ``<svg>`` has a box on the
page).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness import PART_A, hypothesis
from harness.claims import claim_of
from harness.engine.checker import Checker
from harness.engine.lookalike import group
from harness.engine.sweep import sweep_for
from harness.grading.results import GRADED, Credit, HypothesisResult, SubmissionResult
from harness.grading.summary import write_summary
from harness.output.report import SURPRISE_COLOURS, VERDICT_COLOURS, write_reports
from harness.verdict import REFUTED, LoadFailure, Verdict

CHROMIUM = "/usr/bin/chromium"
REQUIRE = "HARNESS_REQUIRE_BROWSER"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-dev-shm-usage"]


@hypothesis(PART_A, name="Sum of inputs")
def sum_of_inputs(kernel, recurrent_kernel, xs):
    inputs = xs[:, 0] * kernel[0, 0]
    return inputs[-1] + recurrent_kernel[0, 0] * inputs[:-1].sum()


@hypothesis(PART_A, name="Recurrence")
def recurrence(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="Crashes")
def crashes(kernel, recurrent_kernel, xs):
    return xs[99]


SOURCE = (b"import numpy as np\n\n@hypothesis(PART_A, name=\"Sum of inputs\")\n"
          b"def sum_of_inputs(kernel, recurrent_kernel, xs):\n    return 0\n")


def need_browser(path: str = CHROMIUM, env: Mapping[str, str] = os.environ) -> None:
    """Skip (with the reason) when ``path`` is not an executable browser; fail instead
    when ``HARNESS_REQUIRE_BROWSER=1``, as in CI, where these tests are the proof that
    the pages render."""
    if shutil.which(path) is not None:
        return
    how = "install Debian's browser (apt-get install -y chromium); .ci/run does this"
    if env.get(REQUIRE, "") == "1":
        pytest.fail(f"{path} not found and {REQUIRE}=1: {how}")
    pytest.skip(f"page tests need {path}, which is not installed: {how} "
                f"(set {REQUIRE}=1 to make a missing browser fail)")



@pytest.fixture(scope="module")
def verdicts(checker: Checker) -> list[Verdict]:
    out = []
    for formula in (sum_of_inputs, recurrence, crashes):
        claim = claim_of(formula)
        verdict = checker.check(claim)
        if verdict.kind == REFUTED:
            verdict = replace(verdict, sweep=sweep_for(checker, claim, verdict))
        out.append(verdict)
    return group(out)


@pytest.fixture(scope="module")
def pages(verdicts: list[Verdict], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pages")
    failure = LoadFailure(str(out / "broken.py"), "broken.py: SyntaxError at line 1")
    write_reports(out / "reports", verdicts, [failure], seed=1)
    from harness.grading.assignment import load_assignment

    assignment = load_assignment(None)
    results = [SubmissionResult(
        student, "key", GRADED, (),
        tuple(HypothesisResult(v, "part_a", credit=Credit.NONE) for v in verdicts))
        for student in ("ann", "ben")]
    write_summary(out / "grades", assignment, results,
                  sources={"ann": [(Path(verdicts[0].file).name, SOURCE)]})
    return {"report": out / "reports" / "report.html", "summary": out / "grades" / "summary.html"}


def visit(browser: Any, path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return page, errors


def rgb(colour: str) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def pictures_loaded(page: Any) -> dict[str, list[float]]:
    return page.evaluate("""() => ({
        img: [...document.images].map(i => i.complete ? i.naturalWidth : 0),
        svg: [...document.querySelectorAll('svg')].map(s => {
            const box = s.getBoundingClientRect(); return Math.min(box.width, box.height); }),
    })""")


def test_report_page_in_the_browser(browser: Any, pages: dict[str, Path]) -> None:
    page, errors = visit(browser, pages["report"])
    cells = page.evaluate("""() => {
        const table = document.querySelector('table.report');
        const column = [...table.querySelectorAll('thead th')]
            .findIndex(th => th.textContent.trim() === 'verdict');
        return [...table.querySelectorAll('tbody tr')].map(tr => tr.children[column])
            .map(td => [td.textContent.trim(), getComputedStyle(td).backgroundColor]); }""")
    assert cells == [  # surprises first; the refutation nobody recorded is not red
        ["refuted (!)", rgb(SURPRISE_COLOURS[0])],
        ["error (!)", rgb(VERDICT_COLOURS["error"][0])],  # the formula that crashes
        ["holds", rgb(VERDICT_COLOURS["holds"][0])],
        ["error", rgb(VERDICT_COLOURS["error"][0])]]  # the file that did not import
    assert rgb(SURPRISE_COLOURS[0]) != rgb(VERDICT_COLOURS["refuted"][0])
    lead = page.locator("div.surprises").inner_text()
    assert lead.startswith("Not what the files record (3; look at these first)")
    assert "Sum of inputs is refuted, but its file records it as holding" in lead
    loaded = pictures_loaded(page)
    assert len(loaded["svg"]) == 2 and all(size > 100 for size in loaded["svg"])
    assert page.locator("section.verdict").count() == 4  # 3 hypotheses + the import failure
    assert page.get_by_text("SyntaxError at line 1").count() == 1
    # Each row's name links to its section.
    page.get_by_role("link", name="Recurrence").click()
    assert page.evaluate("location.hash") == "#h-3"
    assert errors == []
    page.close()


def test_summary_page_in_the_browser(browser: Any, pages: dict[str, Path]) -> None:
    page, errors = visit(browser, pages["summary"])
    loaded = pictures_loaded(page)
    assert len(loaded["img"]) == 1 and loaded["img"][0] > 0  # the chart, inline
    assert len(loaded["svg"]) == 2 and all(size > 100 for size in loaded["svg"])
    misconceptions = page.locator("div.misconception")
    assert misconceptions.count() == 1  # only refuted hypotheses: "Crashes" is an error
    assert "2 refuted hypotheses (2 students)" in misconceptions.first.inner_text()
    assert "def sum_of_inputs" in misconceptions.first.inner_text()
    status = page.evaluate("""() => getComputedStyle(
        [...document.querySelectorAll('td')].find(td => td.textContent.trim() === 'graded'))
        .backgroundColor""")
    assert status == rgb(VERDICT_COLOURS["holds"][0])
    assert errors == []
    page.close()


def test_a_missing_browser_skips_unless_required(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-chromium")
    with pytest.raises(pytest.skip.Exception, match=r"not installed.*HARNESS_REQUIRE_BROWSER"):
        need_browser(missing, {})
    with pytest.raises(pytest.fail.Exception, match="not found and HARNESS_REQUIRE_BROWSER=1"):
        need_browser(missing, {REQUIRE: "1"})
    need_browser(shutil.which("sh") or "/bin/sh", {REQUIRE: "1"})  # present: nothing raised
