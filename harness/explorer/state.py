"""What the explorer page shows, computed in the server: one layer, its weights and input
as the page sends them (text, checked here), Keras's output after every step, every
hypothesis's output beside it, and the full check.

Safe by construction: only the hypotheses in the files given (imported as ``harness
check`` imports them) or handed over in a notebook are ever run; every number the page
sends is read here against the layer's shapes and :data:`LIMIT`; the work per request is
bounded (:data:`MAX_STEPS` steps, :data:`MAX_ENTRIES` numbers).  A mistake in what the
page sends is an :class:`~harness.errors.ExplorerInputError` whose message the page shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.cases import Case, make_case
from harness.claims import Claim
from harness.collect import hypothesis_files, load_file
from harness.engine import compare
from harness.engine.checker import Checker, CheckSettings
from harness.engine.extras import enrich
from harness.engine.formula import InProcess, Outcome
from harness.errors import CaseError, ExplorerInputError, UsageError
from harness.layers import Layer
from harness.numbers import format_array, format_number, to_plain
from harness.output import render
from harness.sentences import verdict_words
from harness.untrusted import FILE, MESSAGE, NAME, SENTENCE, cut, cut_block
from harness.verdict import LoadFailure, Verdict

#: Most steps (or rows of a variable-length input) one request may send.
MAX_STEPS = 32
#: Most numbers (weights and input together) the explorer lays out for one layer.
MAX_ENTRIES = 2000
#: Largest size of a number typed into the page (the checker draws within +-10).
LIMIT = 1e6
#: Seconds a formula may take on one case in the explorer (where a timer can stop it).
FORMULA_SECONDS = 2.0


@dataclass
class Source:
    """One hypothesis file, re-read when it changes on disk."""

    path: Path
    stamp: tuple[int, int] = (-1, -1)
    claims: list[Claim] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)

    def refresh(self) -> None:
        try:
            stat = self.path.stat()
        except OSError as exc:
            self.claims, self.stamp = [], (-1, -1)
            self.failures = [LoadFailure(str(self.path),
                                         f"{self.path.name} cannot be read ({exc.strerror}).")]
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self.stamp:
            found = load_file(self.path)
            self.claims, self.failures, self.stamp = found.claims, found.failures, stamp


class Explorer:
    """One layer and its hypotheses, as the explorer page sees them."""

    def __init__(self, spec: Layer, paths: Sequence[str | Path] = (),
                 claims: Sequence[Claim] = (), settings: CheckSettings | None = None) -> None:
        spec.validate()
        self.spec = spec.canonical()
        entries = sum(math.prod(s) for s in self.spec.weight_shapes.values())
        if entries > MAX_ENTRIES:
            raise UsageError(f"{spec} has {entries} weights; the explorer lays out at most "
                             f"{MAX_ENTRIES}. Explore a smaller layer (fewer units).")
        self.sources = [Source(p) for p in hypothesis_files(paths)]
        self.given = list(claims)
        self.checker = Checker(settings)
        self.quick = InProcess(FORMULA_SECONDS)

    # ---------------------------------------------------------------- hypotheses

    def claims(self) -> list[Claim]:
        """The hypotheses about this layer, files re-read if they changed."""
        found = list(self.given)
        for source in self.sources:
            source.refresh()
            found += source.claims
        return [c for c in found if c.spec == self.spec]

    def failures(self) -> list[dict[str, str]]:
        return [{"file": cut(Path(f.file).name, FILE), "message": cut_block(f.message)}
                for s in self.sources for f in s.failures]

    def _claim(self, key: str) -> Claim:
        for claim in self.claims():
            if claim_key(claim) == key:
                return claim
        raise ExplorerInputError("That hypothesis is no longer in its file (was it renamed "
                                 "or deleted?). The page now shows the hypotheses as they "
                                 "are.")

    # ---------------------------------------------------------------- the layer

    def layer_json(self) -> dict[str, Any]:
        spec = self.spec
        rows, columns = self._input_grid(3)
        return {
            "layer": str(spec), "recurrent": spec.is_recurrent, "input_name": spec.input_name,
            "weights": [self._weight_json(n) for n in spec.weight_names],
            "input": {"rows": rows, "columns": columns, "variable": self._variable,
                      "index": spec.input_kind == "index"},
            "limits": {"steps": MAX_STEPS, "number": LIMIT},
        }

    @property
    def _variable(self) -> bool:
        return self.spec.is_recurrent or self.spec.variable

    def _weight_json(self, name: str) -> dict[str, Any]:
        shape = self.spec.weight_shapes[name]
        rows, columns = _grid(shape)
        return {"name": name, "shape": list(shape), "rows": rows, "columns": columns,
                "labels": self._column_labels(columns)}

    def _column_labels(self, columns: int) -> list[str]:
        """``i0 f0 c0 o0``-style names for a gated layer's columns (Keras's gate order)."""
        gates, units = self.spec.gates, self.spec.units
        if not gates or columns != units * len(gates):
            return [str(j) for j in range(columns)]
        return [gates[j // units] + (str(j % units) if units > 1 else "")
                for j in range(columns)]

    def _input_grid(self, steps: int) -> tuple[int, int]:
        spec = self.spec
        if spec.is_recurrent:
            return steps, spec.input_dim
        return _grid(spec.input_sample_shape(steps if spec.variable else None))

    # ---------------------------------------------------------------- reading the page

    def read_case(self, payload: Any) -> Case:
        """The case the page sent (text in every field), or an
        :class:`ExplorerInputError` saying what is wrong, for the page to show."""
        if not isinstance(payload, dict):
            raise ExplorerInputError("The page sent something that is not weights and an "
                                     "input. Reload the page.")
        sent = payload.get("weights")
        if not isinstance(sent, dict):
            raise ExplorerInputError("The page sent no weights. Reload the page.")
        problems: list[str] = []
        weights = [self._read_weight(n, sent.get(n), problems) for n in self.spec.weight_names]
        xs = self._read_input(payload.get("input"), problems)
        if problems:
            raise ExplorerInputError(" ".join(problems[:6]))
        try:
            return make_case(self.spec, weights, xs)
        except CaseError as exc:
            raise ExplorerInputError(cut(str(exc), SENTENCE)) from None

    def _read_weight(self, name: str, values: Any, problems: list[str]) -> np.ndarray:
        shape = self.spec.weight_shapes[name]
        size = math.prod(shape)
        numbers = _numbers(name, values, size, problems)
        if name in self.spec.positive_weights and any(v <= 0 for v in numbers):
            problems.append(f"{name} holds variances: every entry must be above 0.")
        return np.array(numbers or [0.0] * size, dtype=np.float64).reshape(shape)

    def _read_input(self, rows: Any, problems: list[str]) -> np.ndarray:
        name = self.spec.input_name
        if not isinstance(rows, list) or not rows:
            problems.append(f"{name} needs at least one step.")
            return np.zeros((1, 1))
        if len(rows) > MAX_STEPS:
            problems.append(f"{name} has {len(rows)} steps; the explorer takes at most "
                            f"{MAX_STEPS}. Remove some steps.")
            return np.zeros((1, 1))
        steps, columns = self._input_grid(len(rows))
        if len(rows) != steps:
            problems.append(f"{name} must have {steps} rows (this layer's input shape). "
                            f"Received {len(rows)}.")
            return np.zeros((1, 1))
        flat: list[float] = []
        for t, row in enumerate(rows):
            flat += _numbers(f"{name} step {t + 1}", row, columns, problems)
        if problems:
            return np.zeros((1, 1))
        shape = ((steps, columns) if self.spec.is_recurrent
                 else self.spec.input_sample_shape(steps if self.spec.variable else None))
        return np.array(flat, dtype=np.float64).reshape(shape)

    # ---------------------------------------------------------------- computing

    def evaluate(self, payload: Any) -> dict[str, Any]:
        """Keras's output after every step and each hypothesis's beside it."""
        case = self.read_case(payload)
        keras = self._keras_rows(case)
        hypotheses = [self._hypothesis_json(claim, case, keras) for claim in self.claims()]
        return {"ok": True, "keras": {"rows": _plain_rows(keras),
                                      "output": format_array(self._output(case))},
                "hypotheses": hypotheses, "failures": self.failures()}

    def _output(self, case: Case) -> np.ndarray:
        return self.checker.oracle.output(self.spec, case)

    def _prefixes(self, case: Case) -> list[Case]:
        if self.spec.is_recurrent and not self.spec.return_sequences:
            return [Case(case.weights, case.xs[: t + 1]) for t in range(case.timesteps)]
        return [case]

    def _keras_rows(self, case: Case) -> np.ndarray:
        outputs = self.checker.oracle.outputs(self.spec, self._prefixes(case))
        if compare.out_of_range(np.asarray(outputs[-1]), self.spec, case):
            raise ExplorerInputError(
                "Keras's output is too large to compare (or not a number) for these "
                "numbers. Try smaller weights or inputs.")
        return _rows(np.stack(outputs) if len(outputs) > 1 else outputs[0],
                     self.spec.is_recurrent and not self.spec.return_sequences)

    def _hypothesis_json(self, claim: Claim, case: Case, keras: np.ndarray) -> dict[str, Any]:
        head = {"key": claim_key(claim), "name": cut(claim.name, NAME),
                "file": cut(Path(claim.file).name, FILE), "recorded": str(claim.expected)}
        if claim.error is not None:
            return {**head, "error": cut(claim.error, SENTENCE)}
        prefixes = self._prefixes(case)
        outcomes: list[Outcome] = self.quick.evaluate(claim, prefixes)
        failed = next((o for o in outcomes if o.value is None), None)
        if failed is not None:
            return {**head, "error": cut(failed.error or "it gave no output", MESSAGE)}
        values = [np.asarray(o.value) for o in outcomes]
        rows = _rows(np.stack(values) if len(values) > 1 else values[0],
                     len(prefixes) > 1 or (self.spec.is_recurrent
                                           and not self.spec.return_sequences))
        if rows.shape != keras.shape:
            return {**head, "error": f"its output has shape {rows.shape}, Keras's "
                                     f"{keras.shape}."}
        wrong = np.zeros(rows.shape, dtype=bool)
        for t, prefix in enumerate(prefixes if len(prefixes) > 1 else [case]):
            block = slice(t, t + 1) if len(prefixes) > 1 else slice(None)
            wrong[block] = compare.disagreements(self.spec, prefix, keras[block], rows[block])
        return {**head, "rows": _plain_rows(rows), "disagree": wrong.tolist(),
                "agrees": not wrong.any()}

    def check(self, key: str) -> dict[str, Any]:
        """The full check of one hypothesis, as ``harness check`` runs it."""
        claim = self._claim(key)
        verdict = enrich(self.checker, claim, self.checker.check(claim))
        return verdict_json(self, verdict)

    def page_case(self, record: dict[str, Any]) -> dict[str, Any]:
        """A case as :meth:`Case.to_json` writes it, in the page's form (what the page
        sends back: text, each weight flat, the input as rows)."""
        case = _case_from_record(self.spec, record)
        weights = {n: [format_number(float(v)) for v in w.reshape(-1)]
                   for n, w in zip(self.spec.weight_names, case.weights, strict=True)}
        rows, columns = self._input_grid(case.xs.shape[0] if self._variable else 1)
        flat = [format_number(float(v)) for v in case.xs.reshape(-1)]
        return {"weights": weights,
                "input": [flat[r * columns:(r + 1) * columns] for r in range(rows)]}


def claim_key(claim: Claim) -> str:
    return f"{claim.file}::{claim.function}"


def verdict_json(explorer: Explorer, verdict: Verdict) -> dict[str, Any]:
    """What the page shows after Check: the verdict in words, the counterexample (in the
    page's form, to load) and the hints, all as plain text."""
    out: dict[str, Any] = {"kind": str(verdict.kind), "as_expected": verdict.as_expected,
                           "headline": cut(f"{verdict.name} {verdict_words(verdict.kind)}.",
                                           SENTENCE),
                           "cases": verdict.cases}
    if verdict.counterexample is not None:
        out["counterexample"] = explorer.page_case(verdict.counterexample.case)
        out["details"] = cut_block(render.failure_text(verdict, advice=False), 40)
    elif verdict.message:
        out["details"] = cut(verdict.message, SENTENCE)
    return out


def _case_from_record(spec: Layer, record: dict[str, Any]) -> Case:
    from harness.cases import case_from_json

    try:
        return case_from_json(spec, record)
    except (CaseError, KeyError, TypeError) as exc:
        raise ExplorerInputError(f"That case does not fit {spec}: {cut(exc, MESSAGE)}") \
            from None


def _grid(shape: tuple[int, ...]) -> tuple[int, int]:
    """Rows and columns to lay an array out in: a vector is one row, a matrix as it is,
    more axes folded into the columns."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return 1, int(shape[0])
    return int(shape[0]), math.prod(shape[1:])


def _rows(array: np.ndarray, per_step: bool) -> np.ndarray:
    """An output as a table: one row per step (or per first-axis entry)."""
    array = np.asarray(array, dtype=np.float64)
    if per_step or array.ndim >= 2:
        return array.reshape(array.shape[0], -1)
    return array.reshape(1, -1)


def _plain_rows(rows: np.ndarray) -> list[list[Any]]:
    plain: list[list[Any]] = to_plain(rows)
    return plain


def _numbers(name: str, values: Any, size: int, problems: list[str]) -> list[float]:
    if not isinstance(values, list) or len(values) != size:
        count = len(values) if isinstance(values, list) else 0
        problems.append(f"{name} needs {size} numbers; the page sent {count}. Reload the page.")
        return []
    out = []
    for i, value in enumerate(values):
        number = _number(value)
        where = name if size == 1 else f"{name} (entry {i + 1})"
        if number is None:
            problems.append(f"{where}: {cut(value, 40)!r} is not a number. Type a number "
                            f"such as 2, -0.5 or 1e-3.")
        elif abs(number) > LIMIT:
            problems.append(f"{where}: {cut(value, 40)} is too large; the explorer takes "
                            f"numbers from -{LIMIT:g} to {LIMIT:g}.")
        else:
            out.append(number)
    return out if len(out) == size else []


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 40:
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
