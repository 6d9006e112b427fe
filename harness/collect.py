"""Finding hypotheses: import hypothesis files and gather their claims.

A file runs statement by statement (:mod:`harness.execute`): a broken
``@hypothesis`` is that hypothesis's ``error`` (a claim whose ``error`` says
why), and the file's other hypotheses are checked.  A file that cannot be
imported (syntax error, an import or top-level code that fails) becomes a
:class:`LoadFailure` with its line and checks nothing; in a notebook, a cell
that fails is a :class:`LoadFailure` and the other cells still run.  Neither
ever stops the other files.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
import types
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.claims import Claim, claims_in, collecting, location
from harness.errors import HarnessError, UsageError
from harness.execute import run_source
from harness.ipynb import parse_cell_name

#: What counts as a hypothesis file.
SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class LoadFailure:
    """A hypothesis file that could not be imported, or a notebook cell that could not be
    run (``cell``: its number; the other cells ran), and why."""

    file: str
    message: str
    cell: int | None = None

    @property
    def what(self) -> str:
        """``the file could not be imported`` / ``cell 5 could not be run``."""
        if self.cell is None:
            return "the file could not be imported"
        return f"cell {self.cell} could not be run"


@dataclass
class Collection:
    """Claims found, and files that failed to load, in file order."""

    claims: list[Claim] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)


def hypothesis_files(paths: Iterable[str | Path]) -> list[Path]:
    """``.py`` and ``.ipynb`` files named directly, or found in folders named and their
    sub-folders (as ``pytest hypotheses/`` collects ``hypotheses/course/``); names
    starting with ``_`` or ``.`` are left out (``__pycache__``, ``.ipynb_checkpoints``)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(_files_below(path))
        elif path.is_file() and path.suffix in SUFFIXES:
            files.append(path)
        else:
            raise UsageError(f"{raw} is not a hypothesis file (.py or .ipynb) or a folder "
                             "of them.")
    return list(dict.fromkeys(p.resolve() for p in files))


def _files_below(folder: Path) -> list[Path]:
    """The folder's hypothesis files, then its sub-folders', each in name order."""
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith(("_", ".")))
    files = [p for p in entries if p.is_file() and p.suffix in SUFFIXES]
    for sub in (p for p in entries if p.is_dir() and not p.is_symlink()):
        files.extend(_files_below(sub))
    return files


def collect(paths: Iterable[str | Path]) -> Collection:
    """Import every hypothesis file under ``paths`` and gather the claims."""
    found = Collection()
    for path in hypothesis_files(paths):
        loaded = load_file(path)
        found.claims.extend(loaded.claims)
        found.failures.extend(loaded.failures)
    return found


def load_file(path: Path) -> Collection:
    """Import one file: its claims (a broken ``@hypothesis`` is a claim whose ``error``
    says why) and what failed: the whole file (it checks nothing) or, in a notebook,
    single cells (the other cells ran)."""
    try:
        claims, cells = _load(path)
    except HarnessError as exc:
        return Collection([], [LoadFailure(str(path), str(exc))])
    return Collection(claims, [LoadFailure(str(path), describe_cell_error(path, cell, exc),
                                           _cell_number(cell)) for cell, exc in cells])


def _cell_number(name: str) -> int | None:
    cell = parse_cell_name(name)
    return cell[1] if cell else None


def load_claims(path: Path) -> list[Claim]:
    """Import one file (under a private module name) and return its claims; a
    :class:`LoadError` when anything in it failed to run."""
    from harness.errors import LoadError

    found = load_file(path)
    if found.failures:
        raise LoadError(found.failures[0].message)
    return found.claims


def _load(path: Path) -> tuple[list[Claim], list[tuple[str, BaseException]]]:
    name = f"_harness_hypotheses_{path.stem}_{zlib.crc32(str(path).encode()):08x}"
    if path.suffix == ".ipynb":
        return _load_notebook(path, name)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{path} cannot be imported as a Python file.")
    module = importlib.util.module_from_spec(spec)
    return _run_module(path, name, module,
                       lambda: run_source(path.read_bytes(), str(path), module.__dict__))


def _load_notebook(path: Path, name: str) -> tuple[list[Claim],
                                                   list[tuple[str, BaseException]]]:
    """Run a notebook's hypothesis cells (see :mod:`harness.ipynb`) as a module."""
    from harness.errors import LoadError
    from harness.ipynb import NotebookError, notebook_to_source

    try:
        source = notebook_to_source(path.read_bytes(), str(path))
    except NotebookError as exc:
        raise LoadError(str(exc).replace(str(path), path.name)) from None
    except OSError as exc:
        raise LoadError(f"{path.name} could not be read ({exc.strerror or exc}).") from None
    module = types.ModuleType(name)
    module.__file__ = str(path)
    return _run_module(path, name, module, lambda: exec(
        compile(source, str(path), "exec", dont_inherit=True), module.__dict__))


def _run_module(path: Path, name: str, module: types.ModuleType, run: Callable[[], None],
                ) -> tuple[list[Claim], list[tuple[str, BaseException]]]:
    """Run a module's code under its private name, statement by statement (see
    :mod:`harness.execute`); its claims and failed cells, or a :class:`LoadError`."""
    sys.modules[name] = module
    with collecting() as found:
        try:
            run()
        except BaseException as exc:
            sys.modules.pop(name, None)
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise_load_error(path, exc)
    return claims_in(module, found.broken), found.cells


def describe_cell_error(path: Path, cell: str, exc: BaseException) -> str:
    """A notebook cell that failed, with its place: the other cells still ran."""
    if isinstance(exc, SyntaxError):
        return (f"{place(exc.filename or cell, exc.lineno)} has a syntax error ({exc.msg}), "
                f"so that cell was skipped; the other cells were run."
                + (f"\n    {exc.text.rstrip()}" if exc.text and exc.text.strip() else ""))
    frames = [f for f in _student_frames(path, exc) if f.filename == cell]
    where = place(cell, frames[-1].lineno if frames else None)
    message = str(exc).strip()
    return (f"{where} failed ({type(exc).__name__}{': ' + message if message else ''}), so "
            "the rest of that cell was skipped; the other cells were run.")


def raise_load_error(path: Path, exc: BaseException) -> None:
    """Turn an import-time exception into a :class:`LoadError` a student can act on."""
    from harness.errors import LoadError

    raise LoadError(describe_load_error(path, exc)) from None


def describe_load_error(path: Path, exc: BaseException) -> str:
    """``part_a.py line 7: SyntaxError: ...`` with the offending line when known; for a
    notebook, ``explore.ipynb, cell 3, line 2``."""
    if isinstance(exc, SyntaxError):
        return _syntax_error(path, exc)
    if isinstance(exc, HarnessError):
        frames = _student_frames(path, exc)
        where = location(frames[-1].filename, frames[-1].lineno or 0) if frames else path.name
        return f"{where}: {exc}"
    frames = _student_frames(path, exc)
    where = ""
    if frames:
        where = (f" at {place(frames[-1].filename, frames[-1].lineno)}: "
                 f"{(frames[-1].line or '').strip()}")
    message = str(exc).strip()
    return (f"{path.name} failed while it was being imported{where}: "
            f"{type(exc).__name__}{': ' + message if message else ''}")


def _syntax_error(path: Path, exc: SyntaxError) -> str:
    text = (exc.text or "").rstrip()
    shown = f"\n    {text}" if text else ""
    cell = parse_cell_name(exc.filename or "")
    if cell is not None:
        return (f"{place(exc.filename or '', exc.lineno)} has a syntax error ({exc.msg}), "
                f"so {Path(cell[0]).name} could not be read.{shown}")
    where = f"line {exc.lineno}" if exc.lineno else "somewhere"
    return f"{path.name} could not be read: {where} has a syntax error ({exc.msg}).{shown}"


def _student_frames(path: Path, exc: BaseException) -> list[traceback.FrameSummary]:
    """The frames of the student's own file (or of its notebook's cells)."""
    return [f for f in traceback.extract_tb(exc.__traceback__)
            if f.filename == str(path) or parse_cell_name(f.filename) is not None]


def place(filename: str, line: int | None) -> str:
    """``line 7``, or ``explore.ipynb, cell 3, line 2`` in a notebook's cell."""
    where = f"line {line}" if line else "somewhere"
    cell = parse_cell_name(filename)
    if cell is None:
        return where
    return f"{Path(cell[0]).name}, cell {cell[1]}, {where}"
