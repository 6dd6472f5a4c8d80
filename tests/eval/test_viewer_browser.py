"""The viewer in a real headless browser (Chromium through its WebDriver), opened from disk: the
page loads without console errors, the filters change what is shown, an episode opens with its
phases, calls, results, notes and verdict reasons, and text that looks like markup stays text.

Set TOOLMASTER_VIEWER_SCREENSHOTS to a folder to save the screenshots of docs/viewer.md there
(viewer.png, viewer-episode.png).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait
from toolmaster.core import Store
from toolmaster.eval import build_site, write_site

from tests.eval.viewer_store import MARKUP, make_store

pytestmark = pytest.mark.e2e

BROWSER = next(
    (found for name in ("chromium", "chromium-browser", "google-chrome")
     if (found := shutil.which(name))),
    None,
)  # fmt: skip
DRIVER = shutil.which("chromedriver")
WAIT_S = 20


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("viewer")
    with Store(make_store(folder / "sessions.db")) as store:
        return write_site(build_site(store), folder / "site")


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if BROWSER is None or DRIVER is None:
        pytest.skip("needs Chromium and chromedriver on PATH (apt-get install chromium "
                    "chromium-driver)")  # fmt: skip
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1360,900",
                     "--force-device-scale-factor=1", "--hide-scrollbars"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: WebDriver, condition: Callable[[WebDriver], Any]) -> Any:
    wait = WebDriverWait(driver, WAIT_S, ignored_exceptions=[StaleElementReferenceException])
    return wait.until(condition)


def _rows(driver: WebDriver) -> list[list[str]]:
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in driver.find_elements(By.CSS_SELECTOR, "#episodes-table tbody tr")
    ]


def _errors(driver: WebDriver) -> list[dict[str, Any]]:
    """The page's console messages that are warnings or errors."""
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def _screenshot(driver: WebDriver, name: str, scroll_to: str | None = None) -> None:
    """Save a screenshot, taller than the window, where TOOLMASTER_VIEWER_SCREENSHOTS asks."""
    folder = os.environ.get("TOOLMASTER_VIEWER_SCREENSHOTS")
    if not folder:
        return
    size = driver.get_window_size()
    driver.set_window_size(size["width"], 1300)
    if scroll_to is not None:
        element = driver.find_element(By.CSS_SELECTOR, scroll_to)
        driver.execute_script("arguments[0].scrollIntoView(); window.scrollBy(0, -110);", element)
    driver.save_screenshot(str(Path(folder) / name))
    driver.execute_script("window.scrollTo(0, 0);")
    driver.set_window_size(size["width"], size["height"])


def test_the_page_loads_filters_and_opens_an_episode(browser: WebDriver, site: Path) -> None:
    driver = browser
    driver.get(site.as_uri())
    _wait(driver, lambda d: len(_rows(d)) == 17)
    assert driver.find_element(By.ID, "episode-count").text == "(17 of 17)"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")) == 8
    assert not driver.find_element(By.ID, "comparison-part").get_attribute("hidden")
    _screenshot(driver, "viewer.png")

    Select(driver.find_element(By.ID, "filter-mode")).select_by_value("direct")
    _wait(driver, lambda d: len(_rows(d)) == 9)
    assert {row[4] for row in _rows(driver)} == {"direct"}
    assert "mode=direct" in driver.current_url
    Select(driver.find_element(By.ID, "filter-verdict")).select_by_value("failed")
    _wait(driver, lambda d: len(_rows(d)) == 2)
    assert {(row[3], row[6]) for row in _rows(driver)} == {("guess", "failed")}
    Select(driver.find_element(By.ID, "filter-run")).select_by_value("base")
    _wait(driver, lambda d: d.find_element(By.ID, "episode-count").text == "(0 of 17)")
    results = driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")
    assert [r.find_element(By.TAG_NAME, "td").text for r in results] == ["base", "base"]

    driver.find_element(By.ID, "reset").click()
    _wait(driver, lambda d: len(_rows(d)) == 17)
    Select(driver.find_element(By.ID, "filter-mode")).select_by_value("trial")
    _wait(driver, lambda d: len(_rows(d)) == 8)
    first = driver.find_element(By.CSS_SELECTOR, "#episodes-table tbody tr a")
    task = first.text
    first.click()
    page = _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#episode .phase") and
                 d.find_element(By.ID, "episode"))  # fmt: skip
    assert driver.find_element(By.ID, "overview").get_attribute("hidden")
    assert page.find_element(By.TAG_NAME, "h2").text.startswith(f"{task} passed trial · base")
    phases = [h.text for h in page.find_elements(By.CSS_SELECTOR, ".phase h4")]
    assert phases == ["prompt", "trial phase", "execute phase"]
    assert page.find_elements(By.CSS_SELECTOR, ".step.call")
    assert page.find_elements(By.CSS_SELECTOR, ".step.result.is-error")
    assert page.find_element(By.CSS_SELECTOR, "pre.notes").text
    assert page.find_elements(By.CSS_SELECTOR, ".reasons li")
    _screenshot(driver, "viewer-episode.png", scroll_to="pre.notes")

    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    _wait(driver, lambda d: not d.find_element(By.ID, "overview").get_attribute("hidden"))
    assert len(_rows(driver)) == 8  # the filters are kept
    assert _errors(driver) == []


def test_text_that_looks_like_markup_stays_text(browser: WebDriver, site: Path) -> None:
    driver = browser
    driver.get(site.as_uri() + "#q=session")
    _wait(driver, lambda d: len(_rows(d)) == 1)
    driver.find_element(By.CSS_SELECTOR, "#episodes-table tbody tr a").click()
    _wait(
        driver, lambda d: d.find_element(By.CSS_SELECTOR, "#episode h2").text.startswith("session")
    )
    assert driver.find_element(By.CSS_SELECTOR, "#episode pre").text == MARKUP
    assert driver.find_elements(By.CSS_SELECTOR, "#episode img") == []
    assert "bold?" not in [b.text for b in driver.find_elements(By.CSS_SELECTOR, "#episode b")]
    assert driver.title == "ToolMaster viewer"
    assert _errors(driver) == []
