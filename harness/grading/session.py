"""The parent's view of a worker: proxy claims whose formulas run elsewhere.

For each hypothesis the worker reports, the parent rebuilds a real
:class:`harness.claims.Claim` from validated plain data: the layer through
the :mod:`harness.layers` constructors, the scope through
:func:`harness.scope.make_scope`.  Only two things in it are student code,
and both are proxies that ask the worker: the formula
(:class:`RemoteFormula`) and a ``where=`` condition (:class:`RemoteWhere`).
:class:`RemoteEvaluator` implements :class:`harness.engine.formula.Evaluator`, so the
ordinary :class:`harness.engine.checker.Checker` checks proxy claims unchanged.

Everything a worker sends is re-validated here: raw return values go through
:func:`harness.engine.formula.check_value` (the same rule as a student's own run).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from harness.cases import Case
from harness.claims import Claim
from harness.engine.formula import Outcome, check_value
from harness.errors import HarnessError
from harness.grading.isolation.spares import SparePool
from harness.grading.isolation.workers import (
    CRASHED,
    TAMPERED,
    Isolation,
    Limits,
    WorkerProcess,
    WorkerStopped,
)
from harness.grading.protocol import (
    MAX_ELEMENTS,
    MAX_SHAPE_ELEMENTS,
    MAX_SHAPE_NDIM,
    ProtocolError,
    element_count,
)
from harness.grading.results import FileProblem, Status
from harness.grading.submissions import Submission
from harness.layers import Layer
from harness.parse import parse_layer
from harness.scope import DEFAULT_TIMESTEPS, Scope, make_scope, parameters_of
from harness.untrusted import MESSAGE, cut

#: Cases sent to a worker in one request.
BATCH = 256
#: The statuses a worker may report for a submission that did not load, or for one of
#: its files (or notebook cells) that failed.
LOAD_STATUSES = frozenset({Status.SYNTAX_ERROR, Status.IMPORT_ERROR, Status.LOAD_ERROR,
                           Status.BAD_HYPOTHESIS, Status.USED_KERAS})
#: Most load problems a worker may report (files or notebook cells that failed).
MAX_PROBLEMS = 20


@dataclass
class WorkerTime:
    """Seconds of worker time left; only time spent waiting on the worker counts."""

    seconds: float

    def spend(self, seconds: float) -> None:
        self.seconds -= seconds


@dataclass(frozen=True)
class Loaded:
    """What loading a submission gave: claims (broken ones carry their ``error``), the
    files (or notebook cells) that failed, each costing only its own hypotheses, or,
    from a worker that stopped at the first, why there are none."""

    claims: tuple[Claim, ...] = ()
    total: int = 0
    status: Status | None = None
    message: str | None = None
    problems: tuple[FileProblem, ...] = ()


class Session:
    """One submission's worker, restartable, with time budgets."""

    def __init__(self, submission: Submission, limits: Limits, isolation: Isolation,
                 budget: WorkerTime, max_hypotheses: int, load_seconds: float | None = None,
                 accepts: Callable[[Layer], bool] | None = None,
                 spares: SparePool | None = None) -> None:
        """``accepts``: the layers the grader checks (the assignment's); a claim about
        any other is kept, to be reported, but its layer is never built with Keras.
        ``spares``: the class run's workers started ahead (none outside a class run)."""
        self.submission = submission
        self.spares = spares
        self.accepts = accepts
        self.limits = limits
        self.isolation = isolation
        self.budget = budget
        self.max_hypotheses = max_hypotheses
        self.load_seconds = load_seconds
        self.claim_budget: WorkerTime | None = None
        self.worker: WorkerProcess | None = None
        self.used_keras = False
        self.in_force: list[str] = []
        self.proxies: list[RemoteFormula | RemoteWhere] = []
        #: CPU seconds the grader spent on this submission's hints (outside its budget).
        self.teaching_seconds = 0.0

    def start(self) -> Loaded:
        """Start a fresh worker and load the submission in it."""
        self.stop()
        self.worker = self._timed(lambda deadline: WorkerProcess(
            dict(self.submission.files), self.limits, self.isolation, deadline, self.spares))
        self.in_force = self.worker.isolation
        if self.load_seconds is not None:  # importing the files has its own, shorter limit
            self.claim_budget = WorkerTime(self.load_seconds)
        try:
            reply = self.request("load", max_hypotheses=self.max_hypotheses)
        finally:
            self.claim_budget = None
        return self._loaded(reply)

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """One request to the worker, within the hypothesis's and submission's budgets."""
        worker = self.worker
        if worker is None:
            raise WorkerStopped(CRASHED, "the grading worker is not running")
        try:
            reply = self._timed(lambda deadline: worker.request(op, deadline, **fields))
        except WorkerStopped:
            self.worker = None
            raise
        blocked = reply.get("blocked")
        if isinstance(blocked, list) and blocked:
            self.used_keras = True
        return reply

    def _timed(self, action: Any) -> Any:
        budgets = [b for b in (self.budget, self.claim_budget) if b is not None]
        start = time.monotonic()
        deadline = start + max(0.0, min(b.seconds for b in budgets))
        worker = self.worker
        try:
            return action(deadline)
        finally:
            cost = time.monotonic() - start  # the submission's CPU time where measured:
            if worker is not None and worker.last_cost is not None:
                cost, worker.last_cost = worker.last_cost, None
            for budget in budgets:
                budget.spend(cost)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def _loaded(self, reply: dict[str, Any]) -> Loaded:
        if reply.get("ok") is not True:
            status = reply.get("status")
            message = reply.get("message")
            if status not in LOAD_STATUSES or not isinstance(message, str):
                raise self._tampered("an invalid load report")
            return Loaded(status=Status(status), message=message[:2000])
        raw, total = reply.get("claims"), reply.get("total")
        if not isinstance(raw, list) or not isinstance(total, int) or len(raw) > total \
                or len(raw) > self.max_hypotheses:
            raise self._tampered("an invalid list of hypotheses")
        claims = []
        for i, meta in enumerate(raw):
            try:
                claims.append(self._claim(i, meta))
            except HarnessError as exc:  # a layer Keras refuses or a name it does not have:
                if not _deferred(meta):  # the worker checked it itself, so its report lies
                    raise self._tampered(f"an invalid hypothesis ({_reason(exc)})") from None
                # only the grader can tell (no Keras in the worker); as in the student's
                # run, that hypothesis is broken and the others are checked
                claims.append(self._broken(meta, _mistake(i, meta, exc)))
            except Exception as exc:  # noqa: BLE001 - whatever fails here, the worker's data
                raise self._tampered(f"an invalid hypothesis ({_reason(exc)})") from None
        return Loaded(claims=tuple(claims), total=total,
                      problems=self._problems(reply.get("problems", [])))

    def _problems(self, raw: Any) -> tuple[FileProblem, ...]:
        if not isinstance(raw, list) or len(raw) > MAX_PROBLEMS:
            raise self._tampered("an invalid list of problems")
        problems = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("status"), str) \
                    or item["status"] not in LOAD_STATUSES \
                    or not isinstance(item.get("message"), str) \
                    or not isinstance(item.get("file"), str):
                raise self._tampered("an invalid load problem")
            problems.append(FileProblem(_text(item["file"], 200), str(item["status"]),
                                        item["message"][:2000]))
        return tuple(problems)

    def _broken(self, meta: dict[str, Any], error: str) -> Claim:
        """A broken hypothesis (its declaration has a mistake): never run, its verdict is
        ``error`` with ``error`` as the message."""
        return Claim(formula=_never_run, spec=rebuild_layer(meta["layer"], validate=False),
                     name=_text(meta["name"], 200), refuted=_bool(meta["refuted"]), params=(),
                     scope=Scope(), file=_text(meta["file"], 200), line=int(meta["line"]),
                     function=_text(meta["function"], 200), error=error[:2000])

    def _claim(self, index: int, meta: dict[str, Any]) -> Claim:
        """The proxy claim for what the worker reported.  A claim about a layer the
        assignment does not have is kept, so the grader can say so, but never checked
        and its layer never built (``make_scope`` and the parameter check would ask
        Keras for its weights: fifty large layers named by a hostile submission must
        not make the grader build and keep them)."""
        error = meta.get("error")
        if error is not None:
            if not isinstance(error, str):
                raise ValueError("invalid error")
            return self._broken(meta, error)
        written = rebuild_layer(meta["layer"], validate=False)
        formula = RemoteFormula(self, index, _names(meta["params"]))
        self.proxies.append(formula)
        spec = written
        if self.accepts is not None and not self.accepts(written):
            scope, params = Scope(), _names(meta["params"])
        else:  # checked as the exercise's layer, however the student spelt it
            spec = written.canonical()
            spec.validate()
            scope, params = self._scope(index, meta, spec), parameters_of(
                formula, spec, "the formula")
        return Claim(formula=formula, spec=spec, name=_text(meta["name"], 200),
                     refuted=_bool(meta["refuted"]), params=params,
                     scope=replace(scope, text=_text(meta["scope"], 300)),
                     file=_text(meta["file"], 200), line=int(meta["line"]),
                     function=_text(meta["function"], 200),
                     written=None if spec == written else written)

    def _scope(self, index: int, meta: dict[str, Any], spec: Layer) -> Scope:
        where = None
        if meta["where"] is not None:
            where = RemoteWhere(self, index, _names(meta["where"]["params"]))
            self.proxies.append(where)
        steps = [int(t) for t in meta["timesteps"]]
        return make_scope(spec, fixed=_fixed(meta["fixed"]),
                          timesteps=None if tuple(steps) == DEFAULT_TIMESTEPS else steps,
                          where=where)

    def _tampered(self, what: str) -> WorkerStopped:
        self.stop()
        return WorkerStopped(TAMPERED, f"the grading worker sent {what}")


class _Proxy:
    """Stands in the grader for a function that lives in the worker."""

    def __init__(self, session: Session, index: int, params: tuple[str, ...],
                 name: str) -> None:
        self._session: Session | None = session
        self.index = index
        self.__name__ = name
        self.__signature__ = _signature(params)

    @property
    def session(self) -> Session:
        if self._session is None:
            raise WorkerStopped(CRASHED, "this submission's grading session has ended")
        return self._session

    def detach(self) -> None:
        """Forget the session (the submission is done)."""
        self._session = None


class RemoteFormula(_Proxy):
    """Stands for a student's formula; runs it in the worker, one batch per request."""

    def __init__(self, session: Session, index: int, params: tuple[str, ...]) -> None:
        super().__init__(session, index, params, f"formula_{index}")
        self.memo: dict[tuple[int, bytes], Outcome] = {}

    def detach(self) -> None:
        """Forget the session and the memoised outcomes (the submission is done)."""
        super().detach()
        self.memo = {}

    def __call__(self, **kwargs: Any) -> Any:
        raise HarnessError("a remote formula runs only through RemoteEvaluator")

    def evaluate(self, claim: Claim, cases: Sequence[Case]) -> list[Outcome]:
        todo = list({c.key: c for c in cases if c.key not in self.memo}.values())
        for start in range(0, len(todo), BATCH):
            batch = todo[start:start + BATCH]
            payload = [_payload(claim, case) for case in batch]
            reply = self.session.request("eval", claim=self.index, cases=payload)
            outcomes = reply.get("outcomes")
            if not isinstance(outcomes, list) or len(outcomes) != len(batch):
                raise self.session._tampered("a reply with the wrong number of outcomes")
            for case, raw in zip(batch, outcomes, strict=True):
                self.memo[case.key] = self._outcome(claim, case, raw)
        return [self.memo[c.key] for c in cases]

    def _outcome(self, claim: Claim, case: Case, raw: Any) -> Outcome:
        try:
            return decode_outcome(claim, case, raw)
        except Exception as exc:  # noqa: BLE001 - whatever fails here, the worker's data did it
            raise self.session._tampered(f"an invalid outcome ({_reason(exc)})") from None


class RemoteWhere(_Proxy):
    """Stands for a ``where=`` condition; asks the worker, many cases at a time."""

    def __init__(self, session: Session, index: int, params: tuple[str, ...]) -> None:
        super().__init__(session, index, params, "condition")

    def __call__(self, **kwargs: Any) -> bool:
        return self.many([kwargs])[0]

    def many(self, kwargs_list: list[dict[str, Any]]) -> list[bool]:
        """The condition on many cases, in one round trip."""
        if not kwargs_list:
            return []
        args_list = [_plain_args(kwargs) for kwargs in kwargs_list]
        reply = self.session.request("where_many", claim=self.index, args_list=args_list)
        inside = reply.get("inside")
        if (not isinstance(inside, list) or len(inside) != len(args_list)
                or not all(isinstance(i, bool) for i in inside)):
            raise self.session._tampered("an invalid where= answer")
        return inside


def _plain_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {name: ([np.asarray(w, np.float64).tolist() for w in value] if name == "weights"
                   else np.asarray(value, np.float64).tolist())
            for name, value in kwargs.items()}


class RemoteEvaluator:
    """The :class:`harness.engine.formula.Evaluator` for proxy claims."""

    def evaluate(self, claim: Claim, cases: Sequence[Case]) -> list[Outcome]:
        formula = claim.formula
        if not isinstance(formula, RemoteFormula):
            raise HarnessError("RemoteEvaluator checks only claims built by a grading session")
        return formula.evaluate(claim, cases)


def decode_outcome(claim: Claim, case: Case, raw: Any) -> Outcome:
    """Turn a worker's raw outcome into an :class:`Outcome`, re-validating everything."""
    if not isinstance(raw, dict):
        raise ProtocolError("an outcome must be an object")
    if "error" in raw:
        if not isinstance(raw["error"], str):
            raise ProtocolError("an error must be text")
        return Outcome.failed(cut(raw["error"], MESSAGE))  # what the student's code said
    value = raw.get("value")
    if not isinstance(value, dict):
        raise ProtocolError("a value must be an object")
    kind = value.get("kind")
    if kind == "object":
        return Outcome.failed(f"it should return numbers, but returned a "
                              f"{_text(value.get('type'), 40)} ({_text(value.get('text'), 80)})")
    if kind == "array" and value.get("data") is None and value.get("dtype") != "c":
        shape = value.get("shape")
        if not isinstance(shape, list) or not _is_shape(shape):
            raise ProtocolError("invalid array description")
        expected = claim.spec.output_shape(case.timesteps)
        return Outcome.failed(f"it should return shape {expected}, but returned shape "
                              f"{tuple(shape)}")
    return check_value(claim, case, _rebuild(kind, value))


def _rebuild(kind: Any, value: dict[str, Any]) -> Any:
    simple: dict[str, Any] = {"none": None, "dict": {}, "set": set()}
    if kind in simple:
        return simple[kind]
    if kind == "str":
        return _text(value.get("text"), 80)
    if kind != "array":
        raise ProtocolError(f"unknown value kind {kind!r}")
    dtype, shape = value.get("dtype"), value.get("shape")
    if dtype not in ("i", "u", "f", "b", "c") or not isinstance(shape, list) \
            or not _is_shape(shape):
        raise ProtocolError("invalid array description")
    if dtype == "c":
        return np.zeros(shape if element_count(shape) <= MAX_ELEMENTS else (1,), complex)
    try:
        array = np.array(value["data"], dtype=bool if dtype == "b" else np.float64)
    except (ValueError, TypeError, RecursionError):
        raise ProtocolError("array data is not numbers") from None
    if list(array.shape) != shape:
        raise ProtocolError("array data does not match its shape")
    return array


def _is_shape(shape: Any) -> bool:
    """A plausible numpy shape: at most :data:`MAX_SHAPE_NDIM` whole numbers, at most
    :data:`MAX_SHAPE_ELEMENTS` elements in all (counted exactly, never overflowing)."""
    return (isinstance(shape, list) and len(shape) <= MAX_SHAPE_NDIM
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
            and element_count(shape) <= MAX_SHAPE_ELEMENTS)


def rebuild_layer(fields: Any, *, validate: bool = True) -> Layer:
    """A layer from what the worker reported: its constructor text, parsed safely (never
    evaluated) and, unless ``validate=False``, validated with Keras here (the worker
    cannot).  Anything but text is refused."""
    if not isinstance(fields, str):
        raise ValueError("unreadable layer")
    try:
        spec = parse_layer(fields)
    except HarnessError:  # an honest worker sends str(spec), which always parses
        raise ValueError("unreadable layer") from None
    if validate:
        spec.validate()
    return spec


def _payload(claim: Claim, case: Case) -> dict[str, Any]:
    """The case's arrays the formula asks for, as nested lists of floats: ``tolist``
    is ~20x faster than :func:`harness.numbers.to_plain`, the grader's biggest cost
    in a profile (cases hold finite numbers only; the channel carries any float)."""
    named = case.named(claim.spec)
    return {name: [w.tolist() for w in case.weights] if name == "weights"
            else named[name].tolist() for name in claim.params}


def _signature(params: tuple[str, ...]) -> inspect.Signature:
    return inspect.Signature([inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                              for p in params])


def _names(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(n, str) and n.isidentifier()
                                            for n in raw):
        raise ValueError("invalid parameter names")
    return tuple(raw)


def _fixed(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        raise ValueError("invalid fixed=")
    return raw or None


def _bool(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise ValueError("invalid flag")
    return raw


def _deferred(meta: Any) -> bool:
    """True when the worker left the layer's checks to the grader (no Keras there): any
    layer but the recurrent ones whose weights are known without Keras."""
    try:
        return not parse_layer(meta["layer"]).known
    except Exception:  # noqa: BLE001 - not even a layer: the worker's data is wrong
        return False


def _never_run(**kwargs: Any) -> Any:
    """The formula of a broken claim in the grader: the checker never runs one."""
    raise HarnessError("a broken hypothesis is never run")


def _mistake(index: int, meta: Any, exc: HarnessError) -> str:
    """Where the mistake is and what it is, in the words of the student's own run."""
    function = _text(meta["function"], 200)
    text = str(exc).replace(f" formula_{index} ", f" {function} ")[:1500]
    return f"{_text(meta['file'], 200)}, line {_text(meta['line'], 20)}: {text}"


def _reason(exc: Exception) -> str:
    text = str(exc) if isinstance(exc, (HarnessError, ProtocolError)) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _text(raw: Any, limit: int) -> str:
    return str(raw)[:limit] if isinstance(raw, (str, int, float)) else "?"
