"""The oracle: the real Keras layer, the only judge of what a layer outputs.

This is the only module that imports Keras / TensorFlow, and only when an
``Oracle`` first evaluates something.  One Keras layer is built per layer spec,
in float64.  A batch of cases, each with its own weights and sequence, is
evaluated in one compiled call per sequence length (``tf.map_fn`` for small
batches, ``tf.vectorized_map`` for large ones) over the layer's own
``stateless_call``, so Keras's real ``call`` code runs for every case.  Outputs
are memoised by case, so no case is evaluated twice in a run.
"""

from __future__ import annotations

import gc
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from harness.cases import Case
from harness.layers import LayerSpec

#: Largest batch sent to Keras in one call.
CHUNK = 4096
#: Batches at least this big use the vectorised runner (slower to trace, faster to run).
VECTORIZE_FROM = 512


def _load_tensorflow() -> None:
    """Import TensorFlow and Keras once, quietly and quickly.

    Their start-up chatter stays out of a student's terminal.  The garbage
    collector is paused during the import (~0.45 s faster) and the ~400,000
    long-lived objects it leaves are then frozen, so later full collections
    do not walk them (a full collection drops from ~0.19 s to ~0.01 s).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return
    gc.disable()
    try:
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        gc.enable()
    gc.freeze()


class Oracle:
    """Outputs of real Keras layers for many cases, batched and memoised."""

    def __init__(self) -> None:
        self._memo: dict[LayerSpec, dict[tuple[int, bytes], np.ndarray]] = {}
        self._runners: dict[tuple[LayerSpec, bool], Callable[..., Any]] = {}
        self.keras_calls = 0
        self.cases_evaluated = 0

    def outputs(self, spec: LayerSpec, cases: Sequence[Case]) -> list[np.ndarray]:
        """The layer's output (float64) for every case, in order."""
        memo = self._memo.setdefault(spec, {})
        keys = [c.key for c in cases]
        by_length: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
        for key in dict.fromkeys(keys):  # each new case once, in order
            if key not in memo:
                by_length[key[0]].append(key)
        for group in by_length.values():
            for start in range(0, len(group), CHUNK):
                self._evaluate(spec, group[start:start + CHUNK], memo)
        return [memo[key] for key in keys]

    def output(self, spec: LayerSpec, case: Case) -> np.ndarray:
        """The layer's output for one case."""
        return self.outputs(spec, [case])[0]

    def steps(self, spec: LayerSpec, case: Case) -> np.ndarray:
        """The output after every step, shape (timesteps, units), from the same layer.

        For a layer without ``return_sequences`` this runs the case's prefixes,
        so no second Keras layer is built.
        """
        if spec.return_sequences:
            return self.output(spec, case)
        prefixes = [Case(case.weights, case.xs[: t + 1]) for t in range(case.timesteps)]
        return np.stack(self.outputs(spec, prefixes))

    def _evaluate(self, spec: LayerSpec, batch: list[tuple[int, bytes]],
                  memo: dict[tuple[int, bytes], np.ndarray]) -> None:
        runner = self._runner(spec, len(batch))
        weights, xs = unpack(spec, batch)
        results = np.asarray(runner(weights, xs), dtype=np.float64)
        self.keras_calls += 1
        self.cases_evaluated += len(batch)
        results.setflags(write=False)
        memo.update(zip(batch, results, strict=True))

    def _runner(self, spec: LayerSpec, size: int) -> Callable[..., Any]:
        key = (spec, size >= VECTORIZE_FROM)
        if key not in self._runners:
            self._runners[key] = build_runner(spec, vectorized=key[1])
        return self._runners[key]


def unpack(spec: LayerSpec,
           keys: Sequence[tuple[int, bytes]]) -> tuple[list[np.ndarray], np.ndarray]:
    """Stack cases of one length into one array per weight plus ``xs``, straight from
    their key bytes (:attr:`Case.key`): one buffer for the whole batch, no per-case copies."""
    flat = np.frombuffer(b"".join(raw for _, raw in keys), dtype=np.float64)
    flat = flat.reshape(len(keys), -1)
    arrays, start = [], 0
    for shape in spec.weight_shapes.values():
        size = int(np.prod(shape))
        arrays.append(flat[:, start:start + size].reshape(len(keys), *shape))
        start += size
    return arrays, flat[:, start:].reshape(len(keys), keys[0][0], spec.input_dim)


def build_runner(spec: LayerSpec, *, vectorized: bool) -> Callable[..., Any]:
    """A compiled function: (weights stacked per case, xs stacked) -> outputs.

    Both kinds run the layer's own ``stateless_call`` once per case, each case
    with its own weights.  ``tf.map_fn`` traces in ~0.1 s and suits the small
    batches of a student's run and of shrinking; ``tf.vectorized_map`` takes
    ~0.5 s to trace but is ~50x faster on large batches.
    """
    _load_tensorflow()
    import tensorflow as tf

    layer = keras_layer(spec)
    state = [v.value for v in layer.non_trainable_variables]
    order = [_weight_index(spec, v.path) for v in layer.trainable_variables]

    @tf.autograph.experimental.do_not_convert
    def one(args: tuple[Any, ...]) -> Any:
        *weights, xs = args
        variables = [weights[i] for i in order]
        output, _ = layer.stateless_call(variables, state, xs[None])
        return output[0]

    signature = [
        [tf.TensorSpec((None, *shape), tf.float64) for shape in spec.weight_shapes.values()],
        tf.TensorSpec((None, None, spec.input_dim), tf.float64),
    ]
    out = tf.TensorSpec((None, spec.units) if spec.return_sequences else (spec.units,),
                        tf.float64)

    @tf.function(input_signature=signature, autograph=False)
    def run(weights: list[Any], xs: Any) -> Any:
        if vectorized:
            return tf.vectorized_map(one, (*weights, xs))
        return tf.map_fn(one, (*weights, xs), fn_output_signature=out, parallel_iterations=32)

    return lambda weights, xs: run(weights, xs).numpy()


def keras_layer(spec: LayerSpec) -> Any:
    """The real Keras layer for ``spec``, built in float64 for an input of width ``input_dim``."""
    _load_tensorflow()
    import keras

    cls = getattr(keras.layers, spec.kind)
    layer = cls(**spec.keras_kwargs(), dtype="float64")
    layer.build((None, None, spec.input_dim))
    return layer


def predict(spec: LayerSpec, case: Case) -> np.ndarray:
    """One case the notebook's way (``set_weights`` then call): for probes and cross-checks."""
    layer = keras_layer(spec)
    layer.set_weights(list(case.weights))
    return np.asarray(layer(case.xs[None]), dtype=np.float64)[0]


def _weight_index(spec: LayerSpec, path: str) -> int:
    name = path.rsplit("/", 1)[-1]
    return spec.weight_names.index(name)
