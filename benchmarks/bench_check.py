"""Benchmark: the naive way (one ``model.predict`` per case) against the harness.

Run from the repository root::

    .venv/bin/python benchmarks/bench_check.py            # full run, ~5-8 min on 2 cores
    .venv/bin/python benchmarks/bench_check.py --quick    # smoke run, ~1-2 min
    .venv/bin/python benchmarks/bench_check.py --profile  # also pyinstrument profiles

It measures, in one run on this machine (every measurement in a fresh process,
so imports, tracing and memory are counted the way a user meets them):

1. **naive**: a ``hypothesis`` ``@given`` test per hypothesis (deadline and
   database off) drawing cases with ``harness.engine.strategies.cases`` and calling a
   real Keras ``model.predict`` per case (``set_weights`` per case), compared
   with ``harness.engine.compare.agree``; cases/s and the verdicts it reaches.
2. **oracle**: ``harness.engine.oracle.Oracle().outputs`` on fresh cases per course layer.
3. **student run**: ``harness check hypotheses/`` (wall, time to first verdict)
   against TensorFlow's import time, each in a fresh process.
4. **class**: a synthetic class (``class_fixture.py``: N submissions x 6
   hypotheses) checked in one process with one shared ``Checker``; wall, cases/s,
   peak RSS of the process tree, verdicts against the naive harness on a sample;
   and the same class through ``harness grade`` (workers, sandbox), alternating,
   with and without hints on both sides (:func:`measure_grading`):
   ``grade_class_run_s``, ``grade_overhead_ratio`` (same checks: grade without
   hints over the in-process run), ``grade_with_hints_ratio`` (both with hints);
5. **worker start-up**: one grading worker started, loaded and closed, with and
   without the sandbox (``worker_start_s``: the sandboxed median).

Writes ``benchmarks/results.json`` (``--out`` to change) and prints a summary.
Internal: ``--phase NAME --params JSON --result FILE`` runs one measurement.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
SEED = 20240601

#: Environment of every measured process: TensorFlow as quiet as the harness makes it.
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "KERAS_BACKEND": "tensorflow",
         "PYTHONUNBUFFERED": "1", "PYTHONHASHSEED": "0"}


@dataclass(frozen=True)
class Sizes:
    naive_cases: int        # cases per bundled hypothesis in the naive rate subset
    agree_claims: int       # class claims re-checked by the naive harness
    agree_cases: int        # naive cases per re-checked claim
    oracle_cases: int       # fresh cases per layer for the oracle alone
    students: int           # submissions in the synthetic class
    repeats: int            # runs of the student run / TF import (median reported)


FULL = Sizes(naive_cases=80, agree_claims=30, agree_cases=50, oracle_cases=20_000,
             students=100, repeats=3)
QUICK = Sizes(naive_cases=15, agree_claims=9, agree_cases=15, oracle_cases=8_000,
              students=12, repeats=1)


# ---------------------------------------------------------------------------------------------
# Child processes and their resource use
# ---------------------------------------------------------------------------------------------

@dataclass
class Child:
    """What a child process did: exit code, wall time, peak memory, timestamped output."""

    returncode: int
    wall_s: float
    peak_rss_mb: float         # max over samples of the summed RSS of the whole tree
                               # (forks not yet exec'd not counted: they share pages)
    maxrss_mb: float           # the largest single process's peak (getrusage via wait4)
    lines: list[tuple[float, str]]
    stderr: str
    cpu_s: float = 0.0         # user + system CPU of the child and its reaped descendants
    others_share: float = 0.0  # share of the machine's cores busy with OTHER processes
    processes: dict[int, tuple[str, float]] | None = None  # pid -> (command, peak RSS MiB)
    peak_rss_raw_mb: float = 0.0  # the same, counting forks before exec (double counts)

    def biggest(self, count: int = 6) -> list[dict[str, Any]]:
        """The processes of the tree with the largest peak RSS."""
        rows = sorted((self.processes or {}).values(), key=lambda row: -row[1])[:count]
        return [{"command": name, "peak_rss_mb": round(mb, 1)} for name, mb in rows]

    def stats(self) -> dict[str, float]:
        return {"wall_s": round(self.wall_s, 3), "cpu_s": round(self.cpu_s, 3),
                "peak_rss_mb": round(self.peak_rss_mb, 1),
                "others_cpu_share": round(self.others_share, 3)}


#: Seconds to wait, before each measurement, for other processes to leave the CPU alone.
WAIT_IDLE = {"seconds": 0.0, "waited": 0.0}


def wait_for_quiet(limit: float, threshold: float = 0.10) -> float:
    """Wait (at most ``limit`` s) until other processes use < ``threshold`` of the cores."""
    import psutil

    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if psutil.cpu_percent(interval=1.0) / 100 < threshold:
            break
    waited = time.perf_counter() - start
    WAIT_IDLE["waited"] += waited
    return waited


def run_child(cmd: list[str], *, cwd: Path = ROOT, timeout: float = 3600.0,
              env: dict[str, str] | None = None) -> Child:
    """Run ``cmd``, timestamp each stdout line, sample the tree's RSS every 20 ms."""
    import psutil

    if WAIT_IDLE["seconds"]:
        wait_for_quiet(WAIT_IDLE["seconds"])

    environ = {**os.environ, **QUIET, **(env or {})}
    with tempfile.TemporaryFile() as errfile:
        busy_before, self_before = _busy_cpu(psutil), _self_cpu()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=environ, stdout=subprocess.PIPE,
                                stderr=errfile, text=True, bufsize=1)
        lines: list[tuple[float, str]] = []
        peak = [0.0, 0.0]
        processes: dict[int, tuple[str, float]] = {}
        done = threading.Event()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append((time.perf_counter() - start, line.rstrip("\n")))

        threads = [threading.Thread(target=read, daemon=True),
                   threading.Thread(target=_sample_tree, args=(proc.pid, peak, processes, done),
                                    daemon=True)]
        for thread in threads:
            thread.start()
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
        busy = _busy_cpu(psutil) - busy_before
        own = _self_cpu() - self_before
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        for thread in threads:
            thread.join(5)
        errfile.seek(0)
        stderr = errfile.read().decode(errors="replace")
    maxrss = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, busy - cpu - own) / (wall * (os.cpu_count() or 1))
    return Child(proc.returncode, wall, peak[0], maxrss, lines, stderr, cpu, others, processes,
                 peak[1])


def _busy_cpu(psutil: Any) -> float:
    """CPU seconds the whole machine has spent busy (all cores, all processes)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _self_cpu() -> float:
    import resource

    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


#: Seconds between two looks at a measured process tree's memory: each look reads /proc
#: for every process of the tree, which a grading run (a dozen processes) would pay for
#: in CPU at a shorter interval, and the single-process runs it is compared with would not.
SAMPLE_EVERY = 0.1


def _sample_tree(pid: int, peak: list[float], processes: dict[int, tuple[str, float]],
                 done: threading.Event) -> None:
    """Track the tree's memory: ``peak[0]`` is the largest sum of RSS (MiB) over ``pid``
    and its descendants, not counting a forked child that has not yet exec'd (it shares
    its parent's pages; counting it would add the parent twice); ``peak[1]`` the raw sum
    counting them too; ``processes`` each process's own peak."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    known: dict[int, list[str]] = {}  # command lines read once per process
    while not done.is_set():
        total = raw = 0.0
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        commands: dict[int, tuple[int, list[str]]] = {}
        sizes: dict[int, float] = {}
        for p in tree:
            with contextlib.suppress(psutil.Error):
                rss, parent = p.memory_info().rss / 2**20, p.ppid()
                command = known.get(p.pid) or p.cmdline()
                if command and command != known.get(parent):  # exec'd: it keeps this one
                    known[p.pid] = command
                sizes[p.pid], commands[p.pid] = rss, (parent, command)
        for child_pid, rss in sizes.items():
            parent, command = commands[child_pid]
            raw += rss
            if child_pid != pid and parent in commands and commands[parent][1] == command:
                continue  # fork before exec: the parent's own pages
            total += rss
            name, before = processes.get(child_pid, (" ".join(command)[-90:], 0.0))
            processes[child_pid] = (name, max(before, rss))
        peak[0] = max(peak[0], total)
        peak[1] = max(peak[1], raw)
        done.wait(SAMPLE_EVERY)


#: A measurement during which other processes used more of the machine than this is re-run
#: once (after waiting for quiet), and the less disturbed of the two is kept.
CONTENDED = 0.15


def least_contended(measure: Any) -> Any:
    """``measure()`` (a ``Child``, or a tuple ending with one), re-run once if disturbed."""
    first = measure()
    child = first[-1] if isinstance(first, tuple) else first
    if child.others_share <= CONTENDED:
        return first
    wait_for_quiet(max(WAIT_IDLE["seconds"], 60.0))
    second = measure()
    other = second[-1] if isinstance(second, tuple) else second
    return second if other.others_share < child.others_share else first


def run_phase(name: str, params: dict[str, Any], *, profile: Path | None = None) -> tuple[
        dict[str, Any], Child]:
    """Run one measurement of this file in a fresh process; its JSON result and resources."""
    if profile is None:
        return least_contended(lambda: _run_phase(name, params, None))
    return _run_phase(name, params, profile)


def _run_phase(name: str, params: dict[str, Any], profile: Path | None) -> tuple[
        dict[str, Any], Child]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [PYTHON, str(Path(__file__).resolve()), "--phase", name,
               "--params", json.dumps(params), "--result", str(out)]
        if profile is not None:
            cmd = [PYTHON, "-m", "pyinstrument", "-r", "pyisession", "-o", str(profile), *cmd[1:]]
        child = run_child(cmd)
        if child.returncode != 0 or not out.exists():
            raise RuntimeError(f"phase {name} failed (exit {child.returncode}):\n"
                               f"{child.stderr[-4000:]}")
        return json.loads(out.read_text()), child


def harness_command() -> list[str]:
    script = Path(PYTHON).parent / "harness"
    return [str(script)] if script.exists() else [PYTHON, "-m", "harness"]


# ---------------------------------------------------------------------------------------------
# Phases (each runs in its own process)
# ---------------------------------------------------------------------------------------------

def phase_naive(params: dict[str, Any]) -> dict[str, Any]:
    """The naive harness on the claims named in ``params``: @given + model.predict per case."""
    import numpy as np
    from hypothesis.errors import HypothesisException

    from harness.collect import collect
    from harness.engine.oracle import keras_layer

    t0 = time.perf_counter()
    import keras  # imported here so its import time is reported apart from the checking
    import_s = time.perf_counter() - t0

    files = sorted({c["file"] for c in params["claims"]})
    found = {(cl.file, cl.function): cl for cl in collect(files).claims}
    results = []
    for wanted in params["claims"]:
        claim = found[(wanted["file"], wanted["function"])]
        spec = claim.spec
        build_start = time.perf_counter()
        model = keras.Sequential([keras.Input(shape=(None, spec.input_dim), dtype="float64"),
                                  keras_layer(spec)])
        build_s = time.perf_counter() - build_start
        tally: Counter[str] = Counter()
        latencies: list[float] = []
        test = _naive_test(claim, model, params["cases"], tally, latencies)
        start = time.perf_counter()
        unsatisfiable = False
        try:
            with np.errstate(all="ignore"):
                test()
        except HypothesisException:
            unsatisfiable = True
        seconds = time.perf_counter() - start
        # The harness's documented precedence: no valid output (raised, wrong type or
        # shape) > a finite disagreement > NaN/inf where Keras is finite.
        if unsatisfiable or tally["errors"]:
            verdict = "error"
        elif tally["mismatches"]:
            verdict = "refuted"
        elif tally["nonfinite"]:
            verdict = "error"
        else:
            verdict = "holds"
        results.append({
            "file": claim.file, "function": claim.function, "name": claim.name,
            "verdict": verdict, "seconds": seconds, "build_s": build_s, **tally,
            "predict_median_ms": 1000 * statistics.median(latencies) if latencies else None,
        })
    return {"import_s": import_s, "claims": results}


def _naive_test(claim: Any, model: Any, cases: int, tally: Counter[str],
                latencies: list[float]) -> Any:
    """One naive property test: every drawn case goes through ``model.predict``."""
    import numpy as np
    from hypothesis import HealthCheck, given, reject, settings
    from hypothesis import seed as hypothesis_seed

    from harness.cases import bindings
    from harness.engine import compare, strategies

    spec = claim.spec
    where = "/".join(Path(claim.file).parts[-2:])  # student folder + file: same in every run

    @settings(max_examples=cases, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @hypothesis_seed(zlib.crc32(f"{where}|{claim.function}".encode()))
    @given(strategies.cases(spec, claim.scope))
    def test(case: Any) -> None:
        start = time.perf_counter()
        model.set_weights(list(case.weights))
        want = np.asarray(model.predict(case.xs[None], verbose=0), dtype=np.float64)[0]
        latencies.append(time.perf_counter() - start)
        tally["predicts"] += 1
        if compare.out_of_range(want, spec, case):  # the harness skips these too, and
            tally["out_of_range"] += 1             # so does this test: they do not count
            reject()                               # towards max_examples
        tally["checked"] += 1
        try:
            raw = claim.formula(**bindings(spec, case, claim.params))
            got = compare.normalize(raw, spec.output_shape(case.timesteps))
        except Exception:  # noqa: BLE001 - student code: recorded as an error
            tally["errors"] += 1
            return
        if compare.bad_values(got):
            tally["nonfinite"] += 1
        elif not compare.agree(spec, case, want, got):
            tally["mismatches"] += 1

    return test


def _fresh_cases(spec: Any, count: int, seed: int) -> list[Any]:
    """Cases with the harness's number mix, made with numpy (not timed)."""
    import numpy as np

    from harness.cases import Case

    rng = np.random.default_rng(seed)

    def sample(shape: tuple[int, ...]) -> Any:
        kind = rng.integers(5)
        if kind == 0:
            return rng.integers(-3, 4, size=shape).astype(np.float64)
        if kind == 1:
            return rng.integers(-10, 11, size=shape).astype(np.float64)
        if kind == 2:
            return rng.integers(-40, 41, size=shape) / 4
        if kind == 3:
            return rng.integers(-100, 101, size=shape) / 10
        return rng.uniform(-10, 10, size=shape)

    cases = []
    for _ in range(count):
        weights = tuple(sample(shape) for shape in spec.weight_shapes.values())
        steps = int(rng.integers(1, 9))
        shape = spec.input_sample_shape(steps if spec.variable else None)
        cases.append(Case(weights, sample(shape)))
    return cases


def phase_oracle(params: dict[str, Any]) -> dict[str, Any]:
    """``Oracle().outputs`` on fresh cases, per course layer: ``repeats`` timed batches of
    ``count`` new cases each (median reported: a gen-2 garbage collection, which walks
    TensorFlow's ~400k objects for ~0.2 s, lands in some batches and not others)."""
    import gc

    from harness.course import PART_A, PART_B, PART_C
    from harness.engine.oracle import Oracle

    t0 = time.perf_counter()
    import keras  # noqa: F401 - timed apart
    import_s = time.perf_counter() - t0
    pauses: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            pauses.append(-time.perf_counter() if phase == "start" else time.perf_counter())

    gc.callbacks.append(on_gc)
    layers = {}
    count = params["count"]
    for label, spec in (("PART_A", PART_A), ("PART_B", PART_B), ("PART_C", PART_C)):
        oracle = Oracle()
        warm = _fresh_cases(spec, count, seed=1)  # same size: same code paths
        start = time.perf_counter()
        oracle.outputs(spec, warm[:8])  # a small batch (the student run's path) ...
        oracle.outputs(spec, warm[8:])  # ... and a large one: every runner traced
        first_s = time.perf_counter() - start
        seen = {c.key for c in warm}
        runs = []
        for rep in range(params.get("repeats", 5)):
            cases = _fresh_cases(spec, count, seed=2 + rep)  # new objects: no cached keys
            calls_before = getattr(oracle, "keras_calls", 0)
            del pauses[:]
            start = time.perf_counter()
            outputs = oracle.outputs(spec, cases)
            seconds = time.perf_counter() - start
            assert len(outputs) == len(cases)
            keys = {c.key for c in cases}
            distinct = len(keys - seen)
            seen |= keys
            runs.append({"seconds": seconds, "distinct_new": distinct,
                         "cases_per_s": distinct / seconds,
                         "keras_calls": getattr(oracle, "keras_calls", 0) - calls_before,
                         "gen2_gc_s": round(sum(pauses), 4)})
        start = time.perf_counter()
        oracle.outputs(spec, cases)
        memo_s = time.perf_counter() - start
        copies = _fresh_cases(spec, count, seed=2)
        start = time.perf_counter()
        for case in copies:
            case.key  # noqa: B018 - timing the key of a new Case
        key_s = time.perf_counter() - start
        rates = [run["cases_per_s"] for run in runs]
        layers[label] = {
            "layer": str(spec), "cases": count, "repeats": len(runs),
            "cases_per_s": statistics.median(rates), "best_cases_per_s": max(rates),
            "runs": runs, "distinct_new": runs[0]["distinct_new"],
            "seconds": statistics.median(run["seconds"] for run in runs),
            "keras_calls": runs[0]["keras_calls"],
            "cold_s": first_s, "cold_cases_per_s": len(warm) / first_s,
            "memo_hits_per_s": len(cases) / memo_s,
            "case_key_us": 1e6 * key_s / len(cases),
        }
    return {"import_s": import_s, "layers": layers}


#: Layers other than the course's measured by ``--any-layer`` (target >= 100,000 cases/s).
ANY_LAYERS = {
    "Dense": 'Layer("Dense", units=2, input_shape=(3,))',
    "Conv1D": 'Layer("Conv1D", filters=1, kernel_size=3, use_bias=False, input_shape=(6, 1))',
}


def phase_any_layer(params: dict[str, Any]) -> dict[str, Any]:
    """``Oracle().outputs`` on fresh cases for Dense and Conv1D, and the course layers
    measured the same way in the same process (median of ``repeats`` batches each)."""
    from harness.course import PRESETS
    from harness.engine.oracle import Oracle
    from harness.parse import parse_layer

    count, layers = params["count"], {}
    specs = {**{k: parse_layer(v) for k, v in ANY_LAYERS.items()}, **PRESETS}
    for label, spec in specs.items():
        oracle = Oracle()
        warm = _fresh_cases(spec, count, seed=1)
        oracle.outputs(spec, warm[:8])
        oracle.outputs(spec, warm[8:])  # every runner traced
        rates = []
        for rep in range(params.get("repeats", 5)):
            cases = _fresh_cases(spec, count, seed=2 + rep)
            start = time.perf_counter()
            oracle.outputs(spec, cases)
            rates.append(len({c.key for c in cases}) / (time.perf_counter() - start))
        layers[label] = {"layer": str(spec), "cases": count,
                         "cases_per_s": statistics.median(rates), "runs": rates}
    return {"layers": layers}


def any_layer_only(sizes: Any, out: Path) -> int:
    """The Dense/Conv1D oracle figure alone (with the course layers measured beside it),
    merged into ``out`` (the other figures untouched)."""
    r: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    result, _ = run_phase("any_layer", {"count": sizes.oracle_cases, "repeats": 5})
    rates = {k: round(v["cases_per_s"]) for k, v in result["layers"].items()}
    r["any_layer_oracle_cases_per_s"] = {
        **rates, "min_dense_conv1d": min(rates[k] for k in ANY_LAYERS),
        "measured_with": "--any-layer (course layers measured beside them, same process)"}
    r["any_layer_oracle"] = result
    if "targets" in r:
        r["targets"] = check_targets(r)
        r["all_targets_pass"] = all(t["pass"] for t in r["targets"].values())
    out.write_text(json.dumps(r, indent=2) + "\n")
    say(f"oracle cases/s: {rates}; wrote {out}")
    return 0


def phase_class(params: dict[str, Any]) -> dict[str, Any]:
    """The synthetic class in this process: ``collect`` + one shared ``Checker``."""
    import warnings

    import numpy as np

    start = time.perf_counter()
    from harness.collect import collect
    from harness.engine.checker import Checker

    harness_import_s = time.perf_counter() - start
    found = collect(params["dirs"])
    collect_s = time.perf_counter() - start - harness_import_s
    checker = Checker()
    verdicts = []
    first = None
    teach = None
    if params.get("hints"):  # what `harness check` adds by default, counted in work
        from harness.engine.extras import enrich

        def teach(claim: Any, verdict: Any) -> Any:
            return enrich(checker, claim, verdict, steady=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # students' numpy overflow warnings
        for claim in found.claims:
            verdict = checker.check(claim)
            if teach is not None:
                verdict = teach(claim, verdict)
            if first is None:
                first = time.perf_counter() - start
            verdicts.append({"file": claim.file, "function": claim.function,
                             "verdict": verdict.kind, "cases": verdict.cases,
                             "seconds": verdict.seconds, "message": verdict.message})
    total_s = time.perf_counter() - start
    oracle = checker.oracle
    return {
        "harness_import_s": harness_import_s, "collect_s": collect_s,
        "check_s": total_s - harness_import_s - collect_s, "in_process_s": total_s,
        "first_verdict_s": first, "claims": len(found.claims),
        "load_failures": len(found.failures), "verdicts": verdicts,
        "oracle_keras_calls": getattr(oracle, "keras_calls", None),
        "oracle_cases_evaluated": getattr(oracle, "cases_evaluated", None),
    }


def phase_teach(params: dict[str, Any]) -> dict[str, Any]:
    """What teaching costs in one process, timed around it alone (less noisy than the
    difference of two whole runs on a shared machine): check every claim, then
    ``extras.enrich_all`` (hints and sweeps) and the reports with their pictures,
    against the same reports without them."""
    import warnings

    import numpy as np

    from harness.collect import collect
    from harness.engine.checker import Checker
    from harness.engine.extras import enrich_all
    from harness.output.report import write_reports

    found = collect(params["paths"])
    checker = Checker()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        verdicts = [checker.check(claim) for claim in found.claims]
        clocks = (time.perf_counter(), time.process_time())
        taught = enrich_all(checker, found.claims, verdicts)
        enrich = (time.perf_counter() - clocks[0], time.process_time() - clocks[1])
    with tempfile.TemporaryDirectory() as tmp:
        write_reports(Path(tmp) / "warm", verdicts, found.failures, pictures=False)  # pandas
        timings = {}
        for name, shown, pictures in (("plain", verdicts, False), ("taught", taught, True)):
            clocks = (time.perf_counter(), time.process_time())
            write_reports(Path(tmp) / name, shown, found.failures, pictures=pictures)
            timings[name] = (time.perf_counter() - clocks[0], time.process_time() - clocks[1])
    return {"hypotheses": len(verdicts), "taught": sum(v.hints is not None for v in taught),
            "enrich_s": enrich[0], "enrich_cpu_s": enrich[1],
            "reports_plain_s": timings["plain"][0], "reports_taught_s": timings["taught"][0],
            "teaching_s": enrich[0] + timings["taught"][0] - timings["plain"][0],
            "teaching_cpu_s": enrich[1] + timings["taught"][1] - timings["plain"][1]}


PHASES = {"teach": phase_teach, "naive": phase_naive, "oracle": phase_oracle, "class": phase_class,
          "any_layer": phase_any_layer}


# ---------------------------------------------------------------------------------------------
# Measurements (parent)
# ---------------------------------------------------------------------------------------------

TF_IMPORT = ("import time; t=time.perf_counter(); import tensorflow, keras; "
             "print(time.perf_counter()-t)")
#: The RNN exercise's bundled files (``hypotheses/course/``, the other layers, is left out
#: so the student run stays the figure it always was).
COURSE_FILES = ("hypotheses/part_a.py", "hypotheses/part_b.py", "hypotheses/part_c.py")
VERDICT_LINE = re.compile(r"^[.F] (?P<name>.+): (?P<verdict>holds|refuted|error)\b")


def measure_tf_import(repeats: int) -> dict[str, Any]:
    run_child([PYTHON, "-c", TF_IMPORT])  # warm the page cache; not counted
    inner, wall, stats = [], [], []
    for _ in range(repeats):
        child = least_contended(lambda: run_child([PYTHON, "-c", TF_IMPORT]))
        inner.append(float(child.lines[-1][1]))
        wall.append(child.wall_s)
        stats.append(child.stats())
    return {"tf_import_s": statistics.median(inner), "runs": inner,
            "process_wall_s": statistics.median(wall), "processes": stats}


#: ``python -c "import pytest"`` and ``python -c "import pytest, harness.plugin"``, each
#: timing its own imports (the interpreter's start-up, the same for both, left out).
PYTEST_IMPORT = ("import time; t=time.perf_counter(); import pytest{}; "
                 "print(time.perf_counter()-t)")
PLUGIN_REPEATS = 40


def measure_plugin_import(repeats: int = PLUGIN_REPEATS) -> dict[str, Any]:
    """What loading the pytest plugin adds to every pytest run where the harness is
    installed: fresh processes, alternating ``import pytest`` and ``import pytest,
    harness.plugin`` ``repeats`` times each (one warm-up pair first, not counted);
    the figure is the difference of the medians, in ms (issue 16: at most 30 ms)."""
    env = {**os.environ, **QUIET}
    commands = {"pytest": [PYTHON, "-c", PYTEST_IMPORT.format("")],
                "pytest_and_plugin": [PYTHON, "-c", PYTEST_IMPORT.format(", harness.plugin")]}
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(repeats + 1):
        for name, cmd in commands.items():
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                  check=True)
            if round_:  # the first pair warms the page cache
                walls[name].append(time.perf_counter() - start)
                seconds[name].append(float(done.stdout.split()[-1]))
    ms = {name: 1000 * statistics.median(values) for name, values in seconds.items()}
    wall_ms = {name: 1000 * statistics.median(values) for name, values in walls.items()}
    return {"extra_ms": round(ms["pytest_and_plugin"] - ms["pytest"], 2),
            "import_ms": {name: round(value, 2) for name, value in ms.items()},
            "process_extra_ms": round(wall_ms["pytest_and_plugin"] - wall_ms["pytest"], 2),
            "process_wall_ms": {name: round(value, 2) for name, value in wall_ms.items()},
            "repeats": repeats}


def plugin_import_only(out: Path) -> int:
    """The plugin's import figure alone, merged into ``out`` (the other figures untouched)."""
    r: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    r["plugin_import"] = measure_plugin_import()
    r["plugin_import_ms"] = r["plugin_import"]["extra_ms"]
    if "targets" in r:
        r["targets"] = check_targets(r)
        r["all_targets_pass"] = all(t["pass"] for t in r["targets"].values())
    out.write_text(json.dumps(r, indent=2) + "\n")
    say(f"plugin import: +{r['plugin_import_ms']} ms after pytest "
        f"({r['plugin_import']['import_ms']}); wrote {out}")
    return 0


def measure_student_run(repeats: int, *options: str) -> dict[str, Any]:
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            child = least_contended(lambda tmp=tmp: run_child(
                [*harness_command(), "check", *COURSE_FILES, "--report-dir", tmp, *options]))
        stamps = [(t, m) for t, line in child.lines if (m := VERDICT_LINE.match(line))]
        runs.append({
            **child.stats(), "exit": child.returncode,
            "first_verdict_s": stamps[0][0] if stamps else None,
            "verdicts": {m["name"]: m["verdict"] for _, m in stamps},
            "progress": [line for _, line in child.lines if VERDICT_LINE.match(line)],
        })
    walls = [r["wall_s"] for r in runs]
    firsts = [r["first_verdict_s"] for r in runs if r["first_verdict_s"] is not None]
    return {"student_run_s": statistics.median(walls),
            "time_to_first_verdict_s": statistics.median(firsts) if firsts else None,
            "runs": runs}


def bundled_claims() -> list[dict[str, str]]:
    """One bundled hypothesis per course layer (A refuted, B holds, C holds)."""
    hyp = ROOT / "hypotheses"
    return [{"file": str(hyp / "part_a.py"), "function": "hypothesis_1"},
            {"file": str(hyp / "part_b.py"), "function": "two_units"},
            {"file": str(hyp / "part_c.py"), "function": "gates_i_f_c_o"}]


def naive_rate(result: dict[str, Any]) -> float:
    claims = result["claims"]
    return sum(c.get("checked", 0) for c in claims) / sum(c["seconds"] for c in claims)


def agreement_sample(manifest: list[dict[str, Any]], count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` class claims, one per variant, spread over right / wrong / broken."""
    rng = random.Random(seed)
    by_variant: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in manifest:
        by_variant[row["variant"]].append(row)
    by_category: dict[str, list[str]] = defaultdict(list)
    for variant in sorted(by_variant):
        by_category[by_variant[variant][0]["category"]].append(variant)
    for variants in by_category.values():
        rng.shuffle(variants)
    picked: list[dict[str, Any]] = []
    order = ["right", "wrong", "broken"]
    while len(picked) < count and any(by_category.values()):
        for category in order:
            if by_category[category] and len(picked) < count:
                picked.append(rng.choice(by_variant[by_category[category].pop()]))
    return picked


def measure_grade(root: Path, *, hints: bool = True) -> dict[str, Any]:
    """``harness grade`` on the class, default assignment (``hints=False``: the same
    assignment with ``hints = false``, so it checks what the in-process run checks)."""
    probe = run_child([*harness_command(), "grade", "--help"])
    if probe.returncode != 0:
        return {"grade_class_run_s_TODO": None, "note": "harness grade is not available"}
    files: list[str] = []
    options: list[str] = []
    if not hints:
        from harness.grading.assignment import DEFAULT_RESOURCE

        spec = (ROOT / "harness" / "assignments" / DEFAULT_RESOURCE).read_text()
        assignment = root.parent / "no-hints.toml"
        assignment.write_text(re.sub(r"(?m)^hints = true\b", "hints = false", spec))
        options = ["--assignment", str(assignment)]

    def once() -> Child:
        with tempfile.TemporaryDirectory() as out:  # a fresh --out: no stored grades reused
            child = run_child([*harness_command(), "grade", str(root), "--out", out,
                               "--no-progress", *options])
            files[:] = sorted(p.name for p in Path(out).iterdir())
        return child

    child = least_contended(once)
    return {"grade_class_run_s": child.wall_s, "grade_peak_rss_mb": child.peak_rss_mb,
            "grade_peak_rss_raw_mb": child.peak_rss_raw_mb,
            "process": child.stats(), "biggest_processes": child.biggest(),
            "grade_exit": child.returncode, "grade_outputs": files,
            "grade_workers": os.cpu_count(),
            "grade_stderr_tail": child.stderr[-800:] if child.returncode not in (0, 1) else ""}


def measure_worker_start(repeats: int) -> dict[str, Any]:
    """Start-up of one grading worker: sandbox (and cgroup) set up, Python and numpy
    started, a one-line submission loaded, then closed; with and without the sandbox."""
    from harness.errors import HarnessError
    from harness.grading.isolation.workers import Isolation, Limits, WorkerProcess, plan_for

    source = {"empty.py": b"from harness import PART_A, hypothesis\n"}
    out: dict[str, Any] = {}
    for name, isolation in (("sandbox", Isolation()), ("no_sandbox", Isolation(sandbox=False))):
        try:
            plan = plan_for(isolation)
        except HarnessError as exc:
            out[name] = {"error": str(exc)}
            continue
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            worker = WorkerProcess(dict(source), Limits(), isolation, time.monotonic() + 60)
            worker.request("load", time.monotonic() + 60, max_hypotheses=1)
            runs.append(time.perf_counter() - start)
            worker.close()
        out[name] = {"median_s": statistics.median(runs), "runs": [round(x, 4) for x in runs],
                     "isolation": list(plan.describe(Limits()))}
    return out


def measure_grading(root: Path, dirs: list[str], rounds: int = 2) -> dict[str, Any]:
    """The class in process and through ``harness grade``, with and without the teaching
    extras, alternating (``rounds`` times each, the fastest kept) so load from other
    processes falls on all alike.

    * ``grade_overhead_ratio``: ``harness grade`` (hints off) over the in-process
      ``Checker.check`` run: the same checks; grading adds the secret fresh cases,
      a sandboxed worker per submission, feedback, LMS files and the summary.
    * ``grade_with_hints_ratio``: the default ``harness grade`` over the in-process run
      with the same hints (``extras.enrich``, as ``harness check`` does by default).
    * ``grade_default_vs_check_ratio``: the default grade over the check-only run.
    """
    runs: dict[str, list[Any]] = defaultdict(list)
    for _ in range(rounds):
        runs["class"].append(run_phase("class", {"dirs": dirs})[1])
        runs["grade"].append(measure_grade(root))
        runs["class_hints"].append(run_phase("class", {"dirs": dirs, "hints": True})[1])
        runs["grade_no_hints"].append(measure_grade(root, hints=False))
    walls = {name: [c.wall_s if isinstance(c, Child) else c.get("grade_class_run_s")
                    for c in found] for name, found in runs.items()}
    best = {name: min((w for w in found if w), default=None) for name, found in walls.items()}
    grade = min(runs["grade"], key=lambda g: g.get("grade_class_run_s") or float("inf"))

    def ratio(top: str, bottom: str) -> float | None:
        above, below = best[top], best[bottom]
        return above / below if above and below else None

    return {
        "class_run_s": best["class"], "class_run_hints_s": best["class_hints"],
        "grade_class_run_s": best["grade"], "grade_no_hints_s": best["grade_no_hints"],
        "grade_overhead_ratio": ratio("grade_no_hints", "class"),
        "grade_with_hints_ratio": ratio("grade", "class_hints"),
        "grade_default_vs_check_ratio": ratio("grade", "class"),
        "grade": {**grade, "runs_s": walls},
    }


def grade_only(sizes: Any, out: Path) -> int:
    """The grading figures alone, merged into ``out`` (the other figures untouched)."""
    from class_fixture import write_class  # a sibling of this file

    r: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        root = Path(tmp) / "class"
        write_class(root, students=sizes.students)
        dirs = sorted(str(p) for p in root.iterdir())
        grading = measure_grading(root, dirs)
    grading["grade"]["measured_with"] = "--grade-only (apart from the other figures)"
    r.update(grading)
    r["worker_start"] = measure_worker_start(sizes.repeats * 3)
    r["worker_start_s"] = r["worker_start"].get("sandbox", {}).get("median_s")
    if "targets" in r:
        r["targets"] = check_targets(r)
        r["all_targets_pass"] = all(t["pass"] for t in r["targets"].values())
    out.write_text(json.dumps(r, indent=2) + "\n")
    say(f"runs {r['grade']['runs_s']} s; grade_overhead_ratio {r['grade_overhead_ratio']}, "
        f"grade_with_hints_ratio {r['grade_with_hints_ratio']}, default grade vs check "
        f"{r['grade_default_vs_check_ratio']}; worker start-up {r['worker_start_s']} s sandboxed, "
        f"{r['worker_start'].get('no_sandbox', {}).get('median_s')} s without; wrote {out}")
    return 0


#: What ``harness check`` gives nothing to teach with: the no-teaching baseline.
NO_TEACHING = ("--no-hints", "--no-pictures")


def measure_teaching(sizes: Any, naive_cases_per_s: float) -> dict[str, Any]:
    """Teaching at a fixed cost (issue 15): the student's run of the bundled hypotheses
    (``harness check hypotheses/``, the course set included) with its defaults against
    the same run without hints and pictures, alternating, ``repeats`` each (median);
    and ``harness check`` with default settings on the synthetic class, in one
    process (its wall time, whole process; cases/s from report.json against the naive
    rate of this run)."""
    from class_fixture import write_class  # a sibling of this file

    walls: dict[str, list[float]] = {"default": [], "plain": []}
    runs: dict[str, list[dict[str, Any]]] = {"default": [], "plain": []}
    for _ in range(sizes.repeats):
        for name, options in (("default", ()), ("plain", NO_TEACHING)):
            with tempfile.TemporaryDirectory() as tmp:
                child = least_contended(lambda tmp=tmp, options=options: run_child(
                    [*harness_command(), "check", "hypotheses", "--report-dir", tmp,
                     *options]))
            walls[name].append(child.wall_s)
            runs[name].append({**child.stats(), "exit": child.returncode})
    student = {
        "command": "harness check hypotheses/ (the bundled set: part files + course set)",
        "default_s": statistics.median(walls["default"]),
        "no_teaching_s": statistics.median(walls["plain"]),
        "no_teaching_options": list(NO_TEACHING), "runs": runs}
    student["teaching_overhead_s"] = round(student["default_s"] - student["no_teaching_s"], 3)
    student["in_process"], _ = run_phase("teach", {"paths": ["hypotheses"]})
    say(f"bundled run: {student['default_s']:.2f} s default, {student['no_teaching_s']:.2f} s "
        f"without hints and pictures: teaching adds {student['teaching_overhead_s']:+.2f} s "
        f"(timed alone in process: {student['in_process']['teaching_s']:.2f} s)")
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        root = Path(tmp) / "class"
        write_class(root, students=sizes.students)
        dirs = sorted(str(p) for p in root.iterdir() if p.is_dir())
        reports = Path(tmp) / "reports"
        child = least_contended(lambda: run_child(
            [*harness_command(), "check", *dirs, "--report-dir", str(reports)]))
        records = json.loads((reports / "report.json").read_text())
        pictures = len(list((reports / "pictures").glob("*"))) \
            if (reports / "pictures").is_dir() else 0
        alone, _ = run_phase("teach", {"paths": dirs})
    cases = sum(r["cases"] for r in records)
    rate = cases / child.wall_s
    cls = {"command": f"harness check <{sizes.students} student folders> (default settings)",
           "wall_s": child.wall_s, "hypotheses": len(records), "total_cases": cases,
           "cases_per_s": rate, "ratio": rate / naive_cases_per_s,
           "with_hints": sum(1 for r in records if r["hints"] is not None),
           "picture_files": pictures, "process": child.stats(), "exit": child.returncode,
           "teaching_in_process": alone}
    say(f"class via harness check: {cls['wall_s']:.1f} s wall, {cls['ratio']:,.0f}x naive "
        f"({cls['with_hints']} hypotheses with hints, {pictures} picture files)")
    return {"teaching": {"student_bundled_run": student, "class_check": cls},
            "teaching_overhead_s": student["teaching_overhead_s"],
            "class_check_s": cls["wall_s"], "class_check_ratio": cls["ratio"]}


def teaching_only(sizes: Any, out: Path) -> int:
    """The teaching figures alone (with this run's naive rate), merged into ``out``."""
    r: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    naive, _ = run_phase("naive", {"claims": bundled_claims(), "cases": sizes.naive_cases})
    rate = naive_rate(naive)
    say(f"naive: {rate:.1f} cases/s")
    r.update(measure_teaching(sizes, rate))
    r["teaching"]["naive_cases_per_s"] = rate
    if r.get("naive_cases_per_s"):  # the full run's naive rate, measured on a quiet machine
        cls = r["teaching"]["class_check"]
        cls["ratio_vs_full_run_naive"] = cls["cases_per_s"] / r["naive_cases_per_s"]
    r["teaching"]["measured_with"] = ("--teaching (apart from the other figures; the naive "
                                      "rate measured in the same run)")
    r["teaching"]["contended"] = any(
        run["others_cpu_share"] > 0.10
        for runs in r["teaching"]["student_bundled_run"]["runs"].values() for run in runs) \
        or r["teaching"]["class_check"]["process"]["others_cpu_share"] > 0.10
    if "targets" in r:
        r["targets"] = check_targets(r)
        r["all_targets_pass"] = all(t["pass"] for t in r["targets"].values())
    out.write_text(json.dumps(r, indent=2) + "\n")
    say(f"wrote {out}")
    return 0


def machine_info() -> dict[str, Any]:
    import psutil

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "harness"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return {
        "cores": os.cpu_count(), "physical_cores": psutil.cpu_count(logical=False),
        "cpu": model, "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(), "python": platform.python_version(),
        "tensorflow": version("tensorflow-cpu") or version("tensorflow"),
        "keras": version("keras"), "hypothesis": version("hypothesis"),
        "numpy": version("numpy"), "harness_commit": commit,
        "harness_tree_dirty": bool(dirty),
    }


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------

def _category(frame: Any, parent: str) -> str:
    """Which bucket a profiled frame's own time goes to (innermost rule wins)."""
    if parent.startswith(("import", "tf.function tracing", "hypothesis: screening draws")):
        return parent  # sticky: everything under an import / a trace / a draw stays there
    path = (frame.file_path or "").replace("\\", "/")
    function = frame.function or ""
    caller = getattr(frame.parent, "file_path", "") or ""
    if function == "<module>" and "importlib" in caller:
        if "/tensorflow/" in path or "/keras/" in path or "/tf_keras/" in path:
            return "import: tensorflow + keras"
        if "/harness/" in path and "site-packages" not in path:
            return "import: harness"
        if "site-packages" in path or "/lib/python" in path:
            return "import: other libraries (numpy, hypothesis, pandas...)"
        return "import: hypothesis files (student code)"
    if "tracing_compilation.py" in path and function == "trace_function":
        return "tf.function tracing"
    if ("atomic_function.py" in path and function == "call_flat") or function == "TFE_Py_Execute":
        return "keras/tf execution"
    if path.endswith("bench_check.py") and function == "_fresh_cases":
        return "benchmark: making cases (not timed)"
    if "/harness/" not in path or "site-packages" in path:
        return parent
    name = path.rsplit("/harness/", 1)[1]
    table = {
        ("oracle.py", "keras_layer"): "oracle: build keras layer",
        ("oracle.py", "build_runner"): "oracle: build keras layer",
        ("cases.py", "key"): "case keys (tobytes + hash)",
        ("cases.py", "__hash__"): "case keys (tobytes + hash)",
        ("cases.py", "__eq__"): "case keys (tobytes + hash)",
        ("strategies.py", "sample_cases"): "numpy case sampling",
        ("strategies.py", "draw_cases"): "hypothesis: screening draws",
        ("strategies.py", "explicit_cases"): "numpy case sampling",
        ("checker.py", "search"): "hypothesis: search + shrink (engine)",
        ("checker.py", "first_failure"): "comparison",
        ("formula.py", "run_formula"): "formula evaluation (student code)",
        ("scope.py", "contains"): "scope checks (where=)",
        ("collect.py", "collect"): "collect hypothesis files",
    }
    short = function.rsplit(".", 1)[-1]
    for (file, func), category in table.items():
        if name.endswith(file) and short == func:
            return category
    if name.endswith("oracle.py"):
        return "oracle: python side (keys, stacking, memo)"
    if name.endswith("compare.py"):
        return "comparison"
    if name.endswith(("report.py", "render.py")):
        return "report + explanations"
    if name.startswith("grading/"):
        return "grading: scheduling, workers, IPC"
    return parent


def profile_breakdown(session_file: Path, text_file: Path) -> dict[str, Any]:
    """Seconds per category from a pyinstrument session, and a text rendering beside it."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session = Session.load(str(session_file))
    totals: dict[str, float] = defaultdict(float)

    def walk(frame: Any, parent: str) -> None:
        category = _category(frame, parent)
        children = frame.children
        totals[category] += max(0.0, frame.time - sum(c.time for c in children))
        for child in children:
            walk(child, category)

    root = session.root_frame()
    if root is not None:
        walk(root, "other (interpreter, glue)")
    renderer = ConsoleRenderer(unicode=True, color=False, short_mode=False,
                               processor_options={"filter_threshold": 0.01})
    text_file.write_text(renderer.render(session))
    duration = session.duration
    return {"duration_s": round(duration, 3),
            "categories": {k: {"s": round(v, 3), "share": round(v / duration, 3)}
                           for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}}


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def _find_stats(value: Any) -> list[dict[str, Any]]:
    """Every process record (``Child.stats()``) anywhere in the results."""
    if isinstance(value, dict):
        found = [value] if "others_cpu_share" in value else []
        return found + [s for v in value.values() for s in _find_stats(v)]
    if isinstance(value, list):
        return [s for v in value for s in _find_stats(v)]
    return []


def check_targets(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def row(value: Any, op: str, limit: Any) -> dict[str, Any]:
        if value is None:
            return {"value": None, "target": f"{op} {limit}", "pass": False}
        ok = {">=": value >= limit, "<=": value <= limit, "==": value == limit}[op]
        return {"value": value, "target": f"{op} {limit}", "pass": bool(ok)}

    return {
        "oracle_cases_per_s_min": row(r["oracle_cases_per_s"]["min"], ">=", 300_000),
        "oracle_ratio": row(r["oracle_ratio"], ">=", 10_000),
        "student_run_s": {**row(r["student_run_s"], "<=",
                                round(r["tf_import_s"] + 3, 3)),
                          "target": f"<= tf_import_s + 3 = {r['tf_import_s'] + 3:.2f}"},
        "hints_overhead_s": row(r.get("hints_overhead_s"), "<=", 1),
        "teaching_overhead_s": row(r.get("teaching_overhead_s"), "<=", 1),
        "class_check_s": row(r.get("class_check_s"), "<=", 30),
        "class_check_ratio": row(r.get("class_check_ratio"), ">=", 300),
        "class_run_s": row(r["class_run_s"], "<=", 30),
        "ratio": row(r["ratio"], ">=", 300),
        "peak_rss_mb": row(r["peak_rss_mb"], "<=", 768),
        "verdicts_agree": row(r["verdicts_agree"], "==", True),
        "grade_overhead_ratio": row(r.get("grade_overhead_ratio"), "<=", 1.5),
        "plugin_import_ms": row(r.get("plugin_import_ms"), "<=", 30),
        "any_layer_oracle_cases_per_s": row(
            r.get("any_layer_oracle_cases_per_s", {}).get("min_dense_conv1d"), ">=", 100_000),
    }


def say(text: str) -> None:
    print(text, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the harness against the naive way.")
    parser.add_argument("--quick", action="store_true", help="small sizes: a ~1-2 min smoke run")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the student run and the class run (pyinstrument)")
    parser.add_argument("--no-grade", action="store_true", help="skip `harness grade`")
    parser.add_argument("--grade-only", action="store_true",
                        help="measure only the class run in one process against `harness "
                             "grade` (alternating, twice each) and worker start-up, and "
                             "update those figures in the results file")
    parser.add_argument("--any-layer", action="store_true",
                        help="measure only the oracle on Dense and Conv1D (and the course "
                             "layers beside them) and update that figure in the results file")
    parser.add_argument("--teaching", action="store_true",
                        help="measure only what hints and pictures cost (the bundled run "
                             "with and without them, `harness check` on the class) with this "
                             "run's naive rate, and update those figures in the results file")
    parser.add_argument("--plugin-import", action="store_true",
                        help="measure only what importing the pytest plugin adds to `import "
                             "pytest` and update that figure in the results file")
    parser.add_argument("--wait-idle", type=float, default=60.0, metavar="S",
                        help="before each measurement wait up to S seconds for other processes "
                             "to leave the CPU (a shared machine); 0 to never wait (default 60)")
    parser.add_argument("--out", type=Path, default=None,
                        help="results file (default benchmarks/results.json; "
                             "benchmarks/results-quick.json with --quick)")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        result = PHASES[args.phase](json.loads(args.params))
        args.result.write_text(json.dumps(result))
        return 0

    sizes = QUICK if args.quick else FULL
    WAIT_IDLE["seconds"] = args.wait_idle
    out = args.out or HERE / ("results-quick.json" if args.quick else "results.json")
    if args.grade_only:
        return grade_only(sizes, out)
    if args.any_layer:
        return any_layer_only(sizes, out)
    if args.teaching:
        return teaching_only(sizes, out)
    if args.plugin_import:
        return plugin_import_only(out)
    r: dict[str, Any] = {"mode": "quick" if args.quick else "full", "sizes": asdict(sizes),
                         "machine": machine_info()}
    started = time.perf_counter()
    say(f"bench_check ({r['mode']}): {r['machine']['cores']} cores, Python "
        f"{r['machine']['python']}, TensorFlow {r['machine']['tensorflow']}, "
        f"Keras {r['machine']['keras']}")

    # 1. TensorFlow's import time, in a fresh process.
    tf = measure_tf_import(sizes.repeats)
    r["tf_import_s"] = tf["tf_import_s"]
    r["tf_import"] = tf
    r["plugin_import"] = measure_plugin_import()
    r["plugin_import_ms"] = r["plugin_import"]["extra_ms"]
    say(f"plugin import: +{r['plugin_import_ms']} ms after pytest")
    say(f"TF import: {tf['tf_import_s']:.2f} s (runs {[round(x, 2) for x in tf['runs']]})")

    # 2. The naive harness on the bundled hypotheses (the rate).
    naive, child = run_phase("naive", {"claims": bundled_claims(), "cases": sizes.naive_cases})
    r["naive_cases_per_s"] = naive_rate(naive)
    r["naive_predicts_per_s"] = (sum(c["predicts"] for c in naive["claims"])
                                 / sum(c["seconds"] for c in naive["claims"]))
    r["naive"] = {**naive, "process": child.stats()}
    for c in naive["claims"]:
        say(f"naive  {c['name']}: {c['verdict']} ({c.get('checked', 0)} cases checked, "
            f"{c['predicts']} predicts, {c['seconds']:.1f} s, predict median "
            f"{c['predict_median_ms']:.0f} ms)")
    say(f"naive: {r['naive_cases_per_s']:.1f} cases/s")

    # 3. The oracle alone.
    oracle, child = run_phase("oracle", {"count": sizes.oracle_cases, "repeats": sizes.repeats + 2})
    oracle["process"] = child.stats()
    per_layer = {k: v["cases_per_s"] for k, v in oracle["layers"].items()}
    r["oracle_cases_per_s"] = {**per_layer, "min": min(per_layer.values())}
    r["oracle_ratio"] = r["oracle_cases_per_s"]["min"] / r["naive_cases_per_s"]
    r["oracle"] = oracle
    for k, v in oracle["layers"].items():
        say(f"oracle {k}: {v['cases_per_s']:,.0f} cases/s median of {v['repeats']} (best "
            f"{v['best_cases_per_s']:,.0f}; {v['distinct_new']} new cases in "
            f"{v['seconds']:.3f} s, {v['keras_calls']} Keras calls; cold (with tracing) "
            f"{v['cold_cases_per_s']:,.0f}/s; case key {v['case_key_us']:.1f} us)")
    say(f"oracle: min {r['oracle_cases_per_s']['min']:,.0f} cases/s = "
        f"{r['oracle_ratio']:,.0f}x naive")

    # 4a. The student run.
    student = measure_student_run(sizes.repeats)
    r["student_run_s"] = student["student_run_s"]
    r["time_to_first_verdict_s"] = student["time_to_first_verdict_s"]
    r["student_run"] = student
    say(f"student run: {student['student_run_s']:.2f} s wall, first verdict at "
        f"{student['time_to_first_verdict_s']:.2f} s (TF import {r['tf_import_s']:.2f} s)")
    plain = measure_student_run(sizes.repeats, "--no-hints")  # what the hints cost
    r["student_run_no_hints_s"] = plain["student_run_s"]
    r["hints_overhead_s"] = round(student["student_run_s"] - plain["student_run_s"], 3)
    say(f"student run without hints: {plain['student_run_s']:.2f} s wall "
        f"(hints add {r['hints_overhead_s']:+.2f} s)")

    # 4b. The synthetic class, one process, one Checker.
    from class_fixture import write_class  # a sibling of this file

    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        root = Path(tmp) / "class"
        manifest = write_class(root, students=sizes.students)
        dirs = sorted(str(p) for p in root.iterdir())
        cls, child = run_phase("class", {"dirs": dirs})
        r["class_run_s"] = child.wall_s
        r["peak_rss_mb"] = max(child.peak_rss_mb, child.maxrss_mb)
        total_cases = sum(v["cases"] for v in cls["verdicts"])
        r["ours_cases_per_s"] = total_cases / child.wall_s
        r["ratio"] = r["ours_cases_per_s"] / r["naive_cases_per_s"]
        expected = {(m["file"], m["function"]): m for m in manifest}
        counts = Counter(v["verdict"] for v in cls["verdicts"])
        slowest: dict[str, float] = defaultdict(float)
        unexpected: Counter[str] = Counter()
        for v in cls["verdicts"]:
            row = expected[(v["file"], v["function"])]
            slowest[f"{row['variant']} ({v['verdict']})"] += v["seconds"]
            if v["verdict"] != row["expected"]:
                unexpected[f"{row['variant']}: expected {row['expected']}, got {v['verdict']}"] += 1
        r["class"] = {
            "students": sizes.students, "claims": cls["claims"],
            "load_failures": cls["load_failures"], "total_cases": total_cases,
            "wall_s": child.wall_s, "in_process_s": cls["in_process_s"],
            "check_s": cls["check_s"], "collect_s": cls["collect_s"],
            "harness_import_s": cls["harness_import_s"], "first_verdict_s": cls["first_verdict_s"],
            "cases_per_s_check_only": total_cases / cls["check_s"],
            "peak_rss_tree_sampled_mb": child.peak_rss_mb, "maxrss_mb": child.maxrss_mb,
            "process": child.stats(), "biggest_processes": child.biggest(),
            "verdict_counts": dict(counts),
            "oracle_keras_calls": cls["oracle_keras_calls"],
            "oracle_cases_evaluated": cls["oracle_cases_evaluated"],
            "fixture_expectations_met": 1 - sum(unexpected.values()) / len(cls["verdicts"]),
            "fixture_unexpected": dict(unexpected),
            "seconds_by_variant": {k: round(v, 2) for k, v in
                                   sorted(slowest.items(), key=lambda kv: -kv[1])},
        }
        say(f"class: {sizes.students} x 6 = {cls['claims']} hypotheses, {total_cases:,} cases in "
            f"{child.wall_s:.1f} s wall ({cls['check_s']:.1f} s checking) = "
            f"{r['ours_cases_per_s']:,.0f} cases/s = {r['ratio']:,.0f}x naive; "
            f"peak RSS {r['peak_rss_mb']:.0f} MB; verdicts {dict(counts)}")

        # Verdict agreement: the naive harness on a sample of the class's claims.
        sample = agreement_sample(manifest, sizes.agree_claims, SEED)
        agree, child = run_phase("naive", {"claims": sample, "cases": sizes.agree_cases})
        ours = {(v["file"], v["function"]): v["verdict"] for v in cls["verdicts"]}
        rows = []
        for c in agree["claims"]:
            key = (c["file"], c["function"])
            rows.append({"variant": expected[key]["variant"], "student": expected[key]["student"],
                         "naive": c["verdict"], "ours": ours[key],
                         "naive_checked": c.get("checked", 0)})
        bundled = [{"name": c["name"], "naive": c["verdict"],
                    "ours": student["runs"][0]["verdicts"].get(c["name"])}
                   for c in naive["claims"]]
        pairs = [(x["naive"], x["ours"]) for x in rows + bundled]
        same = sum(a == b for a, b in pairs)
        r["verdict_agreement"] = same / len(pairs)
        r["verdicts_agree"] = same == len(pairs)
        r["agreement"] = {"class_sample": rows, "bundled": bundled,
                          "naive_cases_per_s": naive_rate(agree), "process": child.stats()}
        r["naive_cases_per_s_pooled"] = (
            sum(c.get("checked", 0) for c in naive["claims"] + agree["claims"])
            / sum(c["seconds"] for c in naive["claims"] + agree["claims"]))
        say(f"agreement: {same}/{len(pairs)} verdicts identical "
            f"({len(rows)} class claims + {len(bundled)} bundled)")
        for x in rows + bundled:
            if x["naive"] != x["ours"]:
                say(f"  DIFFERENT: {x}")

        # The same class through `harness grade` (workers + isolation).
        if args.no_grade:
            r["grade"] = {"grade_class_run_s_TODO": None, "note": "skipped (--no-grade)"}
            r["grade_class_run_s"] = r["grade_overhead_ratio"] = None
        else:
            r.update(measure_grading(root, dirs, rounds=1 if args.quick else 2))
            say(f"harness grade: {r['grade_class_run_s']} s wall ({r['grade_no_hints_s']} s "
                f"without hints); in process {r['class_run_s']} s ({r['class_run_hints_s']} s "
                f"with hints); grade_overhead_ratio {r['grade_overhead_ratio']}, "
                f"grade_with_hints_ratio {r['grade_with_hints_ratio']}")
        r["worker_start"] = measure_worker_start(sizes.repeats * 3)
        r["worker_start_s"] = r["worker_start"].get("sandbox", {}).get("median_s")
        say(f"worker start-up (median): sandboxed {r['worker_start_s']}, without sandbox "
            f"{r['worker_start'].get('no_sandbox', {}).get('median_s')} s")

        if args.profile:
            profiles = HERE / "profiles"
            profiles.mkdir(exist_ok=True)
            r["profile"] = {}
            with tempfile.TemporaryDirectory() as tmp2:
                session = Path(tmp2) / "student.pyisession"
                run_child([PYTHON, "-m", "pyinstrument", "-r", "pyisession", "-o", str(session),
                           "-m", "harness", "check", *COURSE_FILES, "--report-dir", tmp2])
                r["profile"]["student_run"] = profile_breakdown(session,
                                                                profiles / "student_run.txt")
                session = Path(tmp2) / "class.pyisession"
                run_phase("class", {"dirs": dirs}, profile=session)
                r["profile"]["class_run"] = profile_breakdown(session, profiles / "class_run.txt")
                session = Path(tmp2) / "oracle.pyisession"
                run_phase("oracle", {"count": sizes.oracle_cases, "repeats": 1},
                          profile=session)
                r["profile"]["oracle_alone"] = profile_breakdown(session,
                                                                 profiles / "oracle_alone.txt")
            for which, prof in r["profile"].items():
                say(f"profile {which} ({prof['duration_s']:.1f} s under pyinstrument):")
                for name, v in list(prof["categories"].items())[:10]:
                    say(f"  {v['s']:7.2f} s  {100 * v['share']:4.1f}%  {name}")

    shares = [x["others_cpu_share"] for x in _find_stats(r)]
    r["others_cpu_share_max"] = max(shares, default=0.0)
    r["contended"] = r["others_cpu_share_max"] > 0.1
    if r["contended"]:
        say(f"WARNING: other processes used up to {100 * r['others_cpu_share_max']:.0f}% of the "
            "machine during a measurement; timings are pessimistic. Re-run on a quiet machine.")
    r["waited_for_quiet_s"] = round(WAIT_IDLE["waited"], 1)
    r["targets"] = check_targets(r)
    r["all_targets_pass"] = all(t["pass"] for t in r["targets"].values())
    r["benchmark_wall_s"] = time.perf_counter() - started
    out.write_text(json.dumps(r, indent=2) + "\n")

    say("")
    say(f"{'figure':<28}{'value':>16}  target")
    for name, t in r["targets"].items():
        value = t["value"]
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        say(f"{name:<28}{shown:>16}  {t['target']:<32} {'PASS' if t['pass'] else 'FAIL'}")
    say(f"naive {r['naive_cases_per_s']:.1f} cases/s; ours (class) "
        f"{r['ours_cases_per_s']:,.0f} cases/s; ratio {r['ratio']:,.0f}x; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
