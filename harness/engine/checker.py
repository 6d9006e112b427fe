"""The checker: one claim in, one verdict out.

1. **Screening.**  A set of cases for the claim's layer and scope is drawn once
   by Hypothesis (fixed seed) with the notebook's own cases in front; Keras
   evaluates it in one batched call and the set is shared by every claim on
   the same layer and scope.  The formula runs on every case.
2. **Search and shrink.**  Only if screening finds a failure: Hypothesis
   searches the same space (same seed, so it meets the failure again) and
   shrinks it to a minimal counterexample, asking the memoised oracle only
   for cases it has not seen.

3. **Fresh cases** (grading, when the settings carry a secret): a claim that
   holds on the screening set is also checked on cases of its own submission,
   drawn over the whole space from the secret and the submission's content
   (the salt), which nobody could know in advance and no earlier grading met.

**Only public cases are shown.**  The search starts from public randomness (the
run's seed, never the secret), so a counterexample shown is one a student's own
run with that seed finds too.  With a secret, a failure that only the grader's
own cases show (the search finds none) is reported without any case and without
the formula's own words (:data:`SECRET_ONLY`): a formula that sees the secret
cases could otherwise print them.

Nothing depends on run order: seeds come from the settings' seed (or secret),
the layer and the scope as the checker itself holds them (fixed-weight bytes,
timesteps, the ``where`` condition's source), never from text a worker reports
and never from which claim ran first.
"""

from __future__ import annotations

import hashlib
import inspect
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import HypothesisException
from hypothesis.strategies import SearchStrategy

from harness.cases import Case
from harness.claims import Claim
from harness.engine import compare, lookalike, strategies
from harness.engine.formula import Evaluator, InProcess, Outcome
from harness.engine.oracle import Oracle
from harness.layers import Layer
from harness.numbers import to_plain
from harness.scope import Scope
from harness.settings import DEFAULT_CASES as DEFAULT_CASES
from harness.settings import DEFAULT_FRESH as DEFAULT_FRESH
from harness.settings import DEFAULT_SEED as DEFAULT_SEED
from harness.settings import MAX_CASES as MAX_CASES
from harness.settings import CheckSettings as CheckSettings
from harness.verdict import ERROR, HOLDS, REFUTED, Counterexample, Verdict, VerdictKind

# CheckSettings and the defaults above live in harness.settings (importable without
# NumPy, for the pytest plugin) and are re-exported here.

#: The first search looks at whole numbers in [-3, 3] and sequences of at most 3 steps.
SMALL_STEPS = 3
SMALL_EXAMPLES = 100
#: Searches remembered per layer, scope and tier, and replayed for later formulas.
MAX_SEARCHES = 8
REPLAY_CHUNK = 32
SAMPLE_ROUNDS = 6
#: Fresh candidates drawn beyond what the screening set's share of in-range cases asks
#: for, so that one round nearly always gives enough (another round costs a request).
FRESH_MARGIN = 1.25
#: Most fresh candidates drawn per fresh case wanted in one round.
FRESH_MOST = 8

#: What a verdict says when only the grader's own (secret) cases show the failure: no case,
#: no number and nothing the formula said (it has seen those cases).
SECRET_ONLY = {
    REFUTED: "it disagrees with Keras on some of the grader's own cases, which stay secret, "
             "and the search for a case that can be shown found none. Test it on cases of "
             "your own (harness check, or harness.check in a notebook) and look for weights "
             "or inputs it treats differently.",
    ERROR: "it gave no usable answer (it raised an error, or returned the wrong type or "
           "shape) on some of the grader's own cases, which stay secret, and the search for "
           "a case that can be shown found none. Make sure it returns the layer's output "
           "for every case, and test it with harness check.",
}


@dataclass(frozen=True)
class Failure:
    """One case where the formula failed: an error, or an output unlike Keras's."""

    case: Case
    want: np.ndarray
    outcome: Outcome

    @property
    def is_error(self) -> bool:
        return self.outcome.error is not None


@dataclass(frozen=True)
class SearchRecord:
    """One Hypothesis search as it ran: every case the formula saw, in order, which of
    them failed, and the failure it ended with (the last one: the minimal case)."""

    cases: list[Case]
    wants: list[np.ndarray]
    failing: list[int]
    result: Failure | None
    replayable: bool = True


@dataclass
class _Fresh:
    """One submission's fresh cases for one layer and scope: the candidates sent to the
    worker, then (once Keras has judged them) the ones kept, with Keras's outputs."""

    candidates: list[Case]
    seed: int
    kept: list[tuple[Case, np.ndarray]] | None = None


#: A memo key: the layer, the scope's key (fixed entries, timesteps, ``where``), then more.
MemoKey = tuple[Any, ...]


class _Found(Exception):
    """Raised inside the Hypothesis search to carry a failure out of it."""

    def __init__(self, failure: Failure) -> None:
        super().__init__("the formula disagrees with Keras")
        self.failure = failure


class Checker:
    """Checks claims against the real Keras layer; holds the oracle and shared cases."""

    def __init__(self, settings: CheckSettings | None = None, oracle: Oracle | None = None,
                 evaluator: Evaluator | None = None,
                 salt: Callable[[Claim], bytes] | None = None) -> None:
        """``salt`` (grading) gives the bytes that make a claim's fresh cases its own,
        e.g. a digest of the submission's content."""
        self.settings = settings or CheckSettings()
        self.oracle = oracle or Oracle()
        self.evaluator: Evaluator = evaluator or InProcess()
        self.salt = salt
        # Memos of the run, each keyed by (layer, scope key, ...): see forget().
        self._screens: dict[MemoKey, tuple[list[Case], list[np.ndarray]]] = {}
        self._rates: dict[MemoKey, float] = {}
        #: A submission's fresh cases, keyed by (layer, scope key, salt): see forget_salt().
        self._fresh: dict[MemoKey, _Fresh] = {}
        self._searches: dict[MemoKey, list[SearchRecord]] = {}
        self._seeds: dict[MemoKey, tuple[bytes, ...]] = {}

    def forget(self, where: Callable[..., Any]) -> None:
        """Drop every memo of scopes with this ``where=`` condition (grading: a finished
        submission's condition, which no later claim can have).  The memos are keyed by
        the layer and the scope (:attr:`Scope.key`, holding the condition itself), so a
        run's memory grows with its distinct layers and scopes, not with its claims."""
        for memo in (self._screens, self._rates, self._fresh, self._searches, self._seeds):
            for key in [k for k in list(memo) if k[1][2] is where]:
                memo.pop(key, None)

    def check(self, claim: Claim) -> Verdict:
        """Screen, then search and shrink if anything failed."""
        start = time.perf_counter()
        if claim.error is not None:  # a broken declaration: nothing to run
            return self._verdict(claim, ERROR, 0, start, message=claim.error)
        cases, wants = self.screening(claim)
        if not cases:
            return self._verdict(claim, ERROR, 0, start, message=(
                "no case inside this hypothesis's scope could be checked: the where= "
                "condition is never true, or Keras's outputs overflow for every case drawn. "
                "Widen the scope."))
        outcomes = self.evaluator.evaluate(claim, cases)
        behaviour = lookalike.digest(outcomes)  # same cases for every claim: a fingerprint
        failure = first_failure(claim, cases, wants, outcomes)
        checked = len(cases)
        if failure is None and self.settings.secret is not None:
            fresh, fresh_wants = self.fresh(claim)
            failure = first_failure(claim, fresh, fresh_wants,
                                    self.evaluator.evaluate(claim, fresh))
            checked += len(fresh)
        if failure is None:
            return self._verdict(claim, HOLDS, checked, start, behaviour=behaviour)
        found, tried = None, 0
        if not failure.outcome.fatal:
            found, tried = self.search(claim, errors=failure.is_error)
        status = ERROR if failure.is_error else REFUTED
        if found is None and not self._showable(claim, failure.case):
            return self._verdict(claim, status, checked + tried, start,
                                 message=SECRET_ONLY[status], behaviour=behaviour)
        failure = found or failure
        return self._verdict(claim, status, checked + tried, start,
                             counterexample=self._counterexample(claim, failure),
                             message=failure.outcome.error, behaviour=behaviour)

    def _showable(self, claim: Claim, case: Case) -> bool:
        """May this case be shown?  Without a secret every case is public; with one, only
        the notebook's and the simple fixed cases every run starts with."""
        if self.settings.secret is None:
            return True
        public = strategies.explicit_cases(claim.spec, replace(claim.scope, where=None,
                                                               where_params=()))
        return case in public

    def screening(self, claim: Claim) -> tuple[list[Case], list[np.ndarray]]:
        """The shared, in-range screening cases for the claim's layer and scope."""
        key = (claim.spec, claim.scope.key)
        if key not in self._screens:
            spec, scope = claim.spec, claim.scope
            seed, count = self.seed_for(claim), self.settings.cases
            first = (strategies.explicit_cases(spec, scope)
                     + _draw(spec, scope, self.settings.drawn, seed))
            kept, tried = self._in_range(spec, scope, first, count, 2 * count, seed, set())
            chosen = list(kept.items())[:count]
            self._rates[key] = tried / max(1, len(kept))
            self._screens[key] = ([c for c, _ in chosen], [w for _, w in chosen])
        return self._screens[key]

    def fresh_candidates(self, claim: Claim) -> list[Case]:
        """The cases the claim's fresh cases come from, before Keras is asked about them
        (the grader sends them to the worker with the screening cases, in one batch)."""
        return self._fresh_entry(claim).candidates

    def fresh(self, claim: Claim) -> tuple[list[Case], list[np.ndarray]]:
        """In-range cases, not in the screening set, that only the grader can know, and
        only for this claim's submission.

        Drawn over the whole case space (:func:`harness.engine.strategies.sample_many`: the
        screening set's mix of numbers and lengths) with a seed from the secret, the
        run's seed, the layer, the scope and the salt (in grading, the submission's
        content; :func:`seed_for`): no run of the student's own can have shown them,
        and no earlier submission met them, so a table of every case seen before
        cannot answer them.  Keras evaluates them per submission, one batch per length,
        only for a claim that gets this far; as many candidates are drawn as the
        screening set's share of in-range cases asks for, and another round when too
        few are in range.  The same for the same secret and submission (a regrade);
        empty without a secret.
        """
        if self.settings.secret is None:
            return [], []
        entry = self._fresh_entry(claim)
        if entry.kept is None:
            entry.kept = self._fresh_in_range(claim, entry)
        return [c for c, _ in entry.kept], [w for _, w in entry.kept]

    def forget_salt(self, salt: bytes) -> None:
        """Drop the fresh cases drawn with ``salt`` (its submission is graded)."""
        for key in [k for k in list(self._fresh) if k[2] == salt]:
            self._fresh.pop(key, None)

    def _fresh_entry(self, claim: Claim) -> _Fresh:
        if self.settings.secret is None:
            return _Fresh([], 0)
        salt = self.salt(claim) if self.salt is not None else b""
        key = (claim.spec, claim.scope.key, salt)
        if key not in self._fresh:
            screened = set(self.screening(claim)[0])
            rate = min(self._rates.get(key[:2], 1.0), FRESH_MOST)
            count = int(np.ceil(self.settings.fresh * rate * FRESH_MARGIN))
            seed = self.seed_for(claim, "fresh", salt)
            drawn = strategies.sample_many(claim.spec, claim.scope, count=count, seed=seed)
            self._fresh[key] = _Fresh([c for c in strategies.unique(drawn)
                                       if c not in screened], seed)
        return self._fresh[key]

    def _fresh_in_range(self, claim: Claim, entry: _Fresh) -> list[tuple[Case, np.ndarray]]:
        """The first ``settings.fresh`` candidates Keras can judge, with its outputs; more
        rounds of candidates (seeded from the first) while too few are in range."""
        spec, scope, count = claim.spec, claim.scope, self.settings.fresh
        seen = set(self.screening(claim)[0]) | set(entry.candidates)
        kept: list[tuple[Case, np.ndarray]] = []
        batch, seed = entry.candidates, entry.seed
        for round_ in range(1, SAMPLE_ROUNDS + 1):
            for case, want in zip(batch, self.oracle.outputs(spec, batch), strict=True):
                if not compare.out_of_range(want, spec, case):
                    kept.append((case, want))
            if len(kept) >= count:
                break
            more = strategies.sample_many(spec, scope, count=max(count, len(entry.candidates)),
                                          seed=seed + round_)
            batch = [c for c in strategies.unique(more) if c not in seen]
            seen.update(batch)
        return kept[:count]

    def _in_range(self, spec: Layer, scope: Scope, first: list[Case], count: int,
                  per_round: int, seed: int,
                  seen: set[Case]) -> tuple[dict[Case, np.ndarray], int]:
        """``first``, then rounds of seeded samples, none of ``seen``, with Keras's
        outputs, until ``count`` are in range (fast-growing layers skip many cases);
        and how many cases Keras was asked about."""
        kept: dict[Case, np.ndarray] = {}
        batch, tried = list(first), 0
        for round_ in range(1, SAMPLE_ROUNDS + 1):
            batch += strategies.sample_cases(spec, scope, count=per_round, seed=seed + round_)
            batch = [c for c in strategies.unique(batch) if c not in seen]
            seen.update(batch)
            tried += len(batch)
            for case, want in zip(batch, self.oracle.outputs(spec, batch), strict=True):
                if not compare.out_of_range(want, spec, case):
                    kept[case] = want
            if len(kept) >= count:
                break
            batch = []
        return kept, tried

    def search(self, claim: Claim, *, errors: bool = False) -> tuple[Failure | None, int]:
        """Let Hypothesis find and shrink a failure; returns it and the cases tried.

        First among whole numbers from -3 to 3 and sequences of at most 3 steps
        (a failure found there is already easy to check by hand, and shrinks
        fast), then in the whole space.  ``errors`` says which kind to look for:
        the formula failing to give an output, or an output unlike Keras's.
        """
        tiers = [(strategies.small_integers(), SMALL_STEPS, SMALL_EXAMPLES),
                 (None, None, self.settings.search)]
        tried = 0
        for tier, (elements, steps, examples) in enumerate(tiers):
            key = (claim.spec, claim.scope.key, tier, errors)
            record = self._replay(claim, key, errors)
            if record is None:
                strategy = strategies.cases(claim.spec, claim.scope, elements, steps)
                record = self._search(claim, strategy, examples, errors)
                if record.replayable:
                    self._searches.setdefault(key, []).insert(0, record)
                    del self._searches[key][MAX_SEARCHES:]
            tried += len(record.cases)
            if record.result is not None:
                return record.result, tried
        return None, tried

    def _replay(self, claim: Claim, key: tuple[object, ...], errors: bool) -> SearchRecord | None:
        """A recorded search whose every step this formula passes or fails the same way.

        Hypothesis's search is a function of its seed and of which examples fail,
        so such a search would run exactly the same for this formula: its result,
        with this formula's own output, is the result a fresh search would give.
        """
        for record in list(self._searches.get(key, [])):  # another thread may record one
            last = self._follows(claim, record, errors)
            if last is not None:
                return SearchRecord(record.cases, record.wants, record.failing,
                                    last if isinstance(last, Failure) else None)
        return None

    def _follows(self, claim: Claim, record: SearchRecord,
                 errors: bool) -> Failure | bool | None:
        """None unless this formula fails exactly where the recorded one failed (checked
        a chunk at a time); then its failure on the last of those cases, or False when
        the recorded search found no failure."""
        failing = set(record.failing)
        last: Failure | bool = False
        for start in range(0, len(record.cases), REPLAY_CHUNK):
            chunk = range(start, min(start + REPLAY_CHUNK, len(record.cases)))
            got = self.evaluator.evaluate(claim, [record.cases[i] for i in chunk])
            for i, outcome in zip(chunk, got, strict=True):
                failure = first_failure(claim, [record.cases[i]], [record.wants[i]], [outcome])
                failed = failure is not None and failure.is_error == errors
                if failed != (i in failing):
                    return None
                last = failure if failed and failure is not None else last
        return last

    def _search(self, claim: Claim, strategy: SearchStrategy[Case], examples: int,
                errors: bool) -> SearchRecord:
        cases: list[Case] = []
        wants: list[np.ndarray] = []
        failing: list[int] = []

        @settings(max_examples=examples, database=None, deadline=None,
                  phases=[Phase.generate, Phase.shrink], report_multiple_bugs=False,
                  suppress_health_check=list(HealthCheck), print_blob=False)
        @hypothesis_seed(self.seed_for(claim, public=True))
        @given(strategy)
        def attempt(case: Case) -> None:
            want = self.oracle.output(claim.spec, case)
            assume(not compare.out_of_range(want, claim.spec, case))
            cases.append(case)
            wants.append(want)
            outcome = self.evaluator.evaluate(claim, [case])[0]
            failure = first_failure(claim, [case], [want], [outcome])
            if failure is not None and failure.is_error == errors:
                failing.append(len(cases) - 1)
                raise _Found(failure)

        try:
            with strategies.no_local_constants():
                attempt()
        except _Found as found:
            return SearchRecord(cases, wants, failing, found.failure)
        except HypothesisException:  # unsatisfiable scope, or a formula that is not repeatable
            return SearchRecord(cases, wants, [], None, replayable=False)
        return SearchRecord(cases, wants, failing, None)

    def seed_for(self, claim: Claim, purpose: str = "cases", salt: bytes = b"", *,
                 public: bool = False) -> int:
        """A seed from the run's seed (and secret, when grading, unless ``public``: the
        search's, whose cases may be shown), the layer and the scope.

        The seed still counts under a secret, so an instructor's ``--seed`` draws
        other secret cases.  Only data the checker holds itself goes in: the layer spec, the fixed
        weight entries' bytes, the timesteps and the ``where`` condition's
        identity (:func:`where_identity`).  Never the claim's name or scope text:
        in grading those are reported by the untrusted worker, and could steer
        which cases later submissions get.  Never the run order either.
        """
        key = (claim.spec, claim.scope.key, purpose, public)
        if key not in self._seeds:  # the scope's identity may read the condition's source
            secret = None if public else self.settings.secret_bytes
            material: tuple[bytes, ...] = (b"seed", str(self.settings.seed).encode())
            if secret is not None:
                material = (b"secret", secret, *material)
            self._seeds[key] = (*material, purpose.encode(), str(claim.spec).encode(),
                                *scope_identity(claim.scope))
        return derive_seed(*self._seeds[key], salt)  # per submission: not memoised

    def _counterexample(self, claim: Claim, failure: Failure) -> Counterexample:
        steps = None
        if claim.spec.is_recurrent and not claim.spec.return_sequences:
            steps = to_plain(self.oracle.steps(claim.spec, failure.case))
        got = failure.outcome.value
        return Counterexample(
            case=failure.case.to_json(claim.spec),
            keras_output=to_plain(failure.want),
            hypothesis_output=None if got is None else to_plain(got),
            keras_steps=steps,
        )

    def _verdict(self, claim: Claim, status: VerdictKind, cases: int, start: float,
                 counterexample: Counterexample | None = None,
                 message: str | None = None, behaviour: str | None = None) -> Verdict:
        return Verdict(
            file=claim.file, function=claim.function, name=claim.name, layer=claim.shown,
            scope=claim.scope.text, recorded=claim.refuted, kind=status, cases=cases,
            seed=self.settings.seed, seconds=round(time.perf_counter() - start, 4),
            counterexample=counterexample, message=message, line=claim.line,
            general=claim.scope.is_general, behaviour=behaviour, params=claim.params,
            where=claim.scope.where is not None,
        )


def derive_seed(*parts: bytes) -> int:
    """A 64-bit seed from byte strings (each length-prefixed, so parts cannot run together)."""
    digest = hashlib.sha256(b"harness-seed-v1")
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return int.from_bytes(digest.digest()[:8], "big")


def scope_identity(scope: Scope) -> list[bytes]:
    """The scope as bytes: fixed entries (name, shape, float64 bytes; NaN = free),
    allowed timesteps, and the identity of the ``where`` condition."""
    parts: list[bytes] = []
    for name, array in scope.fixed:
        parts += [name.encode(), repr(array.shape).encode(), array.tobytes()]
    parts.append(repr(tuple(scope.timesteps)).encode())
    parts.append(where_identity(scope.where))
    return parts


def where_identity(where: Callable[..., Any] | None) -> bytes:
    """What identifies a ``where=`` condition in a seed, the same in every process.

    * A plain function or lambda (a student's own run): its source text and its
      compiled code (two lambdas on one line share their source lines), so
      ``pytest``, ``harness check`` and the API, which import the file under
      different module names, draw the same cases; its qualified name instead of
      the source when that cannot be read.
    * Any other callable: only its type.  In grading the condition is the
      grader's ``RemoteWhere`` proxy: it has no source, and everything the worker
      says about it (name, text, line) is untrusted, so none of it may go into a
      seed.  Conditions of different students then start from the same
      candidate cases and keep different ones; that is harmless, because in
      grading the seed is secret and the fresh cases are per submission anyway.
    """
    if where is None:
        return b"none"
    if isinstance(where, (types.FunctionType, types.MethodType)):
        try:
            text = b"source:" + inspect.getsource(where).encode()
        except (OSError, TypeError):
            text = b"name:" + where.__qualname__.encode()
        return text + b"|code:" + _code_identity(where.__code__)
    return b"object:" + type(where).__qualname__.encode()


def _code_identity(code: types.CodeType) -> bytes:
    """Bytecode, names and constants (nested code too), nothing tied to this process."""
    parts = [code.co_code, repr((code.co_names, code.co_varnames)).encode()]
    for const in code.co_consts:
        is_code = isinstance(const, types.CodeType)
        parts.append(_code_identity(const) if is_code else repr(const).encode())
    return b"|".join(parts)


def first_failure(claim: Claim, cases: Sequence[Case], wants: Sequence[np.ndarray],
                  outcomes: Sequence[Outcome]) -> Failure | None:
    """The first failure, by precedence: the formula gave no valid output (raised, wrong
    type or shape); else it disagreed with Keras in finite numbers; else it gave NaN/inf
    where Keras is finite (an error only when the formula never disagrees otherwise:
    a wrong formula that also overflows is simply refuted)."""
    mismatch = nonfinite = None
    for case, want, outcome in zip(cases, wants, outcomes, strict=True):
        if outcome.error is not None:
            return Failure(case, want, outcome)
        assert outcome.value is not None
        if compare.bad_values(outcome.value):
            nonfinite = nonfinite or Failure(case, want, Outcome.failed(
                f"it returned {_nonfinite(outcome.value)} where Keras gives finite numbers"))
        elif mismatch is None and not compare.agree(claim.spec, case, want, outcome.value):
            mismatch = Failure(case, want, outcome)
    return mismatch or nonfinite


def _nonfinite(value: np.ndarray) -> str:
    return "NaN (not a number)" if np.isnan(value).any() else "infinity"


def _draw(spec: Layer, scope: Scope, count: int, seed: int) -> list[Case]:
    try:
        return strategies.draw_cases(spec, scope, count=count, seed=seed)
    except HypothesisException:  # the scope's where= condition is never true
        return []
