"""Layer descriptions: frozen, hashable descriptions of the Keras layer under test.

A :class:`Layer` is Keras's class name, the keyword arguments of its
constructor (literals; a wrapper's inner layer is itself a description) and
the shape of one input sample without the batch axis, whose first axis may be
variable (``None``; the lengths checked come from the scope's ``timesteps=``)::

    Layer("Conv1D", filters=1, kernel_size=3, use_bias=False, input_shape=(6, 1))
    Layer("Embedding", input_dim=5, output_dim=2, input_shape=(4,))
    Layer("Bidirectional", layer=SimpleRNN(units=1), input_shape=(None, 1))

``SimpleRNN``, ``LSTM`` and ``GRU`` (Keras's argument names and defaults, plus
``input_dim``) build the same thing: ``Layer("SimpleRNN", units=1,
input_shape=(None, 1))`` is ``SimpleRNN(units=1)``.  ``LayerSpec`` is another
name for the class.

What the rest of the harness asks a description: its weight names and shapes
in ``get_weights()`` order (``layer.weights`` names them; a wrapper's inner
weights get the prefix ``forward_``/``backward_``), the input's shape for a
given length, the output's shape, whether it has steps (a step table), the
input parameter's name (``xs`` for recurrent layers, ``x`` otherwise), the
input kind (floats, or indices in range for ``Embedding``) and the weights that
must be positive (``moving_variance``).  For the three recurrent layers all of
this is known without Keras (the course's fast path); for any other layer the
weights come from building the real Keras layer once (lazily, cached, through
:mod:`harness.engine.oracle`), because Keras is the judge.

Constructing a description never imports Keras: a grading worker builds them
where Keras cannot be imported.  :meth:`Layer.validate` (the checker, the
grading parent, and ``@hypothesis`` in a student's own run) builds the Keras
layer and turns what Keras rejects into a :class:`LayerSpecError`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from harness.errors import LayerSpecError

#: Activation names the harness accepts for the recurrent layers (all exist in Keras 3).
ACTIVATIONS = (
    "linear", "tanh", "sigmoid", "relu", "hard_sigmoid", "softsign",
    "softplus", "elu", "selu", "exponential", "swish", "silu", "relu6",
)

KINDS = ("SimpleRNN", "LSTM", "GRU")

#: Gate blocks along the last axis of kernel / recurrent_kernel / bias.
GATES = {"SimpleRNN": (), "LSTM": ("i", "f", "c", "o"), "GRU": ("z", "r", "h")}

#: Layers whose input is a sequence (the formula's input parameter is ``xs``).
SEQUENCE_KINDS = frozenset({*KINDS, "Bidirectional", "RNN", "TimeDistributed"})

#: Layers that draw random numbers on every call in training mode.
STOCHASTIC_KINDS = frozenset({
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "GaussianNoise", "GaussianDropout", "AlphaDropout",
})

#: Arguments the harness sets itself.
RESERVED = frozenset({"dtype", "input_shape", "batch_input_shape", "batch_size",
                      "input_length", "weights", "trainable"})

#: Largest whole number in a layer's arguments, and most numbers in one input sample:
#: a description may come from an untrusted grading worker, and building it allocates.
MAX_ARGUMENT = 10_000
MAX_INPUT = 10_000
MAX_SIZE = 1_000_000
#: Deepest nesting of wrappers (``Bidirectional(layer=...)``).
MAX_DEPTH = 3

#: Keras's defaults for the recurrent layers' arguments the harness knows by name.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "SimpleRNN": {"activation": "tanh", "use_bias": True, "return_sequences": False},
    "LSTM": {
        "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
        "unit_forget_bias": True, "return_sequences": False,
    },
    "GRU": {
        "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
        "reset_after": True, "return_sequences": False,
    },
}

#: The order the recurrent layers' arguments are written in (as Keras's signatures have them).
_TEXT_ORDER = ("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
               "reset_after", "return_sequences")

#: When True, checks that need Keras are left to the process that has it: a grading
#: worker sets this before loading a submission (Keras cannot be imported there, and
#: trying would count as the student using Keras).
DEFER_KERAS_CHECKS = False

Shape = tuple[int, ...]


@dataclass(frozen=True, init=False, repr=False)
class Layer:
    """What layer a hypothesis is about: ``Layer("Dense", units=2, input_shape=(3,))``.

    ``kind`` is Keras's class name, ``arguments`` the constructor's keyword
    arguments (sorted by name), ``input_shape`` one sample's shape without the
    batch axis (``()`` when not given: only an inner layer may leave it out),
    ``training`` how Keras is called (``False``: inference, the default).
    """

    kind: str
    arguments: tuple[tuple[str, Any], ...]
    input_shape: tuple[int | None, ...]
    training: bool

    def __init__(self, class_name: str, /, *, input_shape: Any = None,
                 training: bool = False, **kwargs: Any) -> None:
        kind = _class_name(class_name)
        if not isinstance(training, bool):
            raise LayerSpecError(f"{kind}(training=...) must be True or False. "
                                 f"Received: {training!r}.")
        if kind in KINDS:
            arguments, shape = _recurrent(kind, kwargs, input_shape)
        else:
            arguments = tuple(sorted((name, _literal(kind, name, value, 1))
                                     for name, value in kwargs.items()))
            _check_names(kind, kwargs)
            shape = _input_shape(kind, input_shape) if input_shape is not None else ()
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "arguments", arguments)
        object.__setattr__(self, "input_shape", shape)
        object.__setattr__(self, "training", training)
        _check_size(self)
        if training:
            _refuse_stochastic(self)

    # ---------------------------------------------------------------- arguments

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.arguments)

    def keras_kwargs(self) -> dict[str, Any]:
        """Arguments for the Keras layer constructor (inner layers still as descriptions)."""
        return {name: value for name, value in self.arguments if value is not None
                or self.kind not in KINDS}

    def _get(self, name: str, default: Any = None) -> Any:
        return self.kwargs.get(name, default)

    @property
    def units(self) -> int:
        return int(self._get("units", 0))

    @property
    def activation(self) -> str:
        value = self._get("activation", "linear")
        return "linear" if value is None else str(value)

    @property
    def recurrent_activation(self) -> str | None:
        return self._get("recurrent_activation")

    @property
    def use_bias(self) -> bool:
        return bool(self._get("use_bias", True))

    @property
    def unit_forget_bias(self) -> bool | None:
        return self._get("unit_forget_bias")

    @property
    def reset_after(self) -> bool | None:
        return self._get("reset_after")

    @property
    def return_sequences(self) -> bool:
        return bool(self._get("return_sequences", False))

    # ---------------------------------------------------------------- input

    @property
    def input_dim(self) -> int:
        """Size of the last input axis (the recurrent layers' ``input_dim``)."""
        last = self.input_shape[-1] if self.input_shape else 1
        return 1 if last is None else int(last)

    @property
    def variable(self) -> bool:
        """True when the first input axis is variable (its lengths come from the scope)."""
        return bool(self.input_shape) and self.input_shape[0] is None

    def input_sample_shape(self, length: int | None = None) -> Shape:
        """One input sample's shape; a variable first axis takes ``length``."""
        self.require_input_shape()
        if self.variable:
            if length is None:
                raise LayerSpecError(f"{self} has a variable input length: say which.")
            return (int(length), *[int(n) for n in self.input_shape[1:] if n is not None])
        return tuple(int(n) for n in self.input_shape if n is not None)

    @property
    def input_name(self) -> str:
        """The formula's parameter for the input sample: ``xs`` (a sequence) or ``x``."""
        return "xs" if self.kind in SEQUENCE_KINDS else "x"

    @property
    def input_kind(self) -> str:
        """``"float"``, or ``"index"`` (whole numbers from 0 to ``index_limit - 1``)."""
        return "index" if self.kind == "Embedding" else "float"

    @property
    def index_limit(self) -> int:
        """How many indices an ``"index"`` input may take (Embedding's ``input_dim``)."""
        return int(self._get("input_dim", 1))

    def require_input_shape(self) -> None:
        if not self.input_shape:
            raise LayerSpecError(
                f"{self} needs input_shape=: the shape of one input sample without the "
                f"batch axis, e.g. input_shape=(3,), or (None, 1) for sequences of any "
                f"length.")

    # ---------------------------------------------------------------- weights and output

    @property
    def is_recurrent(self) -> bool:
        """One of the course's recurrent layers: its weights are known without Keras, and
        its output after each step means something (the step table, the pictures)."""
        return self.kind in KINDS

    @property
    def gates(self) -> tuple[str, ...]:
        return GATES.get(self.kind, ())

    @property
    def known(self) -> bool:
        """True when the weights are known without Keras."""
        return self.is_recurrent and self.arguments == _recurrent_known(self)

    @cached_property
    def weight_names(self) -> tuple[str, ...]:
        """Names of the arrays ``get_weights()`` returns, in order."""
        return tuple(self.weight_shapes)

    @cached_property
    def weight_shapes(self) -> dict[str, Shape]:
        """Shape of each weight array, exactly as ``get_weights()`` gives it (computed
        once per description; do not change the dict)."""
        if self.is_recurrent:
            return self._recurrent_shapes()
        from harness.engine import oracle

        return dict(oracle.describe(self).shapes)

    def _recurrent_shapes(self) -> dict[str, Shape]:
        width = self.units * max(1, len(self.gates))
        shapes: dict[str, Shape] = {
            "kernel": (self.input_dim, width),
            "recurrent_kernel": (self.units, width),
        }
        if self.use_bias:
            shapes["bias"] = (2, width) if self.kind == "GRU" and self.reset_after else (width,)
        return shapes

    @cached_property
    def positive_weights(self) -> tuple[str, ...]:
        """Weights that must be positive (variances)."""
        return tuple(n for n in self.weight_names if n.endswith("moving_variance"))

    @property
    def bindable(self) -> tuple[str, ...]:
        """Every name a formula or a ``where=`` condition may ask for."""
        return (*self.weight_names, "weights", self.input_name)

    def output_shape(self, timesteps: int | None = None) -> Shape:
        """Shape of the layer's output for one sample (``timesteps`` long if variable)."""
        if self.is_recurrent:
            steps = int(timesteps or 1)
            return (steps, self.units) if self.return_sequences else (self.units,)
        from harness.engine import oracle

        length = timesteps if self.variable else None
        return oracle.output_shape(self, length)

    def canonical(self) -> Layer:
        """The same layer without the arguments that equal Keras's defaults (so
        ``Layer("Dense", units=2, use_bias=True, ...)`` and ``Layer("Dense", units=2,
        ...)`` compare equal after it).  Asks Keras for its defaults."""
        if self.is_recurrent:
            return self
        from harness.engine import oracle

        defaults = oracle.keras_defaults(self.kind)
        kept = {name: value.canonical() if isinstance(value, Layer) else value
                for name, value in self.arguments
                if not (name in defaults and _same_value(defaults[name], value))}
        return Layer(self.kind, input_shape=self.input_shape or None,
                     training=self.training, **kept)

    def validate(self) -> None:
        """Build the Keras layer once: unknown classes, arguments Keras rejects and
        layers without weights become a :class:`LayerSpecError`.  Cached."""
        if self.known:
            return
        self.require_input_shape()
        from harness.engine import oracle

        oracle.describe(self)

    # ---------------------------------------------------------------- text

    def __str__(self) -> str:
        if self.kind in KINDS:
            return self._recurrent_text()
        args = [f'"{self.kind}"'] + [f"{n}={_text(v)}" for n, v in self.arguments]
        if self.input_shape:
            args.append(f"input_shape={_text(self.input_shape)}")
        if self.training:
            args.append("training=True")
        return f"Layer({', '.join(args)})"

    def _recurrent_text(self) -> str:
        defaults = _DEFAULTS[self.kind]
        args = [f"units={self.units}"]
        given = self.kwargs
        order = [n for n in _TEXT_ORDER if n in given] + [n for n in given if n not in _TEXT_ORDER]
        for name in order:
            value = given[name]
            if name != "units" and value is not None and defaults.get(name, object()) != value:
                args.append(f"{name}={_text(value)}")
        if self.input_dim != 1:
            args.append(f"input_dim={self.input_dim}")
        if self.training:
            args.append("training=True")
        return f"{self.kind}({', '.join(args)})"


    def __repr__(self) -> str:
        return str(self)


#: An alias of :class:`Layer` (its earlier name), kept because it is public
#: (``harness.LayerSpec``): ``LayerSpec is Layer``.  New code writes ``Layer``.
LayerSpec = Layer


# -------------------------------------------------------------------- constructors

def SimpleRNN(  # noqa: N802 - named like the Keras layer on purpose
    units: int,
    activation: str = "tanh",
    use_bias: bool = True,
    return_sequences: bool = False,
    input_dim: int = 1,
    **more: Any,
) -> Layer:
    """A ``keras.layers.SimpleRNN`` under test (Keras's defaults)."""
    return Layer("SimpleRNN", units=units, activation=activation, use_bias=use_bias,
                 return_sequences=return_sequences, input_dim=input_dim, **more)


def LSTM(  # noqa: N802
    units: int,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    use_bias: bool = True,
    unit_forget_bias: bool = True,
    return_sequences: bool = False,
    input_dim: int = 1,
    **more: Any,
) -> Layer:
    """A ``keras.layers.LSTM`` under test (Keras's defaults).  Gates: i, f, c, o."""
    return Layer("LSTM", units=units, activation=activation,
                 recurrent_activation=recurrent_activation, use_bias=use_bias,
                 unit_forget_bias=unit_forget_bias, return_sequences=return_sequences,
                 input_dim=input_dim, **more)


def GRU(  # noqa: N802
    units: int,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    use_bias: bool = True,
    reset_after: bool = True,
    return_sequences: bool = False,
    input_dim: int = 1,
    **more: Any,
) -> Layer:
    """A ``keras.layers.GRU`` under test (Keras's defaults).  Gates: z, r, h."""
    return Layer("GRU", units=units, activation=activation,
                 recurrent_activation=recurrent_activation, use_bias=use_bias,
                 reset_after=reset_after, return_sequences=return_sequences,
                 input_dim=input_dim, **more)


CONSTRUCTORS: dict[str, Callable[..., Layer]] = {
    "SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}


# -------------------------------------------------------------------- validation

def _class_name(name: object) -> str:
    if not isinstance(name, str) or not name.isidentifier() or not name[:1].isupper():
        raise LayerSpecError(
            f"Layer(...) takes Keras's class name first, as text, e.g. Layer(\"Dense\", "
            f"units=2, input_shape=(3,)). Received: {name!r}.")
    return name


def _recurrent(kind: str, kwargs: dict[str, Any],
               input_shape: Any) -> tuple[tuple[tuple[str, Any], ...], tuple[int | None, ...]]:
    """Arguments with Keras's defaults filled in (so equal layers compare equal), and
    the input shape ``(None, input_dim)``."""
    kwargs = dict(kwargs)
    input_dim = kwargs.pop("input_dim", None)
    if input_shape is not None:
        shape = _input_shape(kind, input_shape)
        if len(shape) != 2 or shape[0] is not None:
            raise LayerSpecError(
                f"{kind}(input_shape=...) must be (None, input_dim): sequences of any length "
                f"(the lengths checked come from timesteps=). Received: {input_shape!r}.")
        if input_dim is not None and input_dim != shape[1]:
            raise LayerSpecError(f"{kind}: input_dim={input_dim!r} and input_shape="
                                 f"{input_shape!r} disagree.")
        input_dim = shape[1]
    input_dim = 1 if input_dim is None else input_dim
    _check_positive_int("input_dim", input_dim, kind)
    _near_misses(kind, kwargs)
    if "units" not in kwargs:
        raise LayerSpecError(f"{kind}(...) needs units=, the number of units. "
                             f"Received: {kind}({_call_text(kwargs)}).")
    _check_positive_int("units", kwargs["units"], kind)
    known = {"units": kwargs.pop("units"), **_DEFAULTS[kind]}
    for name in _DEFAULTS[kind]:
        if name in kwargs:
            known[name] = kwargs.pop(name)
    if known["activation"] is None:  # Keras reads None as "linear"
        known["activation"] = "linear"
    _check_activation("activation", known["activation"], kind)
    if "recurrent_activation" in known:
        _check_activation("recurrent_activation", known["recurrent_activation"], kind)
    for name in ("use_bias", "return_sequences", "unit_forget_bias", "reset_after"):
        value = known.get(name)
        if name in known and not isinstance(value, bool):
            raise LayerSpecError(f"{kind}({name}=...) must be True or False. "
                                 f"Received: {value!r}.")
    _check_names(kind, kwargs)
    extra = {name: _literal(kind, name, value, 1) for name, value in kwargs.items()}
    return tuple(sorted({**known, **extra}.items())), (None, input_dim)


def _near_misses(kind: str, kwargs: dict[str, Any]) -> None:
    """An argument the harness does not know by name but that is close to one it does
    (``unit`` for ``units``) is a typo: named as unknown, with the nearest known name,
    before anything else is said (Keras takes many more arguments, so a name far from
    all of these goes on to Keras's own check)."""
    import difflib

    known = ["units", "input_dim", *_DEFAULTS[kind]]
    for given in kwargs:
        near = [] if given in known else difflib.get_close_matches(given, known, n=1,
                                                                     cutoff=0.75)
        if near:
            raise LayerSpecError(f"{kind}(...) has no argument {given!r}; did you mean "
                                 f"{near[0]}? Received: {given}={kwargs[given]!r}.")


def _recurrent_known(layer: Layer) -> tuple[tuple[str, Any], ...]:
    """The arguments of ``layer`` the harness knows by name (the rest go to Keras)."""
    names = {"units", *_DEFAULTS[layer.kind]}
    return tuple((n, v) for n, v in layer.arguments if n in names)


def _same_value(default: Any, value: Any) -> bool:
    """Is an argument's value Keras's default (a list default equals the same tuple)?"""
    if isinstance(default, list):
        default = tuple(default)
    try:
        return type(default) is type(value) and bool(default == value)
    except Exception:  # noqa: BLE001 - a default that does not compare
        return False


def _check_names(kind: str, kwargs: dict[str, Any]) -> None:
    if kwargs.get("return_state"):
        raise LayerSpecError(f"{kind}(return_state=True) gives several outputs; the harness "
                             f"checks a layer's one output: leave return_state out.")
    for name in kwargs:
        if name in RESERVED:
            raise LayerSpecError(
                f"{kind}({name}=...) is set by the harness (float64 weights, one sample "
                f"at a time); leave it out. Say the input sample's shape with "
                f"input_shape=(...).")


def _literal(kind: str, name: str, value: Any, depth: int) -> Any:
    """An argument as a hashable literal (lists become tuples)."""
    if isinstance(value, Layer):
        if depth >= MAX_DEPTH:
            raise LayerSpecError(f"{kind}({name}=...): layers nested too deep.")
        return value
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_ARGUMENT:
            raise LayerSpecError(f"{kind}({name}=...) must be at most {MAX_ARGUMENT} for the "
                                 f"harness (tiny layers, checked by hand). Received: {value!r}.")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LayerSpecError(f"{kind}({name}=...) must be a finite number. "
                                 f"Received: {value!r}.")
        return value
    if isinstance(value, (list, tuple)) and len(value) <= 16 and depth <= 4:
        return tuple(_literal(kind, name, v, depth + 1) for v in value)
    raise LayerSpecError(
        f"{kind}({name}=...) must be a plain number, text, True/False, None, a short "
        f"(not deeply nested) tuple of those, or a layer description like SimpleRNN(units=1). "
        f"Received: {_short(value)}.")


def _input_shape(kind: str, value: Any) -> tuple[int | None, ...]:
    help_ = (f"{kind}(input_shape=...) must be the shape of one input sample without the "
             f"batch axis: a tuple of whole numbers >= 1, whose first entry may be None "
             f"(any length), e.g. (3,) or (None, 1). Received: {_short(value)}.")
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not 1 <= len(value) <= 4:
        raise LayerSpecError(help_)
    shape: list[int | None] = []
    for i, n in enumerate(value):
        if n is None and i == 0:
            shape.append(None)
        elif isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_INPUT:
            shape.append(n)
        else:
            raise LayerSpecError(help_)
    if math.prod(n or 64 for n in shape) > MAX_INPUT:
        raise LayerSpecError(f"{kind}(input_shape={_short(value)}) is too large for the "
                             f"harness: at most {MAX_INPUT} numbers in one input sample.")
    return tuple(shape)


def _check_size(layer: Layer) -> None:
    """A crude bound on what building the layer allocates: the product of its whole-number
    arguments and input sizes (weights grow no faster for the layers a course meets)."""
    size = 1
    for n in _whole_numbers(layer):
        size *= max(1, abs(n))
        if size > MAX_SIZE:
            raise LayerSpecError(f"{layer.kind}(...) is too large for the harness (its sizes "
                                 f"multiply to more than {MAX_SIZE}): use a tiny layer.")


def _whole_numbers(layer: Layer) -> list[int]:
    out = [n for n in layer.input_shape if n is not None]
    stack: list[Any] = [v for _, v in layer.arguments]
    while stack:
        value = stack.pop()
        if isinstance(value, Layer):
            stack += [v for _, v in value.arguments]
        elif isinstance(value, tuple):
            stack += list(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append(value)
    return out


def _refuse_stochastic(layer: Layer) -> None:
    """A layer that draws random numbers on every call in training mode cannot be the
    subject of a formula: the same weights and input give a different output each time."""
    reasons = []
    stack: list[Layer] = [layer]
    while stack:
        current = stack.pop()
        if current.kind in STOCHASTIC_KINDS:
            reasons.append(f"{current.kind} draws random numbers")
        for name, value in current.arguments:
            if isinstance(value, Layer):
                stack.append(value)
            elif ("dropout" in name or name in ("rate", "stddev")) \
                    and isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and value > 0:
                reasons.append(f"{name}={value!r} drops values at random")
    if reasons:
        raise LayerSpecError(
            f"{layer.kind}(..., training=True): in training mode {reasons[0]} on every "
            f"call, so the same weights and input give a different output each time and no "
            f"formula can match it. Check it with training=False (the default: how the "
            f"layer computes after training).")


def _check_positive_int(name: str, value: object, kind: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LayerSpecError(f"{kind}({name}=...) must be a whole number of at least 1. "
                             f"Received: {value!r}.")
    if value > MAX_ARGUMENT:
        raise LayerSpecError(f"{kind}({name}=...) must be at most {MAX_ARGUMENT} for the "
                             f"harness (tiny layers, checked by hand). Received: {value!r}.")


def _check_activation(name: str, value: object, kind: str) -> None:
    if value is None:
        value = "linear"
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise LayerSpecError(f"{kind}({name}=...) must be one of {', '.join(ACTIVATIONS)}. "
                             f"Received: {value!r}.")


def unknown_class_message(name: str, known: list[str]) -> str:
    """What to say about a class name Keras does not have (with the closest names)."""
    close = difflib.get_close_matches(name, known, n=3)
    maybe = f" Did you mean {' or '.join(close)}?" if close else ""
    return f"Keras has no layer class {name!r} (keras.layers.{name}).{maybe}"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        inner = ", ".join(_text(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return str(value)


def _call_text(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{n}={_short(v)}" for n, v in kwargs.items())


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a student's object whose repr fails
        text = f"a {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."
