"""What an operator does to jobs, in one place for the CLI, the dashboard, the API and Flower.

Each action takes an :class:`Actor` (who asked, from where), applies the same rules whoever
asks, logs who did it and writes it into the audit trail (models/audit.py), and raises
:class:`~pipeline.errors.CannotRetry` (or :class:`~pipeline.errors.JobNotFound`) with the
message every interface shows as it is.

Retry of a job:

* final (failed): queued again from its first unfinished step; done steps (uploads, SMS)
  are not repeated. A done or rejected job, or one whose spooled file is gone, is refused
  with what to do instead (``prepress reprocess``).
* waiting (a step retrying a transient fault by itself): refused with the step, attempts,
  last error and next attempt time, unless ``now`` is asked, which revokes the scheduled
  retry and queues the step at once. The step's lease (models/steps.py) keeps the two from
  ever running at the same time.
* running: refused; there is nothing to retry.
* lost (no message of its chain anywhere): continued from its first unfinished step, as the
  reconciler would.
* held (stopped at the hold for a person): refused; approve or reject it.

Approve and reject of a held job (:func:`approve`, :func:`reject`; the rules are in
tasks/hold.py): approve continues the chain from the plate upload exactly once, reject moves
the file to failed/ with the findings and the reason. Both record who, when and why, on the
job and in the audit trail.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from models import audit, problems, report, shop_settings, steps, store
from models.job import DONE, FAILED, HELD, MODES, REJECTED, WAITING, Step
from pipeline.chain import LAST_STEP
from pipeline.config import Config
from pipeline.config.hosts import PushedSettings
from pipeline.config.shared import ShopSettings
from pipeline.errors import AlreadyRetrying, CannotRetry, JobNotFound
from tasks import canvas, reconcile
from tasks.app import app

log = logging.getLogger(__name__)

#: Where an action comes from.
CLI, WEB, API, FLOWER = "cli", "web", "api", "flower"
#: Most failed jobs one "retry all" queues again.
RETRY_ALL_LIMIT = 1000


@dataclass(frozen=True)
class Actor:
    """Who asked for an action (a dashboard user name or the OS user) and from where."""

    name: str
    where: str

    @classmethod
    def cli(cls) -> Actor:
        """The OS user running ``prepress``."""
        return cls(getpass.getuser(), CLI)

    def __str__(self) -> str:
        return f"{self.name} ({self.where})"


def retry(config: Config, job_id: int, actor: Actor, *, now: bool = False) -> str:
    """Retry the job as described above; return what was done, raise CannotRetry if nothing."""
    said = _retry(config, job_id, now)
    log.info("job %s: retry by %s: %s", job_id, actor, said)
    audit.record(
        config.database_url, actor, "retry-now" if now else "retry", job_id=job_id, detail=said
    )
    return said


def _retry(config: Config, job_id: int, now: bool) -> str:
    job = store.get_job(config.database_url, job_id)
    if job.status == HELD:
        raise CannotRetry(_held_message(job_id))
    if job.status in steps.CLOSED:
        _requeue(config, job_id)
        return f"job {job_id} queued again"
    rows = store.steps_of(config.database_url, job_id)
    waiting = [s for s in rows if s.state == WAITING]
    if waiting and now:
        return _try_now(job_id, waiting[0])
    if waiting:
        raise AlreadyRetrying(
            f"job {job_id} is retrying by itself: {describe_wait(waiting[0])}. "
            f"`prepress retry --now {job_id}` tries at once."
        )
    if reconcile.chain_alive(config, job_id):
        raise AlreadyRetrying(
            f"job {job_id} is {job.status} at {job.step or 'its first step'}; nothing to retry"
        )
    first = steps.first_unfinished(rows)
    start_at = first.name if first else LAST_STEP
    reconcile.continue_job(config, job, start_at)
    return f"job {job_id}: its chain was lost; continued from {start_at}"


def _requeue(config: Config, job_id: int) -> str:
    """Queue a final job again from its first unfinished step; done steps are not repeated."""
    url = config.database_url
    job = store.get_job(url, job_id)
    if job.status == DONE:
        raise CannotRetry(
            f"job {job_id} is done; use `prepress reprocess {job_id}` to run the "
            f"whole chain again as a new job"
        )
    if job.status == REJECTED:
        raise CannotRetry(
            f"job {job_id} was rejected ({job.error_code}): the file itself is "
            f"wrong. Fix it and drop it into the hotfolder again, or "
            f"`prepress reprocess {job_id}` after changing the configuration"
        )
    if not job.spool_path or not (config.paths.work_dir / job.spool_path).exists():
        raise CannotRetry(f"job {job_id}: the spooled file is gone; use `prepress reprocess`")
    first = steps.first_unfinished(store.steps_of(url, job_id))
    steps.reset(url, job_id, reopen=True)
    return canvas.start(job_id, first.name if first else LAST_STEP)


def _try_now(job_id: int, step: Step) -> str:
    """Drop the scheduled retry of a waiting step and queue the step now."""
    if step.task_id:
        app.control.revoke(step.task_id)
    canvas.start(job_id, step.name)
    log.info("job %s: %s tried now instead of at its next attempt", job_id, step.name)
    return f"job {job_id}: {step.name} queued now (was {describe_wait(step)})"


def describe_wait(step: Step) -> str:
    """``upload_plate waiting since 23:01:02, 5 attempts, next at 23:10:40: <error>``."""
    since = f" since {step.waiting_since:%H:%M:%S}" if step.waiting_since else ""
    upcoming = f", next at {step.next_attempt_at:%H:%M:%S} UTC" if step.next_attempt_at else ""
    return f"{step.name} waiting{since}, {step.attempts} attempt(s){upcoming}: {step.error}"


def retry_all(config: Config, actor: Actor) -> tuple[list[int], dict[int, str]]:
    """Retry every failed job; return the ids queued and the reasons of those refused."""
    where = report.JobFilter(status=FAILED)
    failed, _ = report.search_jobs(config.database_url, where, RETRY_ALL_LIMIT)
    queued, refused = [], {}
    for job in failed:
        assert job.id is not None
        try:
            retry(config, job.id, actor)
            queued.append(job.id)
        except (CannotRetry, JobNotFound) as exc:
            refused[job.id] = str(exc)
    detail = f"{len(queued)} queued again, {len(refused)} refused"
    audit.record(config.database_url, actor, "retry-all", detail=detail)
    return queued, refused


#: What a reprocess does again and what it leaves: the CLI's and the page's confirmation.
REPROCESS_SAYS = (
    "runs the whole chain again as a new job: the file is checked, press, plates and bureau "
    "are read again, the preview is made and the SMS is sent again"
)
#: What happens to the plate file, without and with a remake (``--force-upload``).
PLATE_SAYS = {
    False: "the plate file is NOT sent again if the bureau already has it with the same size "
    "(--force-upload sends it)",
    True: "the plate file IS sent again to the bureau, replacing the one there (a remake)",
}
#: Jobs a reprocess is not offered for: nothing usable came of their file, or a person decides.
NOT_REPROCESSED = (REJECTED, HELD)


def reprocess(
    config: Config, job_id: int, actor: Actor, *, force_upload: bool = False, queue: bool = True
) -> int:
    """Run the whole chain again on the job's original as a new job; return its id.

    ``force_upload`` sends the plate file again even when the bureau has it (a remake);
    ``queue=False`` records the new job with its file and leaves queueing to the caller.
    """
    from watcher import intake

    if store.get_job(config.database_url, job_id).status == HELD:
        raise CannotRetry(_held_message(job_id))
    new_id = intake.reprocess(job_id, config, queue=False)
    if force_upload:
        store.set_force_upload(config.database_url, new_id)
    if queue:
        canvas.start(new_id)
    log.info("job %s reprocessed as job %s by %s", job_id, new_id, actor)
    detail = f"as job {new_id}" + (", plate file sent again (remake)" if force_upload else "")
    audit.record(config.database_url, actor, "reprocess", job_id=job_id, detail=detail)
    return new_id


def set_mode(config: Config, mode: str, actor: Actor) -> str:
    """Switch the mode every process uses for new jobs; ValueError names the valid ones."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    before = store.get_mode(config.database_url)
    store.set_mode(config.database_url, mode)
    log.info("mode set to %s by %s", mode, actor)
    audit.record(config.database_url, actor, "mode", detail=f"{before} -> {mode}")
    return mode


def acknowledge(config: Config, job_id: int, actor: Actor, note: str = "") -> None:
    """A rejected job has been seen and dealt with: it leaves Problems (with the note)."""
    problems.acknowledge(config.database_url, job_id, actor.name, note)
    log.info("job %s acknowledged by %s: %s", job_id, actor, note or "(no note)")
    audit.record(config.database_url, actor, "acknowledge", job_id=job_id, detail=note)


def push_settings(
    config: Config, settings: ShopSettings, source: Path | None, actor: Actor
) -> tuple[PushedSettings, bool]:
    """Store the shop's settings as the version every host uses (``prepress config push``);
    ``(version, True)`` when it is new, and then it is in the audit trail."""
    pushed, new = shop_settings.push(config.database_url, settings, source)
    if new:
        detail = f"version {pushed.version} ({pushed.settings.short}) from {source or '?'}"
        audit.record(config.database_url, actor, "config-push", detail=detail)
    return pushed, new


def approve(
    config: Config, job_id: int, actor: Actor, reason: str = "", reason_code: str = ""
) -> str:
    """Approve the held job: its chain continues from the plate upload, exactly once.

    A reason is required for a duplicate (it becomes a remake) and for overriding errors; a
    duplicate also needs a remake reason code (``[remakes] reasons``; a ``reason`` that is
    itself a code serves as both). Raises CannotDecide (a CannotRetry) when the job is not held
    or the reason is missing.
    """
    from tasks import hold

    said = hold.approve(config, job_id, actor, reason, reason_code)
    detail = f"{reason_code}: {reason}" if reason_code else reason
    audit.record(config.database_url, actor, "approve", job_id=job_id, detail=detail)
    return said


def remake(
    config: Config,
    job_id: int,
    actor: Actor,
    reason_code: str,
    plates: Sequence[str] | None = None,
    note: str = "",
    *,
    queue: bool = True,
) -> int:
    """Order plates of a done job again as a new job (a remake); return its id.

    ``plates`` names separations (``Cyan``: on every sheet side) or ``PAGE:NAME``; none: all the
    job's plates. Refused (CannotRemake, nothing recorded or sent) for a job that is not done or
    bought nothing, a plate the job never had, a reason not in ``[remakes] reasons``, a bureau
    without a url, or a mode that sends nothing. The plate file goes again under ``_R<n>``,
    its ticket lists only the plates ordered and the job counts exactly those plates.
    """
    from models import remakes
    from pipeline import remake as rules
    from watcher import intake

    url = config.database_url
    job = store.get_job(url, job_id)
    code = rules.check_reason(reason_code, config.remake_reasons)
    rules.check_original(job_id, job.status, job.mode)
    if job.remake_plates:  # a remake's own plates are the ones it ordered
        had: dict[str, list[str]] = {}
        for plate in job.remake_plates:
            had.setdefault(str(plate["page"]), []).append(str(plate["separation"]))
    else:
        had = dict(job.separations or {})
    chosen = rules.choose_plates(job_id, had, list(plates or []))
    bureau = config.outputters.get(job.outputter)
    if bureau is None or not bureau.url:
        raise rules.CannotRemake(
            f"job {job_id}: bureau {job.outputter or '?'} has no url configured; nothing can "
            f"be sent to it"
        )
    mode = store.get_mode(url)
    if mode != "normal":
        raise rules.CannotRemake(
            f"prepress is in {mode} mode: a remake would send nothing; `prepress mode normal` first"
        )
    note = " ".join(note.split())[: rules.MAX_NOTE]
    original = remakes.original_of(job)
    new_id = intake.reprocess(job_id, config, queue=False)
    number = remakes.mark(url, new_id, original, code, [p.as_dict() for p in chosen], note)
    store.set_force_upload(url, new_id)
    if queue:
        canvas.start(new_id)
    every = rules.job_plates(job.separations or {})
    detail = f"as job {new_id}, R{number} of job {original}: {rules.summary(chosen, every)}"
    log.info("job %s remade %s by %s (%s)", job_id, detail, actor, code)
    audit.record(url, actor, "remake", job_id=job_id, detail=f"{detail}; {code} {note}".strip())
    return new_id


def reject(config: Config, job_id: int, actor: Actor, reason: str) -> str:
    """Reject the held job: the file goes to failed/ with the findings and the reason."""
    from tasks import hold

    said = hold.reject(config, job_id, actor, reason)
    audit.record(config.database_url, actor, "reject", job_id=job_id, detail=reason)
    return said


def _held_message(job_id: int) -> str:
    return (
        f"job {job_id} is held for a person: `prepress approve {job_id} --reason TEXT` "
        f"or `prepress reject {job_id} --reason TEXT`"
    )
