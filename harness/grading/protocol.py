"""The channel between the grader and a worker: framed JSON, never pickle.

Every message is a 4-byte big-endian length followed by that many bytes of
UTF-8 JSON.  Numbers travel as nested lists.  Each reply carries the run's
nonce and the id of the request it answers; the parent drops the worker on
anything else.

What this guarantees.  The worker's stdout and stderr go to ``/dev/null``
before any student code runs, so prints can never reach the channel.  Student
code shares the worker's process, so a determined student *can* find the
channel's file descriptors and the nonce in memory and write a well-formed
reply.  That gains nothing: a reply only ever carries what a formula returns
for a case the parent chose, which the formula can return anyway.  Cases,
Keras's outputs, the comparison and the score never leave the parent.

This module is imported by the worker: it must stay light (json, os, numpy).
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from typing import Any

import numpy as np

from harness.nesting import nesting_depth

#: Top-level packages a formula may not import: the grader must not be faked by Keras.
#: Both sides use it: the worker blocks them, the grader's policy hides them.
BLOCKED = ("tensorflow", "keras", "tf_keras", "jax", "jaxlib", "torch", "flax")

#: Largest message either side accepts.
MAX_MESSAGE = 32 * 1024 * 1024
#: Largest array a worker sends back in full (an RNN output is far smaller).
MAX_ELEMENTS = 100_000
#: Most dimensions of an array sent back in full (deeper ones travel as a shape only).
MAX_NDIM = 32
#: Most dimensions of a shape a worker may describe (numpy's own limit).
MAX_SHAPE_NDIM = 64
#: Most characters of a returned object's text kept for feedback.
TEXT_LIMIT = 80
#: Deepest nesting of ``[`` / ``{`` a message may have (a 32-dimensional array inside
#: a reply is about 40 deep); checked on the bytes, before ``json.loads`` recurses.
MAX_DEPTH = 48
#: Most elements an array described by a worker may have (its shape, counted exactly).
MAX_SHAPE_ELEMENTS = 10**9

_HEADER = struct.Struct(">I")


class ChannelClosed(Exception):
    """The other side closed the channel (the worker ended or crashed)."""


class ChannelTimeout(Exception):
    """No complete message arrived before the deadline."""


class ProtocolError(Exception):
    """A message was malformed, too large, or not from the grading worker."""


def frame(message: dict[str, Any]) -> bytes:
    """One message as bytes: length prefix + JSON."""
    body = json.dumps(message, separators=(",", ":"), allow_nan=True).encode()
    if len(body) > MAX_MESSAGE:
        raise ProtocolError(f"message of {len(body)} bytes is larger than {MAX_MESSAGE}")
    return _HEADER.pack(len(body)) + body


def parse(body: bytes) -> dict[str, Any]:
    """Decode one message body; anything but a JSON object is a protocol error."""
    depth = nesting_depth(body)
    if depth > MAX_DEPTH:
        raise ProtocolError(f"message nested {depth} levels deep (at most {MAX_DEPTH})")
    try:
        message = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"unreadable message ({type(exc).__name__})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def element_count(shape: list[int] | tuple[int, ...]) -> int:
    """Elements of an array of ``shape``, exactly (Python ints never overflow)."""
    return math.prod(int(n) for n in shape)


# -- blocking ends (the worker) ---------------------------------------------------------

def write_message(fd: int, message: dict[str, Any]) -> None:
    """Write a whole message to ``fd`` (blocking)."""
    data = memoryview(frame(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_message(fd: int) -> dict[str, Any]:
    """Read one whole message from ``fd`` (blocking)."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, None))
    if size > MAX_MESSAGE:
        raise ProtocolError(f"message of {size} bytes is larger than {MAX_MESSAGE}")
    return parse(_read_exact(fd, size, None))


# -- ends with a deadline (the parent) ----------------------------------------------------

def send_by(fd: int, message: dict[str, Any], deadline: float) -> None:
    """Write a message to a non-blocking ``fd`` before ``deadline`` (time.monotonic)."""
    data = memoryview(frame(message))
    while data:
        _wait(fd, deadline, write=True)
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            raise ChannelClosed("the worker stopped reading") from None
        data = data[written:]


def receive_by(fd: int, deadline: float) -> dict[str, Any]:
    """Read one message from a non-blocking ``fd`` before ``deadline``."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > MAX_MESSAGE:
        raise ProtocolError(f"message of {size} bytes is larger than {MAX_MESSAGE}")
    return parse(_read_exact(fd, size, deadline))


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    missing = size
    while missing:
        if deadline is not None:
            _wait(fd, deadline, write=False)
        try:
            chunk = os.read(fd, min(missing, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise ChannelClosed("the channel was closed")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _wait(fd: int, deadline: float, *, write: bool) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ChannelTimeout("deadline passed")
    readers, writers = ([], [fd]) if write else ([fd], [])
    ready = select.select(readers, writers, [], remaining)
    if not any(ready):
        raise ChannelTimeout("deadline passed")


# -- values -------------------------------------------------------------------------------

def encode_value(value: Any) -> dict[str, Any]:
    """A formula's return value as plain data (worker side); never raises."""
    try:
        return _encode(value)
    except BaseException as exc:  # noqa: BLE001 - the value is student-made
        return {"kind": "object", "type": type(value).__name__,
                "text": f"unreadable ({type(exc).__name__})"}


def _encode(value: Any) -> dict[str, Any]:
    if value is None:
        return {"kind": "none"}
    if isinstance(value, (str, bytes)):
        return {"kind": "str", "text": str(value)[:TEXT_LIMIT]}
    if isinstance(value, (dict, set)):
        return {"kind": type(value).__name__, "text": _short(value)}
    array = np.asarray(value)
    kind = array.dtype.kind
    shape = [int(n) for n in array.shape]
    if kind not in "iufbc":
        return {"kind": "object", "type": type(value).__name__, "text": _short(value)}
    if kind == "c" or array.size > MAX_ELEMENTS or array.ndim > MAX_NDIM:
        return {"kind": "array", "dtype": kind, "shape": shape, "data": None}
    plain = np.array(array, dtype=bool if kind == "b" else np.float64)
    return {"kind": "array", "dtype": kind, "shape": shape, "data": plain.tolist()}


def _short(value: Any) -> str:
    try:
        return repr(value)[:TEXT_LIMIT]
    except BaseException:  # noqa: BLE001 - a student's __repr__
        return "?"
