"""Finding hypotheses: import hypothesis files and gather their claims.

A file that cannot be imported (syntax error, a bad ``@hypothesis``, an import
that fails) becomes a :class:`LoadFailure` with a message for a student; it
never stops the other files.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.claims import Claim, claims_in
from harness.errors import HarnessError, UsageError


@dataclass(frozen=True)
class LoadFailure:
    """A hypothesis file that could not be imported, and why."""

    file: str
    message: str


@dataclass
class Collection:
    """Claims found, and files that failed to load, in file order."""

    claims: list[Claim] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)


def hypothesis_files(paths: Iterable[str | Path]) -> list[Path]:
    """``.py`` files named directly, or found (not recursively) in folders named."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.py") if not p.name.startswith("_")))
        elif path.is_file() and path.suffix == ".py":
            files.append(path)
        else:
            raise UsageError(f"{raw} is not a hypothesis file (.py) or a folder of them.")
    return list(dict.fromkeys(p.resolve() for p in files))


def collect(paths: Iterable[str | Path]) -> Collection:
    """Import every hypothesis file under ``paths`` and gather the claims."""
    found = Collection()
    for path in hypothesis_files(paths):
        try:
            found.claims.extend(load_claims(path))
        except HarnessError as exc:
            found.failures.append(LoadFailure(str(path), str(exc)))
    return found


def load_claims(path: Path) -> list[Claim]:
    """Import one file (under a private module name) and return its claims."""
    name = f"_harness_hypotheses_{path.stem}_{zlib.crc32(str(path).encode()):08x}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{path} cannot be imported as a Python file.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(name, None)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise_load_error(path, exc)
    return claims_in(module)


def raise_load_error(path: Path, exc: BaseException) -> None:
    """Turn an import-time exception into a :class:`LoadError` a student can act on."""
    from harness.errors import LoadError

    raise LoadError(describe_load_error(path, exc)) from None


def describe_load_error(path: Path, exc: BaseException) -> str:
    """``part_a.py line 7: SyntaxError: ...`` with the offending line when known."""
    if isinstance(exc, SyntaxError):
        where = f"line {exc.lineno}" if exc.lineno else "somewhere"
        text = (exc.text or "").rstrip()
        shown = f"\n    {text}" if text else ""
        return (f"{path.name} could not be read: {where} has a syntax error "
                f"({exc.msg}).{shown}")
    if isinstance(exc, HarnessError):
        return f"{path.name}: {exc}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    where = f" at line {frames[-1].lineno}: {(frames[-1].line or '').strip()}" if frames else ""
    message = str(exc).strip()
    return (f"{path.name} failed while it was being imported{where}: "
            f"{type(exc).__name__}{': ' + message if message else ''}")
