"""A broken hypothesis never sinks its neighbours (issue 15, item 1).

A mistake in one ``@hypothesis(...)`` (a misspelt parameter, a bad ``fixed=``, a
layer name that does not exist) is that hypothesis's ``error`` verdict, with its
file and line (cell and line in a notebook); every other hypothesis of the file
is checked.  The same in every entry point: ``harness check``, ``pytest`` on the
folder and on the one file, ``harness.check``; grading has its own tests
(``test_grading_broken.py``).  A file that cannot be imported at all is reported
with its line and never stops the other files.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness import PART_A, check, hypothesis
from harness.claims import claim_of
from harness.cli import main
from harness.collect import collect, load_file
from harness.errors import ClaimWarning

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

RIGHT_A = '''
@hypothesis(PART_A, name="right A")
def right_a(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
'''
RIGHT_B = RIGHT_A.replace("PART_A", "PART_B").replace("right A", "right B").replace(
    "right_a", "right_b").replace("zeros(1)", "zeros(2)")
TYPO = '''
@hypothesis(PART_A, name="typo", fixed={"recurent_kernel": [[0]]})
def typo(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel
'''
HEADER = "import numpy as np\nfrom harness import PART_A, PART_B, hypothesis\n"
#: A file whose second hypothesis has a misspelt fixed= key (line 12).
MIXED = HEADER + RIGHT_A + TYPO + RIGHT_B
TYPO_MESSAGE = ("mixed.py, line 11: fixed= names 'recurent_kernel', which PART_A does not "
                "have; did you mean 'recurrent_kernel'?")


def _notebook(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                                  "execution_count": None, "source": text}
                                 for text in cells], "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5})


#: A notebook: imports, a right Part A, a typo cell, a half-written cell, a right Part B.
NOTEBOOK = _notebook([HEADER, RIGHT_A, TYPO, "@hypothesis(PART_A\ndef half(kernel, xs):\n",
                      RIGHT_B])


@pytest.fixture(scope="module", autouse=True)
def _keras_loaded_once() -> None:
    """pytester's in-process runs restore sys.modules; TensorFlow loads once, here."""
    from harness.engine.oracle import keras_layer

    keras_layer(PART_A)


def _folder(root: Path) -> Path:
    folder = root / "hypotheses"
    folder.mkdir()
    (folder / "mixed.py").write_text(MIXED)
    (folder / "explore.ipynb").write_text(NOTEBOOK)
    return folder


def _verdicts(records: list[dict[str, Any]]) -> dict[str, str]:
    return {r["name"]: r["verdict"] for r in records}


# ---- what loading gives ------------------------------------------------------------------


def test_a_file_with_one_typo_loads_every_hypothesis(tmp_path: Path) -> None:
    found = load_file(_folder(tmp_path) / "mixed.py")
    assert found.failures == []
    assert [(c.name, c.error is None) for c in found.claims] == [
        ("right A", True), ("typo", False), ("right B", True)]
    assert (found.claims[1].error or "").startswith(TYPO_MESSAGE)


def test_a_notebook_cell_that_fails_skips_only_itself(tmp_path: Path) -> None:
    found = load_file(_folder(tmp_path) / "explore.ipynb")
    assert [c.name for c in found.claims] == ["right A", "typo", "right B"]
    assert (found.claims[1].error or "").startswith(
        "explore.ipynb, cell 3, line 2: fixed= names 'recurent_kernel'")
    (failure,) = found.failures
    assert failure.cell == 4 and failure.what == "cell 4 could not be run"
    assert failure.message.startswith("explore.ipynb, cell 4, line 1 has a syntax error")
    assert "the other cells were run" in failure.message


@pytest.mark.parametrize(("line", "words"), [
    ("@hypothesis(PART_a)", "NameError: name 'PART_a' is not defined; did you mean 'PART_A'?"),
    ("@hypothesis(SimpleRNN(units=1, activation='tanhh'))", "activation"),
    ("@hypothesis(PART_A, fixed={'kernel': [[w]]})", "name 'w' is not defined"),
    ("@hypothesis()", "TypeError"),
], ids=["misspelt preset", "layer constructor refuses", "undefined name", "no layer"])
def test_a_declaration_that_raises_is_that_hypothesis_s_error(tmp_path: Path, line: str,
                                                              words: str) -> None:
    path = tmp_path / "part_a.py"
    path.write_text("from __future__ import annotations\n" + HEADER
                    + "from harness import SimpleRNN\n\n\n" + line + "\n"
                    + "def broken(kernel, recurrent_kernel, xs):\n    return xs\n"
                    + RIGHT_A)
    found = load_file(path)
    assert found.failures == []
    assert [c.name for c in found.claims] == ["broken", "right A"]
    message = found.claims[0].error or ""
    assert message.startswith("part_a.py, line 7: ") and words in message


def test_a_file_that_cannot_be_imported_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(HEADER + RIGHT_A)
    (tmp_path / "b.py").write_text(HEADER + "\nimport not_a_module_anywhere\n" + RIGHT_B)
    (tmp_path / "c.py").write_text(HEADER + "\nlayer = PART_C\n" + RIGHT_B)
    found = collect([tmp_path])
    assert [c.name for c in found.claims] == ["right A"]
    assert [Path(f.file).name for f in found.failures] == ["b.py", "c.py"]
    assert "at line 4: import not_a_module_anywhere" in found.failures[0].message
    assert "at line 4: layer = PART_C" in found.failures[1].message
    assert found.failures[0].what == "the file could not be imported"


# ---- every entry point ---------------------------------------------------------------------


def test_harness_check_gives_every_other_hypothesis_its_verdict(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path)
    code = main(["check", str(folder), "--report-dir", str(tmp_path / "reports"),
                 "--cases", "40", "--no-hints"])
    out = capsys.readouterr().out
    assert code == 1
    records = json.loads((tmp_path / "reports" / "report.json").read_text())
    verdicts = [(r["file"].rsplit("/", 1)[-1], r["name"], r["verdict"]) for r in records]
    for file in ("explore.ipynb, cell 2", "mixed.py"):
        assert (file, "right A", "holds") in verdicts
    assert ("mixed.py", "typo", "error") in verdicts
    assert ("explore.ipynb, cell 5", "right B", "holds") in verdicts
    assert TYPO_MESSAGE in out
    assert "explore.ipynb, cell 4, line 1 has a syntax error" in out


def test_pytest_on_the_folder_and_on_the_file(pytester: pytest.Pytester) -> None:
    _folder(pytester.path)
    for target in ("hypotheses", "hypotheses/mixed.py"):
        result = pytester.runpytest(target, "--harness-cases", "40", "--harness-no-hints")
        text = result.stdout.str()
        assert "error during collection" not in text and "Traceback" not in text
        assert "claims.py" not in text and "scope.py" not in text
        result.assert_outcomes(passed=4 if target == "hypotheses" else 2,
                               failed=3 if target == "hypotheses" else 1)
        assert TYPO_MESSAGE in text
        records = json.loads((pytester.path / "reports" / "report.json").read_text())
        assert _verdicts(records)["typo"] == "error"
        assert _verdicts(records)["right B"] == "holds"
        (pytester.path / "reports" / "report.json").unlink()
    # a file that cannot be imported at all: one clean failure with its line, and a report
    (pytester.path / "hypotheses" / "scratch.py").write_text(HEADER + "def half(xs:\n")
    result = pytester.runpytest("hypotheses/scratch.py")
    result.assert_outcomes(failed=1)
    assert "error during collection" not in result.stdout.str()
    assert "scratch.py could not be read: line 3 has a syntax error" in result.stdout.str()
    records = json.loads((pytester.path / "reports" / "report.json").read_text())
    assert [r["name"] for r in records] == ["(file could not be imported)"]


def test_harness_check_in_a_notebook_on_a_path_and_on_functions(tmp_path: Path) -> None:
    result = check(_folder(tmp_path) / "explore.ipynb", cases=40, hints=False)
    assert [(v.name, v.kind) for v in result] == [
        ("right A", "holds"), ("typo", "error"), ("right B", "holds")]
    assert [f.what for f in result.failures] == ["cell 4 could not be run"]
    assert "cell 4 could not be run" in result._repr_html_()

    with pytest.warns(ClaimWarning, match="did you mean 'kernel'"):  # said at once

        @hypothesis(PART_A, name="misspelt")
        def misspelt(kernal, recurrent_kernel, xs):
            return xs

    fine = hypothesis(PART_A, name="fine")(_rnn)
    both = check([misspelt, fine], cases=40, hints=False)
    assert [(v.name, v.kind) for v in both] == [("misspelt", "error"), ("fine", "holds")]
    assert "did you mean 'kernel'?" in str(both)
    claim = claim_of(misspelt)
    assert claim is not None and claim.error is not None
    assert claim.error.startswith("test_broken_hypotheses.py, line ")


def _rnn(kernel: Any, recurrent_kernel: Any, xs: Any) -> Any:
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


def test_a_future_import_still_applies_to_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "typed.py"
    path.write_text("from __future__ import annotations\n" + HEADER + textwrap.dedent('''
        @hypothesis(PART_A, name="annotated")
        def annotated(kernel: NotDefinedAnywhere, recurrent_kernel, xs) -> Nowhere:
            return xs[-1]
        '''))
    (claim,) = load_file(path).claims  # annotations stay text: no NameError
    assert claim.error is None and claim.params == ("kernel", "recurrent_kernel", "xs")
