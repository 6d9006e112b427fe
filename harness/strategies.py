"""Hypothesis strategies that draw cases (weights + one sequence) for a layer.

Numbers come from small integers first, then short decimals, then general
floats: Hypothesis shrinks towards the first branch, which is what makes a
counterexample checkable on paper.  Sequences shrink towards the shortest
length the scope allows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from harness.cases import Case, make_case
from harness.course import NOTEBOOK_CASES
from harness.layers import LayerSpec
from harness.scope import Scope

#: Largest magnitude drawn for a weight or an input.
BOUND = 10.0


def numbers(bound: float = BOUND) -> st.SearchStrategy[float]:
    """Small integers, then halves/tenths, then general floats within ``bound``."""
    b = int(bound)
    return st.one_of(
        st.integers(-3, 3).map(float),
        st.integers(-b, b).map(float),
        st.integers(-4 * b, 4 * b).map(lambda n: n / 4),
        st.integers(-10 * b, 10 * b).map(lambda n: n / 10),
        st.floats(-bound, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False),
    )


def small_integers() -> st.SearchStrategy[float]:
    """Whole numbers from -3 to 3: the first place the search looks."""
    return st.integers(-3, 3).map(float)


def cases(spec: LayerSpec, scope: Scope, elements: st.SearchStrategy[float] | None = None,
          max_timesteps: int | None = None) -> st.SearchStrategy[Case]:
    """Cases for ``spec`` inside ``scope``: one flat list for the free weight entries and
    a list of input rows (shrinking drops rows, so sequences get shorter)."""
    elements = elements if elements is not None else numbers()
    steps = [t for t in scope.timesteps if max_timesteps is None or t <= max_timesteps]
    steps = steps or [scope.timesteps[0]]
    free = [_free_mask(scope, name, shape) for name, shape in spec.weight_shapes.items()]
    count = sum(int(mask.sum()) for mask in free)
    row = st.tuples(*[elements] * spec.input_dim)
    strategy = st.builds(
        lambda values, rows: _case(spec, scope, free, values, rows),
        st.lists(elements, min_size=count, max_size=count),
        st.lists(row, min_size=steps[0], max_size=steps[-1]),
    )
    contiguous = tuple(steps) == tuple(range(steps[0], steps[-1] + 1))
    if scope.where is None and contiguous:
        return strategy
    return strategy.filter(lambda case: case.timesteps in steps and scope.contains(spec, case))


def _free_mask(scope: Scope, name: str, shape: tuple[int, ...]) -> np.ndarray:
    fixed = dict(scope.fixed).get(name)
    return np.ones(shape, dtype=bool) if fixed is None else np.isnan(fixed)


def _case(spec: LayerSpec, scope: Scope, free: list[np.ndarray], values: list[float],
          rows: list[tuple[float, ...]]) -> Case:
    weights, start = [], 0
    for mask in free:
        array = np.zeros(mask.shape)
        size = int(mask.sum())
        array[mask] = values[start:start + size]
        weights.append(array)
        start += size
    xs = np.array(rows, dtype=np.float64).reshape(len(rows), spec.input_dim)
    return Case(tuple(scope.apply_fixed(spec, weights)), xs)


def explicit_cases(spec: LayerSpec, scope: Scope) -> list[Case]:
    """The notebook's own cases and a few simple ones, those inside ``scope``."""
    candidates = [make_case(spec, c.weights, c.xs) for c in NOTEBOOK_CASES.get(spec, [])]
    ones = [np.ones(shape) for shape in spec.weight_shapes.values()]
    for xs in ([3, 3, 7], [1, 1, 2], [1], [1, 2], [0, 1, 2, 4]):
        seq = np.repeat(np.array(xs, dtype=np.float64)[:, None], spec.input_dim, axis=1)
        candidates.append(Case(tuple(scope.apply_fixed(spec, ones)), seq))
    return [c for c, ok in zip(candidates, scope.contains_many(spec, candidates), strict=True)
            if ok]


def draw_cases(spec: LayerSpec, scope: Scope, *, count: int, seed: int) -> list[Case]:
    """``count`` cases drawn by Hypothesis with a fixed seed (fewer if the scope is small).

    The same for a seed whatever else is loaded (see :func:`no_local_constants`)."""
    found: list[Case] = []

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(cases(spec, scope))
    def collect(case: Case) -> None:
        found.append(case)

    with no_local_constants():
        collect()
    return unique(found)


_CONSTANTS_LOCK = threading.Lock()
_inside = 0  # harness draws running now (threads): the patch stays while any runs
_original: list[object] = []


@contextmanager
def no_local_constants() -> Iterator[None]:
    """Hypothesis draws, inside this block, that depend only on their seed.

    Since Hypothesis 6.131, a draw may return a "local constant": a number found
    in the source of any loaded module outside site-packages and the standard
    library (``hypothesis.internal.conjecture.providers._get_local_constants``,
    cached in ``CONSTANTS_CACHE``).  Which modules are loaded differs between
    ``pytest``, ``harness check``, the API and the grader (and with every
    student file), so the same seed would draw different cases.  Inside this
    block the pool of local constants is empty (Hypothesis's own global
    constants stay); the cache of permitted constants is cleared when the first
    block opens and when the last one closes, so nothing computed inside leaks
    out or the other way round.  Blocks in several threads (the grader checks
    submissions in parallel) share one patch, counted.

    Checked against Hypothesis 6.170; ``tests/test_secret_cases.py`` fails if the
    mechanism moves (a module full of odd constants must not change the draws).
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # an older Hypothesis, without local constants
        yield
        return
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if getattr(providers, "_get_local_constants", None) is None or cache is None:
        yield
        return
    global _inside
    with _CONSTANTS_LOCK:
        if _inside == 0:
            _original[:] = [providers._get_local_constants]
            providers._get_local_constants = lambda: Constants()
            cache.cache.clear()
        _inside += 1
    try:
        yield
    finally:
        with _CONSTANTS_LOCK:
            _inside -= 1
            if _inside == 0:
                providers._get_local_constants = _original.pop()  # type: ignore[assignment]
                cache.cache.clear()


def sample_cases(spec: LayerSpec, scope: Scope, *, count: int, seed: int) -> list[Case]:
    """``count`` cases from a seeded numpy sampler with the same mix as :func:`numbers`.

    Hypothesis draws about 2 ms a case; this draws thousands a millisecond, so it
    supplies the bulk of the screening set while Hypothesis adds its edge cases
    and does the search and shrinking.
    """
    rng = np.random.default_rng(seed)
    found: list[Case] = []
    for _ in range(20):  # rounds; a narrow where= keeps few of each
        if len(found) >= count:
            break
        batch = [_sample_case(rng, spec, scope) for _ in range(count)]
        found += [c for c, ok in zip(batch, scope.contains_many(spec, batch), strict=True) if ok]
    return found[:count]


def _sample_case(rng: np.random.Generator, spec: LayerSpec, scope: Scope) -> Case:
    weights = [_sample(rng, shape) for shape in spec.weight_shapes.values()]
    steps = int(rng.choice(scope.timesteps))
    return Case(tuple(scope.apply_fixed(spec, weights)), _sample(rng, (steps, spec.input_dim)))


def _sample(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """One array; each case picks one kind of number so small-integer cases are common."""
    b = int(BOUND)
    kind = rng.integers(5)
    if kind == 0:
        return rng.integers(-3, 4, size=shape).astype(np.float64)
    if kind == 1:
        return rng.integers(-b, b + 1, size=shape).astype(np.float64)
    if kind == 2:
        return rng.integers(-4 * b, 4 * b + 1, size=shape) / 4
    if kind == 3:
        return rng.integers(-10 * b, 10 * b + 1, size=shape) / 10
    return rng.uniform(-BOUND, BOUND, size=shape)


def unique(cases_: list[Case]) -> list[Case]:
    """Drop repeated cases, keeping the first of each."""
    return list(dict.fromkeys(cases_))
