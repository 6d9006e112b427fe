"""Hypothesis strategies that draw cases (weights + one sequence) for a layer.

Numbers come from small integers first, then short decimals, then general
floats: Hypothesis shrinks towards the first branch, which is what makes a
counterexample checkable on paper.  Sequences shrink towards the shortest
length the scope allows.
"""

from __future__ import annotations

from collections.abc import Callable

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


def cases(spec: LayerSpec, scope: Scope) -> st.SearchStrategy[Case]:
    """Cases for ``spec`` inside ``scope``."""
    return st.builds(
        lambda weights, xs: Case(tuple(scope.apply_fixed(spec, weights)), xs),
        _weights(spec, scope),
        _sequence(spec, scope),
    ).filter(lambda case: scope.where is None or scope.contains(spec, case))


def _weights(spec: LayerSpec, scope: Scope) -> st.SearchStrategy[list[np.ndarray]]:
    fixed = dict(scope.fixed)
    parts = []
    for name, shape in spec.weight_shapes.items():
        free = int(np.isnan(fixed[name]).sum()) if name in fixed else int(np.prod(shape))
        parts.append(st.lists(numbers(), min_size=free, max_size=free)
                     .map(_filler(fixed.get(name), shape)))
    return st.tuples(*parts).map(list)


def _filler(fixed: np.ndarray | None,
            shape: tuple[int, ...]) -> Callable[[list[float]], np.ndarray]:
    """Turn drawn free values into a full array (fixed entries are set later)."""
    def fill(values: list[float]) -> np.ndarray:
        array = np.zeros(shape) if fixed is None else np.nan_to_num(fixed.copy())
        if fixed is None:
            array[...] = np.array(values).reshape(shape)
        else:
            array[np.isnan(fixed)] = values
        return array
    return fill


def _sequence(spec: LayerSpec, scope: Scope) -> st.SearchStrategy[np.ndarray]:
    d = spec.input_dim
    return st.sampled_from(scope.timesteps).flatmap(
        lambda t: st.lists(numbers(), min_size=t * d, max_size=t * d)
        .map(lambda values: np.array(values, dtype=np.float64).reshape(t, d)))


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
    """``count`` cases drawn by Hypothesis with a fixed seed (fewer if the scope is small)."""
    found: list[Case] = []

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(cases(spec, scope))
    def collect(case: Case) -> None:
        found.append(case)

    collect()
    return unique(found)


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
