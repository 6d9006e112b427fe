"""Jupyter notebooks as hypothesis files: keep only what defines hypotheses.

The one converter, used by ``harness check``, ``pytest hypotheses/`` and grading.
A notebook mixes exploration (building Keras models, ``predict`` calls, plots)
with its hypotheses.  Only these top-level statements of its code cells are
kept, in order:

* ``import`` / ``from ... import`` statements, except of Keras, TensorFlow and
  friends (the exploration's imports; formulas may not use them anyway);
* function definitions (``@hypothesis`` formulas and the helpers they call);
* assignments of plain constants (``n = 3``, ``weights = [[1, 2]]``) and of
  harness layer descriptions (``layer = SimpleRNN(units=1, ...)``).

Everything else -- model building, ``predict`` calls, prints, IPython magics
(``%...``, ``!...``) -- is dropped and never runs.  A cell that is not valid
Python is dropped too, unless it mentions ``hypothesis``: then it is kept as
is, so the student sees the syntax error.

The result is a Python file that runs each kept cell under its own name,
``explore.ipynb, cell 7`` (cells counted from 1 in the notebook's order,
markdown cells included), with the cell's own line numbers (dropped lines are
left blank).  So every message -- a syntax error, an exception, where a
hypothesis is defined -- names the cell and the line the student sees.
"""

from __future__ import annotations

import ast
import json
import linecache
from typing import Any

from harness.cells import cell_name
from harness.errors import HarnessError
from harness.nesting import nesting_depth

KEEP_CALLS = ("SimpleRNN", "LSTM", "GRU")
#: Longest code cell read (characters); a whole file is capped by the submission rules.
MAX_CELL = 256 * 1024
#: Deepest nesting of the notebook's JSON (checked before parsing it).
MAX_JSON_DEPTH = 64
DROP_IMPORTS = ("tensorflow", "keras", "tf_keras", "jax", "torch", "matplotlib", "pandas")



class NotebookError(HarnessError, ValueError):
    """A notebook file could not be read."""


def notebook_to_source(data: bytes, name: str = "notebook.ipynb") -> str:
    """The hypothesis-defining part of a notebook, as Python source that runs each kept
    cell under the name ``<name>, cell N`` with the cell's own line numbers."""
    parts = [f"# Hypotheses kept from {_comment(name)} (other notebook code does not run).\n"
             "from harness.ipynb import run_cell as _harness_run_cell\n"]
    for number, text in code_cells(data, name):
        if len(text) > MAX_CELL:
            raise NotebookError(f"{name}: cell {number} has {len(text)} characters; "
                                f"the harness reads cells of up to {MAX_CELL}. Split it.")
        try:
            kept = keep(text)
        except (RecursionError, MemoryError):
            raise NotebookError(f"{name}: cell {number} is nested too deeply to read (a very "
                                "long expression or deeply nested brackets?). Split it into "
                                "shorter statements.") from None
        if kept.strip():
            parts.append(_cell_call(cell_name(name, number), kept))
    return "\n".join(parts)


def _comment(text: str) -> str:
    return text.replace("\n", " ").replace("\r", " ")


def _cell_call(name: str, text: str) -> str:
    lines = text.splitlines(keepends=True)
    while lines and not lines[-1].strip():
        lines.pop()
    body = "".join(f"    {line!r}\n" for line in lines)
    return f"_harness_run_cell(globals(), {name!r}, (\n{body}    ''))\n"


def run_cell(namespace: dict[str, Any], name: str, text: str) -> None:
    """Run one kept cell in the module's namespace, under the cell's name (registered
    with :mod:`linecache`, so tracebacks and ``inspect`` show the cell's own lines),
    statement by statement (:mod:`harness.execute`: a broken ``@hypothesis`` is that
    hypothesis's error).  While the harness loads the notebook, a cell that fails
    otherwise (a syntax error, an import) is recorded and the next cell runs, as in
    Jupyter, where each cell runs on its own."""
    from harness.claims import current_collection
    from harness.execute import run_source

    linecache.cache[name] = (len(text), None, text.splitlines(keepends=True), name)
    try:
        run_source(text, name, namespace)
    except Exception as exc:
        found = current_collection()
        if found is None:
            raise
        found.cells.append((name, exc))


def code_cells(data: bytes, name: str) -> list[tuple[int, str]]:
    """``(cell number, source)`` of every code cell; cells are counted from 1 over all
    cells, markdown included, as the student sees them."""
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
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", cell.get("input", ""))
            texts.append((number, "".join(str(line) for line in source)
                          if isinstance(source, list) else str(source)))
    return texts


def keep(text: str) -> str:
    """The cell with every line that is not kept left blank (line numbers unchanged)."""
    lines = [("" if line.lstrip().startswith(("%", "!", "?")) else line)
             for line in text.replace("\r\n", "\n").split("\n")]
    cleaned = "\n".join(lines)
    try:
        tree = ast.parse(cleaned)
    except SyntaxError:
        return cleaned if "hypothesis" in cleaned else ""
    encoded = cleaned.encode("utf-8").split(b"\n")
    out: list[list[str]] = [[] for _ in encoded]
    for node in tree.body:
        if _wanted(node):
            first, pieces = _segment(encoded, node)
            for offset, piece in enumerate(pieces):
                out[first - 1 + offset].append(piece)
    return "".join("; ".join(pieces) + "\n" for pieces in out)


def _segment(lines: list[bytes], node: ast.stmt) -> tuple[int, list[str]]:
    """The statement's own text, line by line from its first line, decorators included
    (``ast.unparse`` would recurse as deep as the expression; the source text is what
    the student wrote anyway).  Offsets are UTF-8 byte columns, as ``ast`` gives them."""
    decorators = getattr(node, "decorator_list", [])
    first, start_col = node.lineno, node.col_offset
    if decorators:  # a decorated definition starts its own line, at the "@"
        first, start_col = min(d.lineno for d in decorators), 0
    last = node.end_lineno or node.lineno
    end_col = node.end_col_offset if node.end_col_offset is not None else len(lines[last - 1])
    if first == last:
        return first, [lines[first - 1][start_col:end_col].decode("utf-8")]
    chunk = [lines[first - 1][start_col:], *lines[first:last - 1], lines[last - 1][:end_col]]
    return first, [piece.decode("utf-8") for piece in chunk]


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


def cell_text(converted: bytes | str, name: str) -> str | None:
    """The kept text of the cell ``name`` (``explore.ipynb, cell 7``, or just its last
    part after a folder) in a converted notebook, found by parsing, never by running it;
    None when it is not there."""
    text = converted.decode("utf-8", errors="replace") if isinstance(converted, bytes) \
        else converted
    wanted = name.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "_harness_run_cell" and len(call.args) == 3):
            label, body = call.args[1], call.args[2]
            if (isinstance(label, ast.Constant) and isinstance(body, ast.Constant)
                    and isinstance(label.value, str) and isinstance(body.value, str)
                    and label.value.replace("\\", "/").rsplit("/", 1)[-1] == wanted):
                return body.value
    return None
