"""Finding submissions: a folder or a ``.zip`` of ``.py`` files, notebooks, folders or zips.

Each entry at the top level of the class is one student's submission:

* a ``.py`` or ``.ipynb`` file (the student's id is its stem: ``alice.py`` -> ``alice``);
* a folder (id: the folder's name), made of every ``.py`` / ``.ipynb`` file inside
  it, at any depth;
* a ``.zip`` (id: its stem), read like a folder, in memory.

A class ``.zip`` (an LMS bulk download) is read the same way, in memory, without
extracting anything to disk; a zip holding one single folder is opened.

Nothing is skipped in silence: :func:`scan_submissions` returns, beside the
submissions, every entry it did not grade with the reason (hidden and
``_private`` files, ``conftest.py``, files of other types, members whose path
leaves the archive ...), and the ids it had to change.  Two entries whose names
give the same id (``correct ctl.py`` and ``correct_ctl.py``, ``alice.py`` and
``alice/``) are both graded, each under its id plus a short hash of its own
name: stable across runs, never one student's points on another's row.

Limits apply per student (files, bytes, compression ratio of zip members), so
one oversized student makes one ``invalid-submission`` row with the reason and
the others are graded.  Symbolic links are never followed (a link as a
submission is marked invalid).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from harness.errors import UsageError
from harness.ipynb import NotebookError, notebook_to_source

MAX_FILE = 2 * 1024 * 1024
MAX_SUBMISSION = 8 * 1024 * 1024
#: Files (of any type) one student's folder or zip may hold.
MAX_FILES = 500
#: Bytes of one student's own ``.zip`` (compressed).
MAX_STUDENT_ZIP = 16 * 1024 * 1024
#: Largest uncompressed/compressed ratio of a big zip member (zip bombs).
MAX_RATIO = 100
#: Bytes read for the whole class; students beyond it are reported, not read.
MAX_ZIP_TOTAL = 512 * 1024 * 1024
#: Entries listed as skipped per student before they are summed up.
MAX_LISTED = 20
SOURCES = (".py", ".ipynb")
IGNORED_NAMES = ("conftest.py", "setup.py", "__MACOSX", "__pycache__")


@dataclass(frozen=True)
class Submission:
    """One student's files (name -> bytes; notebooks already turned into ``.py``)."""

    student: str
    files: tuple[tuple[str, bytes], ...]
    problem: str | None = None
    notes: tuple[str, ...] = field(default=())

    def content_hash(self) -> str:
        digest = hashlib.sha256(self.student.encode() + b"\0")
        for name, data in self.files:
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        digest.update((self.problem or "").encode())
        return digest.hexdigest()

    def key(self, assignment_fingerprint: str, seed: int, version: str) -> str:
        """What a stored grade is valid for: content + assignment + seed + harness version."""
        text = f"{self.content_hash()}|{assignment_fingerprint}|{seed}|{version}"
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Skipped:
    """Something in the class that was not graded, or graded under another id, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class Found:
    """What :func:`scan_submissions` found: submissions, and everything else with a reason."""

    submissions: list[Submission]
    skipped: list[Skipped] = field(default_factory=list)
    renamed: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class Member:
    """One file of a student's entry, not read yet."""

    path: PurePosixPath
    size: int
    read: Callable[[], bytes | None]  # None: a symbolic link
    packed: int | None = None         # compressed size, for zip members


@dataclass
class Entry:
    """One top-level entry of the class: one student's submission before it is read."""

    origin: str                        # as named in the class: "alice.py", "bob/", "eve.zip"
    name: str                          # what the id is made from
    members: list[Member] | None = None
    problem: str | None = None
    skipped: list[Skipped] = field(default_factory=list)


class _BytesRead:
    """Bytes read for the whole class."""

    def __init__(self) -> None:
        self.total = 0


def find_submissions(path: str | Path, out: str | Path | None = None) -> list[Submission]:
    """Every submission under ``path`` (a folder, a ``.zip`` or one file), by student id."""
    return scan_submissions(path, out).submissions


def scan_submissions(path: str | Path, out: str | Path | None = None) -> Found:
    """Every submission under ``path``, plus what was not graded and why; ``out`` (the
    grader's output folder) is never a student's, even when it lies inside ``path``."""
    path = Path(path)
    if path.is_symlink() and path.is_file():
        raise UsageError(f"{path} is a symbolic link; name the real folder or file.")
    if path.is_file() and path.suffix == ".zip":
        entries, skipped = _zip_entries(path)
    elif path.is_dir():
        entries, skipped = _folder_entries(path, _resolved(out))
    elif path.is_file() and path.suffix in SOURCES:
        entries, skipped = [_file_entry(path, path.name)], []
    else:
        raise UsageError(f"{path} is not a folder, a .zip, a .py or an .ipynb file.")
    return _found(entries, skipped)


def submission_from_folder(folder: str | Path, student: str = "submission") -> Submission:
    """All of one folder as one student's submission (Gradescope's layout)."""
    entry = Entry(origin=str(folder), name=student)
    entry.members = list(_walk(Path(folder), PurePosixPath(), entry.skipped))
    submission, _ = _read_entry(entry, _student_id(student), _BytesRead())
    return submission


# -- the class: entries ----------------------------------------------------------------

def _resolved(path: str | Path | None) -> Path | None:
    return None if path is None else Path(path).resolve()


def _folder_entries(root: Path, out: Path | None = None) -> tuple[list[Entry], list[Skipped]]:
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    for item in sorted(root.iterdir()):
        name = item.name
        reason = _ignored_reason(name)
        if out is not None and item.resolve() == out:
            reason = "the grader's own output folder (--out)"
        if reason:
            skipped.append(Skipped(name + ("/" if item.is_dir() else ""), reason))
        elif item.is_symlink():
            entries.append(Entry(origin=name, name=_stem(name), problem=(
                f"{name} is a symbolic link; links are not accepted, submit the file itself.")))
        elif item.is_dir():
            entry = Entry(origin=name + "/", name=name)
            entry.members = list(_walk(item, PurePosixPath(name), entry.skipped))
            entries.append(entry)
        elif item.suffix == ".zip":
            entries.append(_student_zip(name, partial(_read, item, MAX_STUDENT_ZIP),
                                        item.stat().st_size))
        elif item.suffix in SOURCES:
            entries.append(_file_entry(item, name))
        else:
            skipped.append(Skipped(name, _type_reason(name)))
    return entries, skipped


def _file_entry(path: Path, name: str) -> Entry:
    size = path.stat().st_size
    member = Member(PurePosixPath(name), size, partial(_read, path, MAX_FILE))
    return Entry(origin=name, name=_stem(name), members=[member])


def _walk(folder: Path, shown: PurePosixPath, skipped: list[Skipped]) -> Iterator[Member]:
    """Every file under ``folder`` (hidden and ignored folders pruned and reported once;
    links reported as links, never followed)."""
    stack = [(folder, PurePosixPath())]
    while stack:
        here, relative = stack.pop()
        try:
            items = sorted(os.scandir(here), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            skipped.append(Skipped(str(shown / relative) + "/", f"could not be read ({exc})"))
            continue
        for item in items:
            inner = relative / item.name
            reason = _ignored_reason(item.name)
            if reason:
                is_dir = item.is_dir(follow_symlinks=False)
                skipped.append(Skipped(str(shown / inner) + ("/" if is_dir else ""), reason))
            elif item.is_symlink():
                yield Member(shown / inner, 0, lambda: None)
            elif item.is_dir():
                stack.append((Path(item.path), inner))
            elif item.is_file():
                path = Path(item.path)
                try:
                    size = item.stat().st_size
                except OSError as exc:
                    skipped.append(Skipped(str(shown / inner), f"could not be read ({exc})"))
                    continue
                yield Member(shown / inner, size, partial(_read, path, MAX_FILE))


def _read(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def _zip_entries(path: Path) -> tuple[list[Entry], list[Skipped]]:
    try:
        members, skipped = _zip_members(zipfile.ZipFile(path), "")
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UsageError(f"{path} is not a readable .zip file: {exc}.") from None
    members = _unwrap(_not_ignored(members, skipped))
    entries: dict[str, Entry] = {}
    for member in members:
        top = member.path.parts[0]
        if len(member.path.parts) > 1:
            entry = entries.setdefault(top + "/", Entry(origin=top + "/", name=top, members=[]))
            assert entry.members is not None
            entry.members.append(member)
        elif member.path.suffix == ".zip":
            entries[top] = _student_zip(top, _zip_reader(member), member.size)
        elif member.path.suffix in SOURCES:
            entries[top] = Entry(origin=top, name=_stem(top), members=[member])
        else:
            skipped.append(Skipped(top, _type_reason(top)))
    for entry in entries.values():
        if entry.members:
            _sort_out(entry)
    return [entries[k] for k in sorted(entries)], skipped


def _not_ignored(members: list[Member], skipped: list[Skipped]) -> list[Member]:
    """Members outside hidden / ignored folders; those are reported, once per folder."""
    kept = []
    for member in members:
        parts = member.path.parts
        at = next((i for i, part in enumerate(parts) if _ignored_reason(part)), None)
        if at is None:
            kept.append(member)
            continue
        shown = "/".join(parts[:at + 1]) + ("/" if at + 1 < len(parts) else "")
        item = Skipped(shown, _ignored_reason(parts[at]) or "")
        if item not in skipped:
            skipped.append(item)
    return kept


def _zip_reader(member: Member) -> Callable[[], bytes]:
    return lambda: member.read() or b""


def _sort_out(entry: Entry) -> None:
    """Members of a folder entry: hidden/ignored ones reported, not kept."""
    kept = []
    assert entry.members is not None
    for member in entry.members:
        reason = next((_ignored_reason(p) for p in member.path.parts if _ignored_reason(p)),
                      None)
        if reason:
            entry.skipped.append(Skipped(str(member.path), reason))
        else:
            kept.append(member)
    entry.members = kept


def _zip_members(archive: zipfile.ZipFile, shown: str) -> tuple[list[Member], list[Skipped]]:
    members: list[Member] = []
    skipped: list[Skipped] = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        relative = _safe_member(info.filename)
        if relative is None:
            skipped.append(Skipped(shown + info.filename, "its path leaves the archive "
                                   "(absolute, or with '..'); it was not read"))
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            members.append(Member(relative, 0, lambda: None))
            continue
        limit = MAX_STUDENT_ZIP if relative.suffix == ".zip" else MAX_FILE
        members.append(Member(relative, info.file_size,
                              partial(_zip_read, archive, info, limit),
                              packed=info.compress_size))
    return members, skipped


def _zip_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(info) as member:
        return member.read(limit + 1)


def _student_zip(name: str, read: Callable[[], bytes], size: int) -> Entry:
    """A student's own ``.zip`` inside the class: read like a folder."""
    entry = Entry(origin=name, name=_stem(name))
    if size > MAX_STUDENT_ZIP:
        entry.problem = (f"{name} is {size // 1024} KB; a student's .zip may be at most "
                         f"{MAX_STUDENT_ZIP // 2**20} MB.")
        return entry
    try:
        archive = zipfile.ZipFile(io.BytesIO(read()))
        members, entry.skipped = _zip_members(archive, name + "/")
    except Exception as exc:  # noqa: BLE001 - a student's archive, whatever is wrong with it
        entry.problem = f"{name} is not a readable .zip file ({type(exc).__name__})."
        return entry
    entry.members = [_under(name, m) for m in members]
    _sort_out(entry)
    return entry


def _under(name: str, member: Member) -> Member:
    """A member of a student's zip, shown under the zip's name (``eve.zip/a.py``)."""
    return Member(PurePosixPath(name) / member.path, member.size, member.read, member.packed)


def _safe_member(name: str) -> PurePosixPath | None:
    relative = PurePosixPath(name.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return None
    return relative


def _ignored_reason(name: str) -> str | None:
    if name in IGNORED_NAMES[:2]:
        return f"{name} is never graded (it could change how the grader runs)"
    if name in IGNORED_NAMES:
        return f"{name} is made by tools, not written by a student"
    if name.startswith("."):
        return "hidden files and folders are not graded"
    if name.startswith("_"):
        return "files and folders starting with '_' are private, not graded"
    return None


def _type_reason(name: str) -> str:
    return ("not a .py or .ipynb file, a folder or a .zip, so it is not a submission"
            if "." in name else "a file without an extension is not a submission")


def _unwrap(members: list[Member]) -> list[Member]:
    """A zip holding one single folder: look inside it."""
    while members and len({m.path.parts[0] for m in members}) == 1 \
            and all(len(m.path.parts) > 1 for m in members):
        members = [Member(PurePosixPath(*m.path.parts[1:]), m.size, m.read, m.packed)
                   for m in members]
    return members


def _stem(name: str) -> str:
    return PurePosixPath(name).stem if "." in name[1:] else name


# -- ids -----------------------------------------------------------------------------

def _found(entries: list[Entry], skipped: list[Skipped]) -> Found:
    found = Found([], skipped)
    budget = _BytesRead()
    ids = _ids(entries)
    for entry in entries:
        ident = ids[entry.origin]
        try:
            submission, more = _read_entry(entry, ident, budget)
        except Exception as exc:  # noqa: BLE001 - one unreadable entry never stops the class
            submission, more = Submission(ident, (), problem=(
                f"{entry.origin} could not be read ({type(exc).__name__}).")), entry.skipped
        if ident != _student_id(entry.name):
            reason = (f"graded as {ident}: another entry's name also gives the id "
                      f"{_student_id(entry.name)}")
            found.renamed.append(Skipped(entry.origin, reason))
            submission = Submission(submission.student, submission.files, submission.problem,
                                    (*submission.notes, f"Your submission {entry.origin} is "
                                     f"graded as {ident}: another submission's name gives the "
                                     "same id."))
        found.submissions.append(submission)
        found.skipped.extend(more)
    found.submissions.sort(key=lambda s: s.student)
    return found


def _ids(entries: list[Entry]) -> dict[str, str]:
    """A distinct, stable id per entry: the cleaned name, plus a short hash of the
    entry's own name when another entry cleans to the same id."""
    by_id: dict[str, list[str]] = {}
    for entry in entries:
        by_id.setdefault(_student_id(entry.name), []).append(entry.origin)
    out: dict[str, str] = {}
    taken = {ident for ident, origins in by_id.items() if len(origins) == 1}
    for ident, origins in by_id.items():
        if len(origins) == 1:
            out[origins[0]] = ident
            continue
        for origin in origins:
            digest = hashlib.sha256(origin.encode()).hexdigest()
            size = 6
            while f"{ident}-{digest[:size]}" in taken:
                size += 2
            out[origin] = f"{ident}-{digest[:size]}"
            taken.add(out[origin])
    return out


def _student_id(text: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "student"
    return stem[:80]


def _file_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "submission"
    return name if not name[0].isdigit() else f"f_{name}"


# -- one student: limits, then reading --------------------------------------------------

def _read_entry(entry: Entry, student: str,
                budget: _BytesRead) -> tuple[Submission, list[Skipped]]:
    skipped = list(entry.skipped)
    if entry.problem is not None:
        return Submission(student, (), problem=entry.problem), skipped
    members = entry.members or []
    sources = [m for m in members if m.path.suffix in SOURCES]
    others = [m for m in members if m.path.suffix not in SOURCES]
    skipped += _listed(entry, [Skipped(str(m.path), _member_reason(m.path)) for m in others])
    problem = _limits(entry, members, sources, budget)
    if problem is not None:
        return Submission(student, (), problem=problem), skipped
    files: dict[PurePosixPath, bytes | None] = {}
    read = 0
    for member in sources:
        try:
            data = member.read()
        except Exception as exc:  # noqa: BLE001 - a damaged or hostile archive member
            return Submission(student, (), problem=f"{member.path} could not be read "
                              f"({type(exc).__name__})."), skipped
        read += len(data or b"")
        if read > MAX_SUBMISSION:
            return Submission(student, (), problem=f"{entry.origin} holds more than "
                              f"{MAX_SUBMISSION // 2**20} MB of .py/.ipynb files."), skipped
        files[member.path] = data
    budget.total += read
    return _build(student, files), skipped


def _member_reason(path: PurePosixPath) -> str:
    if path.suffix == ".zip":
        return "a .zip inside a submission is not opened; submit the files themselves"
    return "only the .py and .ipynb files of a submission are graded"


def _listed(entry: Entry, items: list[Skipped]) -> list[Skipped]:
    if len(items) <= MAX_LISTED:
        return items
    rest = len(items) - MAX_LISTED
    return [*items[:MAX_LISTED], Skipped(entry.origin, f"and {rest} more files of other "
                                                       "types, not graded")]


def _limits(entry: Entry, members: list[Member], sources: list[Member],
            budget: _BytesRead) -> str | None:
    """Why this student's files are not read (per-student limits), if they are not."""
    name = entry.origin
    if len(members) > MAX_FILES:
        return f"{name} holds {len(members)} files; a submission may hold at most {MAX_FILES}."
    declared = sum(m.size for m in sources)
    if declared > MAX_SUBMISSION:
        return (f"{name} holds {declared // 1024} KB of .py/.ipynb files; a submission may "
                f"hold at most {MAX_SUBMISSION // 2**20} MB.")
    for member in sources:
        if member.packed is not None and member.size > MAX_FILE // 2 \
                and member.size > MAX_RATIO * max(1, member.packed):
            return (f"{member.path} is compressed {member.size // max(1, member.packed)} "
                    f"to 1, more than an ordinary file ({MAX_RATIO} to 1): it was not unpacked.")
    if budget.total + declared > MAX_ZIP_TOTAL:
        return (f"the whole class already holds more than {MAX_ZIP_TOTAL // 2**20} MB of "
                "files; grade the class in several parts.")
    return None


def _build(student: str, files: dict[PurePosixPath, bytes | None]) -> Submission:
    chosen: dict[str, bytes] = {}
    notes: list[str] = []
    for relative, data in sorted(files.items()):
        if data is None:
            if len(files) == 1:
                return Submission(student, (), problem=f"{relative.name} is a symbolic link; "
                                  "links are not accepted, submit the file itself.")
            notes.append(f"{relative.name} was ignored: it is a symbolic link.")
            continue
        problem = _add(chosen, relative, data, notes)
        if problem:
            return Submission(student, (), problem=problem)
    if not chosen:
        return Submission(student, (), problem="no .py or .ipynb file was found.",
                          notes=tuple(notes))
    if sum(len(d) for d in chosen.values()) > MAX_SUBMISSION:
        return Submission(student, (), problem="the submission is too large.")
    return Submission(student, tuple(sorted(chosen.items())), notes=tuple(notes))


def _add(chosen: dict[str, bytes], relative: PurePosixPath, data: bytes,
         notes: list[str]) -> str | None:
    if len(data) > MAX_FILE:
        return f"{relative.name} is larger than {MAX_FILE // 1024} KB."
    name = _file_name(relative.stem) + ".py"
    if relative.suffix == ".ipynb":
        try:
            data = notebook_to_source(data, relative.name).encode()
        except NotebookError as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - one student's file never stops the class
            return f"{relative.name} could not be read as a notebook ({type(exc).__name__})."
    if name in chosen:
        notes.append(f"{relative} was ignored: another file is also called {name}.")
        return None
    chosen[name] = data
    return None
