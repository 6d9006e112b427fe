"""The oracle: the real Keras layer, the only judge of what a layer outputs.

This is the only module that imports Keras / TensorFlow, and only when an
``Oracle`` first evaluates something (or a layer description asks what its
weights are, :func:`describe`).  One Keras layer is built per layer
description, in float64, called with ``training=layer.training`` (inference by
default).  A batch of cases, each with its own weights and input, is
evaluated in one compiled call per sequence length (``tf.map_fn`` for small
batches, ``tf.vectorized_map`` for large ones) over the layer's own
``stateless_call``, so Keras's real ``call`` code runs for every case.  Outputs
are memoised by case, so no case is evaluated twice in a run.
"""

from __future__ import annotations

import gc
import inspect
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.cases import Case
from harness.errors import LayerSpecError
from harness.layers import Layer, unknown_class_message

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
        self._memo: dict[Layer, dict[tuple[int, bytes], np.ndarray]] = {}
        self._runners: dict[tuple[Layer, str], Callable[..., Any]] = {}
        self._no_xla: set[Layer] = set()
        self.keras_calls = 0
        self.cases_evaluated = 0

    def outputs(self, spec: Layer, cases: Sequence[Case]) -> list[np.ndarray]:
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

    def output(self, spec: Layer, case: Case) -> np.ndarray:
        """The layer's output for one case."""
        return self.outputs(spec, [case])[0]

    def steps(self, spec: Layer, case: Case) -> np.ndarray:
        """The output after every step, shape (timesteps, units), from the same layer.

        For a layer without ``return_sequences`` this runs the case's prefixes,
        so no second Keras layer is built.
        """
        if spec.return_sequences:
            return self.output(spec, case)
        prefixes = [Case(case.weights, case.xs[: t + 1]) for t in range(case.timesteps)]
        return np.stack(self.outputs(spec, prefixes))

    def _evaluate(self, spec: Layer, batch: list[tuple[int, bytes]],
                  memo: dict[tuple[int, bytes], np.ndarray]) -> None:
        weights, xs = unpack(spec, batch)
        try:
            results = self._run(spec, weights, xs)
        except Exception:
            if not spec.variable:
                raise
            # Keras refuses this input length (shorter than a kernel): out of range, skipped
            results = np.full((len(batch), 1), np.nan)
        self.keras_calls += 1
        self.cases_evaluated += len(batch)
        results.setflags(write=False)
        memo.update(zip(batch, results, strict=True))

    def _run(self, spec: Layer, weights: list[np.ndarray], xs: np.ndarray) -> np.ndarray:
        """One compiled call.  A large batch of a layer other than the course's runs
        XLA-compiled, padded to a power of two so few shapes are compiled (a Conv1D's
        kernel differs per case, which ``tf.vectorized_map`` can only loop over); if XLA
        cannot compile the layer, the vectorised runner takes over."""
        size = len(xs)
        if size >= VECTORIZE_FROM and not spec.is_recurrent and spec not in self._no_xla:
            bucket = min(1 << (size - 1).bit_length(), max(CHUNK, size))
            pad = [(0, bucket - size)]
            try:
                out = self._runner(spec, "xla")(
                    [np.pad(w, pad + [(0, 0)] * (w.ndim - 1), mode="edge") for w in weights],
                    np.pad(xs, pad + [(0, 0)] * (xs.ndim - 1), mode="edge"))
                return np.asarray(out[:size], dtype=np.float64)
            except Exception:  # noqa: BLE001 - an op XLA does not compile: run it as usual
                self._no_xla.add(spec)
        kind = "vectorized" if size >= VECTORIZE_FROM else "map"
        return np.asarray(self._runner(spec, kind)(weights, xs), dtype=np.float64)

    def _runner(self, spec: Layer, kind: str) -> Callable[..., Any]:
        key = (spec, kind)
        if key not in self._runners:
            self._runners[key] = build_runner(spec, vectorized=kind == "vectorized",
                                              xla=kind == "xla")
        return self._runners[key]


def unpack(spec: Layer,
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
    return arrays, flat[:, start:].reshape(len(keys), *sample_shape(spec, keys[0][0]))


def sample_shape(spec: Layer, length: int) -> tuple[int, ...]:
    """One input sample's shape for a case whose key says ``length``."""
    return spec.input_sample_shape(length if spec.variable else None)


def build_runner(spec: Layer, *, vectorized: bool, xla: bool = False) -> Callable[..., Any]:
    """A compiled function: (weights stacked per case, inputs stacked) -> outputs.

    Both kinds run the layer's own ``stateless_call`` once per case, each case
    with its own weights.  ``tf.map_fn`` traces in ~0.1 s and suits the small
    batches of a student's run and of shrinking; ``tf.vectorized_map`` takes
    ~0.5 s to trace but is ~50x faster on large batches.  ``xla``: ``tf.map_fn``
    compiled by XLA (~0.5 s per batch shape; Dense and Conv1D run ~1,000,000 cases/s).
    """
    _load_tensorflow()
    import tensorflow as tf

    layer = keras_layer(spec)
    positions = _positions(spec, layer)
    trainable = [positions.get(id(v)) for v in layer.trainable_variables]
    fixed = [positions.get(id(v)) for v in layer.non_trainable_variables]
    state = [v.value for v in layer.non_trainable_variables]
    kwargs = _call_kwargs(spec, layer)

    @tf.autograph.experimental.do_not_convert
    def one(args: tuple[Any, ...]) -> Any:
        *weights, xs = args
        variables = [weights[i] for i in trainable]  # type: ignore[index]
        others = [s if i is None else weights[i] for i, s in zip(fixed, state, strict=True)]
        output, _ = layer.stateless_call(variables, others, xs[None], **kwargs)
        return tf.cast(output[0], tf.float64)

    shape = (None, *spec.input_shape[1:]) if spec.variable else spec.input_sample_shape()
    signature = [
        [tf.TensorSpec((None, *s), tf.float64) for s in spec.weight_shapes.values()],
        tf.TensorSpec((None, *shape), tf.float64),
    ]
    out = tf.TensorSpec(_output_signature(spec), tf.float64)

    @tf.function(input_signature=signature, autograph=False, jit_compile=xla or None)
    def run(weights: list[Any], xs: Any) -> Any:
        if vectorized:
            return tf.vectorized_map(one, (*weights, xs))
        return tf.map_fn(one, (*weights, xs), fn_output_signature=out, parallel_iterations=32)

    return lambda weights, xs: run(weights, xs).numpy()


def _output_signature(spec: Layer) -> tuple[int | None, ...]:
    """One output's shape, ``None`` on the axes that change with the input's length."""
    if not spec.variable:
        return spec.output_shape()
    a, b = spec.output_shape(100), spec.output_shape(101)
    return tuple(m if m == n else None for m, n in zip(a, b, strict=True))


def _positions(spec: Layer, layer: Any) -> dict[int, int]:
    """Each of the layer's variables that ``get_weights()`` returns -> its position."""
    if spec.is_recurrent:
        return {id(v): spec.weight_names.index(v.path.rsplit("/", 1)[-1])
                for v in layer.trainable_variables}
    return {id(v): i for i, v in enumerate(layer.weights)}


def _call_kwargs(spec: Layer, layer: Any) -> dict[str, Any]:
    """``training=`` when the layer's ``call`` takes it."""
    try:
        takes = "training" in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        takes = False
    return {"training": spec.training} if takes else {}


def keras_layer(spec: Layer) -> Any:
    """The real Keras layer for ``spec``, built in float64 for one sample's input shape."""
    _load_tensorflow()
    spec.require_input_shape()
    layer = _construct(spec)
    layer.build((None, *spec.input_shape))
    return layer


def _construct(spec: Layer, *, dtype: str = "float64") -> Any:
    """The Keras layer object (inner layers of a wrapper built the same way)."""
    import keras

    cls = getattr(keras.layers, spec.kind, None)
    if not isinstance(cls, type) or not issubclass(cls, keras.layers.Layer):
        names = [n for n in dir(keras.layers) if n[:1].isupper()]
        raise LayerSpecError(unknown_class_message(spec.kind, names))
    kwargs = {name: _construct(value) if isinstance(value, Layer) else value
              for name, value in spec.keras_kwargs().items()}
    return cls(**kwargs, dtype=dtype)


@dataclass(frozen=True)
class LayerInfo:
    """What building the real layer tells: weight names and shapes, in get_weights() order."""

    shapes: tuple[tuple[str, tuple[int, ...]], ...]


_INFO: dict[Layer, LayerInfo] = {}
_BUILT: dict[Layer, Any] = {}
_OUTPUT_SHAPES: dict[tuple[Layer, int | None], tuple[int, ...]] = {}


def describe(spec: Layer) -> LayerInfo:
    """Build the real Keras layer once and read its weights (cached per description).

    Raises :class:`LayerSpecError` when Keras does not have the class, rejects
    the arguments (quoting Keras's message), or the layer has no weights.
    """
    if spec in _INFO:
        return _INFO[spec]
    spec.require_input_shape()
    try:
        layer = _BUILT[spec] = keras_layer(spec)
    except LayerSpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - Keras's own message says what is wrong
        raise LayerSpecError(f"Keras refused {spec}: {_message(exc)}") from None
    if not layer.weights:
        raise LayerSpecError(
            f"{spec} has no weights, so there is nothing to form a hypothesis about: the "
            f"harness checks layers with weights (Dense, Conv1D, Embedding, "
            f"BatchNormalization, SimpleRNN, ...).")
    names = _weight_names(layer)
    info = LayerInfo(tuple((n, tuple(int(d) for d in v.shape))
                           for n, v in zip(names, layer.weights, strict=True)))
    _INFO[spec] = info
    return info


def output_shape(spec: Layer, length: int | None = None) -> tuple[int, ...]:
    """The output's shape for one sample (``length`` long when the input is variable)."""
    key = (spec, length)
    if key not in _OUTPUT_SHAPES:
        describe(spec)
        layer = _BUILT.get(spec) or keras_layer(spec)
        try:
            shape = layer.compute_output_shape((1, *spec.input_sample_shape(length)))
        except Exception as exc:  # noqa: BLE001 - e.g. an input shorter than the kernel
            raise LayerSpecError(f"Keras cannot compute {spec}'s output for an input of "
                                 f"shape {spec.input_sample_shape(length)}: "
                                 f"{_message(exc)}") from None
        if isinstance(shape, list):  # a layer with several outputs
            raise LayerSpecError(f"{spec} gives several outputs; the harness checks layers "
                                 f"with one output.")
        _OUTPUT_SHAPES[key] = tuple(max(0, int(d)) for d in shape[1:])
    return _OUTPUT_SHAPES[key]


def keras_defaults(kind: str) -> dict[str, Any]:
    """The default of every keyword argument of ``keras.layers.<kind>`` (empty for an
    unknown class)."""
    _load_tensorflow()
    import keras

    cls = getattr(keras.layers, kind, None)
    if not isinstance(cls, type):
        return {}
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not p.empty}


def _weight_names(layer: Any) -> list[str]:
    """``layer.weights``'s own names; a wrapper's inner weights get the inner layer's
    role as a prefix (``forward_kernel``, ``backward_kernel``); other repeats a number."""
    names = []
    for v in layer.weights:
        parts = v.path.split("/")
        role = next((p.split("_", 1)[0] for p in parts[1:-1]
                     if p.startswith(("forward_", "backward_"))), None)
        names.append(f"{role}_{v.name}" if role else v.name)
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if names.count(name) == 1 else f"{name}_{seen[name]}")
    return out


def _message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 600 else text[:597] + "..."


def predict(spec: Layer, case: Case) -> np.ndarray:
    """One case the notebook's way (``set_weights`` then call): for probes and cross-checks."""
    layer = keras_layer(spec)
    layer.set_weights(list(case.weights))
    output = layer(case.xs[None], **_call_kwargs(spec, layer))
    return np.asarray(output, dtype=np.float64)[0]
