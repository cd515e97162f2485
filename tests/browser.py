"""Headless Chromium (Debian's `chromium` and `chromium-driver`, installed by tests/browser/install.sh)
driven by Selenium: open a page from disk, wait for Bokeh's first render, read the console and
every URL the page requested. Used by tests/test_explorer.py and benchmarks/bench_explorer.py."""

import contextlib
import json
import os
import shutil
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser")
INSTALL = "tests/browser/install.sh (run by .ci/run; root and apt needed)"


def chromium() -> str | None:
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def missing() -> str | None:
    """Why no browser test can run here, or None when Chromium, its driver and Selenium are there."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if chromium() is None:
        return f"no chromium on PATH: install Debian's chromium with {INSTALL}"
    if shutil.which("chromedriver") is None:
        return f"no chromedriver on PATH: install Debian's chromium-driver with {INSTALL}"
    return None


@contextlib.contextmanager
def browser(width: int = 1280, height: int = 1400):
    """A headless Chromium (Selenium WebDriver) that logs the console and the network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium()
    for argument in ("--headless=new", f"--window-size={width},{height}", "--disable-dev-shm-usage",
                     "--hide-scrollbars", "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run its sandbox as root
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, path, timeout_s: float = 120.0) -> float:
    """Open `path` from disk and wait for Bokeh's document to be rendered (the explorer sets
    window.explorer_rendered_ms on Bokeh's document_ready event); return that time in ms since
    the navigation started."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_page_load_timeout(timeout_s)
    driver.get(Path(path).resolve().as_uri())
    WebDriverWait(driver, timeout_s, poll_frequency=0.05).until(
        lambda d: d.execute_script("return window.explorer_rendered_ms !== undefined")
    )
    return float(driver.execute_script("return window.explorer_rendered_ms"))


def console_errors(driver) -> list[str]:
    """Console messages of level SEVERE (errors, failed loads) since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def requested_urls(driver) -> list[str]:
    """Every URL the page asked for since the last call (Chrome's network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def model(driver, name: str, attribute: str):
    """An attribute of the Bokeh model named `name` on the page, as JSON-able data."""
    script = "const m = Bokeh.documents[0].get_model_by_name(arguments[0]); return m[arguments[1]];"
    return driver.execute_script(script, name, attribute)


def source_column(driver, name: str, column: str) -> list:
    """Column `column` of the ColumnDataSource named `name`, as a list."""
    script = "const s = Bokeh.documents[0].get_model_by_name(arguments[0]); return Array.from(s.data[arguments[1]]);"
    return driver.execute_script(script, name, column)


def set_value(driver, name: str, value) -> None:
    """Set the `value` of the widget named `name`, as choosing it in the widget does."""
    driver.execute_script("Bokeh.documents[0].get_model_by_name(arguments[0]).value = arguments[1];", name, value)
