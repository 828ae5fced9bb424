"""A real headless Chromium driven by selenium, for the dashboard's browser tests.

Imported by name (``from browser import ...``). Chromium and its driver come from Debian's
``chromium`` and ``chromium-driver`` packages (installed by .ci/install-clients); without them
the tests skip naming those packages, except under CI=true, where their absence fails.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: The demo data's last day in the dashboard tests: today, as ``bbsql dashboard --demo`` has it, so
#: the dashboard's ranges (ending today) cover the demo's freshest days.
DEMO_ANCHOR = dt.datetime.now(dt.UTC).date()
BROWSER_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)


def _absent(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: it must be installed)")
    pytest.skip(message)


def _find(names: tuple[str, ...]) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


def require_dash() -> None:
    """Skip the module naming the extra when Dash is absent (a failure under CI=true)."""
    try:
        import dash  # noqa: F401
    except ImportError:
        _absent("the dashboard needs Dash: pip install -e '.[dashboard]'")


def start_chromium(download_dir: Path, width: int = 1400, height: int = 1000) -> Any:
    """A headless Chromium with its console log readable and downloads going to ``download_dir``."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _absent("selenium is not installed: pip install -e '.[test]'")
    browser, driver = _find(BROWSER_NAMES), _find(DRIVER_NAMES)
    if browser is None or driver is None:
        _absent("the browser tests need Chromium and its driver: apt-get install chromium chromium-driver")
    options = Options()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(download_dir),
        "download.prompt_for_download": False,
    })
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_for(condition: Callable[[], Any], timeout: float = 60.0, what: str = "the page") -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception as error:  # noqa: BLE001 - the page may still be rendering
            last_error = error
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}" + (f": {last_error}" if last_error else ""))


def chart_data(driver: Any, chart_id: str) -> list[dict[str, Any]]:
    """The traces plotly drew in a chart (x, y, customdata, name of each)."""
    script = (
        "const plot = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "if (!plot || !plot.data) return null;"
        "return JSON.stringify(plot.data.map(t => ({name: t.name, x: t.x, y: t.y, customdata: t.customdata})));"
    )
    text = driver.execute_script(script, f"#{chart_id}")
    return json.loads(text) if text else []


def chart_annotations(driver: Any, chart_id: str) -> list[str]:
    script = (
        "const plot = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return JSON.stringify(((plot && plot.layout && plot.layout.annotations) || []).map(a => a.text));"
    )
    return json.loads(driver.execute_script(script, f"#{chart_id}") or "[]")


def severe_console_entries(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
