"""The pytest plugin, driven through pytester."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PART_A_FILE = '''
import numpy as np
from harness import PART_A, hypothesis

@hypothesis(PART_A, name="Hypothesis #1", refuted=True)
def hypothesis_1(kernel, recurrent_kernel, xs):
    inputs = xs[:, 0] * kernel[0, 0]
    return inputs[-1] + recurrent_kernel[0, 0] * inputs[:-1].sum()

@hypothesis(PART_A, name="Hypothesis #2")
def hypothesis_2(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
'''

WRONG_FILE = '''
import numpy as np
from harness import PART_A, hypothesis

@hypothesis(PART_A, name="Swapped weights")
def swapped(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ recurrent_kernel + h @ kernel
    return h
'''


@pytest.fixture(autouse=True, scope="module")
def _keras_loaded_once() -> None:
    """pytester's in-process runs restore sys.modules afterwards; TensorFlow cannot be
    imported twice in one process, so load it out here, before the first inner run."""
    from harness.course import PART_A
    from harness.engine.oracle import keras_layer

    keras_layer(PART_A)


def write(pytester: pytest.Pytester, name: str, source: str) -> None:
    folder = pytester.path / "hypotheses"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(source))


def test_bundled_style_file_passes_and_writes_report(pytester: pytest.Pytester) -> None:
    write(pytester, "part_a.py", PART_A_FILE)
    result = pytester.runpytest("hypotheses")
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines([
        "*RNN hypothesis harness*",
        "*part_a.py: Hypothesis #1 is refuted (as recorded); Hypothesis #2 holds.*",
    ])
    records = json.loads((pytester.path / "reports" / "report.json").read_text())
    assert {r["name"]: r["verdict"] for r in records} == {
        "Hypothesis #1": "refuted", "Hypothesis #2": "holds"}
    for name in ("report.md", "report.csv", "report.html"):
        assert (pytester.path / "reports" / name).stat().st_size > 0


def test_refuted_hypothesis_fails_with_minimal_counterexample(pytester: pytest.Pytester) -> None:
    write(pytester, "wrong.py", WRONG_FILE)
    result = pytester.runpytest("hypotheses")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "Swapped weights is refuted" in out
    assert "swapped(kernel=np.array(" in out  # the failing call, ready to paste
    assert "recurrent_kernel=" in out and "xs=" in out
    assert "Keras output:" in out and "hypothesis output:" in out and "difference:" in out
    assert "Tried " in out and "cases (seed " in out
    assert "harness probe 'SimpleRNN(" in out
    assert "harness/engine/checker.py" not in out and "Traceback" not in out


def test_recorded_refuted_that_holds_fails_strictly(pytester: pytest.Pytester) -> None:
    write(pytester, "part_a.py", PART_A_FILE.replace(
        'name="Hypothesis #2")', 'name="Hypothesis #2", refuted=True)'))
    result = pytester.runpytest("hypotheses")
    result.assert_outcomes(failed=1, xfailed=1)
    assert "XPASS(strict)" in result.stdout.str()


def test_error_verdict_and_import_failure_do_not_stop_others(
        pytester: pytest.Pytester) -> None:
    write(pytester, "part_a.py", PART_A_FILE)
    write(pytester, "broken.py", "from harness import PART_A\ndef oops(:\n    pass\n")
    write(pytester, "raises.py", '''
        from harness import PART_A, hypothesis

        @hypothesis(PART_A, name="Divides")
        def divides(kernel, xs):
            return 1 / 0
        ''')
    result = pytester.runpytest("hypotheses")
    result.assert_outcomes(passed=1, xfailed=1, failed=2)
    out = result.stdout.str()
    assert "broken.py could not be read: line 2 has a syntax error" in out
    assert "Divides could not be checked: it raised ZeroDivisionError" in out
    assert "Interrupted" not in out
    records = json.loads((pytester.path / "reports" / "report.json").read_text())
    assert sorted(r["verdict"] for r in records) == ["error", "error", "holds", "refuted"]


def test_report_dir_option_and_seed(pytester: pytest.Pytester) -> None:
    write(pytester, "part_a.py", PART_A_FILE)
    result = pytester.runpytest("hypotheses", "--harness-report-dir", "out", "--harness-seed", "7")
    result.assert_outcomes(passed=1, xfailed=1)
    assert "Seed 7," in result.stdout.str()
    assert (pytester.path / "out" / "report.json").exists()
    assert not (pytester.path / "reports").exists()


def test_other_suites_are_collected_as_before(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    write(pytester, "notes.py", "X = 1  # a hypotheses folder that does not use the harness\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "RNN hypothesis harness" not in result.stdout.str()
    assert not (pytester.path / "reports").exists()


def test_importing_harness_and_plugin_stays_light() -> None:
    code = ("import sys, harness, harness.plugin, harness.cli, harness.output.report\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_importing_the_plugin_after_pytest_imports_nothing_heavy() -> None:
    """pytest loads the plugins (the harness's and grading's ``--harness-assignment``) in
    every run where the harness is installed: NumPy,
    Hypothesis and the rest are imported only by the hooks that check something."""
    heavy = ("numpy", "hypothesis", "tensorflow", "keras", "pandas", "matplotlib")
    code = ("import sys, pytest, harness.plugin, harness.grading.plugin\n"
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_files_are_collected_by_their_imports_not_their_text(
        pytester: pytest.Pytester) -> None:
    write(pytester, "part_a.py", PART_A_FILE)
    write(pytester, "nested.py", PART_A_FILE.replace(
        "from harness import PART_A, hypothesis",
        "try:\n    from harness.course import PART_A\n    from harness import hypothesis\n"
        "finally:\n    pass"))
    write(pytester, "notes.py", '"""Notes on the harness: it judges with Keras."""\n'
                                "HARNESS = 'harness'  # import harness later\n")
    write(pytester, "broken.py", "import numpy as np, harness\ndef oops(:\n    pass\n")
    result = pytester.runpytest("hypotheses", "--collect-only", "-q")
    out = result.stdout.str()
    assert "part_a.py::hypothesis_1" in out and "nested.py::hypothesis_2" in out
    assert "broken.py::import" in out  # does not parse: its import line decides
    assert "notes.py" not in out


def test_only_harness_options_and_the_seed_in_the_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("--harness-seed", "7", "--harness-cases", "30")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["harness: seed 7, 30 cases per hypothesis*"])
    refused = pytester.runpytest("--report-dir", "out")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert "unrecognized arguments: --report-dir" in refused.stderr.str()
