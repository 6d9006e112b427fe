"""Layer text, read safely: ``'SimpleRNN(units=1, activation="linear")'``, ``'Layer("Dense",
units=2, input_shape=(3,))'`` or a course preset name, as a command line, an assignment
file or a grading worker gives it.

Parsed with :mod:`ast`, never evaluated: only calls with literal arguments (and layer
calls nested as arguments) are accepted.
"""

from __future__ import annotations

import ast
from typing import Any

from harness.course import PRESETS
from harness.errors import LayerSpecError
from harness.layers import CONSTRUCTORS, MAX_DEPTH, Layer, _near_misses, _short

#: Longest layer text parsed (it may come from a command line or a grading worker).
MAX_TEXT = 2000


def parse_layer(text: str) -> Layer:
    """Parse ``'SimpleRNN(units=1, activation="linear")'``, ``'Layer("Dense", units=2,
    input_shape=(3,))'``, ``'Bidirectional(layer=SimpleRNN(units=1), input_shape=(None,
    1))'`` or a course preset name.

    The text is parsed with :mod:`ast`, never evaluated: only calls with literal
    arguments (and layer calls nested as arguments) are accepted.
    """
    if not isinstance(text, str):
        raise LayerSpecError(f"A layer must be given as text. Received: {_short(text)}.")
    text = text.strip()
    if text in PRESETS:
        return PRESETS[text]
    if len(text) > MAX_TEXT:
        raise LayerSpecError(_parse_help(text[:60] + "...", f"it is longer than {MAX_TEXT} "
                                         f"characters"))
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise LayerSpecError(_parse_help(text, "it is not a valid expression")) from None
    return _layer_call(node, text, 0)


def _layer_call(node: ast.expr, text: str, depth: int) -> Layer:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise LayerSpecError(_parse_help(text, "it is not a call of SimpleRNN, LSTM, GRU, "
                                         "Layer(\"Dense\", ...) or another Keras layer class"))
    if depth >= MAX_DEPTH:
        raise LayerSpecError(_parse_help(text, "layers are nested too deep"))
    name = node.func.id
    if not name[:1].isupper():
        raise LayerSpecError(_parse_help(text, f"it is not a call of SimpleRNN, LSTM, GRU, "
                                         f"Layer(...) or another Keras layer class ({name} "
                                         f"does not start with a capital letter)"))
    args = [_value(arg, text, depth) for arg in node.args]
    kwargs = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise LayerSpecError(_parse_help(text, "**arguments are not allowed"))
        kwargs[kw.arg] = _value(kw.value, text, depth)
    try:
        if name == "Layer":
            if len(args) != 1:
                raise LayerSpecError(_parse_help(text, "Layer(...) takes the class name "
                                                 "first, then keyword arguments"))
            return Layer(args[0], **kwargs)
        if name in CONSTRUCTORS:
            _near_misses(name, kwargs)  # before Python's "missing units"
            return CONSTRUCTORS[name](*args, **kwargs)
        if args:
            raise LayerSpecError(_parse_help(text, f"{name}(...) takes keyword arguments "
                                             f"only"))
        return Layer(name, **kwargs)
    except TypeError as exc:
        raise LayerSpecError(_parse_help(text, str(exc))) from None


def _value(node: ast.expr, text: str, depth: int) -> Any:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id[:1].isupper():
        return _layer_call(node, text, depth + 1)
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise LayerSpecError(_parse_help(text, "arguments must be plain numbers, strings, "
                                         "True/False, None, tuples or layers")) from None


def _parse_help(text: str, why: str) -> str:
    return (f"Could not read the layer {text!r}: {why}. Write it like "
            f"'SimpleRNN(units=1, activation=\"linear\", use_bias=False)', "
            f"'Layer(\"Dense\", units=2, input_shape=(3,))' or use a course "
            f"preset: {', '.join(PRESETS)}.")
