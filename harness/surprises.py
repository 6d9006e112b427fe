"""Surprises first: every report leads with the hypotheses whose verdict is not what
their file records, the student's own files before the bundled examples.

A file is a **bundled example** when it lies in the course set's folder (a folder
named ``course`` inside a folder named ``hypotheses``: ``hypotheses/course/``), or
when its text is exactly one the harness ships in ``hypotheses/`` (the part files
``part_a.py``, ``part_b.py``, ``part_c.py`` and the course set, wherever the copy
lies; compared by SHA-256 of the text with ``\\r\\n`` read as ``\\n``): a part file
the student has edited is the student's own.  Every other file (and a function
defined in a notebook cell) is the student's own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from harness.faults import place
from harness.sentences import Recorded, verdict_sentence
from harness.untrusted import FILE, SENTENCE, cut
from harness.verdict import LoadFailure, Verdict

#: The first 16 hex digits of :func:`digest` of every file shipped in ``hypotheses/``
#: (``tests/test_surprises.py`` keeps them true).
SHIPPED = {
    "9f04545959a6bc47": "course/batch_normalization.py",
    "c5fe4b19b797c9a3": "course/bidirectional.py",
    "a32768c4006c3970": "course/conv1d.py",
    "0a0a73e6196f959b": "course/dense.py",
    "8be62f5c56be7bd9": "course/embedding.py",
    "11a7f42e71a6876a": "course/gru.py",
    "e165700b9512009b": "course/layer_normalization.py",
    "abee631a2c3dd2f9": "course/simple_rnn.py",
    "44c46ff603c8e1cb": "part_a.py",
    "90c7f4f885c917ca": "part_b.py",
    "7220c52603b778a0": "part_c.py",
}

#: The mark beside a verdict that is not what its file records (terminal, tables).
MARK = " (!)"


def digest(path: Path) -> str:
    """SHA-256 of a file's text (line endings as ``\\n``), its first 16 hex digits."""
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()[:16]


def is_bundled(file: str) -> bool:
    """True for the bundled examples (see the module's docstring)."""
    path = Path(file)
    if path.parent.name == "course" and path.parent.parent.name == "hypotheses":
        return True
    try:
        stat = path.stat()
    except OSError:  # a notebook cell, a file gone since
        return False
    return _shipped(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _shipped(file: str, mtime: int, size: int) -> bool:
    """The file (as it is at ``mtime``/``size``) is an unchanged copy of a shipped one."""
    path = Path(file)
    try:
        shipped = SHIPPED.get(digest(path))
    except OSError:
        return False
    return shipped is not None and Path(shipped).name == path.name


def ordered(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """Verdicts that are not what their file records first, then the rest; in each, the
    student's own files before the bundled examples; otherwise in run order."""
    return sorted(verdicts, key=lambda v: (v.as_expected, is_bundled(v.file)))


def surprise(v: Verdict) -> str:
    """What is not as recorded, in plain words: ``Hypothesis #3 is refuted, but its file
    records it as holding``."""
    return verdict_sentence(v.name, v, Recorded.FILE)


def located(v: Verdict) -> str:
    """``part_a.py, line 12`` or ``explore.ipynb, cell 3, line 2``."""
    where = place(v.file, v.line)
    return f"{Path(v.file).name}, {where}" if where.startswith(("line", "somewhere")) else where


def items(verdicts: Sequence[Verdict], failures: Sequence[LoadFailure] = ()) -> list[str]:
    """Each surprise with its file and line (own files first), then each file that could
    not be imported: one line each, bounded (:func:`harness.untrusted.cut`); a caller
    escapes them for where they go."""
    lines = [f"{cut(surprise(v), SENTENCE)} ({cut(located(v), FILE)})"
             for v in ordered(verdicts) if not v.as_expected]
    return lines + [f"{cut(Path(f.file).name, FILE)} could not be imported" for f in failures]


def heading(count: int) -> str:
    """The line above :func:`items` (``count`` of them; none: everything as recorded)."""
    if not count:
        return "Every verdict is what its file records."
    return f"Not what the files record ({count}; look at these first):"


def lead_lines(verdicts: Sequence[Verdict], failures: Sequence[LoadFailure] = ()) -> list[str]:
    """The text every terminal report starts with: :func:`heading`, then :func:`items`."""
    found = items(verdicts, failures)
    return [heading(len(found)), *(f" {MARK.strip()} {line}" for line in found)]
