"""Notebooks (issue 9.4): the bundled example runs on a real Jupyter kernel and shows rich
results; ``harness check`` and ``pytest`` read notebooks and name cells in every message.

One real kernel run (a kernel starts in seconds and imports TensorFlow): the kernel is the
venv's own Python, described by a kernelspec made in a temporary folder, so no Jupyter
installation or user kernelspec is needed (a fresh clone in CI, as root, offline).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.collect import collect
from harness.ipynb import notebook_to_source

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "explore.ipynb"
KERNEL = "harness-test-python"


def _notebook(*cells: tuple[str, str]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": kind, "metadata": {}, "source": text,
         **({"outputs": [], "execution_count": None} if kind == "code" else {})}
        for kind, text in cells]})


TYPO_CELL = ('@hypothesis(PART_A, name="Typo")\n'
             "def typo(kernal, recurrent_kernel, xs):\n    return xs[-1]\n")
IMPORTS = ("code", "import numpy as np\nfrom harness import PART_A, hypothesis\n")
INTRO = ("markdown", "# My hypotheses\n\nMarkdown cells count too.")


def run_notebook(notebook: Any, home: Path, *, quiet_tensorflow: bool = True) -> Any:
    """Execute ``notebook`` top to bottom on a real IPython kernel of this Python (its
    kernelspec, IPython and Matplotlib folders in ``home``); the executed notebook."""
    from nbclient import NotebookClient

    spec_dir = home / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "harness test", "language": "python",
        "env": {"IPYTHONDIR": str(home / "ipython"), "MPLBACKEND": "Agg",
                "MPLCONFIGDIR": str(home / "mpl"), "KERAS_HOME": str(home / "keras"),
                "JUPYTER_PLATFORM_DIRS": "1"}}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(home))  # where the kernelspec is found
        patch.setenv("JUPYTER_RUNTIME_DIR", str(home / "runtime"))
        patch.setenv("JUPYTER_PLATFORM_DIRS", "1")
        if not quiet_tensorflow:
            # As on a student's machine: nothing quiets TensorFlow but the harness itself
            # (importing harness in this process has set it here).
            patch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
        client = NotebookClient(notebook, timeout=300, kernel_name=KERNEL,
                                resources={"metadata": {"path": str(home)}})
        client.execute()  # starts the kernel, runs every cell, shuts the kernel down
    return notebook


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The bundled example notebook, executed top to bottom on a real kernel."""
    import nbformat

    notebook = nbformat.read(EXAMPLE, as_version=4)
    notebook.cells += [nbformat.v4.new_code_cell(TYPO_CELL),  # a student's typo, at the end
                       nbformat.v4.new_code_cell("harness.check([typo, guess_2], hints=False)")]
    return run_notebook(notebook, tmp_path_factory.mktemp("kernel"), quiet_tensorflow=False)


def _outputs(notebook: Any, source_start: str) -> list[dict[str, Any]]:
    cells = [c for c in notebook.cells if c.cell_type == "code"
             and c.source.strip().startswith(source_start)]
    assert len(cells) == 1, source_start
    return list(cells[0].outputs)


def _rich(outputs: list[dict[str, Any]]) -> tuple[str, str]:
    results = [o for o in outputs if o["output_type"] == "execute_result"]
    assert len(results) == 1, outputs
    data = results[0]["data"]
    return data["text/html"], data["text/plain"]


def test_the_example_notebook_shows_a_refutation_with_its_counterexample(executed: Any) -> None:
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o["output_type"] == "error"]
    assert errors == []
    html, plain = _rich(_outputs(executed, "harness.check(guess_1)"))
    assert 'class="verdict verdict-refuted"' in html and "Guess 1 is refuted" in html
    assert "guess_1(kernel=np.array([[" in html  # the counterexample, as a call to paste
    assert '<table class="steps">' in html  # Keras's output after each step
    assert "<svg" in html  # the pictures, inline
    assert "Guess 1 is refuted" in plain and "guess_1(kernel=np.array(" in plain


def test_no_tensorflow_start_up_lines_in_the_notebook(executed: Any) -> None:
    """The first cell imports harness, then keras: TensorFlow's C++ start-up lines (CPU
    features, absl) never reach a cell's output."""
    streams = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
               if o["output_type"] == "stream" and c.source != TYPO_CELL]  # (its warning)
    first = _outputs(executed, "import harness")
    assert [o["output_type"] for o in first] == ["execute_result"]  # PART_A, nothing else
    noise = [o["text"] for o in streams
             if o["name"] == "stderr" or "absl" in o["text"] or "tensorflow" in o["text"]]
    assert noise == []


def test_the_fixed_guess_holds_and_the_record_is_as_expected(executed: Any) -> None:
    html, plain = _rich(_outputs(executed, '@hypothesis(PART_A, name="Guess 2")'))
    assert 'class="verdict verdict-holds"' in html and "Guess 2 holds" in plain
    html, plain = _rich(_outputs(executed, '@hypothesis(PART_A, name="Guess 1", refuted=True)'))
    assert "Guess 1 is refuted" in plain and "[ok] Guess 1" in plain and "[ok] Guess 2" in plain
    assert "(as recorded)" in html
    # functions defined in the kernel are named by their cell, not a made-up file
    assert "guess_2 in cell In [" in plain


def test_a_typo_in_a_kernel_cell_warns_at_once_and_checks_as_an_error(executed: Any) -> None:
    (warning,) = [o for o in _outputs(executed, '@hypothesis(PART_A, name="Typo")')
                  if o["output_type"] == "stream"]
    assert "ClaimWarning" in warning["text"] and "did you mean 'kernel'?" in warning["text"]
    assert "Traceback" not in warning["text"]
    html, plain = _rich(_outputs(executed, "harness.check([typo, guess_2]"))
    assert "Typo could not be checked" in plain and "Guess 2 holds" in plain
    assert "cell In [" in plain and ", line 1: the formula typo has a parameter 'kernal'" in plain
    assert 'class="verdict verdict-error"' in html


def test_harness_check_names_the_cell_and_line_of_a_syntax_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "explore.ipynb"
    path.write_text(_notebook(INTRO, IMPORTS, (
        "code", "@hypothesis(PART_A)\ndef f(kernel, recurrent_kernel, xs:\n    return xs\n")))
    assert main(["check", str(path), "--report-dir", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert "explore.ipynb, cell 3, line 2 has a syntax error" in out
    assert "def f(kernel, recurrent_kernel, xs:" in out
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert any("explore.ipynb, cell 3, line 2" in json.dumps(r) for r in report)


def test_claims_and_import_errors_in_a_notebook_name_cell_and_line(tmp_path: Path) -> None:
    path = tmp_path / "explore.ipynb"
    path.write_text(_notebook(INTRO, IMPORTS, ("code", "model = build_keras_model()\n"), (
        "code", "N = 2\n\n@hypothesis(PART_A, name='h')\ndef h(xs):\n    return xs[-1] * N\n")))
    found = collect([tmp_path])
    assert found.failures == []
    (claim,) = found.claims
    assert claim.file == f"{path}, cell 4" and claim.line == 3
    broken = tmp_path / "broken.ipynb"
    broken.write_text(_notebook(IMPORTS, ("code", "x = 1\n\nimport no_such_module_here\n")))
    (failure,) = collect([broken]).failures
    assert "broken.ipynb, cell 2, line 3" in failure.message
    assert "No module named 'no_such_module_here'" in failure.message


def test_the_converted_notebook_keeps_the_cells_line_numbers() -> None:
    source = notebook_to_source(EXAMPLE.read_bytes(), "explore.ipynb")
    assert "keras" not in source.replace("harness", "")  # the exploration never runs
    namespace: dict[str, Any] = {}
    exec(compile(source, "explore.py", "exec"), namespace)
    code = namespace["guess_2"].__code__
    assert (code.co_filename, code.co_firstlineno) == ("explore.ipynb, cell 12", 1)


def test_pytest_collects_notebooks_in_a_hypotheses_folder(pytester: pytest.Pytester) -> None:
    folder = pytester.mkdir("hypotheses")
    (folder / "explore.ipynb").write_text(_notebook(INTRO, IMPORTS, (
        "code", "@hypothesis(PART_A)\ndef first(xs):\n    return xs[-1]\n"), (
        "code", "@hypothesis(PART_A)\ndef second(xs):\n    return xs[0]\n")))
    result = pytester.runpytest("--collect-only", "-q", "hypotheses")
    result.stdout.fnmatch_lines(["hypotheses/explore.ipynb::first",
                                 "hypotheses/explore.ipynb::second"])
    assert result.ret == 0


def test_grading_names_the_notebook_cell_in_load_errors_and_finds_sources() -> None:
    """What the grading worker does with a converted notebook (without a sandbox here):
    the syntax error names the notebook's cell and line, never the converted file's."""
    from harness.engine.lookalike import function_source
    from harness.faults import describe_load_error

    data = _notebook(INTRO, IMPORTS, ("code", "@hypothesis(PART_A)\ndef f(xs:\n    return xs\n"))
    converted = notebook_to_source(data.encode(), "bob.ipynb")
    with pytest.raises(SyntaxError) as caught:
        exec(compile(converted, "bob.py", "exec"), {})
    message = describe_load_error(Path("bob.py"), caught.value)
    assert message.startswith("bob.ipynb, cell 3, line 2 has a syntax error")
    good = _notebook(IMPORTS, ("markdown", "x"), (
        "code", "\n@hypothesis(PART_A)\ndef g(xs):\n    return xs[0]\n"))
    files = [("alice.py", notebook_to_source(good.encode(), "alice.ipynb").encode())]
    assert function_source(files, "alice.ipynb, cell 3", "g", 2) == (
        "@hypothesis(PART_A)\ndef g(xs):\n    return xs[0]")


def test_check_explains_what_it_needs_and_shows_files_that_did_not_load(tmp_path: Path) -> None:
    import harness
    from harness.errors import UsageError

    with pytest.raises(UsageError, match="Did you forget the @hypothesis"):
        harness.check(len)
    path = tmp_path / "explore.ipynb"
    path.write_text(_notebook(INTRO, IMPORTS, ("code", "@hypothesis(PART_A)\ndef f(xs:\n")))
    result = harness.check(path)
    assert not result.ok and len(result) == 0
    assert "explore.ipynb, cell 3, line 2 has a syntax error" in str(result)
    page = result._repr_html_()
    assert "explore.ipynb: cell 3 could not be run" in page and "cell 3, line 2" in page


def test_the_kernel_session_shares_one_oracle_and_keeps_few_checkers() -> None:
    """``harness.check`` in a loop over seeds builds each Keras layer once (one oracle)
    and keeps only the most recent settings' checkers."""
    from harness.engine.checker import CheckSettings
    from harness.notebook import KEPT_CHECKERS, Session

    session = Session()
    first = session.checker(CheckSettings(seed=0))
    assert session.checker(CheckSettings(seed=0)) is first
    later = [session.checker(CheckSettings(seed=seed)) for seed in range(1, KEPT_CHECKERS + 3)]
    assert all(checker.oracle is first.oracle for checker in later)
    assert session.checker(CheckSettings(seed=KEPT_CHECKERS + 2)) is later[-1]
    again = session.checker(CheckSettings(seed=0))  # forgotten: made again, same oracle
    assert again is not first and again.oracle is first.oracle


def test_a_check_with_a_where_condition_leaves_no_memo_behind() -> None:
    """Each run of a notebook cell makes a new ``where=`` function: the session's checker
    forgets it after the check, so a long session's memory does not grow with re-runs."""
    from harness import PART_A, check, hypothesis
    from harness.notebook import SESSION

    @hypothesis(PART_A, where=lambda xs: len(xs) > 1, refuted=True)
    def last_input(kernel, xs):  # type: ignore[no-untyped-def]
        return xs[-1] @ kernel

    result = check(last_input, cases=30, hints=False)
    assert [str(v.kind) for v in result] == ["refuted"]
    checker = SESSION.checker(result.settings)
    memos: tuple[dict[Any, Any], ...] = (checker._screens, checker._fresh, checker._searches,
                                         checker._seeds)
    assert not [key for memo in memos for key in memo if key[1][2] is not None]
