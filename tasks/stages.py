"""The pipeline steps as Celery tasks: load the job, call one domain function, record.

Every task takes a job id and nothing else. The chain is built in tasks/canvas.py. The file is
parsed once: validate stores the sheets it read, the detections decide from them, and
render_preview uses the press detect_press stored.
"""

from __future__ import annotations

import re
from typing import Any

from models import store
from models.job import Job
from pipeline import delivery, files, targets
from pipeline.config import Config
from pipeline.delivery import naming
from pipeline.pdf import analysis
from tasks.app import app
from tasks.base import Skip, StepTask, run_step, spooled_file
from tasks.targets import outcome as target_outcome

#: Characters allowed in the preview key; the rest become "_".
_UNSAFE = re.compile(r"[^\w.-]+")


@app.task(name="tasks.validate", base=StepTask)
def validate(job_id: int) -> str:
    return run_step(job_id, "validate", _validate)


def _validate(job: Job, config: Config) -> None:
    document, sheets = analysis.read_document(spooled_file(job, config), config)
    order, job_name = analysis.order_and_job(job.name, config)
    _save(
        job,
        config,
        creator=document.creator or "",
        signa=document.signa,
        pages=document.pages,
        order=order or "",
        job_name=job_name,
        sheets=[sheet.as_dict() for sheet in sheets],
        warnings=document.warnings,
    )


@app.task(name="tasks.detect_press", base=StepTask)
def detect_press(job_id: int) -> str:
    return run_step(job_id, "detect_press", _detect_press)


def _detect_press(job: Job, config: Config) -> str:
    result = analysis.decide_press(_sheets(job, config), config, job.name)
    press_pages = {str(page): press for page, press in result.other_pages.items()}
    _save(
        job,
        config,
        press=result.press,
        press_source=result.source,
        press_pages=press_pages,
        warnings=result.warnings,
    )
    return f"{result.press} (from {result.source})"


@app.task(name="tasks.count_plates", base=StepTask)
def count_plates(job_id: int) -> str:
    return run_step(job_id, "count_plates", _count_plates)


def _count_plates(job: Job, config: Config) -> str:
    document = analysis.DocumentFacts(
        job.name, job.creator or None, bool(job.signa), job.pages or 0
    )
    result = analysis.decide_plates(document, _sheets(job, config))
    separations = {str(page): names for page, names in result.separations.items()}
    if job.remake_plates:  # a remake of some plates counts exactly the plates ordered
        ordered = len(job.remake_plates)
        _save(job, config, plates=ordered, separations=separations, warnings=result.warnings)
        return f"{ordered} plates ordered again (remake) of {result.plates}"
    _save(job, config, plates=result.plates, separations=separations, warnings=result.warnings)
    return f"{result.plates} plates" if result.plates is not None else "plate count unknown"


@app.task(name="tasks.detect_outputter", base=StepTask)
def detect_outputter(job_id: int) -> str:
    return run_step(job_id, "detect_outputter", _detect_outputter)


def _detect_outputter(job: Job, config: Config) -> str:
    result = analysis.decide_outputter(_sheets(job, config), job.name, config)
    _save(
        job,
        config,
        outputter=result.outputter,
        outputter_source=result.source,
        warnings=result.warnings,
    )
    return f"{result.outputter} (from {result.source})"


@app.task(name="tasks.render_preview", base=StepTask)
def render_preview(job_id: int) -> str:
    return run_step(job_id, "render_preview", _render_preview)


def _render_preview(job: Job, config: Config) -> str:
    """The preview within ``[limits]``; over budget the job goes on without one, warned."""
    from pipeline.errors import OverBudget
    from pipeline.preview import geometry
    from pipeline.preview.budgeted import preview_within_budget

    path = spooled_file(job, config)
    sheets = _sheets(job, config)
    presses = {
        sheet.number: (job.press_pages or {}).get(str(sheet.number), job.press) for sheet in sheets
    }
    key = f"{job.id}_{_UNSAFE.sub('_', path.stem)[:80]}"
    spots = [name for names in job.separations.values() for name in names]
    try:
        result = preview_within_budget(
            path,
            geometry.sheet_geometries(sheets, config, job.name, presses),
            config.paths.previews,
            key,
            limits=config.limits,
            spots=spots,
            secrets=config.secrets(),
        )
    except OverBudget as exc:
        _save(job, config, warnings=[f"{exc.message}: no preview for this job"])
        raise Skip(f"no preview: {exc.message}") from None
    stored = result.as_dict()
    for name in ("proof", "thumbnail", "preview_pdf"):
        stored[name] = str(getattr(result, name).relative_to(config.paths.work_dir))
    _save(job, config, preview=stored, warnings=result.warnings)
    return stored["proof"]


def _sheets(job: Job, config: Config) -> list[analysis.SheetFacts]:
    """The sheets validate read and stored; read from the file only for a job stored without
    them (validate of an earlier version)."""
    if job.sheets:
        return [analysis.SheetFacts.from_dict(sheet) for sheet in job.sheets]
    return analysis.read_sheets(spooled_file(job, config), config)


@app.task(name="tasks.upload_plate", base=StepTask)
def upload_plate(job_id: int) -> str:
    return run_step(job_id, "upload_plate", _upload_plate)


def _upload_plate(job: Job, config: Config) -> str:
    _require_normal_mode(job)
    outputter = config.outputters[job.outputter]
    if not outputter.url:
        raise Skip(f"no url configured for outputter {outputter.name}; nothing uploaded")
    from tasks import ticket

    name = ticket.plate_remote_name(job, outputter, _placeholders(job, config))
    folder = naming.remote_dir(outputter, job.press)
    said = _upload(
        job,
        config,
        "plate",
        spooled_file(job, config),
        outputter.url,
        folder,
        name,
        outputter.active,
        before_record=lambda result: ticket.not_needed(job, config, outputter, result),
    )
    if outputter.ticket == "none":
        return said
    return f"{said}; {ticket.send(job, config, outputter, folder, name)}"


@app.task(name="tasks.upload_preview", base=StepTask)
def upload_preview(job_id: int) -> str:
    return run_step(job_id, "upload_preview", _upload_preview)


def _upload_preview(job: Job, config: Config) -> str:
    _require_normal_mode(job)
    press = config.presses[job.press]
    if not press.preview_url:
        raise Skip(f"no preview_url configured for press {press.name}; preview kept locally")
    if not (job.preview or {}).get("preview_pdf"):
        raise Skip("this job has no preview (see its warnings); nothing uploaded")
    local = config.paths.work_dir / job.preview["preview_pdf"]
    name = naming.safe_remote_name(f"{job.name.rsplit('.', 1)[0]}_preview.pdf")
    return _upload(job, config, "preview", local, press.preview_url, "", name, False)


@app.task(name="tasks.notify_sms", base=StepTask)
def notify_sms(job_id: int) -> str:
    return run_step(job_id, "notify_sms", _notify_sms)


def _notify_sms(job: Job, config: Config) -> str:
    from tasks.notify import send_job_sms

    _require_normal_mode(job)
    assert job.id is not None
    if not config.outputters[job.outputter].notify:
        raise Skip(f"outputter {job.outputter} has notify = false")
    if store.get_delivery(config.database_url, job.id, "plate") is None:
        raise Skip("the plate file was not uploaded, so nobody is told it was")
    if not config.sms.enabled:
        raise Skip("no [sms] login configured")
    recipients = list(dict.fromkeys(config.sms.recipients + config.presses[job.press].sms))
    text = naming.sms_text(config.sms.template, _placeholders(job, config))
    if job.remake_of is not None:
        from tasks import ticket

        text = ticket.sms_prefix(job) + text
    return send_job_sms(job, config, recipients, text)


@app.task(name="tasks.persist", base=StepTask)
def persist(job_id: int) -> str:
    return run_step(job_id, "persist", _persist)


def _persist(job: Job, config: Config) -> str:
    from models.job import utcnow

    assert job.id is not None
    spooled = config.paths.work_dir / job.spool_path
    target = files.archive_done(spooled, config.paths.done, job.id, utcnow())
    relative = config.paths.relative(target)
    store.finish_job(config.database_url, job.id, relative)
    return relative


# --- helpers ------------------------------------------------------------------------------


def _save(job: Job, config: Config, warnings: list[str] | None = None, **fields: Any) -> None:
    assert job.id is not None
    store.update_job(config.database_url, job.id, warnings=warnings or [], **fields)


def _require_normal_mode(job: Job) -> None:
    if job.mode != "normal":
        raise Skip(f"{job.mode} mode: nothing uploaded or sent")


def _placeholders(job: Job, config: Config) -> dict[str, Any]:
    """The naming values of a job; the plate is the press's configured one (width x height),
    whatever the orientation of the page's MediaBox."""
    press = config.presses.get(job.press)
    first = job.sheets[0] if job.sheets else {}
    plate_mm = press.plate_mm if press else first.get("plate_mm") or (0, 0)
    colorants = job.separations.get("1") or []
    return naming.placeholders(
        filename=job.name,
        order=job.order,
        job=job.job_name,
        press=job.press,
        outputter=job.outputter,
        plates=job.plates,
        plate_mm=plate_mm,
        colorants=colorants,
    )


def _upload(
    job: Job,
    config: Config,
    kind: str,
    local: Any,
    url: str,
    remote_dir: str,
    remote_name: str,
    active: bool,
    before_record: Any = None,
) -> str:
    """Upload once per (job, kind); ``before_record(result)`` runs before it is recorded."""
    assert job.id is not None
    done = store.get_delivery(config.database_url, job.id, kind)
    if done is not None:
        return f"already delivered to {done.remote_path}"
    replace = kind == "plate" and store.force_upload(config.database_url, job.id)
    if kind == "plate":
        ref = targets.bureau(config, job.outputter)
    else:
        ref = targets.press_preview(config, job.press)
    with target_outcome(config, ref):
        result = delivery.upload(
            local, url, remote_dir, remote_name, active=active, replace=replace
        )
    if before_record is not None:
        before_record(result)
    store.record_delivery(config.database_url, job.id, kind, result.as_dict())
    if result.skipped:
        return f"{result.remote_path}: already on the server with the same size, not sent again"
    return f"{result.remote_path}: {result.bytes} bytes at {result.speed_mbps:.1f} MB/s"
