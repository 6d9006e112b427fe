"""Stored results, so a killed run restarts where it stopped.

Each graded submission is saved at once to ``OUT/.results/<student>.json``
with its key: sha256 of the submission's content, the assignment, the seed
and the harness version.  A restarted run reuses a stored result only when
the key matches, so a changed file, assignment, seed or harness is graded
again, and nothing is graded twice.  The save is atomic: a run killed
mid-write leaves the old record or the new one.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.grading.results import SubmissionResult
from harness.output.files import write_json

FOLDER = ".results"


class ResultStore:
    """Results on disk, one JSON file per student."""

    def __init__(self, out: Path) -> None:
        self.folder = Path(out) / FOLDER

    def path(self, student: str) -> Path:
        return self.folder / f"{student}.json"

    def get(self, student: str, key: str) -> SubmissionResult | None:
        """The stored result for ``student`` if it was graded with the same ``key``."""
        try:
            data = json.loads(self.path(student).read_text(encoding="utf-8"))
            if data.get("key") != key:
                return None
            return SubmissionResult.from_json(data["result"])
        except Exception:  # noqa: BLE001 - an unreadable record is graded again, never a crash
            return None

    def put(self, result: SubmissionResult) -> None:
        write_json(self.path(result.student), {"key": result.key, "result": result.to_json()})
