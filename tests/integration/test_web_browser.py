"""The dashboard in a real browser (Debian's chromium driven by selenium) over the real pipeline.

Workers, FTP and SMS sinks come from tests/pipeline_harness.py; ``prepress web`` runs as its own
process. The test logs in, sees the grid with thumbnails, filters by press, opens a job and its
proof, retries a failed job as operator and watches its row turn done without a reload, and
switches the mode. Screenshots of the grid, a job page and the reports page are saved under
docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from models import steps, store
from pipeline.config import Config
from testkit.polling import wait_until
from testkit.samples import signa_sheet, write_signa_pdf
from tests.integration.test_web import OPERATOR, shop  # noqa: F401  (shop is a fixture)
from tests.integration.test_web_security import Dashboard, serve  # noqa: F401
from tests.pipeline_harness import ROOT, Pipeline
from tests.services import free_port, require

#: Chromium and its driver as Debian installs them.
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
#: The operator who logs in, and the variable holding the password.
USER, PASSWORD, PASSWORD_ENV = "oleg", "operator-pw-2718", "PREPRESS_WEB_OLEG"
#: Where the README's screenshots go.
SCREENSHOTS = ROOT / "docs" / "screenshots"
#: A file name with everything a page must escape.
NASTY_NAME = '0615_Меню "Café & Bar" <A4>_Leonov.pdf'
#: Seconds a page element gets to appear or change.
WAIT = 30.0


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless chromium with a fresh profile."""
    require(
        os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER),
        "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
    )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1440,1000",
        "--lang=en-US",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for CSP
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def add_web_users_and_prices(pipeline: Pipeline) -> None:
    """An operator for the dashboard and plate prices, added to the pipeline's prepress.toml."""
    text = pipeline.config_path.read_text(encoding="utf-8")
    text = text.replace("[presses.Speedmaster]\n", "[presses.Speedmaster]\nplate_cost = 95.0\n")
    text = text.replace("[presses.Planeta]\n", "[presses.Planeta]\nplate_cost = 88.0\n")
    text += f'\n[web.users.{USER}]\nrole = "operator"\npassword_env = "{PASSWORD_ENV}"\n'
    pipeline.config_path.write_text(text, encoding="utf-8")
    pipeline.env[PASSWORD_ENV] = PASSWORD
    os.environ[PASSWORD_ENV] = PASSWORD  # this process reads the configuration too


def start_web(pipeline: Pipeline) -> str:
    """``prepress web`` on a free port; return its URL once it answers /healthz."""
    port = free_port()
    pipeline._spawn("web", "web", "--port", str(port))
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(f"{url}/healthz", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    if not wait_until(healthy, WAIT):
        pytest.fail(f"prepress web did not answer within {WAIT:.0f} s:\n{pipeline.logs()}")
    return url


def sample(folder: Path, name: str, press: str, outputter: str, **sheet: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    two = ("Cyan", "Magenta", "PANTONE Warm Red C")
    sheets = [
        signa_sheet(press, outputter, **sheet),
        signa_sheet(press, outputter, colorants=two, **sheet),
    ]
    return write_signa_pdf(folder / name, sheets)


def seed_history(pipeline: Pipeline) -> None:
    """A year of recorded jobs (no files), so the reports page has months to show."""
    url, year, rng = pipeline.url, datetime.now().year, random.Random(11)
    presses = [
        ("Speedmaster", "Leonov"),
        ("Planeta", "Korol"),
        ("Dominant", "Leonov"),
        ("Speedmaster", "Vonoel"),
        ("Speedmaster", "Admin"),
    ]
    for month in range(1, datetime.now().month):
        for index in range(rng.randint(3, 7)):
            press, outputter = rng.choice(presses)
            when = datetime(year, month, rng.randint(1, 28), 9 + index, tzinfo=UTC)
            job = store.create_job(
                url, f"{month:02d}{index}_History_{outputter}.pdf", mode="import", job_date=when
            )
            assert job.id is not None
            store.update_job(
                url,
                job.id,
                status="done",
                step="persist",
                press=press,
                outputter=outputter,
                plates=rng.choice([4, 6, 8, 10, 16]),
                order=f"{month:02d}{index}",
                pages=2,
                finished_at=when,
            )
            for step in ("upload_plate", "upload_preview", "notify_sms"):
                steps.finish_step(url, job.id, step, "skipped", note="import mode")


def log_in(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{url}/")
    assert "/login" in browser.current_url
    browser.find_element(By.ID, "username").send_keys(USER)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    wait_for(browser, lambda: browser.find_elements(By.ID, "grid"), "the grid after login")


def wait_for(browser: Any, probe: Callable[[], Any], what: str) -> Any:
    """``probe`` until true; an element the page's polling replaced meanwhile is asked again."""
    from selenium.common.exceptions import StaleElementReferenceException

    def fresh() -> Any:
        try:
            return probe()
        except StaleElementReferenceException:
            return False

    found = wait_until(fresh, WAIT, interval=0.25)
    if not found:
        browser.save_screenshot(
            str(Path(tempfile.gettempdir()) / "prepress-browser-test-failed.png")
        )
        pytest.fail(f"{what} did not show within {WAIT:.0f} s (page: {browser.current_url})")
    return found


def loaded(browser: Any, image: Any) -> bool:
    return bool(
        browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", image
        )
    )


def test_the_dashboard_in_a_browser(
    start_pipeline: Callable[..., Pipeline], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    # Given a pipeline whose bureau is down: the first job fails at upload_plate
    pipeline = start_pipeline(bureau_down=True, env={"PREPRESS_GIVE_UP_AFTER": "0"})
    samples = tmp_path / "samples"
    failed = pipeline.submit(
        sample(samples, "0612_Vesna_Poster_Leonov.pdf", "Speedmaster", "Leonov")
    )
    assert pipeline.wait_for(failed).status == "failed"
    # And, with the bureau back, three good jobs on three presses, and a year of history
    pipeline.bureau.start()
    done = [
        pipeline.submit(
            sample(samples, "0613_Technoyug_Flier_Leonov.pdf", "Speedmaster", "Leonov")
        ),
        pipeline.submit(
            sample(
                samples, "0614_Kvitka_Catalog_Korol.pdf", "Planeta", "Korol", plate_mm=(1010, 820)
            )
        ),
        pipeline.submit(
            sample(
                samples,
                NASTY_NAME,
                "Dominant",
                "Leonov",
                plate_mm=(650, 550),
                paper_mm=(600, 450),
                gripper_mm=8,
            )
        ),
    ]
    for job_id in done:
        assert pipeline.wait_for(job_id).status == "done", pipeline.step_summary(job_id)
    seed_history(pipeline)
    add_web_users_and_prices(pipeline)
    url = start_web(pipeline)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # When the operator logs in, the grid shows the jobs with their thumbnails on hover
    log_in(browser, url)
    flier = browser.find_element(By.CSS_SELECTOR, f"#job-{done[0]} a.thumb")
    ActionChains(browser).move_to_element(flier).perform()
    thumb = flier.find_element(By.CSS_SELECTOR, "img.pop")
    wait_for(browser, lambda: thumb.is_displayed() and loaded(browser, thumb), "the thumbnail")
    row = browser.find_element(By.ID, f"job-{done[2]}")
    assert NASTY_NAME in row.text  # shown as text, not markup
    assert "bureau-failed" in browser.find_element(By.ID, f"job-{failed}").get_attribute("class")
    wait_for(
        browser,
        lambda: "broker up" in browser.find_element(By.ID, "health").text,
        "the health strip",
    )
    browser.save_screenshot(str(SCREENSHOTS / "grid.png"))

    # When the grid is filtered by press, only that press's jobs are left
    Select(browser.find_element(By.ID, "filter-press")).select_by_visible_text("Planeta")
    browser.find_element(By.ID, "apply-filters").click()
    wait_for(browser, lambda: "press=Planeta" in browser.current_url, "the filtered grid")
    rows = browser.find_elements(By.CSS_SELECTOR, "#rows tr.row")
    assert rows and all(
        r.find_element(By.CSS_SELECTOR, 'td[data-label="Press"]').text == "Planeta" for r in rows
    )
    assert not browser.find_elements(By.ID, f"job-{done[0]}")

    # When a job is opened, its proof is shown, large
    browser.get(f"{url}/jobs/{done[0]}")
    proof = browser.find_element(By.ID, "proof")
    wait_for(browser, lambda: loaded(browser, proof), "the proof")
    assert browser.execute_script("return arguments[0].naturalWidth", proof) >= 1000
    assert "upload_plate" in browser.find_element(By.ID, "steps").text
    browser.save_screenshot(str(SCREENSHOTS / "job.png"))

    # When the operator retries the failed job (and confirms), its row turns done by itself
    browser.get(f"{url}/jobs/{failed}")
    browser.find_element(By.ID, "retry").click()
    browser.switch_to.alert.accept()
    wait_for(browser, lambda: "queued again" in browser.page_source, "the retry's message")
    browser.get(f"{url}/")
    wait_for(
        browser,
        lambda: browser.find_element(By.ID, f"job-{failed}").get_attribute("data-status") == "done",
        "the retried job turning done",
    )
    assert pipeline.job(failed).status == "done"

    # When the operator switches to dry-run, every page shows the banner
    Select(browser.find_element(By.ID, "mode-select")).select_by_value("dry-run")
    browser.find_element(By.ID, "mode-apply").click()
    browser.switch_to.alert.accept()
    banner = wait_for(browser, lambda: browser.find_elements(By.ID, "mode-banner"), "the banner")
    assert "DRY-RUN" in banner[0].text and store.get_mode(pipeline.url) == "dry-run"
    browser.get(f"{url}/reports")
    assert "DRY-RUN" in browser.find_element(By.ID, "mode-banner").text
    Select(browser.find_element(By.ID, "mode-select")).select_by_value("normal")
    browser.find_element(By.ID, "mode-apply").click()
    browser.switch_to.alert.accept()
    wait_for(browser, lambda: not browser.find_elements(By.ID, "mode-banner"), "normal mode")

    # And the reports page draws the year's plates
    assert int(browser.find_element(By.ID, "year-plates").text) > 0
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
    wait_for(
        browser,
        lambda: "broker up" in browser.find_element(By.ID, "health").text,
        "the health strip",
    )
    browser.save_screenshot(str(SCREENSHOTS / "reports.png"))


# --- the dashboard's own policy, and a page of another site ----------------------------------


def csp_complaints(browser: Any) -> list[str]:
    """Console messages of the pages seen since the last call that speak of the policy."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


def test_pages_run_under_the_policy_without_a_violation(
    browser: Any,
    serve: Callable[..., Dashboard],  # noqa: F811
) -> None:
    from selenium.webdriver.common.by import By

    # Given the dashboard and an operator logged in
    url = serve().url
    browser.get(f"{url}/login")
    browser.find_element(By.ID, "username").send_keys(OPERATOR[0])
    browser.find_element(By.ID, "password").send_keys(OPERATOR[1])
    browser.find_element(By.ID, "login").click()
    wait_for(browser, lambda: browser.find_elements(By.ID, "grid"), "the grid after login")

    # When the main pages are opened, their scripts (htmx) still work under the policy
    for path in ("/", "/jobs/1", "/jobs/4", "/problems", "/reports", "/print"):
        browser.get(f"{url}{path}")
        if path != "/print":
            wait_for(
                browser,
                lambda: "checking" not in browser.find_element(By.ID, "health").text,
                f"the health strip on {path}",
            )
    # And a confirmation still comes from the dashboard's own script (and can be declined)
    browser.get(f"{url}/jobs/4")
    browser.find_element(By.ID, "retry").click()
    assert "Retry job 4" in browser.switch_to.alert.text
    browser.switch_to.alert.dismiss()

    # Then the console holds no complaint about the policy
    assert csp_complaints(browser) == []
    # And an inline script slipped into a page does not run (the policy is in force)
    assert browser.execute_script("return typeof htmx") == "object"
    ran = browser.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.slipped = 1';"
        "document.head.appendChild(s); return window.slipped === 1"
    )
    assert ran is False and csp_complaints(browser)


#: A page of another site that sends a reprocess to the dashboard as soon as it is opened.
FORGED_PAGE = """<!doctype html><html><body>
<form id="forged" method="post" action="{target}"><input name="x" value="1"></form>
<script>document.getElementById("forged").submit();</script>
</body></html>"""


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Serve a page from another origin (localhost on its own port); give its URL."""
    import http.server
    import threading
    from functools import partial

    root = tmp_path / "other-site"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def page(html: str) -> str:
        (root / "page.html").write_text(html, encoding="utf-8")
        return f"http://localhost:{server.server_address[1]}/page.html"

    yield page
    server.shutdown()
    server.server_close()


def test_a_form_on_another_site_cannot_reprocess_a_job(
    browser: Any,
    serve: Callable[..., Dashboard],  # noqa: F811
    shop: Config,  # noqa: F811
    other_site: Callable[[str], str],
) -> None:
    # Given the dashboard without users (--insecure-local) and a job whose original is kept
    original = Path(shop.paths.done) / "0537_Technoyug_Flier_Leonov.pdf"
    original.write_bytes(b"%PDF-1.4 kept original")
    store.update_job(shop.database_url, 1, archive_path=shop.paths.relative(original))
    url = serve(open_local=True).url
    before = store.get_mode(shop.database_url), requests.get(f"{url}/api/jobs", timeout=10)

    # When the browser opens a page of another site that posts a reprocess to the dashboard
    browser.get(other_site(FORGED_PAGE.format(target=f"{url}/api/jobs/1/reprocess")))
    wait_for(browser, lambda: url in browser.current_url, "the forged form's answer")

    # Then the dashboard refused it and no job was added (no SMS is sent again)
    assert "another site" in browser.find_element("tag name", "body").text
    after = requests.get(f"{url}/api/jobs", timeout=10).json()["total"]
    assert after == before[1].json()["total"] == 6


def test_another_site_cannot_show_the_dashboard_in_a_frame(
    browser: Any,
    serve: Callable[..., Dashboard],  # noqa: F811
    other_site: Callable[[str], str],
) -> None:
    # Given the dashboard and a page of another site that frames its login form (clickjacking)
    url = serve().url
    framing = f'<!doctype html><iframe id="victim" src="{url}/login"></iframe>'

    # When the browser opens that page
    browser.get(other_site(framing))
    wait_for(
        browser,
        lambda: any("frame-ancestors" in m for m in csp_complaints(browser)),
        "the browser's refusal to frame the dashboard",
    )

    # Then the frame stays empty: no login form of the dashboard inside it
    browser.switch_to.frame(browser.find_element("id", "victim"))
    assert not browser.find_elements("id", "username")
