"""Reports → Invoices in a real browser: a viewer finds the imported invoice from the reports
page and sees one line of each status, differences first, under the page's security policy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Config
from pipeline.invoice.matching import STATUSES
from tests.integration.test_invoice import (  # noqa: F401  (shop is a fixture)
    VIEWER,
    imported,
    invoice_file,
    sent_jobs,
    shop,
)
from tests.integration.test_web_browser import browser, csp_complaints, wait_for  # noqa: F401
from tests.integration.test_web_security import Dashboard


@pytest.fixture
def dashboard(shop: Config) -> Iterator[Dashboard]:  # noqa: F811
    from tasks.app import use_config

    served = Dashboard(shop)
    yield served
    served.close()
    use_config(None)


def test_a_viewer_sees_every_status_of_the_invoice(
    browser: Any,  # noqa: F811
    dashboard: Dashboard,
    shop: Config,  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    # Given November's jobs and the bureau's invoice imported
    sent_jobs(shop)
    answer = imported(shop, invoice_file(tmp_path))
    # When a viewer logs in and goes Reports → Invoices → the invoice
    browser.get(f"{dashboard.url}/login")
    browser.find_element(By.ID, "username").send_keys(VIEWER[0])
    browser.find_element(By.ID, "password").send_keys(VIEWER[1])
    browser.find_element(By.ID, "login").click()
    wait_for(browser, lambda: browser.find_elements(By.ID, "grid"), "the grid after login")
    browser.get(f"{dashboard.url}/reports?year=2026")
    browser.find_element(By.ID, "invoices-link").click()
    wait_for(browser, lambda: browser.find_elements(By.ID, "invoices"), "the invoices list")
    browser.find_element(By.LINK_TEXT, str(answer["id"])).click()
    wait_for(browser, lambda: browser.find_elements(By.ID, "invoice-lines"), "the invoice")
    # Then each status shows once, the differences before the matched line
    rows = browser.find_elements(By.CSS_SELECTOR, "#invoice-lines tr.invoice-line")
    shown = [row.get_attribute("data-status") for row in rows]
    assert Counter(shown) == Counter(STATUSES) and shown[-1] == "matched"
    badges = browser.find_element(By.ID, "invoice-counts").text
    assert all(f"{status} 1" in badges for status in STATUSES)
    assert browser.find_element(By.ID, "total-difference").text.startswith("681.00")
    # And the page ran under the dashboard's policy without a complaint
    assert csp_complaints(browser) == []
