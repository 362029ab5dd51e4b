"""Taken by the bureau: beat's round per bureau with ``taken_poll_minutes`` set (tasks/app.py),
on the io queue (Celery's default: io workers reach the bureaus).

A round lists the folders of the bureau's recent plate uploads not known to be taken (at most
``POLL_JOBS``, at most ``POLL_DAYS`` old) over one connection with a timeout, marks the jobs
whose plate file is gone as taken at the round's time, and tells the staff once (kind
``untaken``, pipeline/alerts.py) about plate files lying there longer than
``taken_alert_hours``. A listing that fails is the bureau target's failure (tasks/targets.py:
``prepress status``, the dashboard and the watchdog's target alert show it), logged once per
round, and the next round tries again; nothing is decided about its jobs meanwhile.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import Any

from models import taken as records
from models.job import utcnow
from pipeline import delivery
from pipeline import taken as rules
from pipeline import targets as named
from pipeline.alerts import Notifier
from pipeline.config import Config
from pipeline.errors import mask_secrets
from tasks import targets
from tasks.app import app, get_config

log = logging.getLogger(__name__)

#: The Celery task of a round.
TASK = "tasks.poll_taken"


@app.task(name=TASK)
def poll_taken(bureau: str) -> dict[str, Any]:
    """One round for ``bureau`` (its name only: the URL and password come from the
    configuration)."""
    return run_round(get_config(), bureau)


def run_round(config: Config, bureau: str, now: datetime | None = None) -> dict[str, Any]:
    """List the bureau's upload folders once, record what was taken, tell about the late ones.

    Returns counts (``taken``, ``waiting``, ``alerted``) and the ``error`` of a failed listing.
    """
    outputter = config.outputters.get(bureau)
    answer: dict[str, Any] = {"bureau": bureau, "taken": 0, "waiting": 0, "alerted": 0}
    if outputter is None or not outputter.url or not outputter.taken_poll_minutes:
        answer["error"] = "not polled (no url or taken_poll_minutes)"
        return answer
    now = now or utcnow()
    since = now - timedelta(days=rules.POLL_DAYS)
    sent = records.untaken(config.database_url, bureau, since, rules.POLL_JOBS)
    if not sent:
        return answer
    ref = named.bureau(config, bureau)
    try:
        listed = delivery.listings(outputter.url, rules.folders(sent), active=outputter.active)
    except targets.TARGET_FAULTS as exc:
        targets.record(config, ref, exc)
        message = mask_secrets(str(exc) or type(exc).__name__, config.secrets())
        log.warning("taken by %s: not looked at this round: %s", bureau, message)
        answer["error"] = message
        return answer
    targets.record(config, ref)
    found = rules.decide(sent, listed, now, outputter.taken_alert_hours)
    answer["taken"] = records.mark_taken(config.database_url, [s.job_id for s in found.taken], now)
    for item in found.taken:
        log.info("taken by %s: %s (job %d)", bureau, item.remote_path, item.job_id)
    answer["waiting"] = len(found.waiting) + len(found.late)
    answer["alerted"] = _tell(config, bureau, found.late, outputter.taken_alert_hours, now)
    return answer


def _tell(config: Config, bureau: str, late: list[rules.Sent], hours: float, now: datetime) -> int:
    """One alert for the late plate files nobody was told about; the jobs told."""
    claimed = set(records.claim_alert(config.database_url, [s.job_id for s in late], now))
    late = [s for s in late if s.job_id in claimed]
    if not late:
        return 0
    notifier = Notifier(config, functools.partial(targets.record_channel, config))
    alert = rules.alert(bureau, late, hours)
    reached, addresses = notifier.tell(rules.ALERT_KIND, alert, rules.reference(bureau, late))
    if addresses and not reached:  # nobody heard it: the next round tells again
        records.release_alert(config.database_url, [s.job_id for s in late])
        return 0
    return len(late)
