"""The explorer page in a real browser (Debian's Chromium driven by Playwright, as for the
reports; skipped with the reason when it is missing, unless HARNESS_REQUIRE_BROWSER=1).

For PART_A with the bundled files: the seed's numbers give Keras's 43, a hypothesis's
output stands beside it, Check refutes Hypothesis #1 and its counterexample loads into
the inputs, where the page shows the disagreement; text in a weight is a message and the
page goes on working.  The same for Conv1D."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from harness.explorer.server import Running, start
from harness.explorer.state import Explorer
from harness.parse import parse_layer

ROOT = Path(__file__).resolve().parents[1]
CONV = 'Layer("Conv1D", filters=1, kernel_size=3, use_bias=False, input_shape=(6, 1))'



@pytest.fixture(scope="module")
def part_a() -> Iterator[Running]:
    running = start(Explorer(parse_layer("PART_A"), [ROOT / "hypotheses"]))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def conv() -> Iterator[Running]:
    running = start(Explorer(parse_layer(CONV), [ROOT / "hypotheses" / "course"]))
    yield running
    running.stop()


def open_page(browser: Any, running: Running) -> tuple[Any, list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(running.url, wait_until="load")
    page.wait_for_selector("body[data-ready='1']")
    return page, errors


def card(page: Any, name: str) -> Any:
    return page.locator(f".hypothesis[data-name='{name}']")


def test_part_a_from_the_seed_to_a_loaded_counterexample(browser: Any, part_a: Running) -> None:
    from playwright.sync_api import expect

    page, errors = open_page(browser, part_a)
    assert page.locator("#weights legend").all_text_contents() == [
        "kernel (shape 1 x 1)", "recurrent_kernel (shape 1 x 1)"]
    page.fill("#w-kernel-0", "1")
    page.fill("#w-recurrent_kernel-0", "3")
    for step, value in enumerate(["3", "3", "7"]):
        page.fill(f"#x-{step}-0", value)
    expect(page.locator("#keras-output")).to_have_text("[43]")
    expect(page.locator("#keras-table td")).to_have_text(["3", "12", "43"])
    # a hypothesis's output beside Keras's: #2 agrees, #1 disagrees at the last step
    expect(card(page, "Hypothesis #2").locator("td.mine")).to_have_text(["3", "12", "43"])
    expect(card(page, "Hypothesis #2").locator("td.disagree")).to_have_count(0)
    expect(card(page, "Hypothesis #1").locator("td.disagree")).to_have_text(["25"])
    assert card(page, "Hypothesis #1").locator("svg.plot polyline").count() == 2
    # the address holds the numbers (shareable)
    shared = json.loads(parse_qs(urlparse(page.url).query)["case"][0])
    assert shared == {"weights": {"kernel": ["1"], "recurrent_kernel": ["3"]},
                      "input": [["3"], ["3"], ["7"]]}

    # Check on the refuted hypothesis, then load its counterexample into the inputs
    card(page, "Hypothesis #1").locator("button.check").click()
    expect(card(page, "Hypothesis #1").locator(".verdict .headline")).to_contain_text(
        "is refuted", timeout=120_000)
    card(page, "Hypothesis #1").locator("button.load").click()
    expect(page.locator("#w-recurrent_kernel-0")).to_have_value("-1")
    expect(page.locator("#x-0-0")).to_have_value("1")
    expect(page.locator("#keras-output")).to_have_text("[1]")
    expect(card(page, "Hypothesis #1").locator("td.disagree")).to_have_count(1)
    expect(card(page, "Hypothesis #1").locator(".disagrees")).to_be_visible()

    # text in a weight: a message, and the page still works afterwards
    page.fill("#w-kernel-0", "two")
    expect(page.locator("#message")).to_contain_text("'two' is not a number")
    page.fill("#w-kernel-0", "2")
    expect(page.locator("#message")).to_be_hidden()
    expect(page.locator("#keras-output")).to_have_text("[2]")  # 2, -2, 2
    # add and remove a step
    page.click("#add-step")
    expect(page.locator("#input-table tr.step")).to_have_count(4)
    page.click("#remove-step")
    expect(page.locator("#input-table tr.step")).to_have_count(3)
    assert errors == []


def test_a_shared_address_opens_with_its_numbers(browser: Any, part_a: Running) -> None:
    from playwright.sync_api import expect

    case = {"weights": {"kernel": ["1"], "recurrent_kernel": ["3"]},
            "input": [["3"], ["3"], ["7"]]}
    page = browser.new_page()
    page.goto(part_a.url + "&case=" + urllib.request.quote(json.dumps(case)))
    expect(page.locator("#keras-output")).to_have_text("[43]")


def test_conv1d_in_the_page(browser: Any, conv: Running) -> None:
    from playwright.sync_api import expect

    page, errors = open_page(browser, conv)
    expect(page.locator("#add-step")).to_be_hidden()  # six steps, as the layer says
    for k, value in enumerate(["1", "2", "3"]):
        page.fill(f"#w-kernel-{k}", value)
    page.fill("#x-0-0", "1")
    expect(page.locator("#keras-output")).to_have_text("[[1], [0], [0], [0]]")
    flipped = card(page, "Conv1D: slide the flipped filter")
    expect(flipped.locator("td.disagree")).to_have_text(["3"])
    expect(card(page, "Conv1D: slide the filter as it is").locator("td.disagree")) \
        .to_have_count(0)
    flipped.locator("button.check").click()
    expect(flipped.locator(".verdict .headline")).to_contain_text("is refuted",
                                                                  timeout=120_000)
    flipped.locator("button.load").click()
    expect(flipped.locator(".disagrees")).to_be_visible()
    page.fill("#w-kernel-1", "1e400")
    expect(page.locator("#message")).to_contain_text("not a number")
    page.fill("#w-kernel-1", "0")
    expect(page.locator("#message")).to_be_hidden()
    assert errors == []


@pytest.mark.parametrize("path", ["/", "/api/layer"])
def test_without_the_token_the_page_is_refused(part_a: Running, path: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{part_a.port}{path}", timeout=30)
    assert refused.value.code == 403
    refused.value.close()
