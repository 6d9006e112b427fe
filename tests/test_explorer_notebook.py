"""``harness.explore`` in a notebook run by nbclient on a real kernel: the page shows as an
IFrame, and its server (in the kernel's own process) answers with Keras's output and the
notebook's own hypothesis beside it."""

from __future__ import annotations

from typing import Any

import pytest
from test_notebook_kernel import run_notebook

CELLS = [
    "import json\nimport urllib.request\nfrom urllib.parse import parse_qs, urlparse\n\n"
    "import numpy as np\n\nimport harness\nfrom harness import PART_A, hypothesis",
    '@hypothesis(PART_A, name="Last input, three times")\n'
    "def mine(kernel, recurrent_kernel, xs):\n    return xs[-1] @ kernel * 3",
    "view = harness.explore(PART_A, mine)\nview",
    "token = parse_qs(urlparse(view.url).query)['token'][0]\n"
    "sent = {'weights': {'kernel': ['1'], 'recurrent_kernel': ['3']},\n"
    "        'input': [['3'], ['3'], ['7']]}\n"
    "request = urllib.request.Request(view.url.split('?')[0] + 'api/evaluate',\n"
    "    json.dumps(sent).encode(), {'X-Harness-Token': token,\n"
    "                                'Content-Type': 'application/json'})\n"
    "with urllib.request.urlopen(request, timeout=120) as answer:\n"
    "    got = json.loads(answer.read())\n"
    "print(got['keras']['output'], got['hypotheses'][0]['name'], got['hypotheses'][0]['rows'])\n"
    "view.stop()",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    return run_notebook(notebook, tmp_path_factory.mktemp("kernel"))


def test_explore_displays_the_page_inline(executed: Any) -> None:
    errors = [o for c in executed.cells for o in c.outputs if o["output_type"] == "error"]
    assert errors == []
    (shown,) = [o for o in executed.cells[2].outputs if o["output_type"] == "execute_result"]
    assert shown["data"]["text/html"].startswith('<iframe src="http://127.0.0.1:')
    assert "token=" in shown["data"]["text/html"]
    assert shown["data"]["text/plain"].startswith("harness explorer at http://127.0.0.1:")


def test_the_kernel_s_server_answers_with_keras_and_the_notebook_s_hypothesis(
        executed: Any) -> None:
    printed = "".join(o.get("text", "") for o in executed.cells[3].outputs
                      if o["output_type"] == "stream" and o["name"] == "stdout")
    assert printed.strip() == "[43] Last input, three times [[9], [9], [21]]"
