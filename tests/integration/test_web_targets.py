"""The morning page tells the truth, in a real browser over the real pipeline: a bureau's FTP
goes down while files are dropped (red target, waiting jobs on Problems, ``prepress status``
exit 1, all within 60 s) and comes back (all clear); per-row retry, acknowledging a rejected
file, the mode switch's confirmation and the audit trail of it all. The outage's Problems page
is saved as docs/screenshots/problems.png for the README.
"""

# ruff: noqa: F811  (the browser fixture is imported by name)
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from testkit.polling import wait_until
from tests.integration.test_web_browser import (  # noqa: F401  (browser is a fixture)
    SCREENSHOTS,
    add_web_users_and_prices,
    browser,
    log_in,
    sample,
    start_web,
    wait_for,
)
from tests.pipeline_harness import Pipeline

#: The contract: a target is red, and its jobs listed as waiting, within this many seconds.
RED_WITHIN = 60.0
#: Files dropped while the bureau is down.
DROPPED = 3


def strip_text(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.ID, "health").text)


def reloaded_until(browser: Any, url: str, probe: Callable[[], Any], what: str) -> Any:
    """Load ``url`` again until ``probe`` holds (a person pressing F5), within RED_WITHIN."""

    def again() -> Any:
        browser.get(url)
        return probe()

    found = wait_until(again, RED_WITHIN, interval=1.0)
    if not found:
        wait_for(browser, probe, what)  # fails with a screenshot
    return found


def test_a_bureau_outage_is_red_waiting_and_clears_by_itself(
    start_pipeline: Callable[..., Pipeline], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    # Given the pipeline with the watcher and the dashboard, an operator logged in
    pipeline = start_pipeline(watcher=True, env={"PREPRESS_MAX_BACKOFF": "4"})
    add_web_users_and_prices(pipeline)
    url = start_web(pipeline)
    log_in(browser, url)
    assert "failing" not in strip_text(browser)

    # When Leonov's FTP stops and three files are dropped on the hotfolder
    pipeline.bureau.stop()
    samples = tmp_path / "samples"
    dropped_at = time.monotonic()
    for n in range(DROPPED):
        pipeline.drop(sample(samples, f"07{n:02d}_Outage_Leonov.pdf", "Speedmaster", "Leonov"))

    # Then within 60 s every page's health strip names the failing bureau and its jobs
    reloaded_until(
        browser,
        f"{url}/",
        lambda: f"{DROPPED} jobs waiting" in strip_text(browser),
        "the red Leonov FTP item with 3 jobs waiting",
    )
    red = browser.find_element(By.CSS_SELECTOR, "#health a.target.bad")
    assert red.text.startswith("Leonov FTP failing since") and "3 jobs waiting" in red.text
    red_after = time.monotonic() - dropped_at
    assert red_after < RED_WITHIN
    print(f"Leonov FTP red in the health strip {red_after:.1f} s after the first drop")
    # And the grid's rows say what they wait for, with the reason and the next attempt
    badges = browser.find_elements(By.CSS_SELECTOR, "#rows td.status.waiting")
    assert len(badges) == DROPPED
    assert all("waiting for Leonov FTP" in b.text and "next attempt" in b.text for b in badges)
    assert "running" not in " ".join(b.text for b in badges)
    # And a waiting job's page says what it waits for, why, and when it tries again
    first = pipeline.jobs()[-1]
    browser.get(f"{url}/jobs/{first.id}")
    assert browser.find_element(By.ID, "job-status").text == "waiting for Leonov FTP"
    wait_box = browser.find_element(By.ID, "wait-box").text
    assert "connection refused" in wait_box and "Next attempt" in wait_box
    # And Problems shows the target failing and the jobs grouped under it
    browser.get(f"{url}/problems")
    row = browser.find_element(By.CSS_SELECTOR, "tr.target[data-target='bureau:Leonov']")
    assert row.get_attribute("data-state") == "failing" and "ctp-pw" not in row.text
    group = browser.find_element(By.ID, "waiting-bureau-Leonov")
    assert "Waiting for Leonov FTP (3)" in group.text
    assert len(group.find_elements(By.CSS_SELECTOR, "tr.row.waiting")) == DROPPED
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "problems.png"))
    # And `prepress status` says not healthy, naming it
    status = pipeline.cli("status")
    assert status.exit_code == 1 and "Leonov FTP" in status.output
    assert "FAILING since" in status.output and "ctp-pw" not in status.output

    # When the bureau is back
    pipeline.bureau.start()

    # Then the jobs go through by themselves and the red item goes
    for job in pipeline.wait_for_jobs(DROPPED, timeout=90):
        assert job.status == "done", pipeline.step_summary(job.id)
    reloaded_until(
        browser,
        f"{url}/problems",
        lambda: (
            browser.find_element(
                By.CSS_SELECTOR, "tr.target[data-target='bureau:Leonov']"
            ).get_attribute("data-state")
            == "ok"
        ),
        "Leonov FTP ok again",
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "#health a.target")
    assert not browser.find_elements(By.ID, "waiting-bureau-Leonov")
    after = pipeline.cli("status")
    assert after.exit_code == 0, after.output
    assert "Leonov FTP (ftp://127.0.0.1:" in after.output and "): ok (last success" in after.output


def test_problems_per_row_retry_acknowledge_and_the_audit_page(
    start_pipeline: Callable[..., Pipeline], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    # Given a job failed at its bureau upload (it gave up at once) and a rejected file
    pipeline = start_pipeline(bureau_down=True, env={"PREPRESS_GIVE_UP_AFTER": "0"})
    samples = tmp_path / "samples"
    failed = pipeline.submit(sample(samples, "0710_Retry_Leonov.pdf", "Speedmaster", "Leonov"))
    bad = samples / "0711_Broken_Leonov.pdf"
    bad.write_bytes(b"this is no PDF at all")
    rejected = pipeline.submit(bad)
    assert pipeline.wait_for(failed).status == "failed"
    assert pipeline.wait_for(rejected).status == "rejected"
    # And the bureau back, the dashboard up, the operator logged in on Problems
    pipeline.bureau.start()
    add_web_users_and_prices(pipeline)
    url = start_web(pipeline)
    log_in(browser, url)
    browser.get(f"{url}/problems")
    reason = browser.find_element(By.ID, f"failed-job-{failed}").text
    assert "prepress retry" not in reason and "spool/" not in reason  # plain words

    # When the operator presses Retry on the failed job's row
    browser.find_element(By.ID, f"retry-{failed}").click()

    # Then the job goes through and leaves the list
    wait_for(browser, lambda: "queued again" in browser.page_source, "the retry's message")
    assert pipeline.wait_for(failed).status == "done", pipeline.step_summary(failed)
    browser.get(f"{url}/problems")
    assert not browser.find_elements(By.ID, f"failed-job-{failed}")

    # When the operator acknowledges the rejected file with a note
    browser.find_element(By.ID, f"ack-note-{rejected}").send_keys("asked Signa for a new one")
    browser.find_element(By.ID, f"ack-{rejected}").click()

    # Then it leaves the list, and is listed as acknowledged with the note
    wait_for(browser, lambda: not browser.find_elements(By.ID, f"rejected-job-{rejected}"), "ack")
    browser.find_element(By.CSS_SELECTOR, "#resolved summary").click()
    resolved = browser.find_element(By.ID, f"acknowledged-{rejected}").text
    assert "acknowledged by oleg" in resolved and "asked Signa for a new one" in resolved

    # When the operator switches the mode, the switch asks first
    Select(browser.find_element(By.ID, "mode-select")).select_by_value("dry-run")
    browser.find_element(By.ID, "mode-apply").click()
    question = browser.switch_to.alert
    assert "dry-run" in question.text
    question.accept()
    wait_for(browser, lambda: browser.find_elements(By.ID, "mode-banner"), "the banner")

    # Then the audit page lists who did each, and filters by action
    browser.get(f"{url}/audit")
    rows = browser.find_elements(By.CSS_SELECTOR, "#audit tr.audit-row")
    actions = [row.get_attribute("data-action") for row in rows]
    assert actions == ["mode", "acknowledge", "retry"], actions
    assert all("oleg" in row.text and "web" in row.text for row in rows)
    Select(browser.find_element(By.ID, "audit-action")).select_by_value("acknowledge")
    browser.find_element(By.ID, "audit-apply").click()
    wait_for(browser, lambda: "action=acknowledge" in browser.current_url, "the filter")
    rows = browser.find_elements(By.CSS_SELECTOR, "#audit tr.audit-row")
    assert len(rows) == 1 and "asked Signa for a new one" in rows[0].text
    # And the retried job's page shows the retry and every attempt with its error
    browser.get(f"{url}/jobs/{failed}")
    assert "retry" in browser.find_element(By.ID, "job-audit").text
    attempts = browser.find_element(By.ID, "attempts").text
    assert "upload_plate" in attempts and "failed" in attempts and "done" in attempts
