"""``harness grade``, ``gradescope``, ``prairielearn``, ``autograder``, ``export``, ``override``:
parse, call the API, print.

``harness.cli`` calls :func:`register` to add the subcommands; this module
also runs on its own: ``python -m harness.grading.cli grade SUBMISSIONS ...``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness.arguments import Parser, whole_number
from harness.errors import HarnessError
from harness.grading.results import SubmissionResult, format_points

EXIT_OK = 0
EXIT_USAGE = 2
#: The most submissions ``--workers`` grades at once.
MAX_WORKERS = 1024


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``grade``, ``gradescope``, ``export`` and ``override`` subcommands."""
    grade = subparsers.add_parser(
        "grade", help="grade a whole class: grades.csv, feedback, Gradescope results",
        description="Grade every submission (a folder or .zip of .py/.ipynb files or "
                    "per-student folders) against the real Keras layers.")
    grade.add_argument("submissions", metavar="SUBMISSIONS",
                       help="folder or .zip of submissions")
    grade.add_argument("--assignment", metavar="FILE", default=None,
                       help="assignment spec (TOML); default: the course exercise")
    grade.add_argument("--out", metavar="DIR", default="reports/grades",
                       help="output folder (default: reports/grades)")
    grade.add_argument("--workers", metavar="N", type=whole_number("--workers", 1, MAX_WORKERS),
                       default=None, help=f"submissions graded at once, 1 to {MAX_WORKERS} "
                                          "(default: the number of CPU cores)")
    grade.add_argument("--seed", metavar="N", type=whole_number("--seed"), default=None,
                       help="override the assignment's seed")
    grade.add_argument("--secret-file", metavar="FILE", default=None,
                       help="file holding the secret the cases are drawn from (default: "
                            "$HARNESS_SECRET, else OUT/.secret, made on first use)")
    grade.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run on a Dask distributed cluster (needs harness[cluster])")
    grade.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="show progress (the default): a bar redrawn in place on a "
                            "terminal, otherwise one line per finished submission")
    grade.add_argument("--no-progress", dest="progress", action="store_false",
                       help="show no progress, only the run's header and summary")
    _isolation_options(grade)
    grade.set_defaults(func=run_grade)

    scope = subparsers.add_parser(
        "gradescope", help="grade one Gradescope submission into results.json",
        description="Grade /autograder/submission and write /autograder/results/results.json "
                    "(Gradescope's layout; refuses to run without it unless both "
                    "--submission and --results are given).")
    scope.add_argument("--submission", metavar="DIR", default=None,
                       help="the student's files (default: /autograder/submission)")
    scope.add_argument("--results", metavar="FILE", default=None,
                       help="results.json to write (default: /autograder/results/results.json)")
    scope.add_argument("--assignment", metavar="FILE", default=None,
                       help="assignment spec (TOML); default: the course exercise")
    scope.add_argument("--seed", metavar="N", type=whole_number("--seed"), default=None,
                       help="override the assignment's seed")
    scope.add_argument("--secret-file", metavar="FILE", default=None,
                       help="file holding the secret the cases are drawn from (default: "
                            "$HARNESS_SECRET, else a random one for this run only)")
    _isolation_options(scope)
    scope.set_defaults(func=run_gradescope)
    _register_prairielearn(subparsers)
    _register_export(subparsers)
    _register_override(subparsers)
    _register_assignment(subparsers)


def _register_assignment(subparsers: argparse._SubParsersAction[Any]) -> None:
    """``harness assignment new|check|audit``: the instructor's tools for an assignment file."""
    from harness.grading import audit, authoring

    assignment = subparsers.add_parser(
        "assignment", help="an instructor's tools for an assignment file (new, check, audit)",
        description="Author an assignment: `new` writes a commented assignment file, "
                    "`check` checks it against your reference hypotheses, `audit` counts "
                    "the wrong formulas its grading cases would let through.")
    commands = assignment.add_subparsers(dest="assignment_command", required=True,
                                         metavar="COMMAND",
                                         help="`harness assignment COMMAND --help` says more")
    authoring.register(commands)
    audit.register(commands)


def _register_prairielearn(subparsers: argparse._SubParsersAction[Any]) -> None:
    """``harness prairielearn`` and ``harness autograder prairielearn``."""
    from harness.arguments import whole_number

    pl = subparsers.add_parser(
        "prairielearn", help="grade one PrairieLearn submission into results.json",
        description="PrairieLearn's external grader: grade /grade/student and write "
                    "/grade/results/results.json (refuses to run without /grade/student; "
                    "$HARNESS_PRAIRIELEARN_ROOT moves /grade).")
    pl.add_argument("--assignment", metavar="FILE", default=None,
                    help="assignment spec (TOML); default: /grade/tests/assignment.toml, "
                         "else the course exercise")
    pl.add_argument("--secret-file", metavar="FILE", default=None,
                    help="file holding the secret the cases are drawn from (default: "
                         "/grade/tests/secret, else $HARNESS_SECRET, else a random one)")
    pl.add_argument("--seed", metavar="N", type=whole_number("--seed"), default=None,
                    help="override the assignment's seed")
    _isolation_options(pl)
    pl.set_defaults(func=run_prairielearn)
    autograder = subparsers.add_parser(
        "autograder", help="write what a grading platform needs (Gradescope, PrairieLearn)",
        description="Write the files a grading platform needs to grade with this harness.")
    platforms = autograder.add_subparsers(dest="platform", required=True, metavar="PLATFORM",
                                          help="the platform: gradescope or prairielearn")
    zipped = platforms.add_parser(
        "gradescope", help="Gradescope's autograder zip, ready to upload",
        description="Write Gradescope's autograder zip: setup.sh (a Python of at least 3.11 "
                    "and a virtual environment of its own on Gradescope's Ubuntu images), "
                    "run_autograder, this checkout's wheel with the versions installed "
                    "here, the assignment and the secret.")
    _platform_files_options(zipped, secret="the one kept beside the zip from an earlier "
                            "build, else a new random one kept there",
                            out=("ZIP", "autograder.zip", "the zip to write"))
    zipped.set_defaults(func=run_autograder_gradescope)
    question = platforms.add_parser(
        "prairielearn", help="a PrairieLearn question's grader files and image recipe",
        description="Write tests/ (the assignment and the secret) for the question folder, "
                    "externalGradingOptions.json for its info.json, and image/ (a "
                    "Dockerfile and this checkout's wheel) to build the grader image from.")
    _platform_files_options(question, secret="the one already in DIR/tests, else a new "
                            "random one", out=("DIR", "prairielearn", "folder to write into"))
    question.add_argument("--image", metavar="NAME", default=None,
                          help="the Docker image name for info.json (default: "
                               "rnn-hypothesis-harness-grader:VERSION; push it to Docker Hub)")
    question.set_defaults(func=run_autograder_prairielearn)


def _platform_files_options(parser: argparse.ArgumentParser, secret: str,
                            out: tuple[str, str, str]) -> None:
    """``--assignment``, ``--secret-file`` and ``-o`` of ``harness autograder PLATFORM``."""
    metavar, default, what = out
    parser.add_argument("--assignment", metavar="FILE", default=None,
                        help="assignment spec (TOML); default: the course exercise")
    parser.add_argument("--secret-file", metavar="FILE", default=None,
                        help=f"the secret to grade with (default: {secret})")
    parser.add_argument("-o", "--out", metavar=metavar, default=default,
                        help=f"{what} (default: {default})")


def _register_export(subparsers: argparse._SubParsersAction[Any]) -> None:
    from harness.grading.export import LMS, MATCHES, MISSING

    export = subparsers.add_parser(
        "export", help="grades.csv as a Canvas or Moodle gradebook import",
        description="Write the grades of GRADES_DIR (harness grade's --out folder) in the "
                    "columns the LMS's gradebook import reads, one row per student of the "
                    "roster (the LMS's own gradebook export), and OUT.unmatched.csv with "
                    "the submissions that match no roster row.")
    export.add_argument("lms", choices=LMS, help="the gradebook to import into")
    export.add_argument("grades", metavar="GRADES_DIR", help="the --out folder of harness grade")
    export.add_argument("--roster", metavar="FILE", required=True,
                        help="the LMS's gradebook export (CSV) listing the students")
    export.add_argument("-o", "--output", metavar="OUT.csv", required=True,
                        help="the file to write (OUT.unmatched.csv is written beside it)")
    export.add_argument("--column", metavar="TITLE", default=None,
                        help="the assignment column's title (default: the assignment's name; "
                             "for an existing Canvas assignment use its column title from "
                             "the export, e.g. 'RNN weights (1234)')")
    export.add_argument("--match", choices=MATCHES, default=None,
                        help="the roster column a submission id is matched against, "
                             "case-insensitively: login (Canvas: SIS Login ID, the default; "
                             "Moodle: Username), email (Moodle's default: Email address), "
                             "sis (SIS User ID / ID number) or id (Canvas: ID)")
    export.add_argument("--missing", choices=MISSING, default="blank",
                        help="a roster student with no submission gets an empty cell "
                             "(blank, the default) or 0 (zero)")
    export.set_defaults(func=run_export)


def _register_override(subparsers: argparse._SubParsersAction[Any]) -> None:
    override = subparsers.add_parser(
        "override", help="set one student's points for one exercise by hand",
        description="Append an entry to OUT/overrides.toml, which every `harness grade` "
                    "run reads and applies (grades.csv, feedback, results.json, summary, "
                    "exports). The last entry for a student and exercise wins.")
    override.add_argument("student", metavar="STUDENT", help="the student's id as in grades.csv")
    override.add_argument("exercise", metavar="EXERCISE", help="the exercise's id")
    override.add_argument("points", metavar="POINTS", type=_points,
                          help="the points, from 0 to the exercise's maximum")
    override.add_argument("--reason", metavar="TEXT", required=True,
                          help="why (shown to the student in their feedback)")
    override.add_argument("--out", metavar="DIR", default="reports/grades",
                          help="the grades folder, as for harness grade (default: "
                               "reports/grades)")
    override.add_argument("--by", metavar="NAME", default=None,
                          help="who sets it (default: the user name)")
    override.add_argument("--assignment", metavar="FILE", default=None,
                          help="assignment spec (TOML), for the exercises and their maximum; "
                               "default: the course exercise")
    override.set_defaults(func=run_override)


def _points(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"POINTS must be a number, e.g. 2 or 1.5. "
                                         f"Received: {text!r}.") from None
    return value


def _isolation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--isolation", choices=("sandbox", "none"), default="sandbox",
                        help="sandbox (the default): every submission runs in its own "
                             "bubblewrap sandbox, and grading refuses to start where there "
                             "is none; none: run submissions without isolation (only for "
                             "code you trust)")
    parser.add_argument("--no-sandbox", dest="isolation", action="store_const",
                        const="none", help="the same as --isolation=none")


def run_grade(args: argparse.Namespace) -> int:
    from harness.grading.api import grade, resolve_assignment
    from harness.grading.assignment import attach_secret
    from harness.grading.progress import Progress
    from harness.grading.runner import isolation_in_force
    from harness.grading.submissions import find_submissions

    try:
        rules = resolve_assignment(args.assignment, args.seed)
        rules = attach_secret(rules, args.out, args.secret_file)
        count = len(find_submissions(args.submissions, args.out))
        isolation = isolation_in_force(rules, isolate=args.isolation != "none")
    except HarnessError as exc:
        _say(f"harness grade: {exc}", error=True)
        return EXIT_USAGE
    # The seed is not printed: this log may be shown to students (an LMS job).
    _say(f"harness grade: {count} submissions, assignment {rules.name!r} "
         f"({rules.source}), {rules.cases} cases per hypothesis, "
         f"cases: {rules.secret.describe() if rules.secret else 'public seed'}, "
         f"workers {args.workers or 'all cores'}"
         f"{', scheduler ' + args.scheduler if args.scheduler else ''}")
    _say(f"isolation: {'; '.join(isolation)}")
    bar = Progress(count, stream=sys.stdout, enabled=args.progress)

    try:
        run = grade(args.submissions, assignment=args.assignment, out=args.out,
                    workers=args.workers, seed=args.seed, scheduler=args.scheduler,
                    on_result=bar.tick, isolate=args.isolation != "none",
                    secret=rules.secret)
    except HarnessError as exc:
        _say(f"harness grade: {exc}", error=True)
        return EXIT_USAGE
    _say(f"isolation in force: {'; '.join(run.isolation)}")
    _say(f"graded {run.graded}, reused {run.reused} stored result(s); "
         f"statuses: {_counts(run.results)}")
    for skipped in getattr(run, "skipped", None) or ():
        _say(f"not graded: {skipped}")
    for renamed in getattr(run, "renamed", None) or ():
        _say(f"graded under another id: {renamed}")
    for warning in run.override_warnings:
        _say(f"harness grade: warning: {warning}", error=True)
    overridden = sum(len(r.overrides) for r in run.results)
    if overridden or run.override_warnings:
        _say(f"overrides: {overridden} applied, {len(run.override_warnings)} warning(s)")
    _say(f"wrote {Path(args.out) / 'grades.csv'} (with grades.meta.json), feedback/, "
         "gradescope/, summary.md, summary.html, summary.png")
    return EXIT_OK


def run_gradescope(args: argparse.Namespace) -> int:
    from harness.grading.api import run_gradescope as grade_for_gradescope
    from harness.grading.gradescope import layout_paths

    try:
        submission, results = layout_paths(args.submission, args.results)
        result = grade_for_gradescope(submission, results,
                                      assignment=args.assignment, seed=args.seed,
                                      isolate=args.isolation != "none",
                                      secret=args.secret_file)
    except HarnessError as exc:
        _say(f"harness gradescope: {exc}", error=True)
        return EXIT_USAGE
    _say(f"score {format_points(result.total)} / {format_points(result.max_total)} "
         f"({result.status}); wrote {results}")
    return EXIT_OK


def run_prairielearn(args: argparse.Namespace) -> int:
    from harness.grading.prairielearn import layout
    from harness.grading.prairielearn import run_prairielearn as grade_for_prairielearn

    try:
        result, data = grade_for_prairielearn(args.assignment, args.secret_file, args.seed,
                                              isolate=args.isolation != "none")
    except HarnessError as exc:
        _say(f"harness prairielearn: {exc}", error=True)
        return EXIT_USAGE
    where = layout().results
    if result is None:
        _say(f"not gradable (PrairieLearn's data.json says so); wrote {where}")
    else:
        _say(f"score {format_points(result.total)} / {format_points(result.max_total)} "
             f"({result.status}, gradable: {str(data['gradable']).lower()}); wrote {where}")
        _say(f"isolation in force: {'; '.join(result.isolation) or 'none reported'}")
    return EXIT_OK


def run_autograder_gradescope(args: argparse.Namespace) -> int:
    from harness.grading.autograder import write_gradescope

    try:
        made = write_gradescope(args.out, args.assignment, args.secret_file)
    except HarnessError as exc:
        _say(f"harness autograder gradescope: {exc}", error=True)
        return EXIT_USAGE
    secret = "made now" if made.secret_made else "kept from the last build" if (
        args.secret_file is None) else f"copied from {args.secret_file}"
    size = made.zip.stat().st_size / 1e6
    _say(f"wrote {made.zip} ({size:.1f} MB: {', '.join(made.members)})\n"
         f"The secret is in the zip and in {made.secret} (mode 0600, {secret}): keep both "
         "away from students; a rebuild here reuses it, so regrades draw the same cases.\n"
         "On Gradescope, Configure Autograder:\n"
         "1. Base image: Ubuntu 24.04 (22.04 and Debian 12 work too).\n"
         f"2. Upload {made.zip.name} (Zip file upload) and press Update Autograder "
         "(the build installs TensorFlow: a few minutes).\n"
         "3. Test Autograder with a submission of your own.")
    return EXIT_OK


def run_autograder_prairielearn(args: argparse.Namespace) -> int:
    from harness.grading.prairielearn import write_question

    try:
        files = write_question(args.out, args.assignment, args.secret_file, args.image)
    except HarnessError as exc:
        _say(f"harness autograder prairielearn: {exc}", error=True)
        return EXIT_USAGE
    secret = "made now" if files.secret_made else "kept as it was" if (
        args.secret_file is None) else f"copied from {args.secret_file}"
    image, out = files.options["image"], files.out
    _say(f"wrote {files.assignment} and {files.secret} (mode 0600, {secret}: keep it out of "
         f"anything students see), {files.dockerfile} with {files.wheel.name}, and "
         f"{files.snippet}:")
    _say(json.dumps({"externalGradingOptions": files.options}, indent=2))
    _say(f"1. Copy {out / 'tests'} into the question's folder (beside its info.json).\n"
         f"2. Add the externalGradingOptions above to the question's info.json.\n"
         f"3. Build and push the image: docker build -t {image} {out / 'image'} && "
         f"docker push {image}")
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    from harness.grading.export import export_grades

    try:
        done = export_grades(args.lms, args.grades, args.roster, args.output,
                             column=args.column, match=args.match, missing=args.missing)
    except HarnessError as exc:
        _say(f"harness export: {exc}", error=True)
        return EXIT_USAGE
    for item in done.unmatched[:20]:
        _say(f"harness export: warning: submission {item.grade.student!r} "
             f"({item.grade.total} points) is not in the export: {item.reason}", error=True)
    if len(done.unmatched) > 20:
        _say(f"harness export: warning: ... and {len(done.unmatched) - 20} more, all in "
             f"{done.unmatched_file}", error=True)
    conflicting = (f", {len(done.conflicting)} left blank (two submissions match them)"
                   if done.conflicting else "")
    _say(f"harness export {args.lms}: wrote {done.out}: {done.roster} roster students, "
         f"{done.graded} with a grade, {len(done.missing)} with no submission "
         f"({args.missing}){conflicting}; {len(done.unmatched)} submission(s) with no roster "
         f"match, listed in {done.unmatched_file}")
    return EXIT_OK


def run_override(args: argparse.Namespace) -> int:
    import getpass

    from harness.grading.api import resolve_assignment
    from harness.grading.export import graded_id
    from harness.grading.overrides import append_override, read_overrides

    try:
        rules = resolve_assignment(args.assignment, None)
        who = args.by if args.by is not None else getpass.getuser()
        entry = append_override(args.out, rules, args.student, args.exercise, args.points,
                                args.reason, who)
    except (HarnessError, OSError) as exc:
        _say(f"harness override: {exc}", error=True)
        return EXIT_USAGE
    if not {args.student, graded_id(args.student)} & _graded_ids(args.out):
        _say(f"harness override: warning: no graded submission {args.student!r} in "
             f"{args.out} yet; the override applies once one is graded under that id.",
             error=True)
    for problem in read_overrides(args.out).problems:
        _say(f"harness override: warning: {problem}", error=True)
    _say(f"harness override: {entry.student} {entry.exercise} = "
         f"{format_points(entry.points)} points, written to "
         f"{Path(args.out) / 'overrides.toml'} (line {entry.line}); run harness grade "
         "again to update the outputs")
    return EXIT_OK


def _graded_ids(out: str) -> set[str]:
    """The ids in ``out/grades.csv`` (none when it cannot be read)."""
    from harness.grading.export import read_grades

    try:
        return {grade.student for grade in read_grades(out)}
    except HarnessError:
        return set()


def _say(text: str, error: bool = False) -> None:
    """The CLI's output layer: the only place grading prints (flushed, for CI/LMS logs)."""
    print(text, file=sys.stderr if error else sys.stdout, flush=True)


def _counts(results: list[SubmissionResult]) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none"


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="harness")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
