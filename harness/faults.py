"""What went wrong in a student's code, in plain words: an exception a formula raised
and a file that failed to import, each placed at the student's own file, notebook cell
and line (never the harness's frames).

Used on both sides of the sandbox: by the checker for a student's own run and by the
grading worker, which imports only the model and the protocol.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from harness.cells import parse_cell_name
from harness.errors import HarnessError


def describe_exception(exc: BaseException, file: str) -> str:
    """``it raised ZeroDivisionError: division by zero (line 12)``: the student's line only."""
    line = ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename == file or parse_cell_name(f.filename) is not None]
    if frames:
        cell = parse_cell_name(frames[-1].filename)
        where = f"{Path(cell[0]).name}, cell {cell[1]}, " if cell else ""
        line = f" ({where}line {frames[-1].lineno}: {(frames[-1].line or '').strip()})"
    try:
        message = str(exc).strip()[:300]
    except Exception:  # noqa: BLE001 - an exception whose text itself fails
        message = ""
    return f"it raised {type(exc).__name__}{': ' + message if message else ''}{line}"


def describe_load_error(path: Path, exc: BaseException) -> str:
    """``part_a.py line 7: SyntaxError: ...`` with the offending line when known; for a
    notebook, ``explore.ipynb, cell 3, line 2``."""
    if isinstance(exc, SyntaxError):
        return _syntax_error(path, exc)
    if isinstance(exc, HarnessError):
        frames = _student_frames(path, exc)
        where = place(frames[-1].filename, frames[-1].lineno) if frames else ""
        if not where or where.startswith(("line", "somewhere")):
            where = f"{path.name}, {where}" if where else path.name
        return f"{where}: {exc}"
    frames = _student_frames(path, exc)
    where = ""
    if frames:
        where = (f" at {place(frames[-1].filename, frames[-1].lineno)}: "
                 f"{(frames[-1].line or '').strip()}")
    message = str(exc).strip()
    return (f"{path.name} failed while it was being imported{where}: "
            f"{type(exc).__name__}{': ' + message if message else ''}")


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
