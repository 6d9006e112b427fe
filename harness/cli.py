"""The ``harness`` command (also ``python -m harness``): parses, calls the API, prints.

Exit codes: 0 all as recorded, 1 a verdict differs from what its file records
(or a file failed to import), 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from harness.arguments import Parser, seconds, whole_number
from harness.engine.checker import DEFAULT_CASES, DEFAULT_SEED, MAX_CASES, CheckSettings
from harness.engine.hints import DEFAULT_BUDGET, MAX_BUDGET
from harness.errors import HarnessError


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `harness check ... | head`
        sys.stderr.close()
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="harness", description="Check hypotheses about RNN weights against real Keras.")
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND",
        help="what to do; `harness COMMAND --help` lists a command's options")
    _add_check(commands)
    _add_watch(commands)
    _add_probe(commands)
    _add_explore(commands)
    _add_grading(commands)
    return parser


def _add_check(commands: Any) -> None:
    check = commands.add_parser(
        "check", help="check hypothesis files or folders and write the report",
        description="Check every @hypothesis in the files (or folders of files) given.")
    _check_options(check)
    check.add_argument("--assignment", metavar="FILE", default=None,
                       help="also show what the grader would count for this assignment "
                            "(TOML): exercises, wrong claims, points")
    check.set_defaults(func=run_check)


def _add_watch(commands: Any) -> None:
    watch = commands.add_parser(
        "watch", help="check files again each time one is saved (Ctrl-C to stop)",
        description="Check every @hypothesis in the files (or folders) given, then keep "
                    "running: each time a file is saved, check it again, print what changed "
                    "and rewrite the report. TensorFlow starts once, so a check after a save "
                    "takes a fraction of a second.")
    _check_options(watch)
    watch.set_defaults(func=run_watch)


def _check_options(check: Any) -> None:
    """The options ``check`` and ``watch`` share."""
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="a hypothesis file (.py), a notebook (.ipynb) or a folder of them")
    check.add_argument("--report-dir", default="reports", metavar="DIR",
                       help="where report.md/.csv/.html/.json go (default: reports/)")
    check.add_argument("--seed", type=whole_number("--seed"), default=None,
                       metavar="N", help=f"seed for the cases drawn (default {DEFAULT_SEED}, "
                                         "or the assignment's)")
    check.add_argument("--cases", type=whole_number("--cases", 1, MAX_CASES),
                       default=None, metavar="N",
                       help=f"cases per hypothesis, 1 to {MAX_CASES} (default {DEFAULT_CASES}, "
                            "or the assignment's)")
    check.add_argument("--no-hints", dest="hints", action="store_false",
                       help="do not look for hints (where a refuted hypothesis holds)")
    check.add_argument("--no-pictures", dest="pictures", action="store_false",
                       help="draw no pictures in the report")
    check.add_argument("--hint-seconds", type=seconds("--hint-seconds", MAX_BUDGET),
                       default=DEFAULT_BUDGET, metavar="S",
                       help=f"most seconds spent looking for one hypothesis's hints "
                            f"(default {DEFAULT_BUDGET:g})")


def _add_probe(commands: Any) -> None:
    probe = commands.add_parser(
        "probe", help="run the real Keras layer on weights and an input",
        description="Like the notebook: set the weights, call the layer, print the output. "
                    "Example: harness probe PART_A --weights '[[[1]], [[3]]]' --xs '[3, 3, 7]', "
                    "or harness probe 'Layer(\"Dense\", units=2, input_shape=(3,))' "
                    "--weights '[[[1, 0], [0, 1], [1, 1]], [0, 0]]' --x '[1, 2, 3]'")
    probe.add_argument("layer", metavar="LAYER",
                       help="'SimpleRNN(units=1, activation=\"linear\", use_bias=False)', "
                            "'Layer(\"Conv1D\", filters=1, kernel_size=3, input_shape=(6, 1))' "
                            "or PART_A / PART_B / PART_C")
    probe.add_argument("--weights", required=True, metavar="JSON",
                       help="JSON list of arrays in get_weights() order")
    given = probe.add_mutually_exclusive_group(required=True)
    given.add_argument("--xs", metavar="JSON",
                       help="a recurrent layer's input sequence as a JSON list; a flat list "
                            "means input_dim 1")
    given.add_argument("--x", metavar="JSON",
                       help="one input sample as JSON (same as --xs; a last axis of size 1 "
                            "may be left out)")
    probe.add_argument("--json", action="store_true", help="print only the output as JSON")
    probe.set_defaults(func=run_probe)


def _add_explore(commands: Any) -> None:
    explore = commands.add_parser(
        "explore", help="a local page: set weights and inputs, see Keras and your hypotheses",
        description="Serve a page (on this computer only) for one layer: set its weights and "
                    "input, see the real Keras layer's output after every step beside each "
                    "hypothesis's in FILES, and check a hypothesis with a button. "
                    "Example: harness explore PART_A hypotheses/part_a.py")
    explore.add_argument("layer", metavar="LAYER",
                         help="PART_A / PART_B / PART_C, or a layer such as "
                              "'Layer(\"Conv1D\", filters=1, kernel_size=3, input_shape=(6, 1))'")
    explore.add_argument("paths", nargs="*", metavar="FILE",
                         help="hypothesis files or folders (re-read when they change)")
    explore.add_argument("--port", type=whole_number("--port", 0, 65535), default=0,
                         metavar="N", help="the port on 127.0.0.1 (default: a free one)")
    explore.add_argument("--no-browser", dest="browser", action="store_false",
                         help="only print the page's address")
    explore.add_argument("--case", metavar="JSON",
                         help="weights and input to start from, as the report prints them")
    explore.set_defaults(func=run_explore)


def _stop_on_ctrl_c() -> None:
    """Make Ctrl-C (SIGINT) stop a long-running command even when it was started with
    SIGINT ignored, as a non-interactive shell starts a background job (``cmd &`` in a
    script): Python then keeps the inherited "ignore" and the command would never stop."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)


def run_explore(args: argparse.Namespace) -> int:
    from harness.errors import UsageError
    from harness.explorer.server import serve
    from harness.explorer.state import Explorer

    _stop_on_ctrl_c()
    from harness.parse import parse_layer

    explorer = Explorer(parse_layer(args.layer), args.paths)
    case = None
    if args.case is not None:
        record = _json_arg("--case", args.case)
        if not isinstance(record, dict):
            raise UsageError(f"--case must be a JSON object of weights and the input. "
                             f"Received: {args.case}")
        case = explorer.page_case(record)
    serve(explorer, args.port, browser=args.browser, case=case, say=_print_address)
    return 0


def _print_address(url: str) -> None:
    print(f"harness explore: open {url}\n(only this computer can open it; Ctrl-C stops "
          "the server)", flush=True)


def _add_grading(commands: Any) -> None:
    from harness.grading.cli import register  # a broken grading import fails loudly

    register(commands)


def run_check(args: argparse.Namespace) -> int:
    from harness.api import check_found, find

    rules = _assignment(args.assignment)
    settings = CheckSettings(
        seed=args.seed if args.seed is not None else rules.seed if rules else DEFAULT_SEED,
        cases=args.cases if args.cases is not None else rules.cases if rules else
        DEFAULT_CASES)
    found = find(args.paths)  # nothing to check: exit 2, and the last report stays
    print(f"harness check: seed {settings.seed}, {settings.cases} cases per hypothesis")
    run = check_found(found, settings, on_verdict=_print_progress, hints=args.hints,
                      hint_seconds=args.hint_seconds)
    _print_run(run, args, rules)
    return 0 if run.ok else 1


def _print_run(run: Any, args: argparse.Namespace, rules: Any = None) -> None:
    """What ``harness check`` prints after its progress lines (with ``--assignment``, the
    points the grader would count), and the reports it writes."""
    from harness.output.report import display_path, summaries, terminal_lines, write_reports

    print()
    for line in terminal_lines(run.verdicts, run.failures):
        print(line)
    print()
    for line in summaries(run.verdicts, run.failures):
        print(line)
    _print_failures(run)
    if rules is not None and run.checker is not None:
        from harness.grading.preview import preview, preview_lines

        print()
        for line in preview_lines(preview(rules, run.claims, run.verdicts, run.failures,
                                          run.checker)):
            print(line)
    paths = write_reports(args.report_dir, run.verdicts, run.failures, seed=run.settings.seed,
                          pictures=args.pictures)
    print(f"Report: {display_path(str(paths[0]))} (also .csv, .html, .json)")


def run_watch(args: argparse.Namespace) -> int:
    """``harness watch``: as ``check``, then again for each save until Ctrl-C (exit 0)."""
    from harness.watch import Watcher, watch

    _stop_on_ctrl_c()
    settings = CheckSettings(seed=args.seed, cases=args.cases)
    watcher = Watcher(args.paths, settings, hints=args.hints, hint_seconds=args.hint_seconds)
    print(f"harness watch: seed {settings.seed}, {settings.cases} cases per hypothesis")
    try:
        run = watcher.start(_print_progress)
        if run.verdicts or run.failures:
            _print_run(run, args)
        else:
            print("No hypotheses yet: a file is checked when it is saved.")
        watch(watcher, lambda line: print(line, flush=True), report_dir=args.report_dir,
              pictures=args.pictures, ready=lambda: print(
                  "Watching for saves (Ctrl-C to stop).", flush=True))
    except KeyboardInterrupt:
        print("harness watch: stopped.")
    return 0


def _assignment(path: str | None) -> Any:
    """The assignment of ``--assignment`` (loaded as the grader loads it), or None."""
    if path is None:
        return None
    from harness.grading.assignment import load_assignment

    return load_assignment(path)


def _print_progress(verdict: Any) -> None:
    mark = "." if verdict.as_expected else "F"
    print(f"{mark} {verdict.name}: {verdict.kind} ({verdict.cases} cases, "
          f"{verdict.seconds:.2f} s)", flush=True)


def _print_failures(run: Any) -> None:
    from harness.output.render import RULE, failure_text, recorded_hints_text
    from harness.surprises import ordered

    for verdict in ordered(run.verdicts):  # surprises first, as in the table
        if not verdict.as_expected:
            print("\n" + RULE + "\n" + failure_text(verdict))
        elif verdict.hints is not None:  # refuted, as recorded: the hints still teach
            print("\n" + RULE + "\n" + recorded_hints_text(verdict))
    for failure in run.failures:
        print("\n" + "_" * 70 + "\n" + failure.message)


def run_probe(args: argparse.Namespace) -> int:
    from harness.api import probe
    from harness.errors import UsageError
    from harness.numbers import format_array, to_plain

    weights = _json_arg("--weights", args.weights)
    xs = _json_arg("--xs", args.xs) if args.xs is not None else _json_arg("--x", args.x)
    if not isinstance(weights, list):
        raise UsageError(f"--weights must be a JSON list of arrays. Received: {args.weights}")
    output = probe(args.layer, weights, xs)
    if args.json:
        print(json.dumps(to_plain(output)))
    else:
        value = output.reshape(-1)[0] if output.size == 1 else output
        print(format_array(value))
    return 0


def _json_arg(flag: str, text: str) -> Any:
    from harness.errors import UsageError

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{flag} is not valid JSON ({exc.msg}). Received: {text}. "
                         f"Write lists with square brackets, e.g. '[[[1]], [[3]]]'.") from None


if __name__ == "__main__":
    sys.exit(main())
