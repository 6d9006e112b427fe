"""The harness command: check and probe."""

from __future__ import annotations

import json
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


def test_check_bundled_hypotheses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(BUNDLED), "--report-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Hypothesis #1 is refuted (as recorded); Hypothesis #2 holds." in out
    records = json.loads((tmp_path / "report.json").read_text())
    verdicts = {r["name"]: r["verdict"] for r in records}
    assert verdicts["Hypothesis #1"] == "refuted"
    # every other hypothesis, the course set's in the sub-folder too, is as recorded
    assert {(r["verdict"], r["recorded"]) for r in records} == {("holds", False),
                                                                ("refuted", True)}
    assert any("course" in r["file"] for r in records)  # sub-folders are checked too
    refuted = next(r for r in records if r["name"] == "Hypothesis #1")
    assert set(refuted["counterexample"]) == {"kernel", "recurrent_kernel", "xs"}
    for key in ("file", "name", "verdict", "recorded", "cases", "keras_output",
                "hypothesis_output"):
        assert key in refuted
    assert refuted["recorded"] is True and refuted["cases"] >= 200


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
    assert main(["check", str(tmp_path / "missing.py")]) == 2
    assert "is not a hypothesis file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "x.py", "--cases", "0"])
    assert exit_info.value.code == 2


def test_python_dash_m_harness() -> None:
    result = subprocess.run([sys.executable, "-m", "harness", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0
    assert "check" in result.stdout and "probe" in result.stdout
