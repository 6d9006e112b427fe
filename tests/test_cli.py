"""The harness command: check and probe."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = Path(__file__).resolve().parent / "bundled"  # our own copies of hypotheses/


def test_probe_reproduces_the_notebook(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "PART_A", "--weights", "[[[1]], [[3]]]", "--xs", "[3, 3, 7]"]) == 0
    assert capsys.readouterr().out.strip() == "43"


def test_probe_json_and_constructor_expression(capsys: pytest.CaptureFixture[str]) -> None:
    layer = 'SimpleRNN(units=2, activation="linear", use_bias=False)'
    weights = "[[[1, 1]], [[0, 1], [0, 1]]]"
    assert main(["probe", layer, "--weights", weights, "--xs", "[3, 3, 7, 5]", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [5, 31]


def test_probe_lstm_sequence(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["probe", "PART_C", "--weights", "[[[1, 0, 1, 1]], [[0, 0, 0, 0]]]",
            "--xs", "[0, 1, 2, 4, 8]", "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == [[0], [1], [8], [64], [512]]


@pytest.mark.parametrize(("layer", "weights", "xs", "expected"), [
    ("__import__('os').system('echo pwned')", "[[[1]], [[1]]]", "[1]", "not a call of"),
    ("SimpleRNN(units=1, activation=open('x'))", "[[[1]], [[1]]]", "[1]", "plain numbers"),
    ("Dense(units=1)", "[[[1]], [[1]]]", "[1]", "needs input_shape="),
    ("SimpleRNN(units=0)", "[[[1]], [[1]]]", "[1]", "at least 1"),
    ("SimpleRNN(unit=1)", "[[[1]], [[1]], [0]]", "[1]",
     "has no argument 'unit'; did you mean units?"),
    ("LSTM(units=1, recurent_activation='tanh')", "[]", "[1]",
     "has no argument 'recurent_activation'; did you mean recurrent_activation?"),
    ("PART_A", "[[[1]], [[1]]", "[1]", "--weights is not valid JSON"),
    ("PART_A", "[[[1, 2]], [[1]]]", "[1]", "kernel must have shape (1, 1)"),
    ("PART_A", "[[[1]]]", "[1]", "has 2 weight arrays"),
    ("PART_A", "[[[1]], [[1]]]", "[]", "xs must be a list of timesteps"),
    ("PART_A", "[[[1]], [[1]]]", '["a"]', "xs must be a (nested) list of numbers"),
])
def test_probe_usage_errors(capfd: pytest.CaptureFixture[str], layer: str, weights: str,
                            xs: str, expected: str) -> None:
    assert main(["probe", layer, "--weights", weights, "--xs", xs]) == 2
    captured = capfd.readouterr()
    assert expected in captured.err
    assert captured.out == "" and "Traceback" not in captured.err


MINE = '''from harness import PART_A, hypothesis


@hypothesis(PART_A, name="My sum of inputs")
def my_sum(kernel, recurrent_kernel, xs):
    return xs[:, 0].sum() * kernel[0, 0]
'''


def test_check_bundled_hypotheses_plus_one_surprise(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled hypotheses (all as recorded) and one student file whose hypothesis is
    refuted but recorded as holding: every format names the student's first."""
    import harness.api
    from harness.notebook import CheckResult, page, text
    from harness.output.report import SURPRISE_COLOURS

    folder = tmp_path / "hypotheses"
    shutil.copytree(BUNDLED, folder)
    (folder / "zz_mine.py").write_text(MINE)  # collected last: the reports move it up
    runs: list[harness.api.CheckRun] = []
    check_found = harness.api.check_found
    monkeypatch.setattr(harness.api, "check_found",
                        lambda *a, **k: runs.append(check_found(*a, **k)) or runs[-1])
    reports = tmp_path / "reports"
    code = main(["check", str(folder), "--report-dir", str(reports)])
    out = capsys.readouterr().out
    assert code == 1
    assert "Hypothesis #1 is refuted (as recorded); Hypothesis #2 holds." in out
    # terminal: the lead names it before anything else, then the table's first row
    after_progress = out.split("\n\n", 1)[1].splitlines()
    assert after_progress[:2] == [
        "Not what the files record (1; look at these first):",
        " (!) My sum of inputs is refuted, but its file records it as holding "
        "(zz_mine.py, line 4)"]
    assert after_progress[4].startswith("My sum of inputs") and "refuted (!)" in out
    records = json.loads((reports / "report.json").read_text())
    assert records[0]["name"] == "My sum of inputs" and records[0]["as_expected"] is False
    assert (records[0]["verdict"], records[0]["recorded"]) == ("refuted", "holds")
    verdicts = {r["name"]: r["verdict"] for r in records}
    assert verdicts["Hypothesis #1"] == "refuted"
    # every other hypothesis, the course set's in the sub-folder too, is as recorded
    assert {(r["verdict"], r["recorded"]) for r in records[1:]} == {("holds", "holds"),
                                                                    ("refuted", "refuted")}
    own = [r["file"] for r in records[1:4]]  # then the part files, then the course set
    assert all("course" not in f for f in own) and "course" in records[-1]["file"]
    refuted = next(r for r in records if r["name"] == "Hypothesis #1")
    assert set(refuted["counterexample"]) == {"kernel", "recurrent_kernel", "xs"}
    for key in ("file", "name", "verdict", "recorded", "cases", "keras_output",
                "hypothesis_output"):
        assert key in refuted
    assert refuted["recorded"] == "refuted" and refuted["cases"] >= 200
    csv = (reports / "report.csv").read_text().splitlines()
    assert "My sum of inputs,\"SimpleRNN" in csv[1] and ",refuted,holds," in csv[1]
    assert ",True," not in "\n".join(csv) and ",False," not in "\n".join(csv)
    md = (reports / "report.md").read_text()
    lead = md.split("## All hypotheses")[0]
    assert "look at these first" in lead and "My sum of inputs is refuted, but" in lead
    assert md.index("| My sum of inputs") < md.index("| Hypothesis \\#1")  # escaped #
    assert "| refuted (!) | holds" in md
    html = (reports / "report.html").read_text()
    first = html.index("My sum of inputs")
    assert first < html.index("Hypothesis #1") and first < html.index("Dense")
    assert html.index('class="card surprises"') < first
    # the unexpected verdict's cell is not the red of an expected refutation
    assert html.count(f"background-color: {SURPRISE_COLOURS[0]}") == 1 and "refuted (!)" in html
    shown = CheckResult(runs[0].verdicts, runs[0].failures)
    assert str(shown).splitlines()[1:3] == after_progress[:2]
    assert text(shown).index("[!!] My sum") < text(shown).index("[ok]")
    nb = page(shown)
    assert nb.index("My sum of inputs") < nb.index("Hypothesis #1")


def test_check_exit_1_when_a_verdict_is_not_as_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = ("from harness import PART_A, hypothesis\n\n"
              "@hypothesis(PART_A, name='Only the last input')\n"
              "def last(kernel, xs):\n    return xs[-1] @ kernel\n")
    (tmp_path / "h.py").write_text(source)
    assert main(["check", str(tmp_path / "h.py"), "--report-dir", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert "Only the last input is refuted: it disagrees with Keras" in out
    assert (tmp_path / "r" / "report.md").exists()


def test_check_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.py")]) == 2
    err = capsys.readouterr().err
    assert "nope.py does not exist" in err and "not a hypothesis file" not in err
    (tmp_path / "notes.txt").write_text("a guess")
    assert main(["check", str(tmp_path / "notes.txt")]) == 2
    assert "notes.txt is not a hypothesis file (.py or .ipynb)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "x.py", "--cases", "0"])
    assert exit_info.value.code == 2


def test_python_dash_m_harness() -> None:
    result = subprocess.run([sys.executable, "-m", "harness", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0
    assert "check" in result.stdout and "probe" in result.stdout
