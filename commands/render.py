"""How jobs read on the console and in JSON: the ``jobs`` table and the ``show`` page.

Times are local with the zone (see commands/output.py); JSON keeps the model's field order.
File names, errors, warnings and SMS texts are data: their control characters are shown
escaped (``\n``, ``\x1b``), so a name cannot drive the terminal or forge a line.
"""

from __future__ import annotations

from typing import Any

import click

from commands.output import NONE, shorten, show_clock, show_time
from pipeline.text import shown

#: Width of the name column of ``prepress jobs``.
NAME_WIDTH = 44
#: Characters of an error shown under a job in ``prepress jobs``.
ERROR_WIDTH = 110
#: Columns of ``prepress jobs``: (header, width); the name comes last.
COLUMNS = (
    ("ID", 6),
    ("RECEIVED", 21),
    ("STATUS", 8),
    ("MODE", 7),
    ("STEP", 16),
    ("PRESS", 12),
    ("OUTPUTTER", 10),
    ("PLATES", 6),
)
#: Job statuses after which pending steps will never run without an operator.
STOPPED = ("rejected", "failed")


def table_header() -> str:
    cells = [
        f"{title:>{width}}" if title in ("ID", "PLATES") else f"{title:<{width}}"
        for title, width in COLUMNS
    ]
    return "  ".join(cells) + "  NAME"


def table_row(job: Any, status: str | None = None) -> list[str]:
    """The job's line, and under a failed or rejected one its error; ``status`` shows what
    the job is doing when it says more than its status (``waiting``)."""
    plates = NONE if job.plates is None else str(job.plates)
    values = (
        str(job.id),
        show_time(job.received_at),
        status or job.status,
        job.mode,
        job.step or NONE,
        job.press or NONE,
        job.outputter or NONE,
        plates,
    )
    cells = [
        f"{value:>{width}}" if title in ("ID", "PLATES") else f"{value:<{width}}"
        for (title, width), value in zip(COLUMNS, values, strict=True)
    ]
    lines = ["  ".join(cells) + "  " + shorten(shown(job.name), NAME_WIDTH)]
    if getattr(job, "remake", False):
        of = job.remake_of
        lines[0] += f"  REMAKE R{job.remake_number} of {of}" if of is not None else "  REMAKE"
    if job.status in STOPPED and (job.error or job.error_code):
        error = shown(" ".join(f"{job.error_code}: {job.error}".split()))
        lines.append(f"{'':>8}{job.status}: {error[:ERROR_WIDTH]}")
    return lines


def step_state(step: dict[str, Any], job_status: str) -> str:
    """What a step's state means for the operator."""
    if step["state"] == "pending" and job_status in STOPPED:
        return "not run" if job_status == "rejected" else "not yet (retry continues here)"
    if step["state"] == "waiting":
        return f"waiting: automatic retry at {show_time(step.get('next_attempt_at'))}"
    return str(step["state"])


def print_job(data: dict[str, Any], paths: dict[str, str] | None = None) -> None:
    """The ``show`` page of one job; ``paths`` says where its file is on the server."""
    data = {**data, **(paths or {})}
    click.echo(f"job {data['id']}: {shown(data['name'])}  [{data['status']}]")
    for key in (
        "order",
        "job_name",
        "press",
        "outputter",
        "plates",
        "mode",
        "error",
        "reprocess_of",
        "archive_path",
        "spool_path",
    ):
        if data.get(key) not in (None, ""):
            click.echo(f"  {key:<12} {shown(str(data[key]))}")
    for key in ("received_at", "job_date", "finished_at"):
        if data.get(key):
            click.echo(f"  {key:<12} {show_time(data[key])}")
    for warning in data["warnings"]:
        click.echo(f"  warning      {shown(warning)}")
    _print_hold(data)
    _print_remake(data)
    if data.get("taken_at"):
        click.echo(f"  {'taken':<12} by the bureau at {show_time(data['taken_at'])}")
    elif data.get("taken_alert_at"):
        told = show_time(data["taken_alert_at"])
        click.echo(f"  {'not taken':<12} by the bureau yet; staff told at {told}")
    for step in data["steps"]:
        took = f"{step['duration']:.2f}s" if step["duration"] is not None else ""
        tries = f"x{step['attempts']}" if step["attempts"] else "  "
        click.echo(
            f"  - {step['name']:<17} {step_state(step, data['status']):<8} {tries} {took:>7} "
            f"{shown(step['note'] or step['error'] or '')}".rstrip()
        )
    if any(a["outcome"] != "done" for a in data["attempts"]):
        from models.record import collapse_attempts

        click.echo("  attempts:")
        for row in collapse_attempts(data["attempts"]):
            click.echo(attempt_line(row))
    for d in data["deliveries"]:
        remote = shown(d["remote_path"])
        click.echo(f"  {d['kind']:<7} -> {d['target']} {remote} ({d['bytes']} bytes)")
    for s in data["sms"]:
        click.echo(f"  sms     -> {s['recipient']} [{s['state']}] {shown(s['text'])}")


def _print_remake(data: dict[str, Any]) -> None:
    """A remake's line (which job, which plates, why) and the remakes of this job."""
    if data.get("remake_of") is not None:
        from pipeline import remake as rules

        every = rules.job_plates(data.get("separations") or {})
        chosen = [rules.Plate.from_dict(p) for p in data.get("remake_plates") or []]
        note = f"; {data['remake_note']}" if data.get("remake_note") else ""
        click.echo(
            f"  remake       R{data.get('remake_number')} of job {data['remake_of']}: "
            f"{rules.summary(chosen or every, every)} ({data.get('remake_reason_code')})"
            f"{shown(note)}"
        )
    if data.get("remakes"):
        click.echo(f"  remade as    {', '.join(f'job {i}' for i in data['remakes'])}")


def attempt_line(row: dict[str, Any]) -> str:
    """One row of ``collapse_attempts``: an attempt, or consecutive attempts that ended the
    same way as one line, ``#3-#12 waiting x10, 18:36–18:41 <error>``."""
    said = shown(row["error"] or row["note"] or "")
    numbers = f"#{row['first_number']}"
    if row["count"] > 1:
        numbers += f"-#{row['last_number']}"
        span = f"{show_clock(row['first'])}–{show_clock(row['last'])}"
        said = f"x{row['count']}, {span} {said}"
    return (
        f"    {show_time(row['first'])}  {row['step']:<17} {numbers:<4} {row['outcome']:<8} {said}"
    ).rstrip()


def _print_hold(data: dict[str, Any]) -> None:
    """The findings of the hold, and who decided about the held job."""
    from pipeline.hold import describe, finding_from

    for finding in data.get("findings") or []:
        click.echo(f"  finding      {shown(describe(finding_from(finding)))}")
    if data.get("decision"):
        remake = " (a remake)" if data.get("remake") else ""
        click.echo(
            f"  {data['decision']:<12} by {data['decided_by']} at "
            f"{show_time(data['decided_at'])}{remake}: {shown(data['decision_reason'])}"
        )


def job_details(config: Any, job_id: int) -> dict[str, Any]:
    """Everything ``show`` prints: the job record the API and the dashboard show too."""
    from models.record import job_record

    return job_record(config.database_url, job_id)


def server_paths(config: Any, job_id: int) -> dict[str, str]:
    """Where the job's file is on the server, for the console only (never in JSON)."""
    from models import store

    job = store.get_job(config.database_url, job_id)
    return {"archive_path": job.archive_path, "spool_path": job.spool_path}
