"""The playground end to end in headless Chromium, driven by Playwright.

The server runs as ``glassnet.playground.serve`` in a child process (its first line of output
is the URL with the token); the page is opened in Debian's Chromium (Playwright drives the
installed browser through ``executable_path``; it downloads none). The tests use the page's
``data-testid`` attributes, which the README lists.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
)

CHROMIUM = os.environ.get("GLASSNET_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium, or set GLASSNET_CHROMIUM)",
        allow_module_level=True,
    )

# Flags for a closed machine: no sandbox as root, and no background connections that a
# machine without a network refuses many at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = os.environ.get("GLASSNET_PLAYGROUND_SCREENSHOT")
"""Where to save a copy of the screenshot as well (the README's docs/images/playground.png)."""


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """Starts the playground server and yields the URL it prints, token included."""
    code = "from glassnet.playground import serve; serve(open_browser=False)"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("playground: http://127.0.0.1:"), first
        assert "?token=" in first, first
        yield first.split(" ", 1)[1]
    finally:
        process.send_signal(signal.SIGINT)  # the server stops cleanly on Ctrl-C
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # The page's Content-Security-Policy forbids eval; Playwright's waits evaluate strings.
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def _testid(name: str) -> str:
    return f'[data-testid="{name}"]'


def _number(page: Any, testid: str) -> float:
    return float(page.locator(_testid(testid)).inner_text())


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='true']", timeout=20_000)
    assert page.locator(_testid("error")).is_hidden(), page.locator(_testid("error")).inner_text()


def test_spiral_trains_steps_and_opens_the_glass_box(
    page: Any, server_url: str, tmp_path: Path
) -> None:
    _open(page, server_url)
    resets = page.evaluate("Number(document.body.dataset.resets)")
    page.select_option(_testid("dataset"), "spiral")
    page.wait_for_function(f"Number(document.body.dataset.resets) > {resets}", timeout=20_000)
    assert page.locator(_testid("network")).locator(_testid("layer-1")).count() == 1
    untrained = _number(page, "test-loss")
    assert untrained > 0.3, f"an untrained network's test loss on the spiral is {untrained}"

    page.click(_testid("play"))
    # The test loss falls while training: read it again until it is clearly below the first.
    # The number read inside the browser the moment it is low enough, so that a later
    # spike of the optimizer cannot change what is compared.
    fallen = page.wait_for_function(
        "(() => { const v = parseFloat(document.querySelector('[data-testid=test-loss]')"
        f".textContent); return v < {0.6 * untrained} ? v : false; }})()",
        timeout=30_000,
    ).json_value()
    assert fallen < 0.6 * untrained, (untrained, fallen)
    train = page.locator(_testid("train-loss")).inner_text()
    assert float(train) >= 0, train

    page.click(_testid("play"))  # pause
    page.wait_for_function(
        "document.querySelector('[data-testid=play]').textContent.includes('Play')"
    )
    page.wait_for_timeout(300)  # a poll in flight settles
    steps = int(page.locator("#step-count").inner_text())
    page.click(_testid("step"))
    page.wait_for_function(
        f"Number(document.querySelector('#step-count').textContent) === {steps + 1}"
    )

    page.locator(_testid("layer-1")).locator(".layer-box").click()
    trace = page.locator(_testid("trace"))
    trace.locator("figure.array").first.wait_for(timeout=10_000)
    text = trace.inner_text()
    assert "Z[1]" in text, text[:500]  # Z<sup>[1]</sup> reads Z[1] as text
    assert "δ[1]" in text, text[:500]
    assert trace.locator("td").count() > 10
    assert page.locator(_testid("layer-1")).locator(".layer-box.selected").count() == 1

    resets = page.evaluate("Number(document.body.dataset.resets)")
    page.click(_testid("reset"))  # a new network: the old one's numbers must go
    page.wait_for_function(f"Number(document.body.dataset.resets) > {resets}", timeout=20_000)
    assert trace.locator("figure.array").count() == 0
    assert "take a step" in trace.locator(_testid("trace-empty")).inner_text()
    page.click(_testid("step"))
    trace.locator("figure.array").first.wait_for(timeout=10_000)

    path = tmp_path / "playground.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if SCREENSHOT:
        shutil.copyfile(path, SCREENSHOT)


def test_a_hidden_unit_shows_its_own_picture_and_explanation(page: Any, server_url: str) -> None:
    _open(page, server_url)
    output = page.locator(_testid("explanation")).inner_text()
    page.locator(_testid("unit-1-2")).click()
    page.wait_for_function(
        "document.querySelector('#boundary-title').textContent.startsWith('Unit 2 of layer 1')"
    )
    page.wait_for_function(
        f"document.querySelector('[data-testid=explanation]').textContent !== {json.dumps(output)}"
    )
    assert page.locator(_testid("explanation")).inner_text().strip() != ""


def _state_link(url: str, config: dict[str, Any]) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(config).encode()).decode().rstrip("=")
    return f"{url}#state={encoded}"


def test_a_link_restores_the_page_state(page: Any, server_url: str) -> None:
    config = {
        "dataset": "xor",
        "seed": 7,
        "layers": [{"units": 3, "activation": "tanh", "dropout": 0}],
    }
    _open(page, _state_link(server_url, config))
    assert page.locator(_testid("dataset")).input_value() == "xor"
    assert page.locator(_testid("seed")).input_value() == "7"
    network = page.locator(_testid("network"))
    assert network.locator(_testid("unit-1-3")).count() == 1
    assert network.locator(_testid("unit-1-4")).count() == 0
    assert network.locator(_testid("layer-3")).count() == 0  # one hidden layer and the output
    assert page.locator(_testid("activation-1")).input_value() == "tanh"
    # Adding a layer rebuilds the network with a second hidden layer of the same width.
    page.click(_testid("add-layer"))
    page.wait_for_selector(f"{_testid('network')} {_testid('unit-2-3')}")
    assert network.locator(_testid("layer-3")).count() == 1


def test_a_server_error_is_shown_on_the_page(page: Any, server_url: str) -> None:
    page.goto(_state_link(server_url, {"learning_rate": -1}))
    error = page.locator(_testid("error"))
    error.wait_for(state="visible", timeout=20_000)
    assert "learning_rate" in error.inner_text()
