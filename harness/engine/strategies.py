"""Hypothesis strategies that draw cases (weights + one input sample) for a layer.

Numbers come from small integers first, then short decimals, then general
floats: Hypothesis shrinks towards the first branch, which is what makes a
counterexample checkable on paper.  A variable input axis (a sequence) shrinks
towards the shortest length the scope allows.  What is drawn fits the layer:
an index input (``Embedding``) holds whole numbers in range (shrinking towards
0), and weights that must be positive (``moving_variance``) are drawn positive
(shrinking towards 1).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from harness.cases import Case, make_case
from harness.course import NOTEBOOK_CASES
from harness.layers import Layer
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


def cases(spec: Layer, scope: Scope, elements: st.SearchStrategy[float] | None = None,
          max_timesteps: int | None = None) -> st.SearchStrategy[Case]:
    """Cases for ``spec`` inside ``scope``: one flat list for the free weight entries and
    a list of input rows (shrinking drops rows, so sequences get shorter)."""
    elements = elements if elements is not None else numbers()
    steps = lengths(spec, scope, max_timesteps)
    free = [_free_mask(scope, name, shape) for name, shape in spec.weight_shapes.items()]
    count = sum(int(mask.sum()) for mask in free)
    inputs = index_numbers(spec.index_limit) if spec.input_kind == "index" else elements
    row = st.tuples(*[inputs] * _row_size(spec))
    strategy = st.builds(
        lambda values, rows: _case(spec, scope, free, values, rows),
        st.lists(elements, min_size=count, max_size=count),
        st.lists(row, min_size=steps[0], max_size=steps[-1]),
    )
    contiguous = tuple(steps) == tuple(range(steps[0], steps[-1] + 1))
    if scope.where is None and contiguous:
        return strategy
    return strategy.filter(lambda case: case.timesteps in steps and scope.contains(spec, case))


def index_numbers(limit: int) -> st.SearchStrategy[float]:
    """Indices from 0 to ``limit - 1`` (as floats, like every number in a case)."""
    return st.integers(0, max(0, limit - 1)).map(float)


def lengths(spec: Layer, scope: Scope, max_timesteps: int | None = None) -> list[int]:
    """The first input axis's allowed lengths: the scope's (at most ``max_timesteps``)
    when the axis is variable, else its one fixed length."""
    if not spec.variable:
        return [spec.input_sample_shape()[0]]
    steps = [t for t in scope.timesteps if max_timesteps is None or t <= max_timesteps]
    return steps or [scope.timesteps[0]]


def _row_size(spec: Layer) -> int:
    """Numbers in one row of the input (everything after its first axis)."""
    return int(np.prod(spec.input_sample_shape(1 if spec.variable else None)[1:]))


def _input(spec: Layer, rows: Any) -> np.ndarray:
    array = np.array(rows, dtype=np.float64).reshape(-1)
    length = len(rows)
    return array.reshape(spec.input_sample_shape(length if spec.variable else None))


def _positive(array: np.ndarray) -> np.ndarray:
    """Drawn numbers made positive: their size, with 1 for anything below 0.1."""
    out = np.abs(array)
    out[out < 0.1] = 1.0
    return out


def _free_mask(scope: Scope, name: str, shape: tuple[int, ...]) -> np.ndarray:
    fixed = dict(scope.fixed).get(name)
    return np.ones(shape, dtype=bool) if fixed is None else np.isnan(fixed)


def _case(spec: Layer, scope: Scope, free: list[np.ndarray], values: list[float],
          rows: list[tuple[float, ...]]) -> Case:
    weights, start = [], 0
    positive = spec.positive_weights
    for name, mask in zip(spec.weight_names, free, strict=True):
        array = np.zeros(mask.shape)
        size = int(mask.sum())
        array[mask] = values[start:start + size]
        weights.append(_positive(array) if name in positive else array)
        start += size
    return Case(tuple(scope.apply_fixed(spec, weights)), _input(spec, rows))


def explicit_cases(spec: Layer, scope: Scope) -> list[Case]:
    """The notebook's own cases and a few simple ones, those inside ``scope``."""
    candidates = [make_case(spec, c.weights, c.xs) for c in NOTEBOOK_CASES.get(spec, [])]
    ones = [np.ones(shape) for shape in spec.weight_shapes.values()]
    for xs in ([3, 3, 7], [1, 1, 2], [1], [1, 2], [0, 1, 2, 4]):
        if spec.variable:
            rows = [[x] * _row_size(spec) for x in xs]
        else:  # the pattern repeated over the whole fixed-shape input
            rows = [[xs[(i + j) % len(xs)] for j in range(_row_size(spec))]
                    for i in range(spec.input_sample_shape()[0])]
        seq = _input(spec, rows)
        if spec.input_kind == "index":
            seq = seq % spec.index_limit
        candidates.append(Case(tuple(scope.apply_fixed(spec, ones)), seq))
    return [c for c, ok in zip(candidates, scope.contains_many(spec, candidates), strict=True)
            if ok]


def draw_cases(spec: Layer, scope: Scope, *, count: int, seed: int) -> list[Case]:
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


def sample_cases(spec: Layer, scope: Scope, *, count: int, seed: int) -> list[Case]:
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


def sample_many(spec: Layer, scope: Scope, *, count: int, seed: int) -> list[Case]:
    """``count`` cases with the same mix as :func:`sample_cases` (each array one kind of
    number, lengths uniform over the scope's), drawn with a few numpy calls per weight
    and per length instead of a Python loop per number: the grader draws a set of
    these for every submission (its fresh cases), so their cost counts."""
    rng = np.random.default_rng(seed)
    found: list[Case] = []
    for _ in range(20):  # rounds; a narrow where= keeps few of each
        if len(found) >= count:
            break
        batch = _sample_batch(rng, spec, scope, count)
        found += [c for c, ok in zip(batch, scope.contains_many(spec, batch), strict=True) if ok]
    return found[:count]


def _sample_batch(rng: np.random.Generator, spec: Layer, scope: Scope,
                  count: int) -> list[Case]:
    positive = spec.positive_weights
    stacks = []
    for name, shape in spec.weight_shapes.items():
        stack = _sample_stack(rng, shape, count)
        stacks.append(_positive(stack) if name in positive else stack)
        fixed = dict(scope.fixed).get(name)
        if fixed is not None:
            mask = ~np.isnan(fixed)
            stacks[-1][:, mask] = fixed[mask]
    steps = rng.choice(lengths(spec, scope), size=count)
    inputs: list[np.ndarray | None] = [None] * count
    for length in sorted(set(steps.tolist())):
        where = np.flatnonzero(steps == length)
        shape = spec.input_sample_shape(length if spec.variable else None)
        if spec.input_kind == "index":
            xs = rng.integers(0, spec.index_limit, size=(len(where), *shape)).astype(np.float64)
        else:
            xs = _sample_stack(rng, shape, len(where))
        for i, sample in zip(where, xs, strict=True):
            inputs[i] = sample
    return [Case(tuple(stack[i] for stack in stacks), xs_)
            for i, xs_ in enumerate(inputs) if xs_ is not None]


def _sample_stack(rng: np.random.Generator, shape: tuple[int, ...], count: int) -> np.ndarray:
    """``count`` arrays of ``shape``, each of one kind of number (as :func:`_sample`)."""
    b = int(BOUND)
    kinds = rng.integers(5, size=count)
    out = np.empty((count, *shape))
    draws = (lambda n: rng.integers(-3, 4, size=(n, *shape)).astype(np.float64),
             lambda n: rng.integers(-b, b + 1, size=(n, *shape)).astype(np.float64),
             lambda n: rng.integers(-4 * b, 4 * b + 1, size=(n, *shape)) / 4,
             lambda n: rng.integers(-10 * b, 10 * b + 1, size=(n, *shape)) / 10,
             lambda n: rng.uniform(-BOUND, BOUND, size=(n, *shape)))
    for kind, draw in enumerate(draws):
        chosen = kinds == kind
        out[chosen] = draw(int(chosen.sum()))
    return out


def _sample_case(rng: np.random.Generator, spec: Layer, scope: Scope) -> Case:
    positive = spec.positive_weights
    weights = [_positive(_sample(rng, shape)) if name in positive else _sample(rng, shape)
               for name, shape in spec.weight_shapes.items()]
    steps = int(rng.choice(lengths(spec, scope)))
    shape = spec.input_sample_shape(steps if spec.variable else None)
    if spec.input_kind == "index":
        xs = rng.integers(0, spec.index_limit, size=shape).astype(np.float64)
    else:
        xs = _sample(rng, shape)
    return Case(tuple(scope.apply_fixed(spec, weights)), xs)


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
