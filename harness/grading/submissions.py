"""Finding submissions: a folder or a ``.zip`` of ``.py`` files, notebooks or folders.

* A ``.py`` or ``.ipynb`` file at the top level is one student's submission;
  the student's id is its stem (``alice.py`` -> ``alice``).
* A folder at the top level is one student's submission (id: the folder's
  name) made of every ``.py`` / ``.ipynb`` file inside it, at any depth.
* A ``.zip`` (an LMS bulk download) is read the same way, in memory, without
  extracting anything to disk; a zip holding one single folder is opened.

Never followed or read: symbolic links (a link as a submission is marked
invalid), hidden files and ``_private`` files, ``conftest.py`` and any file
that is not ``.py`` / ``.ipynb`` (``pytest.ini`` ...).  Sizes are capped.
"""

from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from harness.errors import UsageError
from harness.grading.notebooks import NotebookError, notebook_to_source

MAX_FILE = 2 * 1024 * 1024
MAX_SUBMISSION = 8 * 1024 * 1024
MAX_ZIP_TOTAL = 512 * 1024 * 1024
SOURCES = (".py", ".ipynb")
IGNORED_NAMES = ("conftest.py", "setup.py", "__MACOSX")

#: A file in a tree: its bytes, or None for a symbolic link.
Tree = dict[PurePosixPath, bytes | None]


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


def find_submissions(path: str | Path) -> list[Submission]:
    """Every submission under ``path`` (a folder, a ``.zip`` or one file), by student id."""
    path = Path(path)
    if path.is_symlink() and path.is_file():
        raise UsageError(f"{path} is a symbolic link; name the real folder or file.")
    if path.is_file() and path.suffix == ".zip":
        tree = _unwrap(_zip_tree(path))
    elif path.is_dir():
        tree = _folder_tree(path)
    elif path.is_file() and path.suffix in SOURCES:
        tree = {PurePosixPath(path.name): _read(path)}
    else:
        raise UsageError(f"{path} is not a folder, a .zip, a .py or an .ipynb file.")
    return _submissions(tree)


def _folder_tree(root: Path) -> Tree:
    tree: Tree = {}
    for item in sorted(root.rglob("*")):
        relative = PurePosixPath(item.relative_to(root).as_posix())
        if _ignored(relative) or not (item.is_symlink() or item.is_file()):
            continue
        tree[relative] = None if item.is_symlink() else _read(item)
    return tree


def _read(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_FILE + 1)


def _zip_tree(path: Path) -> Tree:
    tree: Tree = {}
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                relative = _safe_member(info.filename)
                if relative is None or info.is_dir() or _ignored(relative):
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    tree[relative] = None
                    continue
                with archive.open(info) as member:
                    data = member.read(MAX_FILE + 1)
                total += len(data)
                if total > MAX_ZIP_TOTAL:
                    raise UsageError(f"{path} unpacks to more than {MAX_ZIP_TOTAL} bytes.")
                tree[relative] = data
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{path} is not a readable .zip file: {exc}.") from None
    return tree


def _safe_member(name: str) -> PurePosixPath | None:
    relative = PurePosixPath(name.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return None
    return relative


def _ignored(relative: PurePosixPath) -> bool:
    return any(part.startswith((".", "_")) or part in IGNORED_NAMES for part in relative.parts)


def _unwrap(tree: Tree) -> Tree:
    """A zip holding one single folder: look inside it."""
    tops = {p.parts[0] for p in tree}
    while len(tops) == 1 and all(len(p.parts) > 1 for p in tree):
        tree = {PurePosixPath(*p.parts[1:]): data for p, data in tree.items()}
        tops = {p.parts[0] for p in tree}
    return tree


def _submissions(tree: Tree) -> list[Submission]:
    groups: dict[str, dict[PurePosixPath, bytes | None]] = {}
    for relative, data in sorted(tree.items()):
        top = relative.parts[0]
        if len(relative.parts) == 1 and relative.suffix not in SOURCES:
            continue
        student = top if len(relative.parts) > 1 else relative.stem
        groups.setdefault(student, {})[relative] = data
    out: list[Submission] = []
    taken: set[str] = set()
    for student, files in sorted(groups.items()):
        ident = _unique(_student_id(student), taken)
        out.append(_build(ident, files))
    return out


def _build(student: str, files: dict[PurePosixPath, bytes | None]) -> Submission:
    chosen: dict[str, bytes] = {}
    notes: list[str] = []
    for relative, data in sorted(files.items()):
        if relative.suffix not in SOURCES:
            continue
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
    if name in chosen:
        notes.append(f"{relative} was ignored: another file is also called {name}.")
        return None
    chosen[name] = data
    return None


def _student_id(text: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "student"
    return stem[:80]


def _file_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "submission"
    return name if not name[0].isdigit() else f"f_{name}"


def _unique(ident: str, taken: set[str]) -> str:
    candidate, n = ident, 2
    while candidate in taken:
        candidate, n = f"{ident}-{n}", n + 1
    taken.add(candidate)
    return candidate


def submission_from_folder(folder: str | Path, student: str = "submission") -> Submission:
    """All of one folder as one student's submission (Gradescope's layout)."""
    tree = _folder_tree(Path(folder))
    return _build(_student_id(student), dict(tree))
