"""Assignment specs: which exercises, how points are earned, how hard to look.

An assignment is a TOML file (the course exercise ships as the default,
``harness/assignments/rnn_weights.toml``)::

    [assignment]
    name = "Understanding the Weights in RNNs"
    seed = 20240601           # every student is judged on the same cases
    cases = 200               # cases screened per hypothesis
    hypothesis_timeout = 20   # seconds of formula time per hypothesis
    submission_timeout = 180  # seconds for a whole submission
    load_timeout = 20         # seconds to import a submission's files (top-level code)
    max_hypotheses = 50       # hypotheses checked per submission
    max_scopes = 10           # distinct (layer, scope) screening sets per submission
    max_cases = 10000         # cases screened per submission (hypotheses x cases)
    grader_seconds = 30       # CPU seconds of the grader's own work per submission
    memory_mb = 1536          # address-space limit of the worker
    fresh_cases = 50          # fresh secret cases per hypothesis that holds on the screening
    hints = true              # feedback says where a refuted hypothesis holds (hints.py)
    hint_seconds = 2          # most seconds spent looking for one hypothesis's hints
    wrong_claims = "cost"     # "cost": an exercise's points also need no wrong claim (a
                              # hypothesis recorded as holding that is refuted); "ignore"

    [[exercise]]
    id = "part_a"             # column name in grades.csv
    name = "Part A"
    layer = "PART_A"          # a course preset, 'SimpleRNN(units=1, ...)', or any Keras layer
                              # with weights: 'Layer("Conv1D", filters=1, kernel_size=3,
                              # input_shape=(6, 1))' (also written 'Conv1D(filters=1, ...)')
    points = 2                # for a hypothesis that holds for all weights and sequences
    narrow_points = 0         # for one that holds only in a narrower scope
    refuted_points = 0        # opt-in: for a plausible one recorded refuted=True and refuted
    wrong_claims = "cost"     # optional: this exercise's own rule (default: the assignment's)
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import AssignmentError, HarnessError, LayerSpecError
from harness.grading.secret import Secret, resolve_secret
from harness.layers import Layer
from harness.parse import parse_layer
from harness.settings import (
    DEFAULT_BUDGET,
    DEFAULT_CASES,
    DEFAULT_FRESH,
    DEFAULT_MEMORY_MB,
    DEFAULT_SEED,
    MAX_BUDGET,
)

if TYPE_CHECKING:
    from harness.engine.checker import CheckSettings

DEFAULT_RESOURCE = "rnn_weights.toml"

_SETTINGS: dict[str, type] = {
    "name": str, "seed": int, "cases": int, "hypothesis_timeout": float,
    "submission_timeout": float, "max_hypotheses": int, "memory_mb": int,
    "load_timeout": float, "max_scopes": int, "max_cases": int, "grader_seconds": float,
    "fresh_cases": int, "hints": bool, "hint_seconds": float, "wrong_claims": str,
}
_EXERCISE: dict[str, type] = {
    "id": str, "name": str, "layer": str, "points": float,
    "narrow_points": float, "refuted_points": float, "wrong_claims": str,
}
#: What a wrong claim (recorded as holding, refuted) does to its exercise's points.
WRONG_CLAIMS = ("cost", "ignore")


@dataclass(frozen=True)
class Exercise:
    """One exercise: a layer and the points it is worth."""

    id: str
    name: str
    layer: str
    spec: Layer
    points: float
    narrow_points: float = 0.0
    refuted_points: float = 0.0
    #: "cost": the points also need no wrong claim about the layer; "ignore": they don't.
    wrong_claims: str = "cost"

    @property
    def max_points(self) -> float:
        return self.points + self.refuted_points

    @property
    def everything(self) -> str:
        """The general scope in words: all weights and sequences (or inputs)."""
        return f"all weights and {'sequences' if self.spec.input_name == 'xs' else 'inputs'}"


@dataclass(frozen=True)
class Assignment:
    """A whole assignment: settings plus exercises, in file order."""

    name: str
    exercises: tuple[Exercise, ...]
    seed: int = DEFAULT_SEED
    cases: int = DEFAULT_CASES
    hypothesis_timeout: float = 20.0
    submission_timeout: float = 180.0
    max_hypotheses: int = 50
    memory_mb: int = DEFAULT_MEMORY_MB
    load_timeout: float = 20.0
    max_scopes: int = 10
    max_cases: int = 10_000
    grader_seconds: float = 30.0
    fresh_cases: int = DEFAULT_FRESH
    hints: bool = True
    hint_seconds: float = DEFAULT_BUDGET
    #: The default of every exercise's ``wrong_claims`` ("cost" or "ignore").
    wrong_claims: str = "cost"
    source: str = "<default>"
    #: The grading secret, never read from the assignment file (see
    #: :mod:`harness.grading.secret`); None: cases follow the public seed.
    secret: Secret | None = None

    @property
    def max_total(self) -> float:
        return sum(e.max_points for e in self.exercises)

    def with_seed(self, seed: int | None) -> Assignment:
        """The same assignment with the seed overridden (``--seed``)."""
        return self if seed is None else replace(self, seed=int(seed))

    def with_secret(self, secret: Secret | None) -> Assignment:
        """The same assignment, its cases drawn from ``secret``."""
        return replace(self, secret=secret)

    def check_settings(self) -> CheckSettings:
        """The checker's settings the grader uses: the assignment's seed and cases, its
        secret (every case drawn from it) and its fresh cases."""
        from harness.engine.checker import CheckSettings

        secret = self.secret.value if self.secret is not None else None
        return CheckSettings(seed=self.seed, cases=self.cases, secret=secret,
                             fresh=self.fresh_cases)

    def fingerprint(self) -> str:
        """sha256 of everything that changes a grade (not where the file lives; of the
        secret only a digest, so results graded under another secret are not reused)."""
        data = asdict(self)
        data.pop("source")
        data["secret"] = self.secret.digest() if self.secret is not None else None
        for exercise in data["exercises"]:
            exercise["spec"] = str(parse_layer(exercise["layer"]))
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def exercise_for(self, spec: Layer) -> Exercise | None:
        """The exercise about ``spec`` (the first, if several name the same layer).  A
        layer other than SimpleRNN/LSTM/GRU (whose constructors spell out every
        default already) matches with or without arguments equal to Keras's defaults:
        ``Layer("Dense", units=2, use_bias=True, ...)`` is the exercise
        ``Layer("Dense", units=2, ...)``."""
        exact = next((e for e in self.exercises if e.spec == spec), None)
        if exact is not None or spec.is_recurrent:
            return exact
        key = _canonical(spec)
        return next((e for e in self.exercises
                     if not e.spec.is_recurrent and _canonical(e.spec) == key), None)


def load_assignment(path: str | Path | None = None) -> Assignment:
    """Read an assignment TOML file; ``None`` gives the course exercise's default."""
    if path is None:
        text = resources.files("harness.assignments").joinpath(DEFAULT_RESOURCE).read_text()
        return parse_assignment(text, source=f"<default: {DEFAULT_RESOURCE}>")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AssignmentError(f"Could not read the assignment {path}: {exc}.") from None
    return parse_assignment(text, source=str(path))


def parse_assignment(text: str, source: str = "<string>") -> Assignment:
    """Parse and validate an assignment from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{source} is not valid TOML: {exc}.") from None
    unknown = set(data) - {"assignment", "exercise"}
    if unknown:
        raise AssignmentError(f"{source}: unknown section(s) {sorted(unknown)}; expected "
                              "[assignment] and [[exercise]].")
    settings = _typed(data.get("assignment", {}), _SETTINGS, f"{source} [assignment]")
    raw = data.get("exercise", [])
    if not isinstance(raw, list) or not raw:
        raise AssignmentError(f"{source} has no exercises: add at least one [[exercise]] "
                              "table with a layer and points.")
    rule = settings.get("wrong_claims", "cost")
    exercises = tuple(_exercise(item, i, source, rule) for i, item in enumerate(raw))
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        raise AssignmentError(f"{source}: exercise ids must differ. Received: {ids}.")
    assignment = Assignment(name=str(settings.pop("name", "Assignment")),
                            exercises=exercises, source=source, **settings)
    _check_ranges(assignment, source)
    return assignment


def _exercise(item: Any, index: int, source: str, wrong_claims: str) -> Exercise:
    where = f"{source} exercise #{index + 1}"
    if not isinstance(item, dict):
        raise AssignmentError(f"{where} must be a table.")
    fields = _typed(item, _EXERCISE, where)
    fields.setdefault("wrong_claims", wrong_claims)
    for key in ("layer", "points"):
        if key not in fields:
            raise AssignmentError(f"{where} needs `{key} = ...`.")
    try:
        spec = parse_layer(fields["layer"])
        spec.validate()  # Keras builds it once (only for layers other than the recurrent ones)
    except LayerSpecError as exc:
        raise AssignmentError(f"{where}: {exc}") from None
    if not spec.is_recurrent:  # as students import it: Layer("Dense", ...), never Dense(...)
        fields["layer"] = str(spec)
    ident = fields.pop("id", None) or _slug(fields.get("name") or fields["layer"])
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", ident) or ident in _RESERVED:
        raise AssignmentError(f"{where}: id must be a simple name like part_a (not one of "
                              f"{', '.join(_RESERVED)}). Received: {ident!r}.")
    fields.setdefault("name", ident)
    return Exercise(id=ident, spec=spec, **fields)


_RESERVED = ("student", "total", "max_total", "status")


def _typed(table: Any, schema: dict[str, type], where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise AssignmentError(f"{where} must be a table.")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in schema:
            raise AssignmentError(f"{where}: unknown key {key!r}. Known keys: "
                                  f"{', '.join(schema)}.")
        kind = schema[key]
        ok = isinstance(value, (int, float)) if kind is float else isinstance(value, kind)
        if not ok or (isinstance(value, bool) and kind is not bool):
            raise AssignmentError(f"{where}: {key} must be a {kind.__name__}. "
                                  f"Received: {value!r}.")
        out[key] = kind(value)
    return out


def _check_ranges(assignment: Assignment, source: str) -> None:
    positive = {"cases": assignment.cases, "hypothesis_timeout": assignment.hypothesis_timeout,
                "submission_timeout": assignment.submission_timeout,
                "max_hypotheses": assignment.max_hypotheses, "memory_mb": assignment.memory_mb,
                "load_timeout": assignment.load_timeout, "max_scopes": assignment.max_scopes,
                "max_cases": assignment.max_cases, "grader_seconds": assignment.grader_seconds,
                "fresh_cases": assignment.fresh_cases}
    for key, value in positive.items():
        if value <= 0:
            raise AssignmentError(f"{source}: {key} must be more than 0. Received: {value}.")
    if not 0 <= assignment.hint_seconds <= MAX_BUDGET:
        raise AssignmentError(f"{source}: hint_seconds must be from 0 to {MAX_BUDGET:g}. "
                              f"Received: {assignment.hint_seconds}.")
    for rule, where in [(assignment.wrong_claims, "[assignment]"),
                        *((e.wrong_claims, e.id) for e in assignment.exercises)]:
        if rule not in WRONG_CLAIMS:
            raise AssignmentError(f"{source}: wrong_claims of {where} must be \"cost\" (an "
                                  "exercise's points also need no hypothesis recorded as "
                                  "holding that is refuted) or \"ignore\". "
                                  f"Received: {rule!r}.")
    for exercise in assignment.exercises:
        amounts = (exercise.points, exercise.narrow_points, exercise.refuted_points)
        if min(amounts) < 0:
            raise AssignmentError(f"{source}: points of {exercise.id} cannot be negative.")


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    return slug if slug and not slug[0].isdigit() else f"ex_{slug}"


@functools.lru_cache(maxsize=512)
def _canonical(spec: Layer) -> Layer:
    """``spec.canonical()`` (Keras's defaults dropped), once per layer; the layer itself
    when Keras refuses it (it then matches no exercise but its exact copy)."""
    try:
        return spec.canonical()
    except HarnessError:
        return spec


def attach_secret(assignment: Assignment, out: str | Path | None,
                  secret: Secret | str | Path | None = None) -> Assignment:
    """``assignment`` with its run's secret: ``secret`` itself or read from that file;
    else the one the assignment already carries; else
    :func:`harness.grading.secret.resolve_secret`."""
    if isinstance(secret, Secret):
        return assignment.with_secret(secret)
    if secret is None and assignment.secret is not None:
        return assignment
    return assignment.with_secret(resolve_secret(out, secret))


def hidden_paths(assignment: Assignment) -> tuple[str, ...]:
    """The secret's file, which no worker may see (``<out>/.secret`` is hidden with
    the output folder anyway)."""
    secret = assignment.secret
    return (secret.path,) if secret is not None and secret.path is not None else ()
