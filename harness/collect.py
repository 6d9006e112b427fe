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
import types
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.cells import parse_cell_name
from harness.claims import Claim, claims_in, collecting
from harness.errors import HarnessError, UsageError
from harness.execute import run_source
from harness.faults import describe_cell_error, describe_load_error
from harness.verdict import LoadFailure

#: What counts as a hypothesis file.
SUFFIXES = (".py", ".ipynb")


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
        elif not path.exists():
            raise UsageError(f"{raw} does not exist: no file or folder has that name. Check "
                             "the spelling, and give the path from the folder you run in.")
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


def raise_load_error(path: Path, exc: BaseException) -> None:
    """Turn an import-time exception into a :class:`LoadError` a student can act on."""
    from harness.errors import LoadError

    raise LoadError(describe_load_error(path, exc)) from None
