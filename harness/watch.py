"""``harness watch``: check hypothesis files again each time one is saved, in one warm process.

The process imports TensorFlow once and keeps one :class:`Checker`, so each layer
is traced once (the oracle keeps its compiled runners and the outputs it has
computed; the checker its screening cases and searches).  A save then costs only
the file saved: it is imported again and every hypothesis in it is checked again
(a formula may call anything in its file, so nothing in a changed file keeps its
verdict; no verdict is ever reused for a formula, only Keras's outputs and the
cases drawn).  The other files keep their verdicts.  Only what changed is told
(:func:`changes`), and the reports are rewritten from all the verdicts, by the
same code as ``harness check`` (:func:`harness.api.check_found`,
:func:`harness.output.report.write_reports`).

A file that cannot be imported (a syntax error, say) is told with the message
``harness check`` gives, and watched on; its last verdicts are kept to tell the
next good save against.  Teaching extras (hints, pictures) are chosen per file,
at most :data:`harness.engine.extras.LIMIT` in each.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.api import CheckRun, check_found
from harness.collect import SUFFIXES, hypothesis_files, load_file
from harness.engine import lookalike
from harness.engine.checker import Checker, CheckSettings
from harness.engine.hints import DEFAULT_BUDGET
from harness.errors import UsageError
from harness.output.render import case_text
from harness.output.report import display_path, write_reports
from harness.untrusted import FILE, MESSAGE, NAME, cut
from harness.verdict import ERROR, HOLDS, REFUTED, LoadFailure, Verdict

#: How long (ms) the file watcher waits for more changes before yielding a batch: an
#: editor's save (write, rename) arrives as one batch.
STEP_MS = 50
#: How often (ms) the watcher wakes with no change (to notice that it is ready, or told
#: to stop).
WAKE_MS = 200


@dataclass(frozen=True)
class FileResult:
    """One file as last checked."""

    verdicts: tuple[Verdict, ...] = ()
    failures: tuple[LoadFailure, ...] = ()
    #: The verdicts of the last time the file imported: a save that breaks the import
    #: keeps them, so the next good save is told against them.
    known: tuple[Verdict, ...] = ()
    #: The ``where=`` conditions of its claims (the checker's memos hold them).
    conditions: tuple[Callable[..., Any], ...] = ()
    digest: bytes = b""

    @property
    def broken(self) -> bool:
        """The whole file failed to import (it checks nothing)."""
        return any(f.cell is None for f in self.failures)


@dataclass(frozen=True)
class Saved:
    """What one save changed in one file."""

    file: str
    lines: tuple[str, ...]
    hypotheses: int = 0
    #: How long checking it again took (None: it was not checked, e.g. it was removed).
    seconds: float | None = None

    def text(self) -> list[str]:
        """The lines printed for it, each starting with the file's name (a message of
        several lines indented below it); the last says how many hypotheses were checked
        again and how long it took."""
        name = cut(display_path(self.file), FILE)
        said = [f"{name}: {line}".replace("\n", "\n  ") for line in self.lines]
        if self.seconds is None:
            return said
        timing = f"{_count(self.hypotheses)} checked again in {self.seconds:.2f} s"
        return [*said, f"{name}: {timing}" if said else f"{name}: no verdict changed ({timing})"]


def _count(hypotheses: int) -> str:
    return f"{hypotheses} hypothesis" if hypotheses == 1 else f"{hypotheses} hypotheses"


def changes(before: FileResult | None, after: FileResult | None) -> list[str]:
    """What changed in one file between two checks, one line each (why a file failed to
    import: a line, then the message ``harness check`` prints, below it), without the
    file's name."""
    if after is None:
        return ["removed" if before is None else f"removed ({len(before.known)} no longer "
                "checked)"]
    old_failures = () if before is None else before.failures
    lines = _failure_changes(old_failures, after.failures)
    if not after.broken:
        lines += _verdict_changes(() if before is None else before.known, after.verdicts)
    return lines


def _failure_changes(before: Sequence[LoadFailure], after: Sequence[LoadFailure]) -> list[str]:
    lines = []
    for f in after:
        lines.append(f"{f.what} (as before)" if f in before else f"{f.what}:\n{f.message}")
    cells = {f.cell for f in after}
    for f in before:
        if f.cell not in cells:
            lines.append("imports again" if f.cell is None else f"cell {f.cell} runs again")
    return lines


def _verdict_changes(before: Sequence[Verdict], after: Sequence[Verdict]) -> list[str]:
    old, new = _by_name(before), _by_name(after)
    lines = []
    for key, v in new.items():
        name = cut(v.name, NAME)
        was = old.get(key)
        if was is None:
            lines.append(f"{name} (new): {v.kind}{_note(v)}")
        elif was.kind != v.kind:
            lines.append(f"{name}: {was.kind} → {v.kind}{_note(v)}")
        elif v.kind == ERROR and was.message != v.message:
            lines.append(f"{name}: {v.kind}{_note(v)}")
    lines += [f"{cut(v.name, NAME)}: removed" for key, v in old.items() if key not in new]
    return lines


def _by_name(verdicts: Sequence[Verdict]) -> dict[tuple[str, int], Verdict]:
    """Verdicts by name (and, for names used twice, which one)."""
    seen: dict[str, int] = {}
    out = {}
    for v in verdicts:
        seen[v.name] = seen.get(v.name, 0) + 1
        out[(v.name, seen[v.name])] = v
    return out


def _note(v: Verdict) -> str:
    """What to add after a verdict: the counterexample, the error, or a surprise."""
    if v.kind == REFUTED and v.counterexample is not None:
        return f", for example {cut(case_text(v.counterexample.case), MESSAGE)}"
    if v.kind == ERROR:
        return f": {cut(v.message or '', MESSAGE)}"
    if v.kind == HOLDS and not v.as_expected:
        return " (but it was recorded as refuted)"
    return ""


class Watcher:
    """A warm checker and the last verdicts of every file under ``paths``."""

    def __init__(self, paths: Iterable[str | Path], settings: CheckSettings | None = None, *,
                 hints: bool = True, hint_seconds: float = DEFAULT_BUDGET) -> None:
        self.paths = [Path(p) for p in paths]
        self.checker = Checker(settings)
        self.hints = hints
        self.hint_seconds = hint_seconds
        self.files: dict[Path, FileResult] = {}

    def start(self, on_verdict: Callable[[Verdict], None] | None = None) -> CheckRun:
        """Check every file (a path that does not exist is a :class:`UsageError`)."""
        self.files = {path: self._check(path, None, on_verdict)
                      for path in hypothesis_files(self.paths)}
        return self.run()

    def run(self) -> CheckRun:
        """All the verdicts and failures now, in file order, as ``harness check`` has them."""
        verdicts = [v for r in self.files.values() for v in r.verdicts]
        failures = [f for r in self.files.values() for f in r.failures]
        return CheckRun(self.checker.settings, lookalike.group(verdicts), failures)

    def update(self, saved: Iterable[Path]) -> list[Saved]:
        """Check again the files ``saved``, new files and files whose bytes differ from the
        ones checked; forget files that are gone.  What changed, file by file."""
        touched = {p.resolve() for p in saved}
        now = self._files_now()
        told: list[Saved] = []
        files: dict[Path, FileResult] = {}
        for path in now:
            before = self.files.get(path)
            if before is not None and path not in touched and before.digest == _digest(path):
                files[path] = before
                continue
            start = time.perf_counter()
            files[path] = after = self._check(path, before)
            seconds = None if after.broken else time.perf_counter() - start
            told.append(Saved(str(path), tuple(changes(before, after)), len(after.verdicts),
                              seconds))
        for path in self.files.keys() - files.keys():
            told.append(Saved(str(path), tuple(changes(self.files[path], None))))
            self._forget(self.files[path])
        self.files = files
        return told

    def _files_now(self) -> list[Path]:
        """The hypothesis files under the paths now (a path deleted since: none)."""
        found: list[Path] = []
        for path in self.paths:
            try:
                found += hypothesis_files([path])
            except UsageError:
                continue  # gone for now (an editor replacing it); it may come back
        return list(dict.fromkeys(found))

    def _check(self, path: Path, before: FileResult | None,
               on_verdict: Callable[[Verdict], None] | None = None) -> FileResult:
        digest = _digest(path)
        found = load_file(path)
        if before is not None:
            self._forget(before)
        run = check_found(found, None, on_verdict, checker=self.checker, hints=self.hints,
                          hint_seconds=self.hint_seconds)
        result = FileResult(tuple(run.verdicts), tuple(run.failures), tuple(run.verdicts),
                            tuple(c.scope.where for c in found.claims
                                  if c.scope.where is not None), digest)
        if result.broken and before is not None:  # keep the last good verdicts to compare
            result = FileResult(result.verdicts, result.failures, before.known,
                                result.conditions, digest)
        return result

    def _forget(self, result: FileResult) -> None:
        """Drop the checker's memos for conditions no later claim can have."""
        for where in result.conditions:
            self.checker.forget(where)


def _digest(path: Path) -> bytes:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b""


def watch(watcher: Watcher, say: Callable[[str], None], *, report_dir: str | Path,
          pictures: bool = True, ready: Callable[[], None] | None = None,
          stop: Any = None) -> None:
    """After :meth:`Watcher.start`: check again what is saved under the watcher's paths and
    rewrite the reports, telling ``say`` what changed, until ``stop`` (anything with
    ``is_set()``) is set or Ctrl-C (``KeyboardInterrupt``, the caller's to catch).
    ``ready`` is called once the watch is in place (saves from then on are seen)."""
    from watchfiles import PythonFilter
    from watchfiles import watch as file_changes

    roots, recursive = _roots(watcher.paths)
    extra = tuple(s for s in SUFFIXES if s != ".py")
    batches = file_changes(*roots, watch_filter=PythonFilter(extra_extensions=extra),
                           step=STEP_MS, rust_timeout=WAKE_MS, yield_on_timeout=True,
                           stop_event=stop, recursive=recursive)
    first = True
    for batch in batches:
        if batch or first:  # first: the watch is in place; a save before shows as new bytes
            _recheck(watcher, [Path(p) for _, p in batch], say, report_dir, pictures)
        if first and ready is not None:
            ready()
        first = False


def _recheck(watcher: Watcher, saved: list[Path], say: Callable[[str], None],
             report_dir: str | Path, pictures: bool) -> None:
    told = watcher.update(saved)
    if not told:
        return
    run = watcher.run()
    write_reports(report_dir, run.verdicts, run.failures, seed=run.settings.seed,
                  pictures=pictures)
    for item in told:
        for line in item.text():
            say(line)


def _roots(paths: Sequence[Path]) -> tuple[list[Path], bool]:
    """The folders to watch: the folders given (with their sub-folders) and the folder of
    each file given (an editor saves by replacing the file, which a watch on the file
    itself would lose)."""
    folders = [p.resolve() for p in paths if p.is_dir()]
    parents = [p.resolve().parent for p in paths if not p.is_dir()]
    roots = list(dict.fromkeys([*folders, *(p for p in parents if p.is_dir())]))
    return roots, bool(folders)
