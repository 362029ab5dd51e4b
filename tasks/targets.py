"""Targets as the steps see them: their outcomes recorded, and each one's health with the jobs
waiting on it, for ``prepress status``, the dashboard and the watchdog.

A step that talks to a target wraps the talking in :func:`outcome`: it returns normally and
the target is ok, it raises a peer fault (pipeline/errors.py ``TransientError`` or
``PermanentError``, or a network error) and the target is failing from that attempt on. Faults
that are not the target's (a local file gone, a bug) leave it as it was. Recording never
breaks the step: a database that cannot be written is logged and the step goes on.

:func:`overview` joins the configured targets (pipeline/targets.py), their records
(models/targets.py) and the steps waiting on each, in one answer every interface shows alike.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models import targets as records
from models.job import aware, utcnow
from pipeline import delivery
from pipeline import targets as named
from pipeline.config import Config
from pipeline.errors import PermanentError, TransientError, mask_secrets
from pipeline.targets import TargetRef

log = logging.getLogger(__name__)

#: Faults that say the target is not working (a local file that is gone does not).
TARGET_FAULTS = (TransientError, PermanentError, ConnectionError, TimeoutError, socket.gaierror)
#: Waiting jobs listed per target (the rest are counted).
LISTED_JOBS = 50
#: Seconds a bureau or press target may stay unused before the watchdog probes it (connects
#: and logs in, uploads nothing), so an outage shows before the next job and ends without one.
PROBE_EVERY = 300.0


@contextmanager
def outcome(config: Config, ref: TargetRef | None) -> Iterator[None]:
    """Record the success or failure of talking to ``ref`` inside the block."""
    began = utcnow()
    try:
        yield
    except TARGET_FAULTS as exc:
        if ref is not None:
            message = mask_secrets(str(exc) or type(exc).__name__, config.secrets())
            _safely(records.record_failure, config, ref, message, began)
        raise
    if ref is not None:
        _safely(records.record_success, config, ref)


def record(config: Config, ref: TargetRef | None, fault: Exception | None = None) -> None:
    """Record one outcome of talking to ``ref``: a success, or ``fault`` when it is the
    target's (see TARGET_FAULTS)."""
    if ref is None:
        return
    if fault is None:
        _safely(records.record_success, config, ref)
    elif isinstance(fault, TARGET_FAULTS):
        message = mask_secrets(str(fault) or type(fault).__name__, config.secrets())
        _safely(records.record_failure, config, ref, message, None)


def record_channel(config: Config, channel: str, fault: Exception | None) -> None:
    """How an alert went over ``channel`` (``sms`` or ``telegram``), for alerts.Notifier."""
    ref = named.telegram(config) if channel == "telegram" else named.sms(config)
    record(config, ref, fault)


def _safely(record: Any, config: Config, ref: TargetRef, *args: Any) -> None:
    try:
        record(config.database_url, ref.key, ref.label, ref.where, *args)
    except Exception as exc:  # the step's own outcome matters more
        log.warning("could not record the state of %s: %s", ref.label, exc)


def probe_idle(config: Config, every: float = PROBE_EVERY) -> list[str]:
    """Probe each FTP/FTPS/SFTP target nothing talked to for ``every`` seconds; the keys
    probed. A probe's outcome is recorded like a step's."""
    rows = records.states(config.database_url)
    probed = []
    for ref, url, active in _upload_targets(config):
        if not _idle(rows.get(ref.key), every):
            continue
        try:
            delivery.probe(url, active=active)
        except TARGET_FAULTS as exc:
            record(config, ref, exc)
        except Exception as exc:  # a URL the probe cannot use: say so, probe the others
            log.warning("could not probe %s: %s", ref.label, mask_secrets(str(exc)))
        else:
            record(config, ref)
        _safely_probed(config, ref)
        probed.append(ref.key)
    return probed


def _upload_targets(config: Config) -> Iterator[tuple[TargetRef, str, bool]]:
    """(target, URL, FTP active mode) of every bureau and press preview target."""
    for name, outputter in sorted(config.outputters.items()):
        ref = named.bureau(config, name)
        if ref is not None and outputter.url:
            yield ref, outputter.url, outputter.active
    for name, press in sorted(config.presses.items()):
        ref = named.press_preview(config, name)
        if ref is not None and press.preview_url:
            yield ref, press.preview_url, False


def _idle(row: records.TargetState | None, every: float) -> bool:
    """Nothing (no step, no probe) talked to the target for ``every`` seconds."""
    if row is None:
        return True
    moments = [row.last_ok_at, row.last_failure_at, row.probed_at]
    last = max((aware(m) for m in moments if m is not None), default=None)
    return last is None or (utcnow() - last).total_seconds() >= every


def _safely_probed(config: Config, ref: TargetRef) -> None:
    try:
        records.record_probe(config.database_url, ref.key)
    except Exception as exc:  # the probe's outcome is recorded; its time is a detail
        log.warning("could not record the probe of %s: %s", ref.label, exc)


@dataclass
class Waiting:
    """A job whose step waits on a target."""

    job_id: int
    name: str
    step: str
    attempts: int
    next_attempt_at: datetime | None
    error: str


@dataclass
class TargetView:
    """One target's health: ``state`` is ok, failing or unknown (never used)."""

    key: str
    label: str
    where: str
    state: str
    failing_since: datetime | None = None
    last_ok_at: datetime | None = None
    last_error: str = ""
    failures: int = 0
    #: When anything last talked to it (a step's upload or send, or an idle probe).
    last_tried_at: datetime | None = None
    waiting: list[Waiting] = field(default_factory=list)
    waiting_count: int = 0
    #: Failing only because jobs wait on it (no failure recorded: steps older than the record).
    inferred: bool = False

    @property
    def next_attempt_at(self) -> datetime | None:
        """The soonest automatic attempt of a job waiting on it."""
        due = [w.next_attempt_at for w in self.waiting if w.next_attempt_at is not None]
        return min(due) if due else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "where": self.where,
            "state": self.state,
            "failing_since": _iso(self.failing_since),
            "last_ok_at": _iso(self.last_ok_at),
            "last_tried_at": _iso(self.last_tried_at),
            "last_error": self.last_error,
            "failures": self.failures,
            "jobs_waiting": self.waiting_count,
            "next_attempt_at": _iso(self.next_attempt_at),
            "waiting": [
                {
                    "job": w.job_id,
                    "name": w.name,
                    "step": w.step,
                    "attempts": w.attempts,
                    "next_attempt_at": _iso(w.next_attempt_at),
                    "error": w.error,
                }
                for w in self.waiting
            ],
        }

    def summary(self) -> str:
        """``Leonov FTP failing since 19:09 — 3 jobs waiting`` (local time)."""
        if self.state != records.FAILING:
            return f"{self.label} {self.state}"
        since = _local(self.failing_since)
        text = f"{self.label} failing since {since}"
        if self.waiting_count:
            text += f" — {self.waiting_count} job{'s' if self.waiting_count != 1 else ''} waiting"
        return text


def overview(config: Config) -> list[TargetView]:
    """Every configured target with its state and the jobs waiting on it; failing first."""
    rows = records.states(config.database_url)
    views = {ref.key: _view(ref, rows.get(ref.key)) for ref in named.configured(config)}
    for step in records.waiting_steps(config.database_url):
        ref = named.for_step(config, step.step, step.outputter, step.press)
        if ref is None or ref.key not in views:
            continue
        view = views[ref.key]
        view.waiting_count += 1
        if len(view.waiting) < LISTED_JOBS:
            view.waiting.append(
                Waiting(
                    step.job_id,
                    step.name,
                    step.step,
                    step.attempts,
                    _aware(step.next_attempt_at),
                    step.error,
                )  # fmt: skip
            )
        if view.state != records.FAILING or view.inferred:  # no failure recorded (older steps)
            since = [aware(t) for t in (view.failing_since, step.waiting_since) if t]
            view.state, view.last_error = records.FAILING, view.last_error or step.error
            view.failing_since, view.inferred = min(since, default=None), True
    for view in views.values():
        view.waiting.sort(key=lambda w: w.job_id)
    order = {records.FAILING: 0, records.OK: 1, records.UNKNOWN: 2}
    return sorted(views.values(), key=lambda v: order.get(v.state, 3))


def _view(ref: TargetRef, row: records.TargetState | None) -> TargetView:
    if row is None:
        return TargetView(ref.key, ref.label, ref.where, records.UNKNOWN)
    return TargetView(
        ref.key,
        ref.label,
        ref.where,
        row.state,
        failing_since=_aware(row.failing_since) if row.state == records.FAILING else None,
        last_ok_at=_aware(row.last_ok_at),
        last_error=row.last_error if row.state == records.FAILING else "",
        failures=row.failures,
        last_tried_at=max(
            (aware(m) for m in (row.last_ok_at, row.last_failure_at, row.probed_at) if m),
            default=None,
        ),
    )


@dataclass
class JobWait:
    """What a waiting job waits for: the target's label (or the step), why, and until when."""

    label: str
    step: str
    error: str
    attempts: int
    next_attempt_at: datetime | None


def waits_of(config: Config, job_ids: list[int]) -> dict[int, JobWait]:
    """Job id -> what it waits for, for the jobs among ``job_ids`` that wait."""
    found = {}
    for step in records.waiting_steps(config.database_url, job_ids):
        ref = named.for_step(config, step.step, step.outputter, step.press)
        label = ref.label if ref is not None else step.step
        wait = JobWait(label, step.step, step.error, step.attempts, _aware(step.next_attempt_at))
        found[step.job_id] = wait
    return found


def failing(config: Config) -> list[TargetView]:
    return [view for view in overview(config) if view.state == records.FAILING]


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else aware(moment).isoformat()


def _local(moment: datetime | None) -> str:
    if moment is None:
        return "?"
    local = aware(moment).astimezone()
    today = utcnow().astimezone().date()
    return local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")
