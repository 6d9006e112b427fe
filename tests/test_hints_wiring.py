"""Hints reach every front end (issue 9.1): ``harness check`` (and ``--no-hints``,
``--hint-seconds``), report.json, the pytest plugin (``--harness-no-hints``) and the
assignment's ``hints``/``hint_seconds`` keys."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import AssignmentError
from harness.grading.assignment import load_assignment, parse_assignment

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LAST_INPUT = '''
from harness import PART_A, hypothesis

@hypothesis(PART_A, name="Last input only")
def last_input_only(kernel, xs):
    return xs[-1] @ kernel
'''

HINT = '@hypothesis(PART_A, fixed={"recurrent_kernel": 0})'
BUNDLED = Path(__file__).resolve().parent / "bundled"  # our copies of hypotheses/


@pytest.fixture(autouse=True, scope="module")
def _keras_loaded_once() -> None:
    """TensorFlow cannot be imported twice in one process (pytester restores sys.modules)."""
    from harness.course import PART_A
    from harness.engine.oracle import keras_layer

    keras_layer(PART_A)


def _file(folder: Path) -> Path:
    path = folder / "hypotheses" / "last_input.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(LAST_INPUT))
    return path


def test_harness_check_prints_and_records_hints(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path)
    slack = ["--hint-seconds", "60"]  # a loaded machine must not cut this search short
    assert main(["check", str(path), "--report-dir", str(tmp_path / "on"), *slack]) == 1
    out = capsys.readouterr().out
    assert "Where it holds (each checked on 100+ cases):" in out and HINT in out
    assert "last_input_only(kernel=np.array(" in out
    record = json.loads((tmp_path / "on" / "report.json").read_text())[0]
    assert {"fixed": {"recurrent_kernel": 0}, "timesteps": None} in record["hints"]["holds_when"]
    assert record["hints"]["first_disagreeing_step"] == 2 and record["hints"]["complete"]


def test_no_hints_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path)
    assert main(["check", str(path), "--report-dir", str(tmp_path / "off"), "--no-hints"]) == 1
    assert "Where it holds" not in capsys.readouterr().out
    assert json.loads((tmp_path / "off" / "report.json").read_text())[0]["hints"] is None


@pytest.mark.parametrize("value", ["-1", "lots", "1e9", "nan"])
def test_hint_seconds_must_be_a_sensible_number(tmp_path: Path, value: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", str(tmp_path), "--hint-seconds", value])
    assert exit_info.value.code == 2
    assert f"--hint-seconds must be a number of seconds from 0 to 600; received '{value}'" \
        in capsys.readouterr().err


def test_pytest_failure_text_has_hints_unless_turned_off(pytester: pytest.Pytester) -> None:
    _file(pytester.path)
    shutil.copy(BUNDLED / "part_a.py", pytester.path / "hypotheses" / "part_a.py")
    shown = pytester.runpytest("hypotheses", "--harness-hint-seconds", "60")
    shown.assert_outcomes(failed=1, passed=1, xfailed=1)
    assert HINT in shown.stdout.str()
    # the bundled example refuted as recorded gets no hints (teaching at a fixed cost)
    records = json.loads((pytester.path / "reports" / "report.json").read_text())
    hints = {r["name"]: r["hints"] is not None for r in records}
    assert hints == {"Last input only": True, "Hypothesis #1": False, "Hypothesis #2": False}
    assert "It first disagrees with Keras at step 2 of the counterexample." in shown.stdout.str()
    hidden = pytester.runpytest("hypotheses", "--harness-no-hints")
    hidden.assert_outcomes(failed=1, passed=1, xfailed=1)
    assert "Where it holds" not in hidden.stdout.str()


def test_assignment_hint_keys() -> None:
    default = load_assignment()
    assert default.hints is True and default.hint_seconds == 2
    text = '[assignment]\nname = "x"\nhints = false\nhint_seconds = 0.5\n' \
           '[[exercise]]\nlayer = "PART_A"\npoints = 1\n'
    custom = parse_assignment(text)
    assert custom.hints is False and custom.hint_seconds == 0.5
    assert custom.fingerprint() != parse_assignment(text.replace("false", "true")).fingerprint()
    with pytest.raises(AssignmentError, match="hints must be a bool"):
        parse_assignment(text.replace("hints = false", 'hints = "no"'))
    with pytest.raises(AssignmentError, match="hint_seconds must be from 0 to 600"):
        parse_assignment(text.replace("0.5", "1000"))


def test_teaching_is_given_to_at_most_limit_surprises_first(tmp_path: Path) -> None:
    """enrich_all (harness check, the API, the notebook): at most ``limit`` hypotheses get
    hints and pictures, the surprises first, never a bundled example refuted as
    recorded."""
    from harness.collect import collect
    from harness.engine.checker import Checker
    from harness.engine.extras import enrich_all

    folder = tmp_path / "hypotheses"
    folder.mkdir()
    shutil.copy(BUNDLED / "part_a.py", folder / "part_a.py")
    (folder / "zz_mine.py").write_text(textwrap.dedent(LAST_INPUT) + textwrap.dedent('''
        @hypothesis(PART_A, name="Known wrong", refuted=True)
        def known_wrong(kernel, xs):
            return 2 * xs[-1] @ kernel
        '''))
    claims = collect([folder]).claims
    checker = Checker()
    verdicts = [checker.check(claim) for claim in claims]
    assert [v.name for v in verdicts] == [
        "Hypothesis #1", "Hypothesis #2", "Last input only", "Known wrong"]
    taught = enrich_all(checker, claims, verdicts, limit=1)
    assert [v.hints is not None for v in taught] == [False, False, True, False]
    assert taught[2].sweep is not None  # its pictures' data too
    taught = enrich_all(checker, claims, verdicts)
    assert [v.hints is not None for v in taught] == [False, False, True, True]
