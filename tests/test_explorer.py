"""The explorer's server without a browser: what it computes (real Keras), what it refuses
(no token, text for a number, too many steps), and files re-read when they change."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.errors import ExplorerInputError, UsageError
from harness.explorer.server import Running, start
from harness.explorer.state import MAX_STEPS, Explorer
from harness.parse import parse_layer

ROOT = Path(__file__).resolve().parents[1]
SEED = {"weights": {"kernel": ["1"], "recurrent_kernel": ["3"]}, "input": [["3"], ["3"], ["7"]]}

FORMULA = '''import numpy as np
from harness import PART_A, hypothesis


@hypothesis(PART_A, name="Mine")
def mine(kernel, recurrent_kernel, xs):
    return xs[-1] * kernel[0] * {factor}
'''


@pytest.fixture(scope="module")
def part_a() -> Explorer:
    return Explorer(parse_layer("PART_A"), [ROOT / "hypotheses"])


@pytest.fixture(scope="module")
def served(part_a: Explorer) -> Iterator[Running]:
    running = start(part_a)
    yield running
    running.stop()


def request(running: Running, path: str, body: Any = None, token: str | None = None,
            ) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Harness-Token"] = token
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(f"http://127.0.0.1:{running.port}{path}", data, headers)
    try:
        with urllib.request.urlopen(sent, timeout=120) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"null")


def test_keras_gives_43_and_each_hypothesis_is_shown_beside_it(part_a: Explorer) -> None:
    answer = part_a.evaluate(SEED)
    assert answer["keras"]["rows"] == [[3], [12], [43]]
    by_name = {h["name"]: h for h in answer["hypotheses"]}
    assert by_name["Hypothesis #2"]["rows"] == [[3], [12], [43]]
    assert by_name["Hypothesis #2"]["agrees"] is True
    assert by_name["Hypothesis #1"]["disagree"][-1] == [True]  # 25, not 43


def test_conv1d_output_is_keras_cross_correlation(tmp_path: Path) -> None:
    conv = Explorer(parse_layer('Layer("Conv1D", filters=1, kernel_size=3, use_bias=False, '
                                'input_shape=(6, 1))'), [ROOT / "hypotheses" / "course"])
    sent = {"weights": {"kernel": ["1", "2", "3"]},
            "input": [["1"], ["0"], ["0"], ["0"], ["0"], ["0"]]}
    answer = conv.evaluate(sent)
    assert answer["keras"]["rows"] == [[1], [0], [0], [0]]
    flipped = next(h for h in answer["hypotheses"] if "flipped" in h["name"])
    assert flipped["rows"][0] == [3] and flipped["disagree"][0] == [True]


@pytest.mark.parametrize("change, words", [
    ({"weights": {"kernel": ["abc"], "recurrent_kernel": ["3"]}}, "'abc' is not a number"),
    ({"weights": {"kernel": ["1e9"], "recurrent_kernel": ["3"]}}, "too large"),
    ({"weights": {"kernel": ["nan"], "recurrent_kernel": ["3"]}}, "is not a number"),
    ({"weights": {"kernel": ["1", "2"], "recurrent_kernel": ["3"]}}, "needs 1 numbers"),
    ({"input": [["1"]] * (MAX_STEPS + 1)}, f"at most {MAX_STEPS}"),
    ({"input": [["1", "2"]]}, "needs 1 numbers"),
    ({"input": []}, "at least one step"),
    ({"weights": "kernel=1"}, "no weights"),
])
def test_what_does_not_fit_the_layer_is_a_message(part_a: Explorer, change: dict[str, Any],
                                                  words: str) -> None:
    with pytest.raises(ExplorerInputError, match=words.replace("(", r"\(")):
        part_a.evaluate({**SEED, **change})


def test_a_request_without_the_token_is_refused(served: Running) -> None:
    for path in ("/", "/api/layer"):
        assert request(served, path)[0] == 403
        assert request(served, path, token="wrong")[0] == 403
    assert request(served, "/api/evaluate", SEED)[0] == 403
    assert request(served, "/api/check", {"key": "x"}, token="")[0] == 403
    status, answer = request(served, "/api/evaluate", SEED, token=served.token)
    assert status == 200 and answer["keras"]["output"] == "[43]"


def test_the_server_listens_on_this_computer_only(served: Running) -> None:
    assert served.url.startswith(f"http://127.0.0.1:{served.port}/?token=")
    assert served.address == ("127.0.0.1", served.port)


def test_bad_numbers_over_http_are_a_message_not_a_traceback(served: Running) -> None:
    status, answer = request(served, "/api/evaluate",
                             {**SEED, "weights": {"kernel": ["x"], "recurrent_kernel": ["3"]}},
                             token=served.token)
    assert status == 200 and answer["ok"] is False and "not a number" in answer["message"]
    status, answer = request(served, "/api/check", {"key": "nowhere::f"}, token=served.token)
    assert answer["ok"] is False and "no longer in its file" in answer["message"]
    assert "Traceback" not in json.dumps(answer)


def test_a_file_is_read_again_when_it_changes_and_a_broken_one_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(FORMULA.format(factor=1))
    explorer = Explorer(parse_layer("PART_A"), [path])
    assert explorer.evaluate(SEED)["hypotheses"][0]["rows"][-1] == [7]
    path.write_text(FORMULA.format(factor=10))
    assert explorer.evaluate(SEED)["hypotheses"][0]["rows"][-1] == [70]
    path.write_text(FORMULA.format(factor=10) + "\ndef broken(:\n")
    answer = explorer.evaluate(SEED)
    assert answer["ok"] and answer["hypotheses"] == []
    assert answer["failures"][0]["file"] == "mine.py"
    assert "SyntaxError" in answer["failures"][0]["message"] or \
        "syntax" in answer["failures"][0]["message"].lower()


def test_check_runs_as_harness_check_and_its_counterexample_loads(part_a: Explorer) -> None:
    key = next(h["key"] for h in part_a.evaluate(SEED)["hypotheses"]
               if h["name"] == "Hypothesis #1")
    verdict = part_a.check(key)
    assert verdict["kind"] == "refuted" and verdict["as_expected"]
    loaded = part_a.evaluate(verdict["counterexample"])
    mine = next(h for h in loaded["hypotheses"] if h["name"] == "Hypothesis #1")
    assert not mine["agrees"]


def test_too_big_a_layer_is_refused_at_start() -> None:
    with pytest.raises(UsageError, match="at most"):
        Explorer(parse_layer("LSTM(units=40, input_shape=(None, 1))"))


def test_the_command_refuses_a_case_that_is_not_an_object(capsys: pytest.CaptureFixture[str],
                                                          ) -> None:
    assert main(["explore", "PART_A", "--no-browser", "--case", "[1, 2]"]) == 2
    assert "--case must be a JSON object" in capsys.readouterr().err


def test_report_html_names_each_counterexample_s_explorer_command(
        part_a: Explorer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import html
    import re
    import shlex

    from harness.api import check_paths
    from harness.output.report import write_reports

    monkeypatch.chdir(ROOT)
    run = check_paths(["hypotheses/part_a.py"], hints=False)
    write_reports(tmp_path, run.verdicts, run.failures, seed=run.settings.seed,
                  pictures=False)
    page = (tmp_path / "report.html").read_text()
    (command,) = re.findall(r'<pre class="explore">(.*?)</pre>', page)
    words = shlex.split(html.unescape(command))
    assert words[:4] == ["harness", "explore", str(part_a.spec), "hypotheses/part_a.py"]
    assert words[4] == "--case"
    loaded = part_a.evaluate(part_a.page_case(json.loads(words[5])))
    assert not next(h for h in loaded["hypotheses"] if h["name"] == "Hypothesis #1")["agrees"]
    assert "harness explore" not in (tmp_path / "report.md").read_text()  # html only


def test_the_command_prints_its_address_serves_the_case_and_stops_on_ctrl_c() -> None:
    import signal
    import subprocess
    import sys
    from urllib.parse import parse_qs, urlparse

    case = json.dumps({"kernel": [[1]], "recurrent_kernel": [[3]], "xs": [3, 3, 7]})
    # Started with SIGINT ignored, as a script's background job is: Ctrl-C must still stop it.
    process = subprocess.Popen(
        ["/bin/sh", "-c", 'trap "" INT; exec "$0" "$@"', sys.executable, "-m", "harness",
         "explore", "PART_A", "hypotheses/part_a.py", "--no-browser", "--case", case],
        cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split("open ", 1)[1].strip()
        query = parse_qs(urlparse(url).query)
        assert urlparse(url).hostname == "127.0.0.1"
        assert json.loads(query["case"][0]) == {
            "weights": {"kernel": ["1"], "recurrent_kernel": ["3"]},
            "input": [["3"], ["3"], ["7"]]}
        port, token = int(urlparse(url).port or 0), query["token"][0]
        running = Running(url, port, token, None, None)  # type: ignore[arg-type]
        status, answer = request(running, "/api/evaluate", json.loads(query["case"][0]),
                                 token=token)
        assert status == 200 and answer["keras"]["output"] == "[43]"
        assert request(running, "/api/layer")[0] == 403
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()  # no process left behind for the next test to trip over
            _, err = process.communicate()
            pytest.fail(f"harness explore did not stop on Ctrl-C within 60 s: {err[-2000:]}")
    assert process.returncode == 130 and "interrupted" in err


def test_importing_harness_loads_neither_the_web_stack_nor_tensorflow() -> None:
    import subprocess
    import sys

    code = ("import sys, harness; harness.explore; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'tensorflow', 'keras') "
            "if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout
    assert shown.strip() == "[]"


@pytest.mark.parametrize("layer, labels", [
    ("LSTM(units=1, input_shape=(None, 1))", ["i", "f", "c", "o"]),
    ("GRU(units=2, input_shape=(None, 1))", ["z0", "z1", "r0", "r1", "h0", "h1"]),
])
def test_gates_are_labelled_in_keras_order(layer: str, labels: list[str]) -> None:
    weights = Explorer(parse_layer(layer)).layer_json()["weights"]
    assert weights[0]["name"] == "kernel" and weights[0]["labels"] == labels
    assert [w["labels"] for w in weights] == [labels] * len(weights)  # bias too


def test_a_request_too_big_is_refused_with_a_message(served: Running) -> None:
    huge = {**SEED, "padding": "x" * 300_000}
    status, answer = request(served, "/api/evaluate", huge, token=served.token)
    assert status == 200 and answer["ok"] is False
    assert "not weights and an input" in answer["message"]


def test_a_formula_that_never_returns_is_stopped_with_a_message(tmp_path: Path) -> None:
    """The command does the work in its main thread, where the formula timer works (as
    pytest does here)."""
    path = tmp_path / "endless.py"
    path.write_text("from harness import PART_A, hypothesis\n\n\n@hypothesis(PART_A)\n"
                    "def endless(kernel, recurrent_kernel, xs):\n    while True:\n"
                    "        pass\n")
    (shown,) = Explorer(parse_layer("PART_A"), [path]).evaluate(SEED)["hypotheses"]
    assert "took longer than" in shown["error"]
