"""The watchdog: checks, every ``[alerts] check_seconds``, what a person must be told about,
and tells them once per incident (and again when it is over).

Where it runs: ``prepress watchdog``, a child of the supervisor (``prepress up``) beside the
workers, the watcher and beat; not a Celery task, because one thing it watches is the broker
itself (a beat task cannot report that the broker is down), and not inside a worker, which
stops consuming when the broker goes. It needs only the database and the network.

Checks (kinds as in ``[staff.NAME] notify``):

- ``rejected`` / ``failed``: jobs that ended so since the last round; one message per kind
  and round lists the files and reasons (a storm of rejections is one message, not fifty).
- ``held``: jobs held before the plate upload (tasks/hold.py), once when held and once more
  when held longer than ``held_after`` hours.
- ``target``: a bureau, press, SMS or Telegram target failing for more than
  ``target_minutes`` (the record the steps keep, tasks/targets.py: failing from its first
  failed attempt), with the jobs waiting on it; "back" at its next success. Bureau and press
  targets nothing used for a few minutes are probed first (connect and log in, nothing
  uploaded), so an outage shows before the next job and ends without one.
- ``broker``: the broker unreachable for ``broker_minutes``; ``workers``: no worker answers
  on the cpu, io or (with a backup host) ops queue for ``workers_minutes``.
- ``backup``: the last backup failed, or none succeeded for ``backup_hours`` (backup host set).
- ``disk``: the work folder's disk has less than ``disk_free_gb`` free.

Each condition is an incident key in the database (models/incidents.py): an alert goes out only
when the key is opened, the recovery only when it is resolved, so restarts and rounds never
repeat one. When nobody could be reached the incident is forgotten and tried next round.
"""

from __future__ import annotations

import functools
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError

from models import hold, incidents
from models.job import FAILED, Job, aware, utcnow
from pipeline.alerts import Alert, Notifier, cut_words
from pipeline.config import Config
from pipeline.errors import mask_secrets
from tasks import probes, targets

log = logging.getLogger(__name__)

#: Seconds the broker and the workers get to answer one check.
PROBE_TIMEOUT = 3.0
#: Setting: jobs up to this id were there before alerts started (never reported).
JOBS_AFTER = "alerts.jobs_after"
#: Setting: when the watchdog first watched the backup (a backup "missed" counts from here).
BACKUP_WATCHED_SINCE = "alerts.backup_watched_since"
#: Disk alert ends when free space is this much above the threshold (no flapping).
DISK_HYSTERESIS = 1.1
#: Characters of a reason or an error kept in an alert (cut between words).
FIRST_LINE = 200


class Watchdog:
    """One round of checks at a time (:meth:`check`), or forever (:meth:`run_forever`)."""

    def __init__(self, config: Config, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.url = config.database_url
        self.notifier = Notifier(config, functools.partial(targets.record_channel, config))
        self.clock = clock
        self.bad_since: dict[str, float] = {}
        #: Wall-clock time each condition turned bad: with its key, the alert's SMS reference.
        self.bad_at: dict[str, float] = {}
        #: Incidents told while the database could not record them (kept in this process).
        self.unrecorded: set[str] = set()

    def run_forever(self) -> None:
        while True:
            self.check()
            time.sleep(self.config.alerts.check_seconds)

    def check(self) -> None:
        """Every check once; one failing check does not stop the others."""
        for probe in (self.check_broker, self.probe_idle_targets, self.check_targets,
                      self.check_jobs, self.check_held, self.check_backup,
                      self.check_disk):  # fmt: skip
            try:
                probe()
            except Exception:  # keep watching whatever went wrong
                log.exception("watchdog: %s failed", probe.__name__)

    # --- the incident protocol -----------------------------------------------------------

    def condition(
        self, key: str, kind: str, bad: bool, alert: Alert | str, recovery: str, after: float = 0.0
    ) -> None:
        """Alert once when ``bad`` has held ``after`` seconds; say so once when it is over."""
        if not bad:
            self.bad_since.pop(key, None)
            told = key in self.unrecorded
            self.unrecorded.discard(key)
            began = self.bad_at.pop(key, 0.0)
            incident = incidents.resolve_incident(self.url, key)
            if incident is not None:
                began = aware(incident.opened_at).timestamp()
            if incident is not None or told:
                self.notifier.tell(kind, f"prepress: {recovery}", f"{key}@{began:.0f}:over")
            return
        since = self.bad_since.setdefault(key, self.clock())
        began = self.bad_at.setdefault(key, time.time())
        if isinstance(alert, str):
            alert = Alert(alert)
        if self.clock() - since >= after and self._open(key, kind, str(alert)):
            message = replace(alert, head=f"prepress: {alert.head}")
            reached, addresses = self.notifier.tell(kind, message, f"{key}@{began:.0f}")
            if addresses and not reached:
                self.unrecorded.discard(key)
                incidents.forget_incident(self.url, key)

    def _open(self, key: str, kind: str, alert: str) -> bool:
        """Open the incident; True when it is new. When the database cannot record it (its
        disk is full, it is away) the incident is kept in this process, so it is still told
        once; recorded later, it is not told again."""
        try:
            opened = incidents.open_incident(self.url, key, kind, alert)
        except OperationalError:
            new = key not in self.unrecorded
            self.unrecorded.add(key)
            return new
        if key in self.unrecorded:
            self.unrecorded.discard(key)
            return False
        return opened

    # --- the checks ------------------------------------------------------------------------

    def check_broker(self) -> None:
        """The broker, then (when it answers) a worker on every queue."""
        where = mask_secrets(self.config.broker_url)
        error = probes.broker_error(self.config, PROBE_TIMEOUT)
        self.condition(
            "broker", "broker", error is not None,
            f"the broker {where} is unreachable ({error}); jobs cannot move on.",
            f"the broker {where} is reachable again.",
            self.config.alerts.broker_minutes * 60,
        )  # fmt: skip
        if error is not None:
            return
        missing = probes.queues_without_worker(self.config, PROBE_TIMEOUT)
        for queue in probes.required_queues(self.config):
            self.condition(
                f"workers:{queue}", "workers", queue in missing,
                f"no worker answers on the {queue} queue; is `prepress up` running?",
                f"a worker answers on the {queue} queue again.",
                self.config.alerts.workers_minutes * 60,
            )  # fmt: skip

    def probe_idle_targets(self) -> None:
        """Connect and log in to bureau and press targets nothing used for ``[targets]
        probe_minutes``."""
        for key in targets.probe_idle(self.config, every=self.config.probe_minutes * 60):
            log.debug("watchdog: probed idle target %s", key)

    def check_targets(self) -> None:
        """Targets failing longer than target_minutes (the record the steps keep,
        tasks/targets.py), and those that work again."""
        minutes = self.config.alerts.target_minutes
        failing = {}
        for view in targets.failing(self.config):
            if view.key == "backup":  # check_backup tells about the backup
                continue
            failing[f"target:{view.key}"] = view
            since = view.failing_since or utcnow()
            if utcnow() - aware(since) >= timedelta(minutes=minutes):
                self.condition(f"target:{view.key}", "target", True, _target_alert(view), "")
        for row in incidents.open_incidents(self.url, "target"):
            if row.key not in failing:
                label = row.message.split(" (", 1)[0] if row.message else row.key
                self.condition(row.key, "target", False, "", f"{label} is back; jobs move on.")

    def check_jobs(self) -> None:
        """Rejected and failed jobs since the last round: one message per kind."""
        after = incidents.get_setting(self.url, JOBS_AFTER)
        if not after:  # first round ever: what was there before is not news
            incidents.set_setting(self.url, JOBS_AFTER, str(incidents.last_job_id(self.url)))
            return
        jobs = incidents.stopped_jobs(self.url, int(after))
        known = incidents.known_keys(self.url, [f"job:{j.id}" for j in jobs])
        fresh = [j for j in jobs if f"job:{j.id}" not in known]
        for kind in ("rejected", "failed"):
            group = [j for j in fresh if (j.status == FAILED) == (kind == "failed")]
            if group:
                self._tell_jobs(kind, group)

    def _tell_jobs(self, kind: str, jobs: list[Job]) -> None:
        what = "file(s) rejected" if kind == "rejected" else "job(s) failed"
        alert = Alert(
            f"prepress: {len(jobs)} {what}:",
            tuple(_job_label(j) for j in jobs),
            tuple(f"job {j.id}: {j.error_code}: {_first_line(j.error)}" for j in jobs),
        )
        reference = f"{kind}:" + ",".join(str(j.id) for j in jobs)
        reached, addresses = self.notifier.tell(kind, alert, reference)
        if reached or not addresses:
            incidents.record_events(self.url, [f"job:{j.id}" for j in jobs], kind, str(alert))

    def check_held(self) -> None:
        """Jobs held before the plate upload: told once when held, and once more when one has
        waited longer than ``[alerts] held_after`` hours."""
        jobs = hold.held_jobs(self.url)
        keys = [f"{prefix}:{j.id}" for j in jobs for prefix in ("held", "held-long")]
        known = incidents.known_keys(self.url, keys)
        late = utcnow() - timedelta(hours=self.config.alerts.held_after)
        fresh = [j for j in jobs if f"held:{j.id}" not in known]
        long = [
            j
            for j in jobs
            if f"held-long:{j.id}" not in known and j.held_at and aware(j.held_at) < late
        ]
        if fresh:
            self._tell_held("held", fresh, "job(s) held before the plate upload")
        if long:
            hours = f"{self.config.alerts.held_after:g} h"
            self._tell_held("held-long", long, f"job(s) still held after more than {hours}")

    def _tell_held(self, prefix: str, jobs: list[Job], what: str) -> None:
        alert = Alert(
            f"prepress: {len(jobs)} {what}, waiting for a person:",
            tuple(_job_label(j) for j in jobs),
            tuple(f"job {j.id}: {_held_reason(j)}" for j in jobs),
        )
        reached, addresses = self.notifier.tell("held", alert)
        if reached or not addresses:
            keys = [f"{prefix}:{j.id}" for j in jobs]
            incidents.record_events(self.url, keys, "held", str(alert))

    def check_backup(self) -> None:
        """The last backup failed, or none succeeded within backup_hours."""
        if not self.config.backup.enabled:
            return
        ok, failed, message = incidents.backup_outcomes(self.url)
        hours = self.config.alerts.backup_hours
        since = ok or _watched_since(self.url)
        missed = utcnow() - since > timedelta(hours=hours)
        broke = failed is not None and (ok is None or failed > ok)
        alert = (
            f"the database backup failed: {message}"
            if broke
            else f"no successful database backup for more than {hours:g} h."
        )
        self.condition(
            "backup", "backup", broke or missed, alert, "the database backup works again."
        )

    def check_disk(self) -> None:
        """Free space of the work folder's disk against disk_free_gb, or ``[paths]
        min_free_mb`` when that is more (no file is taken below it), with some hysteresis."""
        folder = self.config.paths.work_dir
        free = shutil.disk_usage(folder).free / 1e9
        limit = max(self.config.alerts.disk_free_gb, self.config.paths.min_free_mb / 1e3)
        open_now = bool(incidents.open_incidents(self.url, "disk"))
        bad = free < (limit * DISK_HYSTERESIS if open_now else limit)
        self.condition(
            "disk", "disk", bad,
            f"only {free:.3g} GB free on the disk of {folder} (alert under {limit:g} GB); "
            "no new file is taken below [paths] min_free_mb.",
            f"{free:.3g} GB free again on the disk of {folder}.",
        )  # fmt: skip


def _watched_since(url: str) -> datetime:
    stamp = incidents.get_setting(url, BACKUP_WATCHED_SINCE)
    if stamp:
        return datetime.fromisoformat(stamp)
    now = utcnow()
    incidents.set_setting(url, BACKUP_WATCHED_SINCE, now.isoformat())
    return now


def _target_alert(view: targets.TargetView) -> Alert:
    """``Leonov FTP (ftp://host:21) failing since 19:09 — 3 jobs waiting:``, every file
    waiting (job id and file name: order and job name), then the last error."""
    head = f"{view.label} ({view.where}) {view.summary().removeprefix(view.label).strip()}"
    error = (f"last error: {_first_line(view.last_error)}",) if view.last_error else ()
    return Alert(
        head + (":" if view.waiting_count else ""),
        tuple(f"{w.name} (job {w.job_id})" for w in sorted(view.waiting, key=lambda w: w.name)),
        error,
        unlisted=max(view.waiting_count - len(view.waiting), 0),
    )


def _job_label(job: Job) -> str:
    """``0537 Technoyug_Flier (job 12)``: order and job name, else the file's name."""
    label = f"{job.order or ''} {job.job_name or ''}".strip() or job.name
    return f"{label} (job {job.id})"


def _held_reason(job: Job) -> str:
    reasons = [f.get("message", "") for f in job.findings or [] if f.get("severity") == "error"]
    return _first_line("; ".join(reasons))


def _first_line(text: str) -> str:
    lines = (text or "").strip().splitlines()
    return cut_words(lines[0], FIRST_LINE) if lines else "no reason given"
