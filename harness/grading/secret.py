"""The grading secret: what makes grading cases unknowable in advance.

Students can run the checker with any seed they like, and the default seed is
in the README, so cases drawn from a seed are public: a submission could hold a
table of Keras's answers for them.  Grading therefore draws every case from a
secret instead (:class:`harness.engine.checker.CheckSettings` ``secret``), and checks
each hypothesis that holds on fresh cases salted with the submission's content
(:func:`submission_salt`), which no earlier submission or feedback has shown.

Where the secret comes from, first found wins:

1. a file the instructor names (``--secret-file PATH``, ``secret=PATH``);
2. the environment variable ``HARNESS_SECRET``;
3. ``<out>/.secret``, created on first use (``secrets.token_hex(32)``, mode
   0600) and reused by every later run into the same folder, so a regrade
   draws exactly the same cases.

The value is never printed or written anywhere but that file: run headers name
only where it came from, and stored results carry only a digest of it (in the
assignment's fingerprint), so results graded under another secret are not
reused.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.claims import Claim
from harness.errors import UsageError

if TYPE_CHECKING:
    from harness.grading.submissions import Submission

ENV_VARIABLE = "HARNESS_SECRET"
FILE_NAME = ".secret"
MIN_LENGTH = 16
MAX_LENGTH = 4096


@dataclass(frozen=True)
class Secret:
    """A grading secret and where it came from (the value never shows in a repr)."""

    value: bytes = field(repr=False)
    source: str
    path: str | None = None

    def digest(self) -> str:
        """A one-way digest, to tell secrets apart in stored results."""
        return hashlib.sha256(b"harness-secret-digest-v1\0" + self.value).hexdigest()

    def describe(self) -> str:
        """For run headers: where the secret came from, never its value."""
        return f"secret (from {self.source})"


def resolve_secret(out: str | Path | None, secret_file: str | Path | None = None,
                   environ: Mapping[str, str] | None = None) -> Secret:
    """The run's secret: the named file, else ``HARNESS_SECRET``, else ``<out>/.secret``
    (created on first use).  Without ``out`` (one Gradescope submission) and no
    secret given, one is made for this run only: safe, but a regrade may draw
    other cases."""
    environ = os.environ if environ is None else environ
    if secret_file is not None:
        return read_secret(Path(secret_file))
    if ENV_VARIABLE in environ:
        return _checked(environ[ENV_VARIABLE].encode(), f"the environment variable "
                        f"{ENV_VARIABLE}")
    if out is None:
        return Secret(secrets.token_hex(32).encode(), "a random secret made for this run only")
    path = Path(out) / FILE_NAME
    if path.exists() or path.is_symlink():
        return read_secret(path)
    return _create(path)


def read_secret(path: Path) -> Secret:
    """A secret from a file (surrounding whitespace ignored)."""
    if not path.is_file():
        raise UsageError(f"The secret file {path} does not exist or is not a file. Name a "
                         "file holding a long random text (python -c 'import secrets; "
                         "print(secrets.token_hex(32))' makes one).")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_LENGTH + 1)
    except OSError as exc:
        raise UsageError(f"Could not read the secret file {path}: {exc.strerror}.") from None
    return _checked(data, str(path), str(path.resolve()))


def _checked(data: bytes, source: str, path: str | None = None) -> Secret:
    value = data.strip()
    if not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        raise UsageError(
            f"The secret in {source} is {len(value)} characters long; it must be "
            f"{MIN_LENGTH} to {MAX_LENGTH} (a short secret can be guessed). Make one with "
            "python -c 'import secrets; print(secrets.token_hex(32))'.")
    return Secret(value, source, path)


def _create(path: Path) -> Secret:
    """Write a new random secret to ``path``, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another run made it first
        return read_secret(path)
    except OSError as exc:
        raise UsageError(f"Could not create the secret file {path}: {exc.strerror}. "
                         "Give one with --secret-file or HARNESS_SECRET.") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(value + b"\n")
    return Secret(value, f"{path}, made now", str(path.resolve()))


def submission_salt(claim: Claim) -> bytes:
    """What makes a claim's fresh cases its own: its submission's content hash.

    Computed by the grader from the files it holds, never reported by the worker.
    Any change to a submission changes its fresh cases, so cases seen in one
    submission's feedback say nothing about the next submission's.
    """
    from harness.grading.session import RemoteFormula

    formula = claim.formula
    if isinstance(formula, RemoteFormula):
        return content_salt(formula.session.submission)
    return b""


def content_salt(submission: Submission) -> bytes:
    """The salt of every claim of ``submission`` (:func:`submission_salt`)."""
    return submission.content_hash().encode()
