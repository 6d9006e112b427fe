"""The one atomic writer: every file the harness writes (reports, pictures, grades,
feedback, stored results) is written to a temporary file in the same folder, then moved
over the old one with ``os.replace``, so a reader (or a crash) sees the old file or the
new one, never a torn one.  Files are readable like any file the user writes (0644).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: str | Path, data: bytes | str, *, sync: bool = True) -> Path:
    """Replace ``path`` with ``data`` in one step (temp file + ``os.replace``); text is
    written as UTF-8, unchanged.  ``sync=False`` skips the ``fsync`` (pictures: many small
    files that are rebuilt on every run)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            if sync:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return path


def write_json(path: str | Path, data: Any) -> Path:
    return write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
