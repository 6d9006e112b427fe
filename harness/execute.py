"""Running a hypothesis file's code so that one broken ``@hypothesis`` never sinks the rest.

The harness runs a file (or a notebook cell) one top-level statement at a
time, in one namespace, as Python would run the whole file.  When a statement
that declares a hypothesis fails -- ``@hypothesis(PART_a)`` (a name that does
not exist), ``@hypothesis(SimpleRNN(unit=1))`` (a layer the constructor
refuses), ``fixed={"kernel": [[w]]}`` with ``w`` undefined -- that hypothesis
becomes a broken claim (:func:`harness.claims.broken_claim`: an ``error``
verdict naming the file and line) and the next statement runs.  Mistakes the
decorator itself finds never raise in the first place (see
:mod:`harness.claims`).  Any other statement that fails (an import, code at
the top level) stops the file as an import would: its exception propagates.

Declaring statements are found by their shape, never by running them: a
function definition with a decorator that calls or names ``hypothesis``
(``@hypothesis(...)``, ``@harness.hypothesis(...)``), and ``hypothesis(...)(f)``
as an expression or the value of an assignment.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import importlib.util
import traceback
from typing import Any

from harness.claims import broken_claim
from harness.errors import HarnessError

_DECORATOR = "hypothesis"


def run_source(source: str | bytes, filename: str, namespace: dict[str, Any]) -> None:
    """Run ``source`` statement by statement in ``namespace`` (a ``SyntaxError`` or the
    first failing statement that declares no hypothesis propagates).

    Each statement is compiled from its own text (blank lines in front keep its line
    numbers): compiling ``ast`` objects would recurse through a long expression in
    Python's own stack, where the text compiler does not."""
    tree = ast.parse(source, filename)  # the whole file's syntax first, as an import does
    text = importlib.util.decode_source(source) if isinstance(source, bytes) else source
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    flags = 0
    for nodes in _chunks(tree.body):
        first = _first_line(nodes[0])
        last = max(n.end_lineno or n.lineno for n in nodes)
        chunk = "\n" * (first - 1) + "\n".join(lines[first - 1:last]) + "\n"
        code = compile(chunk, filename, "exec", flags=flags, dont_inherit=True)
        for node in nodes:
            flags |= _future_flags(node)
        try:
            exec(code, namespace)
        except Exception as exc:
            declared = _declaration(nodes[0]) if len(nodes) == 1 else None
            if declared is None:
                raise
            _record(declared, exc, filename, namespace)


def _chunks(body: list[ast.stmt]) -> list[list[ast.stmt]]:
    """Top-level statements, those sharing a line (``import numpy as np; x = 1``) kept
    together, so every chunk is whole lines of the file."""
    chunks: list[list[ast.stmt]] = []
    for node in body:
        if chunks and _first_line(node) <= (chunks[-1][-1].end_lineno or 0):
            chunks[-1].append(node)
        else:
            chunks.append([node])
    return chunks


def _first_line(node: ast.stmt) -> int:
    """Where a statement starts, its decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _future_flags(node: ast.stmt) -> int:
    """Compiler flags a ``from __future__ import ...`` statement turns on for the rest."""
    if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
        return 0
    flags = 0
    for alias in node.names:
        feature = getattr(__future__, alias.name, None)
        flags |= getattr(feature, "compiler_flag", 0)
    return flags


class _Declared:
    """A statement that declares a hypothesis: its function name, line and the literal
    ``name=`` and ``refuted=`` it gives (when written as plain values)."""

    def __init__(self, function: str, call: ast.expr) -> None:
        self.function = function
        self.line = call.lineno
        keywords = call.keywords if isinstance(call, ast.Call) else []
        literal = {k.arg: k.value.value for k in keywords
                   if k.arg and isinstance(k.value, ast.Constant)}
        name = literal.get("name")
        self.name = name if isinstance(name, str) else None
        self.refuted = literal.get("refuted", False)


def _declaration(node: ast.stmt) -> _Declared | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        call = next((d for d in node.decorator_list if _names_hypothesis(d)), None)
        return None if call is None else _Declared(node.name, call)
    value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Call) \
            and _names_hypothesis(value.func):
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        wrapped = value.args[0] if value.args else None
        named = target if isinstance(target, ast.Name) else wrapped
        function = named.id if isinstance(named, ast.Name) else "hypothesis"
        return _Declared(function, value.func)
    return None


def _names_hypothesis(expr: ast.expr) -> bool:
    """``hypothesis``, ``harness.hypothesis``, or a call of either."""
    callee = expr.func if isinstance(expr, ast.Call) else expr
    return (isinstance(callee, ast.Name) and callee.id == _DECORATOR) or (
        isinstance(callee, ast.Attribute) and callee.attr == _DECORATOR)


def _record(declared: _Declared, exc: Exception, filename: str,
            namespace: dict[str, Any]) -> None:
    """The failed declaration as a broken claim (collection finds it), at the line of
    the student's own code where it failed."""
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
             if f.filename == filename and f.lineno]
    line = lines[-1] if lines else declared.line
    broken_claim(None, declared.name, declared.refuted, filename, line, declared.function,
                 _describe(exc, namespace))


def _describe(exc: Exception, namespace: dict[str, Any]) -> str:
    """What went wrong, in plain words, with the nearest known name for a typo."""
    if isinstance(exc, HarnessError):
        return str(exc)
    text = f"the @hypothesis(...) line failed with {type(exc).__name__}: {exc}"
    if isinstance(exc, NameError) and isinstance(exc.name, str):
        from harness.scope import did_you_mean

        known = [n for n in [*namespace, *vars(builtins)] if not n.startswith("_")]
        return text + (did_you_mean(exc.name, known) or ".")
    return text if text.endswith((".", "?")) else text + "."
