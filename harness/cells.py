"""A notebook cell's name, ``explore.ipynb, cell 7``: the file name a kept cell runs
under, so every traceback, message and ``Claim.file`` names the cell (model: it imports
nothing, and claims, faults, the worker and the notebook converter all read it)."""

from __future__ import annotations

import re

#: How a cell is named in code objects, tracebacks and messages.
_CELL_NAME = re.compile(r"^(?P<notebook>.*\.ipynb), cell (?P<cell>\d+)$")


def cell_name(notebook: str, cell: int) -> str:
    """``explore.ipynb, cell 7``: the file name a kept cell runs under."""
    return f"{notebook}, cell {cell}"


def parse_cell_name(filename: str) -> tuple[str, int] | None:
    """``("explore.ipynb", 7)`` for a cell's name, None for any other file name."""
    match = _CELL_NAME.match(filename)
    return (match["notebook"], int(match["cell"])) if match else None
