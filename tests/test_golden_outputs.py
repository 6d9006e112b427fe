"""Reports and grading outputs stay byte for byte what ``tests/golden/`` keeps.

Each file a run writes (normalized: timings and the temporary folder masked, see
``tests/golden.py``) must have the sha256 stored in ``tests/golden/digests.json``; a
failure names the file and shows the diff against the stored copy.  To accept a change
on purpose: ``python tests/golden.py --update``, then review ``git diff tests/golden``.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from golden import DIGESTS, RUNS, UPDATE, Outputs, digest, stored


@pytest.fixture(scope="module", params=sorted(RUNS))
def run(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Outputs]:
    name = request.param
    return name, RUNS[name](tmp_path_factory.mktemp(name))


def test_outputs_match_the_golden_digests(run: tuple[str, Outputs]) -> None:
    name, outputs = run
    expected = json.loads(DIGESTS.read_text())[name]
    changed = [_explain(name, file, outputs.get(file), expected.get(file))
               for file in sorted(set(outputs) | set(expected))
               if file not in outputs or digest(outputs[file]) != expected.get(file)]
    assert not changed, "\n\n".join(changed) + f"\n\nIf this change is meant: {UPDATE}"


def test_stored_copies_are_what_the_digests_say() -> None:
    """The stored text is the reviewer's view of a digest: they must not drift apart."""
    digests = json.loads(DIGESTS.read_text())
    for name in RUNS:
        copies = stored(name)
        assert {file: digest(text) for file, text in copies.items()} == digests[name]


def _explain(run: str, file: str, now: str | None, expected: str | None) -> str:
    if now is None:
        return f"{run}/{file}: no longer written (golden digest {expected})"
    path = Path("tests/golden") / run / file
    before = stored(run).get(file)
    if before is None:
        return f"{run}/{file}: a new output, not in tests/golden"
    diff = difflib.unified_diff(before.splitlines(keepends=True), now.splitlines(keepends=True),
                                fromfile=str(path), tofile=f"{run}/{file} (this run)", n=2)
    return f"{run}/{file} changed:\n" + "".join(diff)
