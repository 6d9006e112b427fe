"""The grader's part of the pytest plugin: ``pytest --harness-assignment FILE`` adds, after
the harness's verdicts, what the grader would count for that assignment
(:mod:`harness.grading.preview`).

Its own ``pytest11`` entry point (the front end's plugin, :mod:`harness.plugin`, may not
import grading), loaded by pytest in every run like that one: importing it imports
nothing but pytest, and it registers one ``--harness-*`` option; everything else is
imported in the hooks, only when the option is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.grading.assignment import Assignment

ASSIGNMENT: pytest.StashKey[Assignment] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "RNN hypothesis harness")
    group.addoption("--harness-assignment", dest="harness_assignment", default=None,
                    metavar="FILE", help="also show what the grader would count for this "
                    "assignment (TOML): exercises, wrong claims, points (its seed and cases "
                    "unless --harness-seed / --harness-cases say otherwise)")


@pytest.hookimpl(trylast=True)  # after harness.plugin made the run's session
def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("harness_assignment", None)
    if path is None:
        return
    from dataclasses import replace

    from harness.errors import HarnessError
    from harness.grading.assignment import load_assignment
    from harness.plugin import SESSION

    try:
        rules = load_assignment(path)
    except HarnessError as exc:
        raise pytest.UsageError(f"--harness-assignment: {exc}") from None
    state = config.stash.get(SESSION, None)
    if state is None:  # the harness's own plugin is off (-p no:harness): nothing to count
        return
    config.stash[ASSIGNMENT] = rules
    given = {name: config.getoption(name) is not None or bool(str(config.getini(name)).strip())
             for name in ("harness_seed", "harness_cases")}
    state.settings = replace(state.settings,
                             seed=state.settings.seed if given["harness_seed"] else rules.seed,
                             cases=state.settings.cases if given["harness_cases"]
                             else rules.cases)


@pytest.hookimpl(trylast=True)  # after the harness's own section
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    rules = config.stash.get(ASSIGNMENT, None)
    if rules is None:
        return
    from harness.grading.preview import preview, preview_lines
    from harness.plugin import SESSION

    state = config.stash.get(SESSION, None)
    if state is None or not (state.verdicts or state.failures):
        return
    terminalreporter.write_line("")
    shown = preview(rules, state.claims, state.verdicts, state.failures, state.checker)
    for line in preview_lines(shown):
        terminalreporter.write_line(line)
