"""The explainer page (`grad --format html`) in a real headless Chromium, driven by Selenium:
the seed-001 interactions, no console error, no network request, a 200-node page within 2 s,
and screenshots at 1280×800 and 375×800 into build/screenshots/ (gitignored).

One browser for the whole module (a fresh profile in a temporary folder); skipped, with the
reason, when Selenium, Chromium or its driver is missing (.ci/run installs Debian's chromium
and chromium-driver).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_001, SEED_002, missing_tool

import exprdiff
import exprdiff.render.numbers
from exprdiff.render.html import render_all

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (the `test` extra)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "screenshots"
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(autouse=True)
def _chromium() -> None:
    if BROWSER is None or DRIVER is None:
        missing_tool("headless Chromium and its driver are not installed "
                     "(apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(BROWSER)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,800"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def page_file(tmp_path: Path, expression: str, at: dict[str, float], name: str,
              layout: bool = True) -> Path:
    result = exprdiff.grad(expression, at, record=True)
    path = tmp_path / f"{name}.html"
    path.write_text(render_all([(result, result.steps())], None, layout=layout),
                    encoding="utf-8")
    return path


def open_page(driver: Any, path: Path) -> None:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(path.as_uri())


def node(driver: Any, name: str) -> Any:
    return driver.find_element(By.CSS_SELECTOR, f'g.node[data-name="{name}"]')


def filled(driver: Any) -> list[str]:
    """The nodes whose adjoints the backward sweep has filled in so far (in drawing order)."""
    return [g.get_attribute("data-name")
            for g in driver.find_elements(By.CSS_SELECTOR, "g.node.filled")]


def assert_quiet(driver: Any, page: Path) -> None:
    """No console error, and no request but the page's own file."""
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    ours, web = [], []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        url = message["params"]["request"]["url"]
        if message["params"].get("documentURL") == page.as_uri():
            ours.append(url)  # everything the page asked for (the browser's own pages aside)
        if url.split(":")[0] in ("http", "https", "ws", "wss", "ftp"):
            web.append(url)
    assert ours == [page.as_uri()], ours
    assert web == []


def assert_renders_within_2_s(driver: Any, what: str) -> None:
    """From the start of navigation to the graph drawn and the page live, by the browser's
    own clock (the page stamps it when its script is done): WebDriver's round trips aside."""
    ready = driver.find_element(By.TAG_NAME, "html").get_attribute("data-ready-ms")
    assert ready is not None and int(ready) < 2000, f"{what}: ready after {ready} ms"


@pytest.mark.parametrize("layout", [True, False], ids=["graphviz", "dagre"])
def test_seed_001_page(browser: Any, tmp_path: Path, layout: bool) -> None:
    if layout and shutil.which("dot") is None:
        missing_tool("Graphviz's dot is not installed: the page lays out with dagre")
    expression, at, _, _ = SEED_001
    page = page_file(tmp_path, expression, at, "seed-001", layout)
    open_page(browser, page)
    vendored = browser.execute_script("return typeof dagre") != "undefined"
    assert vendored is not layout  # dagre is in the page only when dot did not lay it out
    node(browser, "z1").click()
    info = browser.find_element(By.CSS_SELECTOR, ".node-info .sum").text
    assert info == "∂f/∂z1 = 1·1 + 3·(-1) = -2"
    classes = {g.get_attribute("data-name"): g.get_attribute("class")
               for g in browser.find_elements(By.CSS_SELECTOR, "g.node")}
    assert "argument" in classes["x1"]  # z1 = x1**2
    assert "consumer" in classes["z5"] and "consumer" in classes["z3"]
    assert filled(browser) == []
    for _ in range(3):
        browser.find_element(By.CSS_SELECTOR, "button.next").click()
    assert sorted(filled(browser)) == ["z3", "z4", "z5"]  # the sweep's first three
    assert "step 3 of" in browser.find_element(By.CSS_SELECTOR, ".status").text
    shared = node(browser, "z1").find_element(By.CSS_SELECTOR, "text.adjoint")
    assert shared.text == "∂f/∂z1: 2 of 2 terms"  # x1**2 is shared: its sum grows in view
    browser.find_element(By.CSS_SELECTOR, "button.prev").click()
    assert len(filled(browser)) == 2
    assert shared.text == "∂f/∂z1: 1 of 2 terms"
    browser.find_element(By.CSS_SELECTOR, "button.all").click()
    assert len(filled(browser)) == 8 and shared.text == "∂f/∂z1 = -2"
    Select(browser.find_element(By.CSS_SELECTOR, "select.variable")).select_by_value("x1")
    total = browser.find_element(By.CSS_SELECTOR, ".path-sum").text
    assert total.startswith("sum of the products: -4 ")
    lit = {g.get_attribute("data-name")
           for g in browser.find_elements(By.CSS_SELECTOR, "g.node.on-path")}
    assert lit == {"z5", "z4", "z3", "z1", "x1"}
    assert len(browser.find_elements(By.CSS_SELECTOR, "g.edge.on-path")) == 5
    assert_quiet(browser, page)


def test_keyboard_and_screenshots(browser: Any, tmp_path: Path) -> None:
    expression, at, _, _ = SEED_001
    page = page_file(tmp_path, expression, at, "seed-001")
    open_page(browser, page)
    browser.set_window_size(1280, 800)
    from selenium.webdriver.common.action_chains import ActionChains

    browser.execute_script("arguments[0].focus()", node(browser, "z3"))
    ActionChains(browser).send_keys(Keys.ENTER).perform()  # the focused node: its chain-rule sum
    assert browser.find_element(By.CSS_SELECTOR, ".node-info .sum").text == (
        "∂f/∂z3 = 1·3 = 3")
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT).perform()
    assert sorted(filled(browser)) == ["z4", "z5"]
    ActionChains(browser).send_keys(Keys.ARROW_LEFT).perform()
    assert filled(browser) == ["z5"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.find_element(By.CSS_SELECTOR, "button.all").click()
    node(browser, "z1").click()
    Select(browser.find_element(By.CSS_SELECTOR, "select.variable")).select_by_value("x1")
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    browser.save_screenshot(str(SHOTS / "explain-1280x800.png"))
    browser.set_window_size(375, 800)
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400  # no page-wide sideways scroll on a phone: the graph scrolls inside
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(SHOTS / "explain-375x800.png"))
    browser.set_window_size(1280, 800)
    assert_quiet(browser, page)


def test_kink_is_marked(browser: Any, tmp_path: Path) -> None:
    page = page_file(tmp_path, "y - max(0, w*x + b)", {"y": 5, "w": 0, "x": 1, "b": 0}, "kink")
    open_page(browser, page)
    kinked = browser.find_elements(By.CSS_SELECTOR, "g.node.kink")
    assert len(kinked) == 1
    kinked[0].click()
    assert "⚠" in browser.find_element(By.CSS_SELECTOR, ".node-info .warn").text
    assert "one-sided" in browser.find_element(By.CSS_SELECTOR, "ul.warnings").text
    assert_quiet(browser, page)


def test_hostile_text_stays_text(browser: Any, tmp_path: Path) -> None:
    # The language admits no markup, so the hostile text is put into the record by hand: the
    # page must show it as text whatever the record holds.
    hostile = "</script><img src=x onerror=alert(1)><script>alert(2)</script>\u202e&amp;"
    result = exprdiff.grad("x*2", {"x": 1}, record=True).replace(expression=hostile)
    page = tmp_path / "hostile.html"
    page.write_text(render_all([(result, result.steps())], None), encoding="utf-8")
    open_page(browser, page)
    assert browser.find_elements(By.TAG_NAME, "img") == []
    shown = browser.find_element(By.CSS_SELECTOR, "h2 code").text
    assert "<img src=x onerror=alert(1)>" in shown and "\\u202e&amp;" in shown
    assert len(browser.find_elements(By.CSS_SELECTOR, "g.node")) == 2  # the script still ran
    assert_quiet(browser, page)


def test_seed_002_and_200_nodes_render_fast(browser: Any, tmp_path: Path) -> None:
    expression, at, _, _ = SEED_002
    open_page(browser, page_file(tmp_path, expression, at, "seed-002"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "g.node")) == 8
    terms = " + ".join(f"sin(x*{k} + y)*{k}" for k in range(1, 41))  # ~200 nodes
    for layout in (True, False):
        page = page_file(tmp_path, terms, {"x": 0.5, "y": 0.25}, f"big-{layout}", layout)
        open_page(browser, page)
        count = len(browser.find_elements(By.CSS_SELECTOR, "g.node"))
        assert count >= 200
        assert_renders_within_2_s(browser, f"{count} nodes (layout by dot: {layout})")
        assert_quiet(browser, page)


def test_the_network_page_in_one_expression(browser: Any, tmp_path: Path) -> None:
    # The "Programs" issue's two-neuron network, written as one expression (programs of named
    # statements have not landed yet).
    network = ("((v1*relu(w11*x1 + w12*x2 + b1) + v2*relu(w21*x1 + w22*x2 + b2) + c) - y)**2"
               " / 2")
    at = {"w11": 0.5, "w12": -0.3, "b1": 0.1, "w21": 0.2, "w22": 0.4, "b2": -0.1, "x1": 1,
          "x2": 2, "v1": 1.5, "v2": -0.7, "c": 0.05, "y": 1}
    page = page_file(tmp_path, network, at, "network")
    open_page(browser, page)
    assert len(browser.find_elements(By.CSS_SELECTOR, "g.node")) > 20
    assert_renders_within_2_s(browser, "the network")
    expected = exprdiff.grad(network, at).gradient["w11"]
    Select(browser.find_element(By.CSS_SELECTOR, "select.variable")).select_by_value("w11")
    total = browser.find_element(By.CSS_SELECTOR, ".path-sum").text
    assert total.endswith(f"= ∂f/∂w11 = {exprdiff.render.numbers.fmt(expected)}")
    browser.find_element(By.CSS_SELECTOR, "button.all").click()
    assert len(filled(browser)) == len(browser.execute_script(
        "return document.querySelector('section.explainer').explainer.data.sweep"))
    assert_quiet(browser, page)


def test_print_shows_every_adjoint_without_controls(browser: Any, tmp_path: Path) -> None:
    expression, at, _, _ = SEED_001
    page = page_file(tmp_path, expression, at, "print")
    open_page(browser, page)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        browser.execute_script("window.dispatchEvent(new Event('beforeprint'))")
        assert len(filled(browser)) == 8
        assert not browser.find_element(By.CSS_SELECTOR, ".controls").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, "table.steps").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert_quiet(browser, page)
