"""Look-alike hypotheses: formulas that behave the same on the screening cases.

Every hypothesis on one layer and scope is judged on the same screening cases
(seeds never depend on the claim or the run order), so what a formula outputs on
them is a fingerprint of its *behaviour*, whatever its source text looks like.

* :func:`digest` turns the formula's outcomes on the screening cases into a short
  text, ``"<cases>:<hex>"``; the checker stores it as ``Verdict.behaviour``.
  Outputs are rounded to :data:`DIGITS` significant digits first: two ways of
  writing one formula (``a + b`` and ``b + a``, ``np.dot`` and a sum) differ in
  the last bits of a float, far below the checker's tolerance (``compare.RTOL``,
  1e-5), and must still look alike.  Values below :data:`ZERO` are taken as 0
  (float noise around zero has no relative size), ``-0.0`` is ``0.0``, and a
  case where the formula gave no output is the marker ``E``.  Two outputs on
  either side of a rounding boundary can still split one behaviour in two; that
  costs a missed look-alike, never a false one.
* :func:`group` fills ``Verdict.same_as`` for a student's run: the other
  hypotheses with the same layer, scope and digest.
* :func:`function_source` finds a hypothesis's source in a submission's file by
  parsing it (``ast``), never by running it: for the instructor's summary.  The
  source is hostile: files over :data:`MAX_SOURCE` characters are not parsed,
  Python's parser bounds the depth (200 nested brackets, its recursion guard for
  long chains such as ``a.b.b...``), and whatever parsing raises
  (``RecursionError``, ``MemoryError``, ``SyntaxError`` ...) means "not found".
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from harness.untrusted import NAME, cut

if TYPE_CHECKING:
    from harness.engine.formula import Outcome
    from harness.verdict import Verdict

#: Significant digits kept before hashing (the checker's tolerance is 1e-5 relative).
DIGITS = 6
#: Magnitudes below this are float noise around zero.
ZERO = 1e-9
ERROR_MARK = "E"
#: Only hypotheses Keras judged (holds, refuted) can look alike.
_JUDGED = ("holds", "refuted")
#: Largest file (characters) parsed to find a function's source for display.
MAX_SOURCE = 256 * 1024


def digest(outcomes: Sequence[Outcome]) -> str:
    """``"<number of cases>:<16 hex digits>"`` for a formula's outcomes, in case order."""
    hashed = hashlib.sha256(b"behaviour-v1")
    for outcome in outcomes:
        hashed.update(_outcome_text(outcome).encode() + b";")
    return f"{len(outcomes)}:{hashed.hexdigest()[:16]}"


def _outcome_text(outcome: Outcome) -> str:
    if outcome.error is not None or outcome.value is None:
        return ERROR_MARK
    values = np.asarray(outcome.value, dtype=np.float64)
    flat = np.where(np.abs(values) < ZERO, 0.0, values).ravel() + 0.0  # -0.0 -> 0.0
    numbers = ",".join(f"{x:.{DIGITS - 1}e}" for x in flat.tolist())
    return f"{values.shape}{numbers}"


def cases_of(behaviour: str | None) -> int:
    """How many screening cases a digest covers (0 when there is none)."""
    if not behaviour or ":" not in behaviour:
        return 0
    count = behaviour.split(":", 1)[0]
    return int(count) if count.isdigit() else 0


def _key(v: Verdict) -> tuple[str, str, str] | None:
    """Layer, scope and behaviour; None for a hypothesis that could not be checked (two
    formulas that both fail, one returning None and one the wrong shape, are not alike:
    they both give no output)."""
    if v.behaviour is None or str(v.kind) not in _JUDGED:
        return None
    return str(v.layer), v.scope, v.behaviour


def group(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts with ``same_as`` filled: the names of the other hypotheses (in
    run order) with the same layer, scope and behaviour."""
    names: dict[tuple[str, str, str], list[str]] = {}
    for v in verdicts:
        key = _key(v)
        if key is not None:
            names.setdefault(key, []).append(v.name)
    out = []
    for v in verdicts:
        key = _key(v)
        others = () if key is None else tuple(n for n in names[key] if n != v.name)
        out.append(replace(v, same_as=others) if others != v.same_as else v)
    return out


def sentences(verdicts: Iterable[Verdict]) -> list[str]:
    """``Hypothesis #3 behaves exactly like Hypothesis #2 on all 200 cases.``, once per
    hypothesis that has an earlier look-alike (the first of a group is named)."""
    lines, seen = [], set()
    for v in verdicts:
        seen.add(v.name)
        earlier = [n for n in v.same_as if n in seen]
        if earlier:
            lines.append(f"{cut(v.name, NAME)} behaves exactly like {cut(earlier[0], NAME)} "
                         f"on all {cases_of(v.behaviour)} cases.")
    return lines


def function_source(files: Iterable[tuple[str, bytes]], file: str, function: str,
                    line: int) -> str | None:
    """The source of ``function`` (decorators included) in the submission file named
    ``file`` (matched by its name), found by parsing, never by running it; the
    definition at ``line`` when there are several.  None when it cannot be found, the
    file is too large, or parsing it fails in any way."""
    try:
        return _function_source(files, file, function, line)
    except Exception:  # noqa: BLE001 - a hostile file: deep, huge or odd; never stop the summary
        return None


def _function_source(files: Iterable[tuple[str, bytes]], file: str, function: str,
                     line: int) -> str | None:
    from harness.cells import parse_cell_name
    from harness.ipynb import cell_text

    wanted = file.replace("\\", "/").rsplit("/", 1)[-1]
    in_cell = parse_cell_name(wanted) is not None  # a notebook's cell: "x.ipynb, cell 7"
    for name, data in files:
        if in_cell:
            text = cell_text(data, wanted) or ""
            if not text:
                continue
        elif name.replace("\\", "/").rsplit("/", 1)[-1] != wanted:
            continue
        else:
            text = data.decode("utf-8", errors="replace")
        if len(text) > MAX_SOURCE:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            continue
        found = _definition(tree, function, line)
        if found is not None:
            lines = text.splitlines()
            start = min([found.lineno, *(d.lineno for d in found.decorator_list)])
            end = found.end_lineno or found.lineno
            return "\n".join(lines[start - 1:end])
    return None


def _definition(tree: ast.AST, function: str,
                line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    named = [node for node in ast.walk(tree)
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and node.name == function]
    for node in named:
        if line in (node.lineno, *(d.lineno for d in node.decorator_list)):
            return node
    return named[0] if named else None
