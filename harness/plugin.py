"""The pytest plugin: ``pytest hypotheses/`` checks every hypothesis as a test.

Registered through the ``pytest11`` entry point, so pytest loads it in every run
where the harness is installed: importing it imports nothing but pytest and
:mod:`harness.settings` (as Hypothesis's own plugin does, everything else is
imported in the hooks that need it), and it registers only ``--harness-*``
options.  It only collects ``.py`` files and notebooks inside a folder named
``hypotheses`` (ini ``harness_dirs``), or below one (``hypotheses/course/``),
that import the harness (read by parsing the file, never by running it), so no
other test suite is collected differently.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.settings import (
    DEFAULT_BUDGET,
    DEFAULT_CASES,
    DEFAULT_SEED,
    MAX_BUDGET,
    MAX_CASES,
    CheckSettings,
)

if TYPE_CHECKING:
    from harness.claims import Claim
    from harness.engine.checker import Checker
    from harness.verdict import LoadFailure, Verdict


class Refuted(Exception):
    """The hypothesis disagrees with Keras (expected when recorded ``refuted=True``)."""

    def __init__(self, verdict: Verdict) -> None:
        from harness.sentences import verdict_sentence

        super().__init__(verdict_sentence(verdict.name, verdict))
        self.verdict = verdict


class NotCheckable(Exception):
    """The hypothesis could not be checked (formula error) or its file did not import."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass
class HarnessSession:
    """Per-run state, kept on ``config.stash``."""

    settings: CheckSettings
    report_dir: Path
    verdicts: list[Verdict] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)
    #: The claim of each verdict, same order (for grading's --harness-assignment).
    claims: list[Claim] = field(default_factory=list)
    hints: bool = True
    hint_seconds: float = DEFAULT_BUDGET
    taught: int = 0  # hypotheses given hints and pictures so far (at most extras.LIMIT)
    _checker: Checker | None = None

    @property
    def checker(self) -> Checker:
        """The run's checker, made (and the checker imported) for the first hypothesis."""
        if self._checker is None:
            from harness.engine.checker import Checker

            self._checker = Checker(self.settings)
        return self._checker


SESSION = pytest.StashKey[HarnessSession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "RNN hypothesis harness")
    group.addoption("--harness-report-dir", dest="harness_report_dir",
                    default=None, help="where to write report.md/.csv/.html/.json "
                    "(default: reports/ under the rootdir)")
    group.addoption("--harness-seed", dest="harness_seed", type=int, default=None,
                    help=f"seed for the cases drawn (default {DEFAULT_SEED})")
    group.addoption("--harness-cases", dest="harness_cases", type=int, default=None,
                    help=f"cases checked per hypothesis, 1 to {MAX_CASES} "
                         f"(default {DEFAULT_CASES})")
    group.addoption("--harness-no-hints", dest="harness_hints", action="store_false",
                    default=True, help="do not look for hints (where a refuted hypothesis "
                    "holds)")
    group.addoption("--harness-hint-seconds", dest="harness_hint_seconds", type=float,
                    default=DEFAULT_BUDGET, help="most seconds spent looking for one "
                    f"hypothesis's hints (default {DEFAULT_BUDGET:g})")
    parser.addini("harness_report_dir", "where the harness writes its report", default="")
    parser.addini("harness_seed", "seed for the cases drawn", default="")
    parser.addini("harness_cases", "cases checked per hypothesis", default="")
    parser.addini("harness_dirs", "folder names holding hypothesis files", type="args",
                  default=["hypotheses"])


def pytest_configure(config: pytest.Config) -> None:
    seed = _option(config, "harness_seed", DEFAULT_SEED)
    cases = _option(config, "harness_cases", DEFAULT_CASES)
    if not 1 <= cases <= MAX_CASES:
        raise pytest.UsageError(f"--harness-cases must be a whole number from 1 to {MAX_CASES}. "
                                f"Received: {cases}.")
    report = config.getoption("harness_report_dir") or config.getini("harness_report_dir")
    report_dir = Path(report) if report else config.rootpath / "reports"
    hint_seconds = config.getoption("harness_hint_seconds")
    if not 0 <= hint_seconds <= MAX_BUDGET:
        raise pytest.UsageError(f"--harness-hint-seconds must be a number of seconds from 0 "
                                f"to {MAX_BUDGET:g}. Received: {hint_seconds}.")
    config.stash[SESSION] = HarnessSession(CheckSettings(seed=seed, cases=cases), report_dir,
                                           hints=config.getoption("harness_hints"),
                                           hint_seconds=hint_seconds)


def pytest_report_header(config: pytest.Config) -> str:
    """The seed in the header, to run the same cases again (as pytest-randomly does)."""
    settings = config.stash[SESSION].settings
    return (f"harness: seed {settings.seed}, {settings.cases} cases per hypothesis "
            f"(--harness-seed, --harness-cases)")


def _option(config: pytest.Config, name: str, default: int) -> int:
    value = config.getoption(name)
    if value is None:
        text = str(config.getini(name)).strip()
        try:
            value = int(text) if text else default
        except ValueError:
            raise pytest.UsageError(f"ini option {name} must be a whole number. "
                                    f"Received: {text!r}.") from None
    return int(value)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    if is_hypothesis_file(file_path, parent.config):
        return HypothesisFile.from_parent(parent, path=file_path)
    return None


def is_hypothesis_file(path: Path, config: pytest.Config) -> bool:
    """A ``.py`` file or notebook (``.ipynb``) in a hypotheses folder that uses the harness."""
    if (path.suffix not in (".py", ".ipynb") or path.name.startswith(("_", "."))
            or path.name == "conftest.py"):
        return False
    if not _in_hypotheses_folder(path, config):
        return False
    return imports_harness(path)


#: An import of the harness on a line of its own, for text that does not parse.
_IMPORT = r"(?:from\s+harness[\s.]|import\s+(?:[\w.]+(?:\s+as\s+\w+)?\s*,\s*)*harness\b)"
_IMPORT_LINE = re.compile(r"^\s*" + _IMPORT, re.MULTILINE)
#: The same inside a notebook's JSON (each source line is a quoted string).
_IMPORT_TEXT = re.compile(_IMPORT)


def imports_harness(path: Path) -> bool:
    """True when the file imports the harness (``import harness``, ``from harness import
    ...``, ``from harness.x import ...``, anywhere in it), read by parsing it, never by
    running it.  Code that does not parse (a syntax error, a notebook cell with IPython
    magics) is judged by its import lines, so a student's broken file is still
    collected and its error shown; a file that only mentions the word is not."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if path.suffix != ".ipynb":
        return _code_imports_harness(data.decode("utf-8", errors="replace"))
    from harness.ipynb import NotebookError, code_cells

    try:
        cells = code_cells(data, path.name)
    except NotebookError:  # collected, so the student sees why it cannot be read
        return _IMPORT_TEXT.search(data.decode("utf-8", errors="replace")) is not None
    return any(_code_imports_harness(text) for _, text in cells)


def _code_imports_harness(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _IMPORT_LINE.search(text) is not None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name.split(".")[0] == "harness" for name in names):
            return True
    return False


def _in_hypotheses_folder(path: Path, config: pytest.Config) -> bool:
    """The file's folder is named in ``harness_dirs``, or lies below such a folder inside
    the rootdir (``hypotheses/course/``)."""
    names = set(config.getini("harness_dirs"))
    try:
        folders = path.parent.relative_to(config.rootpath).parts
    except ValueError:
        folders = ()
    return path.parent.name in names or any(folder in names for folder in folders)


class HypothesisFile(pytest.File):
    """A file of hypotheses: one item per ``@hypothesis`` function."""

    def collect(self) -> Iterator[pytest.Item]:
        from harness.collect import load_file

        found = load_file(self.path)
        names: set[str] = set()
        for failure in found.failures:  # the whole file, or a notebook's cell
            yield LoadFailureItem.from_parent(self, name=_unique("import", names),
                                              failure=failure)
        for claim in found.claims:  # broken ones too: each fails with its own error
            yield HypothesisItem.from_parent(self, name=_unique(claim.function, names),
                                             claim=claim)


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name[2]``, ``name[3]``, ... when an item already has it."""
    number, unique = 1, name
    while unique in taken:
        number += 1
        unique = f"{name}[{number}]"
    taken.add(unique)
    return unique


class _NotATestModule(pytest.Module):
    """What pytest's own Python collector gets for a hypothesis file named on the command
    line (``pytest hypotheses/part_a.py``): nothing.  Otherwise it would import the file
    as a test module a second time, and a file that fails to import would end the run
    with a collection error instead of the harness's own items and report."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return []


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Any:
    """Only for a hypothesis file pytest would not collect as tests by its name
    (``python_files``): a ``test_*.py`` keeps its own tests."""
    patterns = parent.config.getini("python_files")
    if is_hypothesis_file(module_path, parent.config) and not any(
            fnmatch.fnmatch(module_path.name, pattern) for pattern in patterns):
        return _NotATestModule.from_parent(parent, path=module_path)
    return None


class HypothesisItem(pytest.Item):
    """One hypothesis, checked against the real Keras layer."""

    def __init__(self, *, claim: Claim, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claim = claim
        if claim.refuted:
            from harness.sentences import holds_but_recorded_refuted

            self.add_marker(pytest.mark.xfail(strict=True, raises=Refuted,
                                              reason=holds_but_recorded_refuted(claim.name)))

    def runtest(self) -> None:
        from harness.engine.extras import LIMIT, enrich, worth_teaching
        from harness.output.render import failure_text
        from harness.verdict import ERROR, REFUTED

        session = self.config.stash[SESSION]
        with warnings.catch_warnings():  # TensorFlow's own deprecation noise is not the
            warnings.simplefilter("ignore")  # student's business, even under -W error
            verdict = session.checker.check(self.claim)
            if worth_teaching(verdict) and session.taught < LIMIT:  # see harness.engine.extras
                session.taught += 1
                verdict = enrich(session.checker, self.claim, verdict, hints=session.hints,
                                 budget=session.hint_seconds)
        session.verdicts.append(verdict)
        session.claims.append(self.claim)
        if verdict.kind == REFUTED:
            raise Refuted(verdict)
        if verdict.kind == ERROR:
            raise NotCheckable(failure_text(verdict))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, Refuted):
            from harness.output.render import failure_text

            return failure_text(excinfo.value.verdict)
        if isinstance(excinfo.value, NotCheckable):
            return excinfo.value.text
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        from harness.faults import place

        where = place(self.claim.file, self.claim.line)
        if where.startswith("line"):  # a .py file: pytest shows the line itself
            return self.path, self.claim.line - 1, f"{self.claim.name} [{self.claim.shown}]"
        return self.path, None, f"{self.claim.name} [{self.claim.shown}] ({where})"


class LoadFailureItem(pytest.Item):
    """Stands for a hypothesis file that could not be imported, so the run goes on."""

    def __init__(self, *, failure: LoadFailure, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.failure = failure
        self.message = failure.message

    def runtest(self) -> None:
        self.config.stash[SESSION].failures.append(self.failure)
        raise NotCheckable(self.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, NotCheckable):
            return excinfo.value.text
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.path.name} (import)"


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(SESSION, None)
    if state is None or not (state.verdicts or state.failures):
        return
    from harness.engine.lookalike import group
    from harness.output.report import write_reports

    state.verdicts = group(state.verdicts)  # same_as: hypotheses that behave alike
    write_reports(state.report_dir, state.verdicts, state.failures, seed=state.settings.seed)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(SESSION, None)
    if state is None or not (state.verdicts or state.failures):
        return
    from harness.output.report import display_path, summaries, terminal_lines

    terminalreporter.section("RNN hypothesis harness")
    for line in terminal_lines(state.verdicts, state.failures):
        terminalreporter.write_line(line)
    terminalreporter.write_line("")
    for line in summaries(state.verdicts, state.failures):
        terminalreporter.write_line(line)
    terminalreporter.write_line(
        f"Seed {state.settings.seed}, {state.settings.cases} cases per hypothesis "
        f"(change with --harness-seed / --harness-cases). "
        f"Report: {display_path(str(state.report_dir / 'report.md'))}")
