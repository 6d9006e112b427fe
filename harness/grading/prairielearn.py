"""PrairieLearn: the external grader (``harness prairielearn``) and its question files.

PrairieLearn runs an external grader in a Docker container holding ``/grade``:
``student/`` (the submitted files), ``data/data.json`` (the submission's data
object: ``params``, ``submitted_answers``, ``gradable`` ...), ``tests/`` (the
question's own ``tests`` folder: here the assignment and the secret) and
``serverFilesCourse/``.  The grader must create ``results/`` and write
``results/results.json`` (at most 1 MB): ``score`` from 0 to 1, and here also
``points``/``max_points``, a ``message`` and one test per exercise (``name``,
``description``, ``points``, ``max_points``, ``message``, ``output``).  A
submission that cannot be graded (no files, no hypotheses, a syntax error, an
invalid declaration, a grader failure) gets ``gradable: false`` and
``format_errors``: PrairieLearn then neither awards points nor counts the attempt.

``<pl-external-grader-results>`` shows ``message`` and ``output`` as
preformatted text (HTML-escaped, ANSI colour codes turned into colours) and
``format_errors`` as escaped text.  Test outputs are the same Markdown feedback
as Gradescope's (:func:`harness.grading.gradescope.test_output`: the student's
text escaped by :mod:`harness.untrusted`, control characters, ANSI escapes
included, replaced); ``format_errors`` are plain text cleaned and cut by it.

Grading goes through :func:`harness.grading.api.grade_one` exactly as
``harness gradescope`` does (the same sandbox choice and refusal), and
``results.json`` is written atomically only once it has returned, when the
worker and everything it started are dead: whatever a submission wrote there
is replaced.  Nothing is written when the layout is not there (a run by hand);
``HARNESS_PRAIRIELEARN_ROOT`` moves it (default ``/grade``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, UsageError
from harness.grading.assignment import Assignment
from harness.grading.autograder import VENV
from harness.grading.results import Status, SubmissionResult, format_points

#: Where PrairieLearn puts everything; ``HARNESS_PRAIRIELEARN_ROOT`` overrides it.
GRADE_ROOT = Path("/grade")
ROOT_VARIABLE = "HARNESS_PRAIRIELEARN_ROOT"
#: The question's test files, in ``tests/`` (written by ``harness autograder prairielearn``).
ASSIGNMENT_FILE = "assignment.toml"
SECRET_FILE = "secret"
#: PrairieLearn's limit on results.json.
MAX_BYTES = 1_000_000
#: Statuses that say the submission could not be graded, rather than graded 0.
NOT_GRADABLE = (Status.INVALID_SUBMISSION, Status.NO_HYPOTHESES, Status.SYNTAX_ERROR,
                Status.BAD_HYPOTHESIS, Status.GRADER_ERROR)
SETUP_FAILED = ("The grader could not run on this submission (a problem in the question's "
                "set-up, not in your work). This attempt does not count; tell your instructor.")


@dataclass(frozen=True)
class Layout:
    """PrairieLearn's ``/grade`` folder."""

    root: Path

    @property
    def student(self) -> Path:
        return self.root / "student"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"

    def data(self) -> dict[str, Any]:
        """``data/data.json``, or ``{}`` when it is missing or not a JSON object."""
        try:
            data = json.loads((self.root / "data" / "data.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def private(self) -> tuple[str, ...]:
        """The course's own folders (tests with the secret, server files, the job's
        data), which no worker may see."""
        return tuple(str(self.root / name) for name in ("tests", "serverFilesCourse", "data")
                     if (self.root / name).exists())

    def test_file(self, given: str | Path | None, name: str) -> str | Path | None:
        """``given``, else ``tests/<name>`` when the question has it, else ``None``."""
        if given is not None:
            return given
        found = self.root / "tests" / name
        return found if found.is_file() else None


def layout() -> Layout:
    """The ``/grade`` layout (``$HARNESS_PRAIRIELEARN_ROOT``); raises :class:`UsageError`,
    writing nothing, when ``student/`` is not there."""
    root = Path(os.environ.get(ROOT_VARIABLE) or GRADE_ROOT)
    if not (root / "student").is_dir():
        raise UsageError(f"this does not look like PrairieLearn's external grader: it expects "
                         f"the folder {root / 'student'} (with {root / 'data' / 'data.json'}), "
                         f"which is not there. Nothing was written. To try it by hand, make "
                         f"that layout in a folder and set {ROOT_VARIABLE} to it.")
    return Layout(root)


def run_prairielearn(assignment: str | Path | None = None, secret: str | Path | None = None,
                     seed: int | None = None,
                     isolate: bool = True) -> tuple[SubmissionResult | None, dict[str, Any]]:
    """Grade ``/grade/student`` and write ``/grade/results/results.json``.

    The assignment and secret default to the question's ``tests/assignment.toml`` and
    ``tests/secret``.  Returns the result (``None`` when PrairieLearn already marked
    the submission not gradable) and what was written.  When grading cannot start (no
    sandbox, a broken assignment), a not-gradable results.json is written and the
    :class:`HarnessError` raised again, for the log.
    """
    from harness.grading.api import grade_one

    where = layout()
    if where.data().get("gradable") is False:
        data = not_gradable(["PrairieLearn found a problem with the submitted answer "
                             "before grading; fix it and submit again."])
        _write(where, data)
        return None, data
    try:
        result, rules = grade_one(where.student,
                                  assignment=where.test_file(assignment, ASSIGNMENT_FILE),
                                  seed=seed, isolate=isolate,
                                  secret=where.test_file(secret, SECRET_FILE),
                                  private=where.private)
    except HarnessError:
        _write(where, not_gradable([SETUP_FAILED]))
        raise
    data = results_json(rules, result)
    _write(where, data)
    return result, data


def results_json(assignment: Assignment, result: SubmissionResult) -> dict[str, Any]:
    """PrairieLearn's results record for one submission."""
    from harness.grading.gradescope import overall_text, test_output

    if result.status in NOT_GRADABLE:
        return not_gradable(format_errors(result))
    tests = [{
        "name": exercise.name,
        "description": f"Your hypotheses about {exercise.layer}, checked against Keras.",
        "points": result.points(exercise.id),
        "max_points": exercise.max_points,
        "message": f"{format_points(result.points(exercise.id))} / "
                   f"{format_points(exercise.max_points)} points",
        "output": test_output(exercise, result),
    } for exercise in assignment.exercises]
    score = result.total / result.max_total if result.max_total else 0.0
    return within_limit({"gradable": True, "score": round(min(max(score, 0.0), 1.0), 6),
                         "points": result.total, "max_points": result.max_total,
                         "message": overall_text(result), "tests": tests})


def format_errors(result: SubmissionResult) -> list[str]:
    """Why the submission could not be graded, in plain text (the student's text cleaned
    and cut: PrairieLearn escapes it for HTML)."""
    from harness.grading.feedback import status_words
    from harness.untrusted import cut_block

    words = status_words(result.status)
    then = ("submit again, and tell your instructor if it happens again" if
            result.status == Status.GRADER_ERROR else "fix it and submit again")
    errors = [f"Not graded: {words[:1].upper()}{words[1:]} This attempt does not count; "
              f"{then}."]
    if result.message:
        errors.append(cut_block(result.message.strip()))
    return errors


def not_gradable(errors: list[str]) -> dict[str, Any]:
    """A results record saying the submission was not graded, and why (plain text)."""
    return {"gradable": False, "format_errors": errors,
            "message": "Your submission could not be graded (see the error above); this "
                       "attempt does not count."}


def within_limit(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` within PrairieLearn's 1 MB as written (``\\u`` escapes counted): each
    test's output cut alike, to half as many characters at a time, until it fits."""
    tests = data.get("tests") or []
    whole = [test["output"] for test in tests]
    share = max((len(text) for text in whole), default=0)
    while _size(data) > MAX_BYTES and share > 100:
        share //= 2
        for test, text in zip(tests, whole, strict=True):
            if len(text) > share:
                test["output"] = (text[:share] + "\n\n\u2026 (the rest of this feedback is "
                                  "too long for PrairieLearn to show)")
    return data


def _size(data: dict[str, Any]) -> int:
    return len(json.dumps(data, indent=2, sort_keys=True).encode()) + 1


def _write(where: Layout, data: dict[str, Any]) -> None:
    from harness.output.files import write_json

    where.results.parent.mkdir(parents=True, exist_ok=True)  # PrairieLearn does not make it
    write_json(where.results, data)


# ---------------------------------------------------------------- the question's files

#: The command PrairieLearn starts (the image installs the harness into VENV).
ENTRYPOINT = f"{VENV}/bin/harness prairielearn"
#: Seconds PrairieLearn allows beyond the assignment's own limit (Keras starting), and
#: PrairieLearn's own maximum.
STARTUP_SECONDS = 60
MAX_TIMEOUT = 600

DOCKERFILE = """\
# The PrairieLearn external grader for {name}: this harness, installed from the
# wheel beside this file (built from the harness's checkout by
# `harness autograder prairielearn`), and bubblewrap, its sandbox.
#   docker build -t {image} .   then   docker push {image}
FROM python:3.11-slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends bubblewrap \\
 && rm -rf /var/lib/apt/lists/*
COPY {wheel} /tmp/{wheel}
RUN python -m venv {venv} \\
 && {venv}/bin/pip install --no-cache-dir /tmp/{wheel} \\
 && rm /tmp/{wheel}
ENV PATH={venv}/bin:$PATH
# PrairieLearn starts `{entrypoint}` with /grade mounted, without network.
"""
#: A Docker image reference (lower case; registry, path, tag, digest).
IMAGE_NAME = re.compile(r"[a-z0-9][a-z0-9._/:@-]{0,254}")


@dataclass(frozen=True)
class QuestionFiles:
    """What ``harness autograder prairielearn`` wrote."""

    out: Path
    options: dict[str, Any]
    assignment: Path
    secret: Path
    secret_made: bool
    dockerfile: Path
    wheel: Path

    @property
    def snippet(self) -> Path:
        return self.out / "externalGradingOptions.json"


def write_question(out: str | Path, assignment: str | Path | None = None,
                   secret_file: str | Path | None = None,
                   image: str | None = None) -> QuestionFiles:
    """Write into ``out``: ``tests/assignment.toml`` and ``tests/secret`` (mode 0600; a
    new random one unless ``secret_file``, or the one already there), the
    ``externalGradingOptions`` for ``info.json`` (``externalGradingOptions.json``), and
    ``image/`` (a Dockerfile and the wheel of this checkout it installs)."""
    from harness import __version__
    from harness.grading.assignment import load_assignment
    from harness.grading.autograder import assignment_text, build_wheel, platform_secret
    from harness.untrusted import NAME, cut

    out = Path(out)
    rules = load_assignment(assignment)  # refuses a broken one before anything is written
    image = image or f"rnn-hypothesis-harness-grader:{__version__}"
    if not IMAGE_NAME.fullmatch(image):
        raise UsageError(f"--image must be a Docker image name such as you/rnn-grader:1 (lower "
                         f"case, no spaces). Received: {image!r}.")
    tests = out / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    written = tests / ASSIGNMENT_FILE
    written.write_text(assignment_text(assignment), encoding="utf-8")
    secret, made = platform_secret(tests / SECRET_FILE, secret_file)
    wheel = build_wheel(out / "image")
    dockerfile = out / "image" / "Dockerfile"
    dockerfile.write_text(DOCKERFILE.format(name=cut(rules.name, NAME), image=image,
                                            wheel=wheel.name, venv=VENV, entrypoint=ENTRYPOINT))
    options = {"enabled": True, "image": image, "entrypoint": ENTRYPOINT,
               "timeout": min(MAX_TIMEOUT, int(rules.submission_timeout) + STARTUP_SECONDS),
               "enableNetworking": False}
    files = QuestionFiles(out, options, written, secret, made, dockerfile, wheel)
    files.snippet.write_text(json.dumps({"externalGradingOptions": options}, indent=2) + "\n")
    return files
