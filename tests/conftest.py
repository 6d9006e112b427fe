"""Shared fixtures: one Keras oracle for the whole session, so each layer is compiled once."""

from __future__ import annotations

import pytest

from harness.engine.checker import Checker, CheckSettings
from harness.engine.oracle import Oracle


@pytest.fixture(scope="session")
def oracle() -> Oracle:
    """The session's one oracle (real Keras layers, memoised outputs)."""
    return Oracle()


@pytest.fixture(scope="session")
def checker(oracle: Oracle) -> Checker:
    """A checker with the default settings, on the shared oracle."""
    return Checker(oracle=oracle)


@pytest.fixture(scope="session")
def fast_checker(oracle: Oracle) -> Checker:
    """Fewer cases per claim, for grids of true formulas (same oracle)."""
    return Checker(CheckSettings(cases=60, drawn=20, search=100), oracle=oracle)
