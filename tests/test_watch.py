"""``harness watch``: what changed between two checks, and the watcher on real saves."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from harness.cli import main
from harness.course import PART_A
from harness.settings import CheckSettings
from harness.verdict import ERROR, HOLDS, REFUTED, Counterexample, LoadFailure, Verdict
from harness.watch import FileResult, Saved, Watcher, changes, watch


def verdict(name: str, kind: str, *, recorded: bool = False, message: str | None = None,
            ) -> Verdict:
    example = Counterexample({"kernel": [[1]], "recurrent_kernel": [[1]], "xs": [[1], [0]]},
                             [1]) if kind == REFUTED else None
    return Verdict("mine.py", name.lower().replace(" #", "_"), name, PART_A, "all", recorded,
                   kind, 200, 1, counterexample=example, message=message)


def result(*verdicts: Verdict, failures: tuple[LoadFailure, ...] = ()) -> FileResult:
    return FileResult(verdicts, failures, verdicts)


ONE, TWO = verdict("Hypothesis #1", REFUTED, recorded=True), verdict("Hypothesis #2", REFUTED)
SYNTAX = LoadFailure("mine.py", "mine.py could not be read: line 3 has a syntax error.\n"
                                "    def f(:")


def test_a_fix_is_one_line_and_nothing_else_is_told() -> None:
    before = result(ONE, TWO)
    assert changes(before, result(ONE, replace(TWO, kind=HOLDS))) == [
        "Hypothesis #2: refuted → holds"]
    assert changes(before, result(ONE, TWO)) == []


def test_new_removed_and_broken_hypotheses() -> None:
    three = verdict("Hypothesis #3", HOLDS, recorded=True)
    broken = replace(TWO, kind=ERROR, message="it returned None")
    lines = changes(result(ONE, TWO), result(broken, three))
    assert lines == [
        "Hypothesis #2: refuted → error: it returned None",
        "Hypothesis #3 (new): holds (but it was recorded as refuted)",
        "Hypothesis #1: removed"]
    worse = replace(broken, message="it returned a string")
    assert changes(result(broken), result(worse)) == ["Hypothesis #2: error: it returned a string"]
    assert changes(result(TWO), result(replace(TWO, kind=HOLDS), TWO)) == [
        "Hypothesis #2: refuted → holds",
        "Hypothesis #2 (new): refuted, for example kernel=[[1]], recurrent_kernel=[[1]], "
        "xs=[[1], [0]]"]  # a name used twice: the second is another hypothesis


def test_a_file_that_stops_importing_keeps_its_last_verdicts_to_compare() -> None:
    good = result(ONE, TWO)
    broken = FileResult((), (SYNTAX,), good.known)
    assert broken.broken
    assert changes(good, broken) == ["the file could not be imported:\n" + SYNTAX.message]
    assert changes(broken, broken) == ["the file could not be imported (as before)"]
    fixed = result(ONE, replace(TWO, kind=HOLDS))
    assert changes(broken, fixed) == ["imports again", "Hypothesis #2: refuted → holds"]
    assert changes(good, None) == ["removed (2 no longer checked)"]
    assert changes(None, result(ONE)) == [
        "Hypothesis #1 (new): refuted, for example kernel=[[1]], recurrent_kernel=[[1]], "
        "xs=[[1], [0]]"]


def test_printed_lines_name_the_file_and_indent_a_message() -> None:
    saved = Saved("mine.py", ("the file could not be imported:\n" + SYNTAX.message,))
    assert saved.text() == ["mine.py: the file could not be imported:\n"
                            "  mine.py could not be read: line 3 has a syntax error.\n"
                            "      def f(:"]
    assert Saved("mine.py", (), 1, 0.125).text() == [
        "mine.py: no verdict changed (1 hypothesis checked again in 0.12 s)"]


WRONG = '''\
import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="Hypothesis #1", refuted=True)
def hypothesis_1(kernel, recurrent_kernel, xs):
    return xs[-1] @ kernel


@hypothesis(PART_A, name="Hypothesis #2")
def hypothesis_2(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h * 0
    return h
'''
FIXED = WRONG.replace("h * 0", "h @ recurrent_kernel")
BROKEN = FIXED + "\ndef unfinished(:\n"


class Lines:
    """A process's output lines, read as they come (a hang guard, not a speed limit)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        self._stream = process.stdout
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            self._queue.put(line)
        self._queue.put(None)

    def close(self) -> None:
        """After the process has ended: the reader has met the end, and the pipe is closed."""
        self._thread.join(timeout=60)
        self._stream.close()

    def until(self, text: str, guard: float = 300) -> list[str]:
        """The lines up to and including the first that contains ``text``."""
        start = len(self.seen)
        while True:
            line = self._queue.get(timeout=guard)
            assert line is not None, f"the watcher ended before {text!r}:\n{''.join(self.seen)}"
            self.seen.append(line)
            if text in line:
                return self.seen[start:]

    def rest(self, guard: float = 300) -> str:
        """Everything until the process closes its output."""
        lines = []
        while (line := self._queue.get(timeout=guard)) is not None:
            lines.append(line)
        return "".join(lines)


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Lines, Path]]:
    folder = tmp_path / "hypotheses"
    folder.mkdir()
    (folder / "mine.py").write_text(WRONG)
    errors = (tmp_path / "stderr.txt").open("w")
    # Started with SIGINT ignored, as a script's background job is: Ctrl-C must still stop it.
    process = subprocess.Popen(
        ["/bin/sh", "-c", 'trap "" INT; exec "$0" "$@"',
         sys.executable, "-m", "harness", "watch", str(folder), "--report-dir",
         str(tmp_path / "reports"), "--cases", "50", "--no-pictures"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=errors, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = Lines(process)
    try:
        yield process, lines, tmp_path
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        lines.close()
        errors.close()


def test_watch_tells_a_fix_then_a_syntax_error_and_stops_cleanly(
        watcher: tuple[subprocess.Popen[str], Lines, Path]) -> None:
    process, lines, tmp_path = watcher
    first = lines.until("Watching for saves")
    assert any("Hypothesis #2" in line and "refuted (!)" in line for line in first)
    report = tmp_path / "reports" / "report.json"
    assert _verdicts(report) == {"Hypothesis #1": "refuted", "Hypothesis #2": "refuted"}

    mine = tmp_path / "hypotheses" / "mine.py"
    mine.write_text(FIXED)
    told = lines.until("checked again in")
    assert told == ["hypotheses/mine.py: Hypothesis #2: refuted → holds\n",
                    told[-1]], told  # #1 is refuted as before: not told
    assert told[-1].startswith("hypotheses/mine.py: 2 hypotheses checked again in ")
    assert _verdicts(report) == {"Hypothesis #1": "refuted", "Hypothesis #2": "holds"}

    mine.write_text(BROKEN)
    told = lines.until("def unfinished(:")
    assert told[0] == "hypotheses/mine.py: the file could not be imported:\n", told
    assert told[1].startswith("  mine.py could not be read: line 18 has a syntax error")
    assert told[2] == "      def unfinished(:\n"
    assert "Traceback" not in "".join(told)
    rows = json.loads(report.read_text())
    assert [row["verdict"] for row in rows] == ["error"]
    assert "line 18 has a syntax error" in rows[0]["message"]

    mine.write_text(FIXED)  # watched on after the error
    told = lines.until("checked again in")
    assert told[0] == "hypotheses/mine.py: imports again\n", told
    assert len(told) == 2  # the same verdicts as before the error: nothing else told

    process.send_signal(signal.SIGINT)
    out = lines.rest()
    assert process.wait(timeout=120) == 0
    err = (tmp_path / "stderr.txt").read_text()
    assert "harness watch: stopped." in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def test_only_the_saved_file_is_checked_again(tmp_path: Path) -> None:
    """Real Keras: the file not saved keeps its result (the same object), a new file is
    checked, a deleted one is told as removed, and an edit is always checked again."""
    (tmp_path / "a.py").write_text(WRONG)
    (tmp_path / "b.py").write_text(FIXED)
    watcher = Watcher([tmp_path], CheckSettings(cases=30), hints=False)
    watcher.start()
    a, b = (tmp_path / "a.py").resolve(), (tmp_path / "b.py").resolve()
    kept = watcher.files[b]
    a.write_text(FIXED)
    told = watcher.update([a])
    assert [(Path(t.file).name, t.lines) for t in told] == [
        ("a.py", ("Hypothesis #2: refuted → holds",))]
    assert watcher.files[b] is kept
    assert told[0].hypotheses == 2
    (tmp_path / "c.py").write_text(WRONG)
    b.unlink()
    told = watcher.update([])  # nothing reported by the file watcher: found by looking
    assert {Path(t.file).name: t.lines[-1] for t in told} == {
        "c.py": "Hypothesis #2 (new): refuted, for example kernel=[[1]], "
                "recurrent_kernel=[[1]], xs=[[1], [0]]",
        "b.py": "removed (2 no longer checked)"}
    assert [v.kind for v in watcher.run().verdicts] == [REFUTED, HOLDS, REFUTED, REFUTED]


def test_watch_stops_when_told(tmp_path: Path) -> None:
    """In-process: ``ready`` is called once the watch is in place; ``stop`` ends it."""
    watcher = Watcher([tmp_path])
    assert watcher.start().verdicts == []
    stop = threading.Event()
    said: list[str] = []
    running = threading.Thread(target=watch, args=(watcher, said.append), kwargs={
        "report_dir": tmp_path / "reports", "ready": stop.set, "stop": stop}, daemon=True)
    running.start()
    running.join(timeout=120)  # a hang guard
    assert stop.is_set() and not running.is_alive() and said == []


def test_a_path_that_does_not_exist_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", str(tmp_path / "nope"), "--report-dir", str(tmp_path)]) == 2
    assert "nope does not exist" in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()


def _verdicts(report: Path) -> dict[str, str]:
    return {row["name"]: row["verdict"] for row in json.loads(report.read_text())}
