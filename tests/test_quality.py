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
        "GRU", "LSTM", "PART_A", "PART_B", "PART_C", "Claim", "HarnessError", "LayerSpec",
        "SimpleRNN", "__version__", "hypothesis"])
    for name in harness.__all__:
        assert hasattr(harness, name)


def test_ruff_clean() -> None:
    result = subprocess.run([_tool("ruff"), "check", "harness", "tests", "hypotheses",
                             "benchmarks"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
