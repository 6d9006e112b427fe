"""Jupyter notebooks as submissions: keep only what defines hypotheses.

A notebook mixes exploration (building Keras models, ``predict`` calls, plots)
with the hypotheses to grade.  Only these top-level statements of its code
cells are kept, in order, and written out as one Python file:

* ``import`` / ``from ... import`` statements, except of Keras, TensorFlow and
  friends (the exploration's imports; formulas may not use them anyway);
* function definitions (``@hypothesis`` formulas and the helpers they call);
* assignments of plain constants (``n = 3``, ``weights = [[1, 2]]``) and of
  harness layer descriptions (``layer = SimpleRNN(units=1, ...)``).

Everything else -- model building, ``predict`` calls, prints, IPython magics
(``%...``, ``!...``) -- is dropped and never runs.  A cell that is not valid
Python is dropped too, unless it mentions ``hypothesis``: then it is kept as
is, so the student sees the syntax error.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from harness.errors import HarnessError
from harness.grading.protocol import nesting_depth

KEEP_CALLS = ("SimpleRNN", "LSTM", "GRU")
#: Longest code cell read (characters); a whole file is capped by the submission rules.
MAX_CELL = 256 * 1024
#: Deepest nesting of the notebook's JSON (checked before parsing it).
MAX_JSON_DEPTH = 64
DROP_IMPORTS = ("tensorflow", "keras", "tf_keras", "jax", "torch", "matplotlib", "pandas")


class NotebookError(HarnessError, ValueError):
    """A notebook file could not be read."""


def notebook_to_source(data: bytes, name: str = "notebook.ipynb") -> str:
    """The hypothesis-defining part of a notebook, as Python source."""
    parts = [f"# Hypotheses kept from {name} (other notebook code does not run).\n"]
    for number, text in enumerate(_code_cells(data, name), start=1):
        if len(text) > MAX_CELL:
            raise NotebookError(f"{name}: code cell {number} has {len(text)} characters; "
                                f"the grader reads cells of up to {MAX_CELL}. Split it.")
        try:
            kept = _keep(text)
        except (RecursionError, MemoryError):
            raise NotebookError(f"{name}: code cell {number} is nested too deeply for the "
                                "grader to read (a very long expression or deeply nested "
                                "brackets?). Split it into shorter statements.") from None
        if kept:
            parts.append(f"# --- cell {number} ---\n{kept}\n")
    return "\n".join(parts)


def _code_cells(data: bytes, name: str) -> list[str]:
    if nesting_depth(data) > MAX_JSON_DEPTH:
        raise NotebookError(f"{name} is not a readable notebook (its JSON is nested more "
                            f"than {MAX_JSON_DEPTH} levels deep).")
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotebookError(f"{name} is not a readable notebook (not valid JSON).") from None
    cells: Any = notebook.get("cells") if isinstance(notebook, dict) else None
    if cells is None and isinstance(notebook, dict):  # nbformat 3
        sheets = notebook.get("worksheets") or [{}]
        cells = sheets[0].get("cells") if isinstance(sheets[0], dict) else None
    if not isinstance(cells, list):
        raise NotebookError(f"{name} is not a notebook: it has no cells.")
    texts = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", cell.get("input", ""))
            texts.append("".join(str(line) for line in source) if isinstance(source, list)
                         else str(source))
    return texts


def _keep(text: str) -> str:
    lines = [("" if line.lstrip().startswith(("%", "!", "?")) else line)
             for line in text.splitlines()]
    cleaned = "\n".join(lines)
    try:
        tree = ast.parse(cleaned)
    except SyntaxError:
        return cleaned if "hypothesis" in cleaned else ""
    encoded = cleaned.encode("utf-8").splitlines(keepends=True)
    kept = [_segment(encoded, node) for node in tree.body if _wanted(node)]
    return "\n\n".join(kept)


def _segment(lines: list[bytes], node: ast.stmt) -> str:
    """The statement's own text, decorators included (``ast.unparse`` would recurse as
    deep as the expression; the source text is what the student wrote anyway).
    Offsets are UTF-8 byte columns, as ``ast`` gives them."""
    decorators = getattr(node, "decorator_list", [])
    first, start_col = node.lineno, node.col_offset
    if decorators:  # a decorated definition starts its own line, at the "@"
        first, start_col = min(d.lineno for d in decorators), 0
    last = node.end_lineno or node.lineno
    end_col = node.end_col_offset if node.end_col_offset is not None else len(lines[last - 1])
    if first == last:
        return lines[first - 1][start_col:end_col].decode("utf-8")
    chunk = [lines[first - 1][start_col:], *lines[first:last - 1], lines[last - 1][:end_col]]
    return b"".join(chunk).decode("utf-8")


def _wanted(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import):
        return not any(_dropped(alias.name) for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and not _dropped(node.module or "")
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return _constant(node.value)
    return False


def _dropped(module: str) -> bool:
    return module.split(".")[0] in DROP_IMPORTS


def _constant(value: ast.expr) -> bool:
    try:
        ast.literal_eval(value)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id in KEEP_CALLS and all(
            _constant(arg) for arg in [*value.args, *(k.value for k in value.keywords)])
    return False
