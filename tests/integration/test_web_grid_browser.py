"""The grid in a real browser: the phone width (390 x 844) reads as cards with a header that
fits, a search typed in capitals finds Cyrillic names in any case, and the totals change with
the rows without a reload. Screenshots go to docs/screenshots/ for the README."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from pipeline.config import Config
from tests.integration.test_web import OPERATOR, add_job
from tests.integration.test_web_browser import SCREENSHOTS, browser, wait_for  # noqa: F401
from tests.integration.test_web_grid import CYRILLIC, shop  # noqa: F401


@pytest.fixture
def dashboard(shop: Config) -> Iterator[str]:  # noqa: F811
    """The dashboard served on a free loopback port by a thread of this process."""
    from tasks.app import use_config
    from web.app import create_app

    server = make_server("127.0.0.1", 0, create_app(shop), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    use_config(None)


def log_in(browser: Any, url: str) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(f"{url}/login")
    browser.find_element(By.ID, "username").send_keys(OPERATOR[0])
    browser.find_element(By.ID, "password").send_keys(OPERATOR[1])
    browser.find_element(By.ID, "login").click()
    wait_for(browser, lambda: browser.find_elements(By.ID, "grid"), "the grid after login")


def test_phone_width_search_and_live_totals(browser: Any, dashboard: str, shop: Config) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    # Given the operator on a phone
    browser.set_window_size(390, 844)
    log_in(browser, dashboard)
    # Then nothing is wider than the screen, the grid rows are cards, the header fits
    width = browser.execute_script("return document.documentElement.scrollWidth")
    inner = browser.execute_script("return window.innerWidth")
    assert width <= inner, f"the page is {width} px wide on a {inner} px screen"
    # (read in one script: the polled rows may be replaced between two driver calls)
    display, header = browser.execute_script(
        "return [getComputedStyle(document.querySelector('#rows tr.row')).display,"
        " document.querySelector('header.top').getBoundingClientRect().width]"
    )
    assert display == "block"
    assert header <= inner
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "grid-phone.png"))

    # When a word is typed in capitals into the search
    browser.set_window_size(1366, 768)
    box = browser.find_element(By.ID, "filter-q")
    box.clear()
    box.send_keys("КАТАЛОГ")
    browser.find_element(By.ID, "apply-filters").click()
    wait_for(browser, lambda: "q=" in browser.current_url, "the searched grid")
    # Then every spelling of it is listed, and nothing else
    names = browser.execute_script(
        "return [...document.querySelectorAll('#rows tr.row td.file')].map(c => c.innerText)"
    )
    assert len(names) == 3 and all(n.lower().count("каталог") for n in names)

    # When a job is done while the grid is open (a running job keeps the grid polling)
    browser.get(dashboard + "/")
    before = browser.find_element(By.ID, "totals").text
    add_job(shop, "0609_Live_Leonov.pdf", status="running", press="Planeta", outputter="Leonov")
    add_job(shop, "0610_Live_Leonov.pdf", press="Planeta", outputter="Leonov", plates=9)
    # Then the count and the totals change without a reload
    wait_for(
        browser,
        lambda: browser.find_element(By.ID, "total").text == "8",
        "the count to follow the rows",
    )
    wait_for(
        browser,
        lambda: browser.find_element(By.ID, "totals").text != before,
        "the totals to follow the rows",
    )
    assert "34" in browser.find_element(By.ID, "totals").text  # 25 + 9 plates
    browser.save_screenshot(str(SCREENSHOTS / "grid.png"))
