"""``harness.explore(layer, *hypotheses)``: the explorer page inside a notebook.

The server runs in the kernel's own process (background threads), so the hypotheses are
the notebook's own functions, and the page shows in the cell's output as an IFrame.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from harness.claims import Claim, claim_of
from harness.errors import UsageError
from harness.explorer.server import Running, start
from harness.explorer.state import Explorer
from harness.layers import Layer
from harness.parse import parse_layer

#: Servers started in this process, stopped by ``ExplorerView.stop``.
_RUNNING: list[Running] = []


@dataclass
class ExplorerView:
    """A running explorer: its ``url``, shown as an IFrame in a notebook."""

    url: str
    running: Running
    height: int = 760

    def _repr_html_(self) -> str:
        src = html.escape(self.url, quote=True)
        return (f'<iframe src="{src}" width="100%" height="{int(self.height)}" '
                f'style="border: 1px solid #ccc" title="harness explorer"></iframe>'
                f'<p>Open it in its own tab: <a href="{src}" target="_blank">{src}</a></p>')

    def __repr__(self) -> str:
        return f"harness explorer at {self.url}"

    def stop(self) -> None:
        """Stop the server (the page stops answering)."""
        self.running.stop()


def explore(layer: str | Layer, *hypotheses: Any, port: int = 0,
            height: int = 760) -> ExplorerView:
    """Explore ``layer`` (a preset such as ``PART_A``, a ``Layer(...)`` or its text) with
    the ``@hypothesis`` functions given: set weights and an input, see Keras's output and
    each hypothesis's beside it, and check a hypothesis with its button."""
    spec = parse_layer(layer) if isinstance(layer, str) else layer
    if not isinstance(spec, Layer):
        raise UsageError(f"explore() needs a layer first (PART_A, or Layer(...)). "
                         f"Received: {type(layer).__name__}.")
    running = start(Explorer(spec, claims=[_claim(h) for h in hypotheses]), port)
    _RUNNING.append(running)
    return ExplorerView(running.url, running, height)


def _claim(obj: Any) -> Claim:
    claim = obj if isinstance(obj, Claim) else claim_of(obj)
    if claim is None:
        raise UsageError(f"explore() takes functions marked with @hypothesis(...). "
                         f"Received: {getattr(obj, '__name__', type(obj).__name__)}.")
    return claim
