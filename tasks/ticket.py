"""The plate order beside the plate file (pipeline/ticket.py builds it), a remake's remote name
and its SMS text: the parts of the upload_plate and notify_sms steps that know about remakes.

The ticket is uploaded after the plate file, through the same upload algorithm (temporary
``.part`` name, resume, size check, rename: pipeline/delivery/sending.py), once per job (a
``Delivery`` of kind ``ticket``). It is written once into ``var/tickets/<job>.jdf`` and that file
is what every retry sends, so a resumed ``.part`` is always the same bytes. A plate file that was
not sent again (the bureau had it with the same size) gets no ticket: there is nothing to make.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from models import store
from models.job import Job
from pipeline import delivery, targets
from pipeline import remake as rules
from pipeline import ticket as jdf
from pipeline.config import Config
from pipeline.config.settings import Outputter
from pipeline.delivery import naming
from pipeline.delivery.transfer import UploadResult
from tasks.targets import outcome as target_outcome

log = logging.getLogger(__name__)

#: The Delivery kind of the ticket.
TICKET = "ticket"
#: The remote path recorded when no ticket was sent because the plate file was not.
NOT_SENT = ""


def plate_remote_name(job: Job, outputter: Outputter, values: Mapping[str, Any]) -> str:
    """The plate file's name on the bureau's server (``values``: the job's naming
    placeholders); a remake's carries ``_R<n>``."""
    name = naming.remote_name(outputter, values)
    return naming.safe_remote_name(rules.remake_name(name, job.remake_number))


def ordered_plates(job: Job) -> list[rules.Plate]:
    """The plates this job orders: a remake's chosen ones, else every plate of the file."""
    if job.remake_plates:
        return [rules.Plate.from_dict(p) for p in job.remake_plates]
    return rules.job_plates(job.separations or {})


def not_needed(job: Job, config: Config, outputter: Outputter, result: UploadResult) -> None:
    """Before the plate upload is recorded: when it was skipped (the same file was there),
    record that no ticket goes with it, so a retry never orders plates nobody sent."""
    if outputter.ticket == "none" or not result.skipped or job.id is None:
        return
    if store.get_delivery(config.database_url, job.id, TICKET) is None:
        store.record_delivery(
            config.database_url,
            job.id,
            TICKET,
            {**result.as_dict(), "remote_path": NOT_SENT, "bytes": 0},
        )


def send(job: Job, config: Config, outputter: Outputter, folder: str, plate_name: str) -> str:
    """Upload the job's ticket beside its plate file (once); return what was done."""
    assert job.id is not None and outputter.url
    done = store.get_delivery(config.database_url, job.id, TICKET)
    if done is not None:
        if done.remote_path == NOT_SENT:
            return "no ticket: the plate file was not sent again"
        return f"ticket already delivered to {done.remote_path}"
    plates = ordered_plates(job)
    if not plates:
        store.add_warnings(
            config.database_url,
            job.id,
            ["no plate order (ticket) sent: the file's plates are unknown (not a Signa file)"],
        )
        return "no ticket: the plates are unknown"
    local = _ticket_file(job, config, outputter, plate_name, plates)
    with target_outcome(config, targets.bureau(config, job.outputter)):
        result = delivery.upload(
            local,
            outputter.url,
            folder,
            jdf.ticket_name(plate_name),
            active=outputter.active,
            replace=True,
        )
    store.record_delivery(config.database_url, job.id, TICKET, result.as_dict())
    return f"ticket {result.remote_path} ({len(plates)} plates)"


def _ticket_file(
    job: Job, config: Config, outputter: Outputter, plate_name: str, plates: list[rules.Plate]
) -> Path:
    """``var/tickets/<job>.jdf``, written once (atomically) and reused by every retry."""
    assert job.id is not None
    folder = config.paths.var / "tickets"
    path = folder / f"{job.id}.jdf"
    if path.is_file() and path.stat().st_size > 0:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now().astimezone()
    press = config.presses.get(job.press)
    first = (job.sheets or [{}])[0]
    plate_mm = press.plate_mm if press else tuple(first.get("plate_mm") or (0, 0))
    paper = first.get("paper_mm")
    order = jdf.Order(
        job_id=job.id,
        order=job.order,
        job_name=job.job_name,
        file_name=plate_name,
        press=job.press,
        outputter=job.outputter,
        plate_mm=(float(plate_mm[0]), float(plate_mm[1])),
        paper_mm=(float(paper[0]), float(paper[1])) if paper else None,
        plates=plates,
        due=now + timedelta(hours=outputter.lead_hours),
        created=now,
        remake_of=job.remake_of,
        remake_number=job.remake_number,
        remake_reason=job.remake_reason_code,
        remake_note=job.remake_note,
    )
    temporary = folder / f".{job.id}.jdf.tmp"
    temporary.write_bytes(jdf.build(order))
    os.replace(temporary, path)
    return path


def sms_prefix(job: Job) -> str:
    """``REMAKE 1/4 plates: Cyan (damaged_on_press) ``: what a remake's SMS starts with."""
    every = rules.job_plates(job.separations or {})
    chosen = [rules.Plate.from_dict(p) for p in job.remake_plates or []]
    return rules.sms_prefix(chosen, every, job.remake_reason_code or "no reason")
