"""Shared fixtures: one Keras oracle for the whole session, so each layer is compiled once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system's Chromium, driven by Playwright, for a module's page tests (skipped
    without it unless HARNESS_REQUIRE_BROWSER=1: see ``test_pages_browser.need_browser``)."""
    from test_pages_browser import ARGS, CHROMIUM, need_browser

    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()
