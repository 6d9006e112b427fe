"""Hints for a refuted hypothesis: where it holds, where it first goes wrong, and
which weights matter -- each a fact observed from Keras, never a formula.

* **Regimes** are narrower scopes in the words of ``@hypothesis`` (a whole weight
  array set to 0, to 1 or to the identity; one entry, or one gate's block, set to
  0 or 1; sequences of at most 1, 2 or 3 steps; pairs of these when no single one
  holds).  A regime is reported only if the formula agrees with Keras on every
  case of a confirmation set drawn for that regime (the notebook's cases in the
  regime, then up to :data:`CONFIRM_CASES` seeded samples; at least
  :data:`MIN_CASES` of them in range, same tolerance; not the checker's
  screening set) and Keras's output is not zero on all of them; only the
  broadest such regimes (none implied by another reported one), at most
  :data:`MAX_REGIMES`, simplest first.
* **First disagreeing step**: the formula and Keras on each prefix of the
  counterexample's sequence.
* **Weights that matter**: the arrays that, set to 0 in the counterexample, make
  the formula agree with Keras (where Keras's output is not then simply zero).

The search is a client of the :class:`~harness.engine.checker.Checker`: Keras through
its memoised oracle, the formula through its evaluator (a sandboxed worker when
grading), always in batches.  Candidates are first tried on a few cases each, all
in one batch; the survivors are confirmed on their confirmation sets.  A time
budget bounds the search; when it runs out, the hints say so (``complete=False``).
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.cases import Case, case_from_json
from harness.claims import Claim
from harness.engine import compare, strategies
from harness.engine.checker import Checker, first_failure
from harness.engine.formula import Outcome
from harness.layers import Layer
from harness.scope import DEFAULT_TIMESTEPS, Scope, make_scope
from harness.settings import DEFAULT_BUDGET as DEFAULT_BUDGET
from harness.settings import MAX_BUDGET as MAX_BUDGET
from harness.verdict import REFUTED, Hints, Regime, Verdict

MIN_CASES = 100
MAX_REGIMES = 4
#: Cases each candidate regime is first tried on (one batch for all candidates).
PROBE_CASES = 12
#: ... after a first look at the counterexample moved into it and this many cases.
QUICK_CASES = 3
#: Cases each surviving regime is confirmed on (at least MIN_CASES of them in range).
CONFIRM_CASES = 120
#: Candidates per batch (so the time budget is looked at between batches, and Keras's
#: batches stay small enough for its quick-to-start path).
TRIAL_CHUNK = 32
CONFIRM_CHUNK = 4
#: A steady budget (grading) counts work: a candidate tried costs TRIAL_WORK, one
#: confirmed CONFIRM_WORK; a second of budget buys WORK_PER_SECOND (about what a
#: second does on a typical 2-core machine, measured on PART_A..C and a GRU).
TRIAL_WORK = 1.0
CONFIRM_WORK = 8.0
WORK_PER_SECOND = 120.0
#: Sequence lengths tried as regimes (at most 1, 2, 3 steps).
STEP_LIMITS = (1, 2, 3)
#: Most pairs tried when no single regime holds.
MAX_PAIRS = 400


@dataclass(frozen=True, eq=False)
class Candidate:
    """A regime being tried: fixed entries (NaN = free) and allowed timesteps (None = all).

    ``rank`` orders the simplest first."""

    fixed: tuple[tuple[str, np.ndarray], ...]
    timesteps: tuple[int, ...] | None
    rank: tuple[int, ...]

    @property
    def key(self) -> tuple[Any, ...]:
        return (tuple((n, a.tobytes()) for n, a in self.fixed), self.timesteps)

    def narrower_than(self, other: Candidate) -> bool:
        """True when every case of ``self`` is also a case of ``other``."""
        mine = dict(self.fixed)
        for name, values in other.fixed:
            if name not in mine:
                return False
            set_ = ~np.isnan(values)
            if not (~np.isnan(mine[name][set_])).all() or not np.array_equal(
                    mine[name][set_], values[set_]):
                return False
        if other.timesteps is None:
            return True
        return self.timesteps is not None and set(self.timesteps) <= set(other.timesteps)

    def regime(self) -> Regime:
        """As reported: a whole array set to one number is that number."""
        fixed = []
        for name, values in self.fixed:
            flat = values.reshape(-1)
            if not np.isnan(flat).any() and (flat == flat[0]).all():
                fixed.append((name, _number(float(flat[0]))))
            else:
                fixed.append((name, _nested(values)))
        return Regime(tuple(fixed), self.timesteps)


def _number(x: float) -> int | float:
    return int(x) if x == int(x) else x


def _nested(values: np.ndarray) -> Any:
    if values.ndim == 0:
        return None if np.isnan(values) else _number(float(values))
    return [_nested(v) for v in values]


def catalogue(spec: Layer) -> list[Candidate]:
    """Every single regime for a layer, simplest first, without duplicates."""
    found: dict[tuple[Any, ...], Candidate] = {}

    def add(name: str, values: np.ndarray, rank: tuple[int, ...]) -> None:
        cand = Candidate(((name, values),), None, rank)
        found.setdefault(cand.key, cand)

    for order, name in enumerate(spec.weight_names):
        shape = spec.weight_shapes[name]
        for value in (1.0, 0.0):
            add(name, np.full(shape, value), (0, order, int(value == 0)))
        if len(shape) == 2 and shape[0] == shape[1]:
            add(name, np.eye(shape[0]), (1, order))
    for order, name in enumerate(spec.weight_names):
        shape = spec.weight_shapes[name]
        for gate, block in enumerate(_gate_blocks(spec, shape)):
            for value in (1.0, 0.0):
                add(name, _with(shape, block, value), (2, order, gate, int(value == 0)))
    for order, name in enumerate(spec.weight_names):
        shape = spec.weight_shapes[name]
        for index in np.ndindex(*shape):
            for value in (1.0, 0.0):
                add(name, _with(shape, index, value), (3, order, *index, int(value == 0)))
    out = list(found.values())
    if spec.variable:  # shorter inputs only where the input's length may vary
        out += [Candidate((), tuple(range(1, n + 1)), (4, n)) for n in STEP_LIMITS]
    return sorted(out, key=lambda c: c.rank)


def _gate_blocks(spec: Layer, shape: tuple[int, ...]) -> list[Any]:
    gates = len(spec.gates)
    if gates < 2:
        return []
    width = spec.units
    return [(..., slice(g * width, (g + 1) * width)) for g in range(gates)]


def _with(shape: tuple[int, ...], index: Any, value: float) -> np.ndarray:
    array = np.full(shape, np.nan)
    array[index] = value
    return array


def combine(a: Candidate, b: Candidate) -> Candidate | None:
    """Both regimes at once, or None when they contradict or one contains the other."""
    if a.narrower_than(b) or b.narrower_than(a):
        return None
    fixed = dict(a.fixed)
    for name, values in b.fixed:
        if name in fixed:
            merged = _merge(fixed[name], values)
            if merged is None:
                return None
            fixed[name] = merged
        else:
            fixed[name] = values
    steps = a.timesteps if b.timesteps is None else (
        b.timesteps if a.timesteps is None else tuple(sorted(set(a.timesteps) & set(b.timesteps))))
    if steps == ():
        return None
    return Candidate(tuple(sorted(fixed.items(), key=lambda item: item[0])), steps,
                     (5, *a.rank, *b.rank))


def _merge(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    both = ~np.isnan(a) & ~np.isnan(b)
    if not np.array_equal(a[both], b[both]):
        return None
    return np.where(np.isnan(a), b, a)


# ---------------------------------------------------------------- the search

class _Clock:
    """The search's budget: wall-clock seconds, or (``steady``) an amount of work that
    takes about that long on a typical machine -- the same on any machine and under
    any load, so a regrade finds exactly the same hints."""

    def __init__(self, budget: float, steady: bool = False) -> None:
        self.end = time.perf_counter() + budget
        self.work = budget * WORK_PER_SECOND if steady else None
        self.cut = False

    def spend(self, units: float) -> None:
        if self.work is not None:
            self.work -= units

    def left(self) -> bool:
        over = (self.work <= 0 if self.work is not None
                else time.perf_counter() >= self.end)
        self.cut = self.cut or over
        return not self.cut


def hints_for(checker: Checker, claim: Claim, verdict: Verdict, *,
              budget: float = DEFAULT_BUDGET, steady: bool = False) -> Hints | None:
    """Hints for a refuted verdict (None for any other verdict), searched for at most
    ``budget`` seconds; ``steady`` (grading): the budget is counted in work, not time,
    so the hints never depend on the machine's speed or load."""
    if verdict.kind != REFUTED or verdict.counterexample is None:
        return None
    clock = _Clock(budget, steady)
    spec = claim.spec
    case = case_from_json(spec, verdict.counterexample.case)
    step, weights = _on_counterexample(checker, claim, case)
    regimes = _regimes(checker, claim, case, clock)
    return Hints(tuple(c.regime() for c in regimes), step, weights, complete=not clock.cut)


def _on_counterexample(checker: Checker, claim: Claim,
                       case: Case) -> tuple[int | None, tuple[str, ...]]:
    """The first prefix where it disagrees, and the arrays whose zeroing makes it agree
    (leaving out those where Keras's output is then zero at every step, which teaches
    nothing): one batch for Keras and one for the formula."""
    spec = claim.spec
    zeroed = [Case(tuple(np.zeros_like(w) if i == k else w for i, w in enumerate(case.weights)),
                   case.xs) for k in range(len(case.weights))]
    prefixes = [_prefixes(spec, c) for c in [case, *zeroed]]
    wants = checker.oracle.outputs(spec, [p for group in prefixes for p in group])
    batch = [case, *zeroed]
    outcomes = checker.evaluator.evaluate(claim, prefixes[0] + zeroed)
    full = len(prefixes[0])
    bad = [first_failure(claim, [c], [w], [o]) is not None
           for c, w, o in zip(prefixes[0], wants[:full], outcomes[:full], strict=True)]
    allowed = claim.scope.timesteps  # a prefix outside the claim's own lengths does not count
    step = next((t + 1 for t, b in enumerate(bad) if b and t + 1 in allowed), None) \
        if spec.is_recurrent else None
    fixed = {name for name, _ in claim.scope.fixed}  # zeroing those would leave the scope
    names = []
    start = full
    for k, name in enumerate(spec.weight_names):
        group = wants[start:start + len(prefixes[k + 1])]
        start += len(group)
        agrees = first_failure(claim, [batch[k + 1]], [group[-1]], [outcomes[full + k]]) is None
        if agrees and name not in fixed and any(np.any(w != 0) for w in group):
            names.append(name)
    return step, tuple(names)


def _prefixes(spec: Layer, case: Case) -> list[Case]:
    """The case cut after each step (a layer without steps: the case itself)."""
    if not spec.is_recurrent:
        return [case]
    return [Case(case.weights, case.xs[:t]) for t in range(1, case.timesteps + 1)]


def _regimes(checker: Checker, claim: Claim, case: Case, clock: _Clock) -> list[Candidate]:
    singles = [c for c in (_within(claim, c) for c in catalogue(claim.spec)) if c is not None]
    held, survivors = _search(checker, claim, case, singles, clock)
    if not held and clock.left():
        pairs = _pairs(singles, survivors)
        held, _ = _search(checker, claim, case, pairs, clock)
    return _broadest(held)[:MAX_REGIMES]


def _within(claim: Claim, cand: Candidate) -> Candidate | None:
    """The candidate inside the claim's own scope (None when that leaves nothing new)."""
    own = Candidate(claim.scope.fixed, None if claim.scope.timesteps == DEFAULT_TIMESTEPS else
                    claim.scope.timesteps, ())
    if own.narrower_than(cand):
        return None
    if cand.narrower_than(own):
        return cand
    merged = combine(own, cand)
    if merged is None:
        return None
    return Candidate(merged.fixed, merged.timesteps, cand.rank)


def _pairs(singles: list[Candidate], near: list[Candidate]) -> list[Candidate]:
    """Pairs of single regimes: those with a near miss (a single regime that passed the
    quick trial but not the confirmation) first, then the rest; simplest first in each."""
    ordered = near + [c for c in singles if c not in near]
    found: dict[tuple[Any, ...], tuple[bool, Candidate]] = {}
    for a, b in itertools.combinations(ordered, 2):
        pair = combine(a, b)
        if pair is not None and pair.key not in found:
            first, second = sorted([a.rank, b.rank])
            found[pair.key] = (a in near or b in near,
                               Candidate(pair.fixed, pair.timesteps, (5, *first, *second)))
        if len(found) >= MAX_PAIRS:
            break
    ranked = sorted(found.values(), key=lambda item: (not item[0], item[1].rank))
    return [cand for _, cand in ranked]


def _search(checker: Checker, claim: Claim, case: Case, candidates: list[Candidate],
            clock: _Clock) -> tuple[list[Candidate], list[Candidate]]:
    """The candidates that hold (confirmed on MIN_CASES+ cases each), and those that
    passed the quick trial (near misses, for pairs).  Confirmed in rounds, broadest
    first, one batch a round; a candidate implied by one that holds is not tried."""
    passed: list[Candidate] = []
    for start in range(0, len(candidates), TRIAL_CHUNK):
        if not clock.left():
            break
        chunk = candidates[start:start + TRIAL_CHUNK]
        clock.spend(len(chunk) * TRIAL_WORK)
        for count, purpose in ((QUICK_CASES, "hint-quick"), (PROBE_CASES, "hint-trial")):
            chunk = _trial(checker, claim, case, chunk, count, purpose)  # most die quickly
        passed += chunk
    held: list[Candidate] = []
    todo = list(passed)
    while todo and clock.left():
        broadest = [c for c in todo if not any(o is not c and c.narrower_than(o)
                                               and o.key != c.key for o in todo)]
        tried = broadest[:CONFIRM_CHUNK]
        clock.spend(len(tried) * CONFIRM_WORK)
        held += _confirmed(checker, claim, tried)
        todo = [c for c in todo if c not in tried
                and not any(c.narrower_than(h) for h in held)]
    return held, passed


def claim_in(claim: Claim, regime: Regime) -> Claim:
    """``claim`` narrowed to ``regime``: the claim a student gets by pasting the regime's
    ``@hypothesis(...)`` line (the claim's own ``where`` condition kept)."""
    scope = make_scope(claim.spec, fixed=dict(regime.fixed), timesteps=regime.timesteps,
                       where=claim.scope.where)
    if claim.scope.where is not None:  # keep the condition's parameters as checked
        scope = dataclasses.replace(scope, where_params=claim.scope.where_params)
    return dataclasses.replace(claim, scope=scope)


def _trial(checker: Checker, claim: Claim, case: Case, candidates: Sequence[Candidate],
           count: int, purpose: str) -> list[Candidate]:
    """The candidates the formula passes on a few cases each (the counterexample moved
    into the regime, then seeded samples), where Keras is not zero on all of them:
    one Keras batch, one formula batch."""
    spec = claim.spec
    groups: list[list[Case]] = []
    for n, cand in enumerate(candidates):
        scope = _scope_of(claim, cand)
        groups.append(_moved(spec, scope, case) + strategies.sample_cases(
            spec, scope, count=count, seed=checker.seed_for(claim, purpose) + n))
    wants, outcomes = _run(checker, claim, [c for g in groups for c in g])
    passed = []
    for cand, cases in zip(candidates, groups, strict=True):
        ok = [c for c in cases if c.key in outcomes]
        keras = [wants[c.key] for c in ok]
        if (ok and any(np.any(w != 0) for w in keras)
                and first_failure(claim, ok, keras, [outcomes[c.key] for c in ok]) is None):
            passed.append(cand)
    return passed


def _scope_of(claim: Claim, cand: Candidate) -> Scope:
    """The regime as a scope, with the claim's own ``where`` condition (so samples are
    drawn inside it: in grading, one round trip per round of samples)."""
    steps = cand.timesteps or claim.scope.timesteps
    return Scope(cand.fixed, steps, claim.scope.where, claim.scope.where_params)


def _moved(spec: Layer, scope: Scope, case: Case) -> list[Case]:
    """The counterexample moved into the regime (cut to an allowed length), if any."""
    if not spec.variable:
        return [Case(tuple(scope.apply_fixed(spec, list(case.weights))), case.xs)]
    steps = [t for t in scope.timesteps if t <= case.timesteps]
    if not steps:
        return []
    return [Case(tuple(scope.apply_fixed(spec, list(case.weights))), case.xs[:max(steps)])]


def _confirmed(checker: Checker, claim: Claim,
               candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates that hold on at least MIN_CASES in-range cases each (the notebook's
    cases in the regime, then seeded samples with the screening set's mix of numbers)
    where Keras's output is not zero on all of them: one batch for all candidates."""
    spec = claim.spec
    groups = []
    for n, cand in enumerate(candidates):
        scope = _scope_of(claim, cand)
        seed = checker.seed_for(claim, "hint-regimes") + n
        groups.append(strategies.explicit_cases(spec, scope)
                      + strategies.sample_cases(spec, scope, count=CONFIRM_CASES, seed=seed))
    wants, outcomes = _run(checker, claim, [c for g in groups for c in g])
    held = []
    for cand, cases in zip(candidates, groups, strict=True):
        ok = [c for c in strategies.unique(cases) if c.key in outcomes][:CONFIRM_CASES]
        keras = [wants[c.key] for c in ok]
        if (len(ok) >= MIN_CASES and any(np.any(w != 0) for w in keras)
                and first_failure(claim, ok, keras, [outcomes[c.key] for c in ok]) is None):
            held.append(cand)
    return held


def _run(checker: Checker, claim: Claim, cases: list[Case]) -> tuple[
        dict[tuple[int, bytes], np.ndarray], dict[tuple[int, bytes], Outcome]]:
    """Keras's output for every case, and the formula's for those inside the claim's
    ``where`` condition (asked again in one batch: the moved counterexample may not
    be) and in range: one batch each."""
    spec = claim.spec
    if claim.scope.where is not None and cases:
        cases = [c for c, ok in zip(cases, claim.scope.contains_many(spec, cases), strict=True)
                 if ok]
    cases = strategies.unique(cases)
    wants = dict(zip([c.key for c in cases], checker.oracle.outputs(spec, cases), strict=True))
    in_range = [c for c in cases if not compare.out_of_range(wants[c.key], spec, c)]
    outcomes = dict(zip([c.key for c in in_range],
                        checker.evaluator.evaluate(claim, in_range), strict=True))
    return wants, outcomes


def _broadest(held: list[Candidate]) -> list[Candidate]:
    """Only regimes not implied by (narrower than) another one held, simplest first."""
    keep = [c for c in held
            if not any(o is not c and c.narrower_than(o) and o.key != c.key for o in held)]
    return sorted(keep, key=lambda c: c.rank)

