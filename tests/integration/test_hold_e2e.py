"""The hold through ``prepress up`` (real Redis, FTP and SMS sinks, ``prepress web`` in a real
browser): a duplicate drop is held with nothing uploaded or texted; approved from the page it
is a remake, uploaded and texted once and counted apart (also after every process was killed
and the broker lost its data while it was held); rejected it goes to failed/ with its
error.txt; of two approvals at once exactly one continues the chain."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import requests

from models import store
from models.report import JobFilter, plate_report
from testkit.polling import wait_until
from tests.integration.test_pipeline_e2e import GOOD_REMOTE, good_pdf
from tests.integration.test_web_browser import (
    PASSWORD,
    SCREENSHOTS,
    USER,
    add_web_users_and_prices,
    browser,  # noqa: F401 - the fixture, used by name
    log_in,
    start_web,
    wait_for,
)
from tests.pipeline_harness import Pipeline

#: Seconds a held job is watched to see that nothing moves while it waits.
HELD_QUIET = 3.0
#: Seconds `prepress up`'s workers get to answer (its five processes start at once).
UP_READY = 150.0


def start_up(pipeline: Pipeline) -> None:
    """``prepress up`` without the dashboard; wait until both workers answer a ping."""
    from tasks.app import app

    pipeline._spawn("up", "up", "--no-web")

    def answered() -> bool:
        replies = app.control.ping(timeout=1.0) or []
        return {"cpu", "io"} <= {name.split("@")[0] for reply in replies for name in reply}

    assert wait_until(answered, UP_READY), f"workers did not answer:\n{pipeline.logs()}"


def drop_and_wait(pipeline: Pipeline, pdf: Path, *statuses: str) -> Any:
    """Drop ``pdf`` into the hotfolder; wait for its new job to reach one of ``statuses``."""
    before = {job.id for job in pipeline.jobs()}
    pipeline.drop(pdf)
    new = wait_until(lambda: [j for j in pipeline.jobs() if j.id not in before], 60)
    assert new, f"{pdf.name} was not taken:\n{pipeline.logs()}"
    return pipeline.wait_for(new[0].id, *statuses)


def sent(pipeline: Pipeline) -> tuple[int, int]:
    """(plate files the bureau received, SMS messages the provider got)."""
    return len(pipeline.bureau.received), len(pipeline.sms.messages)


def report(pipeline: Pipeline) -> dict[str, Any]:
    return plate_report(pipeline.config, JobFilter(), by=("outputter",)).as_dict()


def test_duplicates_are_held_approved_as_remakes_or_rejected_through_prepress_up(
    start_pipeline: Callable[..., Pipeline],
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    # Given `prepress up` and the dashboard, and a good file that went through once
    pipeline = start_pipeline(workers=False)
    add_web_users_and_prices(pipeline)
    start_up(pipeline)
    url = start_web(pipeline)
    pdf = good_pdf(tmp_path / "samples")
    first = drop_and_wait(pipeline, pdf, "done")
    texts = sent(pipeline)[1]  # one SMS per recipient of a job
    assert sent(pipeline) == (1, texts) and texts > 0 and pipeline.bureau.files() == [GOOD_REMOTE]

    # When the same file is dropped again
    second = drop_and_wait(pipeline, pdf, "held")
    # Then it is held as a duplicate naming the first job; nothing is uploaded or texted
    duplicate = next(f for f in second.findings if f["code"] == "duplicate")
    assert second.duplicate_of == first.id and duplicate["severity"] == "error"
    assert f"job {first.id}" in duplicate["message"]
    time.sleep(HELD_QUIET)
    assert sent(pipeline) == (1, texts)
    assert pipeline.job(second.id).status == "held"
    assert pipeline.steps(second.id)["upload_plate"].state == "pending"
    # And the plates are counted once
    assert report(pipeline)["totals"]["jobs"] == 1

    # When every process is killed and the broker loses its data, then `prepress up` starts
    pipeline.kill("up")
    redis.Redis.from_url(pipeline.config.broker_url).flushdb()
    start_up(pipeline)
    time.sleep(HELD_QUIET)
    # Then the job is still held, and still nothing went out
    assert pipeline.job(second.id).status == "held" and sent(pipeline) == (1, texts)

    # When the operator approves it from the job page as a remake, with a reason
    log_in(browser, url)
    assert browser.find_element(By.ID, "held-count").text == "1"
    browser.get(f"{url}/held")
    browser.find_element(By.LINK_TEXT, str(second.id)).click()
    wait_for(browser, lambda: browser.find_elements(By.ID, "approve"), "the approve button")
    assert "duplicate" in browser.find_element(By.ID, "findings").text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "held.png"))
    browser.find_element(By.ID, "approve-reason").send_keys("the customer ordered a reprint")
    Select(browser.find_element(By.ID, "approve-reason-code")).select_by_value("customer_change")
    browser.find_element(By.ID, "approve").click()
    browser.switch_to.alert.accept()
    wait_for(browser, lambda: "approved as a remake" in browser.page_source, "the approval")
    # Then the chain goes on from the plate upload: uploaded once more, texted once more
    done = pipeline.wait_for(second.id, "done")
    assert (done.decision, done.decided_by, done.remake) == ("approved", f"{USER} (web)", True)
    assert sent(pipeline) == (2, 2 * texts)
    # And the remake counts as its own job, shown apart
    counted = report(pipeline)
    assert counted["totals"]["jobs"] == 2
    assert counted["remakes"]["totals"]["jobs"] == 1 and counted["remakes"]["totals"]["plates"] == 7
    browser.get(f"{url}/reports")
    assert browser.find_elements(By.ID, "remakes")

    # When the same file comes a third time and is rejected
    third = drop_and_wait(pipeline, pdf, "held")
    answer = pipeline.cli("reject", str(third.id), "--reason", "sent by mistake", "--json")
    assert answer.exit_code == 0, answer.output
    # Then it is in failed/ with the findings and the reason, never uploaded nor counted
    failed = pipeline.work / "failed" / f"{third.id}_{pdf.name}"
    note = Path(f"{failed}.error.txt").read_text(encoding="utf-8")
    assert failed.is_file() and "sent by mistake" in note and "duplicate" in note
    assert pipeline.job(third.id).status == "rejected" and sent(pipeline) == (2, 2 * texts)
    assert report(pipeline)["totals"]["jobs"] == 2

    # When a fourth copy is approved by two people at the same moment
    fourth = drop_and_wait(pipeline, pdf, "held")
    barrier, answers = threading.Barrier(2), []

    def approve() -> None:
        barrier.wait()
        answers.append(
            requests.post(
                f"{url}/api/jobs/{fourth.id}/approve",
                json={"reason": "second press run", "reason_code": "planning"},
                auth=(USER, PASSWORD),
                timeout=30,
            ).status_code
        )

    clicks = [threading.Thread(target=approve) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    # Then one continues the chain and the other is told it was approved already
    assert sorted(answers) == [200, 409]
    assert pipeline.wait_for(fourth.id, "done").remake
    time.sleep(HELD_QUIET)
    assert sent(pipeline) == (3, 3 * texts)
    assert store.get_job(pipeline.url, first.id).status == "done"
