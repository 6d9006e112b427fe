"""Tooling promises: ruff and mypy clean, a small public API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed next to {sys.executable}: pip install -e '.[dev]'"
    return found


def test_public_api_is_small_and_explicit() -> None:
    assert sorted(harness.__all__) == sorted([
        "GRU", "LSTM", "PART_A", "PART_B", "PART_C", "CheckResult", "Claim", "HarnessError",
        "Layer", "LayerSpec", "SimpleRNN", "__version__", "check", "explore", "hypothesis"])
    for name in harness.__all__:
        assert hasattr(harness, name)


def test_ruff_clean() -> None:
    result = subprocess.run([_tool("ruff"), "check", "harness", "tests", "benchmarks"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_students_files_are_not_the_projects_to_lint_or_test() -> None:
    """hypotheses/ is the student's folder: adding to it must not turn the suite red."""
    linted = subprocess.run([_tool("ruff"), "check", "--show-files", "."], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout
    assert "/harness/" in linted and "/hypotheses/" not in linted
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                                "-p", "no:randomly"], cwd=ROOT, capture_output=True,
                               text=True, check=False).stdout
    assert "tests/test_quality.py" in collected
    assert "hypotheses/" not in collected.replace("tests/bundled/", "")


def test_linters_are_pinned() -> None:
    """A new ruff or mypy release must not turn CI red by itself."""
    text = (ROOT / "pyproject.toml").read_text()
    for tool in ("ruff", "mypy"):
        assert f'"{tool}==' in text


def test_mypy_clean() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
