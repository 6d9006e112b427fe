"""report.html / report.md as pages a student reads: sections, pictures, import failures.

The browser's view of the same pages is tested in tests/test_pages_browser.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from harness import PART_A, hypothesis
from harness.claims import claim_of
from harness.engine.checker import Checker
from harness.engine.lookalike import group
from harness.engine.sweep import POINTS, sweep_for
from harness.output.report import write_reports
from harness.verdict import HOLDS, REFUTED, Hints, LoadFailure, Verdict


@hypothesis(PART_A, name="Sum of inputs")
def sum_of_inputs(kernel, recurrent_kernel, xs):
    """Forgets that the feedback compounds."""
    inputs = xs[:, 0] * kernel[0, 0]
    return inputs[-1] + recurrent_kernel[0, 0] * inputs[:-1].sum()


@hypothesis(PART_A, name="Sum of inputs <again>")
def sum_again(kernel, recurrent_kernel, xs):
    total = 0.0
    for x in xs[:-1]:
        total += float(x[0])
    return kernel[0, 0] * (xs[-1, 0] + recurrent_kernel[0, 0] * total)


@hypothesis(PART_A, name="Recurrence")
def recurrence(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


def enriched(checker: Checker, formula: object) -> Verdict:
    claim = claim_of(formula)
    verdict = checker.check(claim)
    if verdict.kind == REFUTED:
        verdict = replace(verdict, hints=Hints(weights_that_matter=("recurrent_kernel",)))
        verdict = replace(verdict, sweep=sweep_for(checker, claim, verdict))
    return verdict


@pytest.fixture(scope="module")
def verdicts(checker: Checker) -> list[Verdict]:
    return group([enriched(checker, f) for f in (sum_of_inputs, sum_again, recurrence)])


def test_sweep_follows_the_weight_that_matters(verdicts: list[Verdict]) -> None:
    v = verdicts[0]
    assert v.kind == REFUTED and v.counterexample is not None and v.sweep is not None
    sweep = v.sweep
    assert (sweep.weight, sweep.index) == ("recurrent_kernel", (0, 0))
    centre = v.counterexample.case["recurrent_kernel"][0][0]
    assert len(sweep.values) == POINTS and sweep.values[POINTS // 2] == pytest.approx(centre)
    assert len(sweep.keras) == len(sweep.hypothesis) == POINTS
    # Both agree where the feedback weight is 0, and not everywhere.
    zero = min(range(POINTS), key=lambda i: abs(sweep.values[i]))
    if abs(sweep.values[zero]) < 1e-9:
        assert sweep.hypothesis[zero] == pytest.approx(sweep.keras[zero])
    assert any(h != pytest.approx(k) for h, k in zip(sweep.hypothesis, sweep.keras, strict=True))
    # Step by step: one value per step, the last one the outputs of the counterexample.
    steps = len(v.counterexample.case["xs"])
    assert len(sweep.keras_steps) == len(sweep.hypothesis_steps) == steps
    assert sweep.keras_steps[-1] == pytest.approx(v.counterexample.keras_output[0])
    assert sweep.hypothesis_steps[-1] == pytest.approx(v.counterexample.hypothesis_output[0])
    assert Verdict.from_json(json.loads(json.dumps(v.to_json()))) == v


@pytest.fixture(scope="module")
def report(verdicts: list[Verdict], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    failure = LoadFailure(str(out / "broken.py"),
                          "broken.py failed while it was being imported at line 2:\n"
                          "RuntimeError: <oops> ```")
    write_reports(out, verdicts, [failure], seed=7)
    return out


def test_report_html_is_a_standalone_page(report: Path, verdicts: list[Verdict]) -> None:
    page = (report / "report.html").read_text()
    assert page.startswith("<!doctype html>")
    assert "&nbsp;" not in page and "\\n" not in page
    assert page.count('<section class="verdict verdict-refuted">') == 2
    assert page.count('<section class="verdict verdict-holds">') == 1
    assert page.count("<svg") == 4  # two pictures per refuted hypothesis, inline
    assert re.search(r'(src|href)="(https?:)?//', page) is None  # nothing to fetch
    assert "Sum of inputs &lt;again&gt;" in page and "<again>" not in page
    assert "RuntimeError: &lt;oops&gt;" in page  # why the file could not be imported
    # Both refutations are surprises (recorded as holding): not the red of an expected one.
    assert page.count(">refuted (!)</td>") == 2 and "background-color: #8250df" in page
    assert "background-color: #ffebe9" not in page
    assert "background-color: #dafbe1" in page
    assert "Behaves exactly like Sum of inputs &lt;again&gt; on all 200 cases" in page
    assert "harness probe" in page


def test_report_md_links_picture_files(report: Path) -> None:
    text = (report / "report.md").read_text()
    links = [line.split("](", 1)[1].rstrip(")") for line in text.splitlines()
             if line.startswith("![")]
    assert len(links) == 4
    for link in links:  # one format per picture: the SVG also inlined in report.html
        data = (report / link).read_text()
        assert link.endswith(".svg") and data.startswith("<?xml") and "<svg" in data
    assert "## Files that could not be imported" in text
    assert "````text\nbroken.py failed while it was being imported at line 2:\n" \
           "RuntimeError: <oops> ```\n````" in text
    assert "nan" not in text.split("## ", 1)[0]  # the table: an import failure has no scope
    assert text.count("## Sum of inputs") == 2 and "## Recurrence" in text


def test_report_json_has_hints_and_look_alikes(report: Path) -> None:
    rows = json.loads((report / "report.json").read_text())
    by_name = {r["name"]: r for r in rows}
    assert by_name["Sum of inputs"]["same_as"] == ["Sum of inputs <again>"]
    assert by_name["Sum of inputs"]["hints"]["weights_that_matter"] == ["recurrent_kernel"]
    assert by_name["Recurrence"]["hints"] is None and by_name["Recurrence"]["same_as"] == []
    assert by_name["(file could not be imported)"]["same_as"] == []


def test_stale_pictures_are_removed(verdicts: list[Verdict], tmp_path: Path) -> None:
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "01-old-run-1.png").write_bytes(b"\x89PNG")  # an older format
    write_reports(tmp_path, verdicts)
    assert len(list((tmp_path / "pictures").glob("*"))) == 4
    write_reports(tmp_path, [v for v in verdicts if v.kind == HOLDS])
    assert list((tmp_path / "pictures").glob("*")) == []


@pytest.mark.parametrize("change", ["no sweep", "pictures off"])
def test_no_pictures_needed_no_matplotlib(verdicts: list[Verdict], tmp_path: Path,
                                          change: str) -> None:
    """Without sweeps, or with pictures turned off, the reports are written without
    importing matplotlib; otherwise every refuted hypothesis gets its pictures, also
    one refuted as recorded."""
    off = change == "pictures off"
    code = ("import sys, json\nfrom harness.verdict import Verdict\n"
            "from harness.output.report import write_reports\n"
            "vs = [Verdict.from_json(d) for d in json.load(open(sys.argv[1]))]\n"
            f"write_reports(sys.argv[2], vs, pictures={not off})\n"
            "print('matplotlib' in sys.modules)\n")
    changed = [replace(v, recorded=True) if off else replace(v, sweep=None)
               for v in verdicts if v.kind == REFUTED]
    data = tmp_path / "verdicts.json"
    data.write_text(json.dumps([v.to_json() for v in changed]))
    done = subprocess.run([sys.executable, "-c", code, str(data), str(tmp_path / "r")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert "<svg" not in (tmp_path / "r" / "report.html").read_text()
    write_reports(tmp_path / "all", changed)
    drawn = (tmp_path / "all" / "report.html").read_text().count("<svg")
    assert drawn == (4 if off else 0)


def test_same_verdicts_same_bytes(verdicts: list[Verdict], tmp_path: Path) -> None:
    """No random ids, dates or tool versions: the same run writes the same pages."""
    for name in ("a", "b"):
        write_reports(tmp_path / name, verdicts, seed=3)
    for file in ("report.html", "report.md", "pictures/01-test_report_pages-sum_of_inputs-1.svg"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


@hypothesis(PART_A, name="Twice the input", timesteps=1)
def twice_the_input(kernel, recurrent_kernel, xs):
    return 2 * xs[-1] @ kernel


def test_pictures_show_what_the_hints_say_matters(checker: Checker) -> None:
    """The sweep follows the weight a hint names (here only a regime names it), and a
    weight that changes nothing (recurrent_kernel on one step) gives way to one that
    does; a one-step counterexample gets no step picture (one dot per line)."""
    from harness.output.pictures import figures
    from harness.verdict import Regime

    claim = claim_of(sum_of_inputs)
    verdict = checker.check(claim)
    by_regime = replace(verdict, hints=Hints(holds_when=(
        Regime((("recurrent_kernel", 0),)),)))
    assert sweep_for(checker, claim, by_regime).weight == "recurrent_kernel"  # type: ignore[union-attr]
    one = checker.check(claim_of(twice_the_input))
    assert one.kind == REFUTED and len(one.counterexample.case["xs"]) == 1  # type: ignore[union-attr]
    flat = replace(one, hints=Hints(weights_that_matter=("recurrent_kernel",)))
    sweep = sweep_for(checker, claim_of(twice_the_input), flat)
    assert sweep is not None and sweep.weight == "kernel"
    assert len(set(sweep.keras)) > 1  # it shows something
    alts = [alt for alt, _ in figures(replace(flat, sweep=sweep))]
    assert len(alts) == 1 and "kernel[0, 0] changes" in alts[0]
