"""Surprises first, and what counts as a bundled example (no Keras needed).

The end-to-end proof, every report format from one ``harness check`` of the bundled
hypotheses plus a student's surprise, is ``tests/test_cli.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness import PART_A
from harness.engine.extras import worth_teaching
from harness.output.report import terminal_lines
from harness.surprises import SHIPPED, digest, is_bundled, items, ordered
from harness.verdict import ERROR, HOLDS, REFUTED, Counterexample, Verdict

BUNDLED = Path(__file__).resolve().parent / "bundled"  # our copies of hypotheses/
CASE = {"kernel": [[1]], "recurrent_kernel": [[-1]], "xs": [[1], [0], [0]]}


def _verdict(file: str, name: str, verdict: str, recorded: bool = False) -> Verdict:
    ce = Counterexample(CASE, [1], [-1], None) if verdict != HOLDS else None
    return Verdict(file=file, function=name.lower().replace(" ", "_"), name=name,
                   layer=PART_A, scope="all weights and sequences", recorded=recorded,
                   kind=verdict, cases=200, seed=1, counterexample=ce, line=3)  # type: ignore[arg-type]


def test_shipped_digests_are_the_bundled_files() -> None:
    """SHIPPED names every file shipped in hypotheses/ (tests/bundled/ is our copy)."""
    found = {digest(path): str(path.relative_to(BUNDLED))
             for path in sorted(BUNDLED.rglob("*.py"))}
    assert found == SHIPPED, f"update harness.surprises.SHIPPED to {found}"


def test_bundled_is_an_unchanged_copy_or_the_course_folder(tmp_path: Path) -> None:
    folder = tmp_path / "hypotheses"
    shutil.copytree(BUNDLED, folder)
    assert is_bundled(str(folder / "part_a.py"))
    assert is_bundled(str(folder / "course" / "dense.py"))
    edited = folder / "part_b.py"
    edited.write_text(edited.read_text() + "\n# my own idea\n")
    assert not is_bundled(str(edited))  # edited: the student's own
    (folder / "course" / "mine.py").write_text("x = 1\n")
    assert is_bundled(str(folder / "course" / "mine.py"))  # the course folder
    (tmp_path / "elsewhere").mkdir()
    copy = tmp_path / "elsewhere" / "dense.py"
    shutil.copy(BUNDLED / "course" / "dense.py", copy)
    assert is_bundled(str(copy))  # an unchanged copy, wherever it lies
    renamed = tmp_path / "elsewhere" / "my_dense.py"
    shutil.copy(BUNDLED / "course" / "dense.py", renamed)
    assert not is_bundled(str(renamed))
    assert not is_bundled("cell In [3]") and not is_bundled(str(tmp_path / "gone.py"))


def test_surprises_first_then_own_files_then_bundled(tmp_path: Path) -> None:
    course = tmp_path / "hypotheses" / "course"
    course.mkdir(parents=True)
    bundled = str(course / "dense.py")
    mine = str(tmp_path / "hypotheses" / "mine.py")
    verdicts = [
        _verdict(bundled, "Bundled holds", HOLDS),
        _verdict(bundled, "Bundled refuted as recorded", REFUTED, recorded=True),
        _verdict(mine, "Mine holds", HOLDS),
        _verdict(bundled, "Bundled surprise", HOLDS, recorded=True),
        _verdict(mine, "Mine surprise", REFUTED),
        _verdict(mine, "Mine broken", ERROR),
    ]
    assert [v.name for v in ordered(verdicts)] == [
        "Mine surprise", "Mine broken", "Bundled surprise",
        "Mine holds", "Bundled holds", "Bundled refuted as recorded"]
    assert items(verdicts) == [
        "Mine surprise is refuted, but its file records it as holding (mine.py, line 3)",
        "Mine broken could not be checked (error) (mine.py, line 3)",
        "Bundled surprise holds, but its file records it as refuted (dense.py, line 3)"]
    lines = terminal_lines(verdicts)
    assert lines[0] == "Not what the files record (3; look at these first):"
    assert lines[1].startswith(" (!) Mine surprise is refuted")
    table = lines[lines.index("") + 1:]
    assert table[1].startswith("Mine surprise") and "refuted (!)" in table[1]
    # teaching goes to surprises and the student's own files, never a bundled example
    # refuted as recorded
    assert [v.name for v in verdicts if worth_teaching(v)] == ["Mine surprise"]


def test_everything_as_recorded_says_so(tmp_path: Path) -> None:
    v = _verdict(str(tmp_path / "a.py"), "Fine", HOLDS)
    assert terminal_lines([v])[0] == "Every verdict is what its file records."


def test_terminal_text_is_cut_at_a_word_with_the_full_text_below(tmp_path: Path) -> None:
    message = ("the formula returned None instead of an array: add a return statement "
               "at the end of the function body")
    v = Verdict(file=str(tmp_path / "a.py"), function="f", name="Returns nothing",
                layer=PART_A, scope="all", recorded=False, kind=ERROR, cases=1, seed=1,
                message=message)  # type: ignore[arg-type]
    lines = terminal_lines([v])
    row = next(line for line in lines if line.startswith("Returns nothing"))
    assert row.endswith("instead of an array: add a return\u2026")  # a whole word, then \u2026
    assert lines[-2:] == ["In full (cut short in the table):", f"  Returns nothing: {message}"]
