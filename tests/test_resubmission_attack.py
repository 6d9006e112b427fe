"""The resubmission attack: a table built from 20 gradings with one secret earns nothing.

A determined student resubmits twenty times under the same secret.  Each
submission holds a right formula that writes down every case the grader sends
its worker (screening and fresh, they come in one batch) and five "dumper"
hypotheses that raise, their messages carrying the cases not yet known, packed.
The feedback and Gradescope's results.json print those messages, so after
twenty gradings the student holds a table of the grader's cases; Keras's answers
to them come from the student's own Keras.  The 21st submission answers from
that table and has no formula at all: it must earn 0, and 0 again on a regrade.

It earns nothing because every submission's fresh cases are drawn from the
secret and its own content, over the whole space: no earlier grading met them.
(Against the old class-wide pool of fresh cases this table scored full marks.)
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import textwrap
from typing import Any

import numpy as np
import pytest

from harness import PART_A
from harness.cases import Case
from harness.engine.checker import Checker, CheckSettings
from harness.engine.oracle import Oracle
from harness.grading.assignment import Assignment, parse_assignment
from harness.grading.feedback import feedback_markdown
from harness.grading.gradescope import results_json
from harness.grading.results import SubmissionResult
from harness.grading.runner import GradingContext, grade_submission, make_context
from harness.grading.secret import Secret
from harness.grading.submissions import Submission
from harness.verdict import REFUTED

SECRET = b"the course's grading secret, kept for the whole term"
ATTEMPTS = 20
ASSIGNMENT = """
[assignment]
name = "resubmission attack"
seed = 11
cases = 24
fresh_cases = 12
hints = false
hypothesis_timeout = 10
submission_timeout = 60
max_hypotheses = 8

[[exercise]]
id = "part_a"
layer = "PART_A"
points = 2
"""

#: Run in the grader's worker: pack a case (numbers on a 1/20 grid in 2 bytes, any other
#: in 10), write it in letters and digits (nothing any escaping changes).  Five messages of
#: about 150 characters each per grading: within what feedback shows of any message.
CODEC = '''
import hashlib
import struct

import numpy as np

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def digest(kernel, recurrent_kernel, xs):
    raw = b"".join(np.asarray(a, np.float64).tobytes() for a in (kernel, recurrent_kernel, xs))
    return hashlib.sha256(raw).hexdigest()[:12]


def pack(kernel, recurrent_kernel, xs):
    out = bytearray([len(xs)])
    for value in np.concatenate([np.ravel(kernel), np.ravel(recurrent_kernel), np.ravel(xs)]):
        grid = round(float(value) * 20)
        if abs(grid) < 32000 and grid / 20 == value:
            out += struct.pack(">h", grid)
        else:
            out += struct.pack(">hd", -32768, float(value))
    number = int.from_bytes(b"\\x01" + bytes(out), "big")
    text = ""
    while number:
        number, rest = divmod(number, 62)
        text = ALPHABET[rest] + text
    return text
'''

ATTACK = CODEC + '''
from harness import PART_A, hypothesis

ATTEMPT = {attempt}
KNOWN = set({known!r})
SEEN = []
CHUNKS = []


@hypothesis(PART_A, name="right, and it writes down every case")
def recorder(kernel, recurrent_kernel, xs):
    SEEN.append((kernel.copy(), recurrent_kernel.copy(), xs.copy()))
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


def _chunk(index):
    if not CHUNKS:
        tokens, done = [], set(KNOWN)
        for case in SEEN:
            key = digest(*case)
            if key not in done:
                done.add(key)
                tokens.append(pack(*case))
        for _ in range(5):
            chunk = []
            while tokens and len("-".join(chunk + tokens[:1])) <= 100:
                chunk.append(tokens.pop(0))
            CHUNKS.append("-".join(chunk))
    return CHUNKS[index]


@hypothesis(PART_A, name="dumper 0")
def dumper_0(kernel, recurrent_kernel, xs):
    raise ValueError("LK0:" + _chunk(0) + ":KL")


@hypothesis(PART_A, name="dumper 1")
def dumper_1(kernel, recurrent_kernel, xs):
    raise ValueError("LK1:" + _chunk(1) + ":KL")


@hypothesis(PART_A, name="dumper 2")
def dumper_2(kernel, recurrent_kernel, xs):
    raise ValueError("LK2:" + _chunk(2) + ":KL")


@hypothesis(PART_A, name="dumper 3")
def dumper_3(kernel, recurrent_kernel, xs):
    raise ValueError("LK3:" + _chunk(3) + ":KL")


@hypothesis(PART_A, name="dumper 4")
def dumper_4(kernel, recurrent_kernel, xs):
    raise ValueError("LK4:" + _chunk(4) + ":KL")
'''

TABLE = '''
import numpy as np
from harness import PART_A, hypothesis

TABLE = {table!r}


@hypothesis(PART_A, name="answers from the table")
def table(kernel, recurrent_kernel, xs):
    raw = b"".join(np.asarray(a, np.float64).tobytes() for a in (kernel, recurrent_kernel, xs))
    return np.array(TABLE.get(raw.hex(), [0.0]))
'''

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
LEAK = re.compile(r"LK\d:([0-9A-Za-z\\-]*):KL")


def unpack(text: str) -> Case:
    """A case from one packed token (the student's decoder)."""
    number = 0
    for char in text:
        number = number * 62 + ALPHABET.index(char)
    data = number.to_bytes((number.bit_length() + 7) // 8, "big")[1:]
    steps, values, at = data[0], [], 1
    while at < len(data):
        (grid,) = struct.unpack(">h", data[at:at + 2])
        at += 2
        if grid == -32768:
            values.append(struct.unpack(">d", data[at:at + 8])[0])
            at += 8
        else:
            values.append(grid / 20)
    assert len(values) == steps + 2
    return Case((np.array([[values[0]]]), np.array([[values[1]]])),
                np.array(values[2:]).reshape(steps, 1))


def digest(case: Case) -> str:
    raw = b"".join(np.asarray(a, np.float64).tobytes() for a in (*case.weights, case.xs))
    return hashlib.sha256(raw).hexdigest()[:12]


def what_the_student_sees(rules: Assignment, result: SubmissionResult) -> str:
    return feedback_markdown(rules, result) + json.dumps(results_json(rules, result))


def leaked(text: str) -> list[Case]:
    cases = []
    for payload in LEAK.findall(text):
        tokens = payload.replace("\\", "").split("-")
        cases += [unpack(token) for token in tokens if token]
    return cases


def grade(ctx: GradingContext, source: str) -> SubmissionResult:
    return grade_submission(Submission("mallory", (("attack.py", source.encode()),)), ctx)


@pytest.fixture(scope="module")
def attack() -> dict[str, Any]:
    rules = parse_assignment(ASSIGNMENT).with_secret(Secret(SECRET, "the test"))
    known: dict[str, Case] = {}
    ctx = make_context(rules)
    for attempt in range(ATTEMPTS):
        source = textwrap.dedent(ATTACK).format(attempt=attempt, known=sorted(known))
        result = grade(ctx, source)
        assert result.status == "graded" and result.total == 2  # the recorder holds
        for case in leaked(what_the_student_sees(rules, result)):
            known.setdefault(digest(case), case)
    oracle = Oracle()  # the student's own Keras
    cases = list(known.values())
    answers = {b"".join(a.tobytes() for a in (*c.weights, c.xs)).hex(): [float(v) for v in w]
               for c, w in zip(cases, oracle.outputs(PART_A, cases), strict=True)}
    table = textwrap.dedent(TABLE).format(table=answers)
    return {"rules": rules, "ctx": ctx, "known": known, "table": table}


def test_twenty_gradings_leak_every_screening_case(attack: dict[str, Any]) -> None:
    """The attack is real: the table knows every screening case (the same for everyone)
    and each grading's fresh cases (the cases beyond the screening set it leaked)."""
    from harness.claims import claim_of

    ctx: GradingContext = attack["ctx"]
    settings: CheckSettings = ctx.checker.settings
    claim = claim_of(_part_a_formula())
    assert claim is not None
    screening, _ = Checker(settings, oracle=Oracle()).screening(claim)
    assert len(screening) == 24
    assert {digest(c) for c in screening} <= set(attack["known"])
    assert len(attack["known"]) > 24 + ATTEMPTS


def test_a_table_of_twenty_gradings_earns_nothing(attack: dict[str, Any]) -> None:
    ctx: GradingContext = attack["ctx"]
    first = grade(ctx, attack["table"])
    again = grade(make_context(attack["rules"]), attack["table"])  # a regrade, from scratch
    for result in (first, again):
        assert result.status == "graded" and result.total == 0
        (hypothesis,) = result.hypotheses
        assert hypothesis.verdict == REFUTED
    assert what_the_student_sees(attack["rules"], first) == \
        what_the_student_sees(attack["rules"], again)


def _part_a_formula() -> Any:
    from harness import hypothesis

    @hypothesis(PART_A, name="screening")
    def formula(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
        return xs[-1] @ kernel

    return formula
