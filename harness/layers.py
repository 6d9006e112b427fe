"""Layer specs: frozen, hashable descriptions of the recurrent layer under test.

``SimpleRNN``, ``LSTM`` and ``GRU`` take Keras's own argument names and Keras's
own defaults, plus ``input_dim`` (default 1).  A spec knows its weight names and
shapes (in ``get_weights()`` order); the oracle turns it into a real Keras layer.
Nothing here imports Keras.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.errors import LayerSpecError

#: Activation names the harness accepts (Keras names; all exist in Keras 3).
ACTIVATIONS = (
    "linear", "tanh", "sigmoid", "relu", "hard_sigmoid", "softsign",
    "softplus", "elu", "selu", "exponential", "swish", "silu", "relu6",
)

KINDS = ("SimpleRNN", "LSTM", "GRU")

#: Gate blocks along the last axis of kernel / recurrent_kernel / bias.
GATES = {"SimpleRNN": (), "LSTM": ("i", "f", "c", "o"), "GRU": ("z", "r", "h")}

WEIGHT_NAMES = ("kernel", "recurrent_kernel", "bias")


@dataclass(frozen=True)
class LayerSpec:
    """What layer a hypothesis is about.  Build one with ``SimpleRNN``, ``LSTM`` or ``GRU``."""

    kind: str
    units: int
    activation: str = "tanh"
    recurrent_activation: str | None = None
    use_bias: bool = True
    unit_forget_bias: bool | None = None
    reset_after: bool | None = None
    return_sequences: bool = False
    input_dim: int = 1

    def __post_init__(self) -> None:
        if self.activation is None:  # Keras reads None as "linear"
            object.__setattr__(self, "activation", "linear")
        _check_positive_int("units", self.units, self.kind)
        _check_positive_int("input_dim", self.input_dim, self.kind)
        _check_activation("activation", self.activation, self.kind)
        if self.recurrent_activation is not None:
            _check_activation("recurrent_activation", self.recurrent_activation, self.kind)
        for name in ("use_bias", "return_sequences", "unit_forget_bias", "reset_after"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise LayerSpecError(
                    f"{self.kind}({name}=...) must be True or False. Received: {value!r}."
                )

    @property
    def weight_names(self) -> tuple[str, ...]:
        """Names of the arrays ``get_weights()`` returns, in order."""
        return WEIGHT_NAMES if self.use_bias else WEIGHT_NAMES[:2]

    @property
    def gates(self) -> tuple[str, ...]:
        return GATES[self.kind]

    @property
    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of each weight array, exactly as ``get_weights()`` gives it."""
        width = self.units * max(1, len(self.gates))
        shapes: dict[str, tuple[int, ...]] = {
            "kernel": (self.input_dim, width),
            "recurrent_kernel": (self.units, width),
        }
        if self.use_bias:
            shapes["bias"] = (2, width) if self.kind == "GRU" and self.reset_after else (width,)
        return shapes

    def output_shape(self, timesteps: int) -> tuple[int, ...]:
        """Shape of the layer's output for one sequence of ``timesteps`` steps."""
        return (timesteps, self.units) if self.return_sequences else (self.units,)

    def keras_kwargs(self) -> dict[str, Any]:
        """Arguments for the Keras layer constructor (defaults included)."""
        names = ("units", "activation", "recurrent_activation", "use_bias",
                 "unit_forget_bias", "reset_after", "return_sequences")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    def __str__(self) -> str:
        defaults = _DEFAULTS[self.kind]
        args = [f"units={self.units}"]
        for name, value in self.keras_kwargs().items():
            if name != "units" and defaults.get(name) != value:
                args.append(f"{name}={value!r}")
        if self.input_dim != 1:
            args.append(f"input_dim={self.input_dim}")
        return f"{self.kind}({', '.join(args)})".replace("'", '"')


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


def SimpleRNN(  # noqa: N802 - named like the Keras layer on purpose
    units: int,
    activation: str = "tanh",
    use_bias: bool = True,
    return_sequences: bool = False,
    input_dim: int = 1,
) -> LayerSpec:
    """A ``keras.layers.SimpleRNN`` under test (Keras's defaults)."""
    return LayerSpec("SimpleRNN", units, activation, None, use_bias, None, None,
                     return_sequences, input_dim)


def LSTM(  # noqa: N802
    units: int,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    use_bias: bool = True,
    unit_forget_bias: bool = True,
    return_sequences: bool = False,
    input_dim: int = 1,
) -> LayerSpec:
    """A ``keras.layers.LSTM`` under test (Keras's defaults).  Gates: i, f, c, o."""
    return LayerSpec("LSTM", units, activation, recurrent_activation, use_bias,
                     unit_forget_bias, None, return_sequences, input_dim)


def GRU(  # noqa: N802
    units: int,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    use_bias: bool = True,
    reset_after: bool = True,
    return_sequences: bool = False,
    input_dim: int = 1,
) -> LayerSpec:
    """A ``keras.layers.GRU`` under test (Keras's defaults).  Gates: z, r, h."""
    return LayerSpec("GRU", units, activation, recurrent_activation, use_bias,
                     None, reset_after, return_sequences, input_dim)


CONSTRUCTORS: dict[str, Callable[..., LayerSpec]] = {
    "SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}


def parse_layer(text: str) -> LayerSpec:
    """Parse ``'SimpleRNN(units=1, activation="linear")'`` or a course preset name.

    The text is parsed with :mod:`ast`, never evaluated: only the three
    constructors with literal arguments are accepted.
    """
    from harness import course

    text = text.strip()
    if text in course.PRESETS:
        return course.PRESETS[text]
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise LayerSpecError(_parse_help(text, "it is not a valid expression")) from None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in CONSTRUCTORS):
        raise LayerSpecError(_parse_help(text, "it is not a call of SimpleRNN, LSTM or GRU"))
    try:
        args = [ast.literal_eval(arg) for arg in node.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    except ValueError:
        raise LayerSpecError(_parse_help(text, "arguments must be plain numbers, strings or "
                                         "True/False")) from None
    try:
        return CONSTRUCTORS[node.func.id](*args, **kwargs)
    except TypeError as exc:
        raise LayerSpecError(_parse_help(text, str(exc))) from None


def _parse_help(text: str, why: str) -> str:
    from harness import course

    return (f"Could not read the layer {text!r}: {why}. Write it like "
            f"'SimpleRNN(units=1, activation=\"linear\", use_bias=False)' or use a course "
            f"preset: {', '.join(course.PRESETS)}.")


def _check_positive_int(name: str, value: object, kind: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LayerSpecError(f"{kind}({name}=...) must be a whole number of at least 1. "
                             f"Received: {value!r}.")


def _check_activation(name: str, value: object, kind: str) -> None:
    if value is None:
        value = "linear"
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise LayerSpecError(f"{kind}({name}=...) must be one of {', '.join(ACTIVATIONS)}. "
                             f"Received: {value!r}.")
