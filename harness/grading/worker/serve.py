"""The grading worker: the only process that runs a student's code.

Started by :mod:`harness.grading.isolation.workers` as ``python -I -B -m
harness.grading.worker.serve REQUEST_FD REPLY_FD`` in a temporary folder holding
only one submission.  It reads a ``hello`` (nonce, limits, files), confines
itself (:mod:`harness.grading.worker.confine`), sends stdout/stderr to ``/dev/null``,
blocks Keras/TensorFlow imports, and only then imports the student's files.
It then answers requests: ``load``, ``eval`` (a batch of cases for one
hypothesis), ``where_many`` (a batch of cases for one ``where=`` condition) and
``bye``.

Nothing here judges anything: the worker returns what the formulas return,
as plain data.  Keras, the comparison and the scoring live in the parent.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import io
import os
import sys
import types
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness import layers
from harness.cells import parse_cell_name
from harness.claims import Claim, claims_in, collecting
from harness.errors import HarnessError
from harness.execute import run_source
from harness.faults import describe_cell_error, describe_exception, describe_load_error
from harness.grading.protocol import BLOCKED, encode_value, read_message, write_message
from harness.grading.worker import confine

#: Modules imported before the worker is confined: everything the harness's claim, scope
#: and formula code may import lazily, and what an honest formula commonly uses, so that
#: nothing has to be found on disk once the file system is out of reach.
PRELOAD = (
    "harness", "harness.cases", "harness.claims", "harness.course", "harness.errors",
    "harness.execute", "harness.faults", "harness.ipynb", "harness.layers",
    "harness.numbers", "harness.parse", "harness.scope", "harness.nesting", "harness.verdict",
    "numpy", "numpy.linalg", "numpy.fft", "numpy.random", "numpy.polynomial",
    "numpy.lib.stride_tricks", "math", "cmath", "fractions", "decimal", "statistics",
    "itertools", "functools", "operator", "collections", "random", "string", "re",
    "linecache", "tokenize", "traceback", "encodings.idna", "difflib", "__future__",
)
#: Most load problems (files or notebook cells that failed) one reply reports.
MAX_PROBLEMS = 20
KERAS_MESSAGE = (
    "Keras/TensorFlow cannot be used while grading: a hypothesis must compute the "
    "layer's output itself, with numpy (tried to import {name!r})")


class KerasBlocker(importlib.abc.MetaPathFinder):
    """Refuses imports of :data:`BLOCKED` packages and remembers each attempt."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] in BLOCKED:
            self.attempts.append(fullname)
            raise ImportError(KERAS_MESSAGE.format(name=fullname))
        return None


class Discard(io.TextIOBase):
    """A text stream that accepts and drops everything (the student's prints)."""

    def write(self, text: str) -> int:
        return len(text)

    def writable(self) -> bool:
        return True


class Worker:
    """Serves one submission's hypotheses over the channel."""

    def __init__(self, request_fd: int, reply_fd: int, hello: dict[str, Any]) -> None:
        self.request_fd = request_fd
        self.reply_fd = reply_fd
        self.nonce = str(hello["nonce"])
        self.files = [str(f) for f in hello["files"]]
        self.folder = os.getcwd()
        self.blocker = KerasBlocker()
        self.claims: list[Claim] = []

    def serve(self, isolation: list[str]) -> None:
        self.reply(0, op="ready", isolation=isolation)
        while True:
            request = read_message(self.request_fd)
            op, rid = request.get("op"), int(request.get("id", 0))
            if op == "bye":
                return
            handler = {"load": self.load, "eval": self.evaluate,
                       "where_many": self.where_many}.get(str(op))
            if handler is None:
                self.reply(rid, op="error", message=f"unknown request {op!r}")
                continue
            self.reply(rid, op=str(op), **handler(request))

    def reply(self, rid: int, **fields: Any) -> None:
        fields["blocked"] = list(dict.fromkeys(self.blocker.attempts))[:5]
        self.blocker.attempts.clear()
        write_message(self.reply_fd, {"nonce": self.nonce, "id": rid, **fields})

    # -- requests -------------------------------------------------------------------------

    def load(self, request: dict[str, Any]) -> dict[str, Any]:
        """Import every file; one that fails (or a notebook cell that fails) is a problem
        of its own and the others are loaded; a broken ``@hypothesis`` is a claim with
        its ``error``."""
        problems = [problem for name in self.files for problem in self._import(Path(name))]
        limit = int(request.get("max_hypotheses", 50))
        return {"ok": True, "total": len(self.claims),
                "claims": [_describe_claim(c) for c in self.claims[:limit]],
                "problems": problems[:MAX_PROBLEMS]}

    def evaluate(self, request: dict[str, Any]) -> dict[str, Any]:
        claim = self.claims[int(request["claim"])]
        return {"outcomes": [self._run(claim, case) for case in request["cases"]]}

    def where_many(self, request: dict[str, Any]) -> dict[str, Any]:
        claim = self.claims[int(request["claim"])]
        return {"inside": [_inside(claim, args) for args in request["args_list"]]}

    # -- helpers --------------------------------------------------------------------------

    def _import(self, path: Path) -> list[dict[str, Any]]:
        """Run one file as a module, by a relative path (its folder is not reachable by
        absolute path once the worker runs as an unprivileged user), statement by
        statement (:mod:`harness.execute`); what failed in it, as problems."""
        name = f"_harness_submission_{path.stem}_{zlib.crc32(str(path).encode()):08x}"
        module = types.ModuleType(name)
        module.__file__ = str(path)
        sys.modules[name] = module
        with collecting() as found:
            try:
                run_source(path.read_bytes(), str(path), module.__dict__)
            except BaseException as exc:  # noqa: BLE001 - student code at import time
                return [self._problem(path.name, exc, describe_load_error(path, exc))]
        self.claims.extend(claims_in(module, found.broken))
        return [self._problem(_notebook_of(cell, path), exc,
                              describe_cell_error(path, cell, exc))
                for cell, exc in found.cells]

    def _problem(self, file: str, exc: BaseException, message: str) -> dict[str, Any]:
        return {"file": file, "status": _load_status(exc, self.blocker),
                "message": self._clean(message)}

    def _run(self, claim: Claim, case: dict[str, Any]) -> dict[str, Any]:
        try:
            value = claim.formula(**_arrays({k: case[k] for k in claim.params}, claim))
        except BaseException as exc:  # noqa: BLE001 - the boundary around student code
            wanted = wanted_keras(exc)
            if wanted:
                self.blocker.attempts.append(wanted)
            return {"error": self._clean(describe_exception(exc, claim.file))}
        return {"value": encode_value(value)}

    def _clean(self, text: str) -> str:
        return text.replace(self.folder + os.sep, "").replace(self.folder, ".")


def _notebook_of(cell: str, path: Path) -> str:
    """The notebook a cell belongs to (``explore.ipynb``), as the student named it."""
    found = parse_cell_name(cell)
    return Path(found[0]).name if found else path.name


def wanted_keras(exc: BaseException) -> str | None:
    """The blocked package an import error was about (the blocker may have been removed:
    the packages are not in the sandbox at all)."""
    name = getattr(exc, "name", None)
    if isinstance(exc, ImportError) and isinstance(name, str) \
            and name.split(".")[0] in BLOCKED:
        return name
    return None


def _load_status(exc: BaseException, blocker: KerasBlocker) -> str:
    if blocker.attempts or wanted_keras(exc):
        return "used-keras"
    if isinstance(exc, SyntaxError):
        return "syntax-error"
    if isinstance(exc, ImportError):
        return "import-error"
    if isinstance(exc, HarnessError):
        return "bad-hypothesis"
    return "load-error"


def _arrays(args: dict[str, Any], claim: Claim | None = None) -> dict[str, Any]:
    """Fresh float64 arrays for every binding (``weights`` is a list of arrays); an index
    input (``Embedding``) as whole numbers, as in a student's own run."""
    out: dict[str, Any] = {}
    index = claim.spec.input_name if claim and claim.spec.input_kind == "index" else None
    for name, value in args.items():
        if name == index:
            out[name] = np.array(value, dtype=np.float64).astype(np.int64)
        elif name == "weights":
            out[name] = [np.array(w, dtype=np.float64) for w in value]
        else:
            out[name] = np.array(value, dtype=np.float64)
    return out


def _describe_claim(claim: Claim) -> dict[str, Any]:
    scope = claim.scope
    where = None
    if scope.where is not None:
        where = {"params": list(scope.where_params)}
    return {
        "name": claim.name, "function": claim.function, "line": claim.line, "error": claim.error,
        "file": Path(claim.file).name, "layer": _layer_fields(claim),
        "refuted": claim.refuted, "params": list(claim.params),
        "fixed": {name: _with_nones(a) for name, a in scope.fixed},
        "timesteps": list(scope.timesteps), "where": where, "scope": scope.text,
    }


def _with_nones(array: np.ndarray) -> Any:
    """Fixed entries as nested lists, ``None`` where free."""
    return np.where(np.isnan(array), np.array(None, dtype=object), array).tolist()


def _layer_fields(claim: Claim) -> str:
    """The layer as its constructor text (the grader parses it safely and rebuilds it)."""
    return str(claim.spec)


def _silence() -> None:
    """stdin from, stdout and stderr to /dev/null; Python's streams drop everything."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    sys.stdout = Discard()
    sys.stderr = Discard()
    sys.stdin = io.StringIO()


def _confine(hello: dict[str, Any]) -> list[str]:
    """What the worker applies itself (the sandbox around it was set up by the grader)."""
    isolation = confine.set_limits(hello["limits"])
    confine.parent_death_signal()
    lock = hello.get("lock_down")
    if lock is not None:  # the container mode: no sandbox around the worker
        readable = [*map(str, lock["readable"]), os.getcwd()]
        isolation += confine.lock_down(readable, int(lock["landlock"]))
    return isolation


def _inside(claim: Claim, args: dict[str, Any]) -> bool:
    """The claim's ``where=`` on one case; a condition that fails means "not in scope"."""
    condition = claim.scope.where
    try:
        return bool(condition(**_arrays(args, claim))) if condition else True
    except BaseException:  # noqa: BLE001 - student code
        return False


def preload(names: Sequence[str] = PRELOAD) -> int:
    """Import ``names`` now (before confinement); returns how many were imported."""
    count = 0
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        count += 1
    return count


def main(argv: list[str]) -> int:
    request_fd, reply_fd = int(argv[1]), int(argv[2])
    preload()
    hello = read_message(request_fd)
    isolation = _confine(hello)
    worker = Worker(request_fd, reply_fd, hello)
    _silence()
    sys.meta_path.insert(0, worker.blocker)
    layers.DEFER_KERAS_CHECKS = True  # a layer's weights are checked in the grader
    isolation.append("stdout/stderr discarded, Keras/TensorFlow imports blocked")
    worker.serve(isolation)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
