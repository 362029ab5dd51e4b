"""Operator commands on jobs: process, jobs, show, retry, reprocess, mode."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from commands.cli import load_config_or_exit

#: Job statuses after which nothing more happens.
FINAL = ("done", "rejected", "failed")


def _ready(ctx: click.Context):  # noqa: ANN202
    """Config loaded, database migrated, Celery app configured for sending."""
    from models.db import migrate
    from tasks.app import configure

    config = load_config_or_exit(ctx)
    migrate(config.database_url)
    configure(config)
    return config


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--wait", is_flag=True, help="Show each step live and print the job at the end.")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds --wait waits.")
@click.pass_context
def process(ctx: click.Context, file: Path, wait: bool, as_json: bool, timeout: float) -> None:
    """Submit FILE (a copy; the file stays where it is) as a new job."""
    from watcher import intake

    config = _ready(ctx)
    job_id = intake.submit_copy(file, file.name, config)
    if not wait:
        click.echo(json.dumps({"job": job_id}) if as_json else f"job {job_id} queued")
        return
    status = follow(config, job_id, timeout, quiet=as_json)
    _print_job(config, job_id, as_json)
    ctx.exit(0 if status == "done" else 1)


def follow(config: Any, job_id: int, timeout: float, quiet: bool = False) -> str:
    """Print each step's state changes until the job is final; return its status."""
    from models import store

    seen: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for step in store.steps_of(config.database_url, job_id):
            if seen.get(step.name) != step.state and not quiet:
                detail = step.note or step.error
                click.echo(f"  {step.name:<17} {step.state:<8} {detail}"[:200])
            seen[step.name] = step.state
        status = store.get_job(config.database_url, job_id).status
        if status in FINAL:
            return status
        time.sleep(0.2)
    click.echo(
        f"job {job_id}: still running after {timeout:.0f} s; `prepress show {job_id}`", err=True
    )
    return "running"


@click.command()
@click.option("--status", type=click.Choice(["queued", "running", "done", "rejected", "failed"]))
@click.option("--since", help="Only jobs received since: YYYY-MM-DD, or a number of days (7d).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def jobs(
    ctx: click.Context, status: str | None, since: str | None, as_json: bool, limit: int
) -> None:
    """List jobs, newest first."""
    from models import store

    config = _ready(ctx)
    rows = store.list_jobs(config.database_url, status, _since(since), limit)
    if as_json:
        click.echo(json.dumps([_job_dict(job) for job in rows], ensure_ascii=False, indent=1))
        return
    for job in rows:
        plates = "?" if job.plates is None else job.plates
        click.echo(
            f"{job.id:>6}  {job.received_at:%Y-%m-%d %H:%M}  {job.status:<8} "
            f"{job.step:<16} {job.press or '-':<12} {job.outputter or '-':<10} "
            f"{plates:>3}  {job.name}"
        )
    if not rows:
        click.echo("no jobs")


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    if value.endswith("d") and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(days=int(value[:-1]))
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use YYYY-MM-DD or a number of days like 7d", param_hint="--since"
        ) from None


@click.command()
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, job_id: int, as_json: bool) -> None:
    """Show one job: facts, steps, deliveries and SMS."""
    from pipeline.errors import JobNotFound

    config = _ready(ctx)
    try:
        _print_job(config, job_id, as_json)
    except JobNotFound as exc:
        click.echo(str(exc), err=True)
        ctx.exit(1)


@click.command()
@click.argument("job_id", type=int)
@click.pass_context
def retry(ctx: click.Context, job_id: int) -> None:
    """Queue a failed job again from the step that failed (done uploads and SMS are kept)."""
    from pipeline.errors import CannotRetry, JobNotFound
    from tasks.canvas import retry as retry_job

    config = _ready(ctx)
    try:
        retry_job(job_id, config)
    except (CannotRetry, JobNotFound) as exc:
        click.echo(str(exc), err=True)
        ctx.exit(1)
    click.echo(f"job {job_id} queued again")


@click.command()
@click.argument("target")
@click.pass_context
def reprocess(ctx: click.Context, target: str) -> None:
    """Run the whole chain again on a job's archived original (or on FILE) as a new job."""
    from pipeline.errors import CannotRetry, JobNotFound
    from watcher import intake

    config = _ready(ctx)
    try:
        if target.isdigit() and not Path(target).is_file():
            new_id = intake.reprocess(int(target), config)
        elif Path(target).is_file():
            new_id = intake.submit_copy(Path(target), Path(target).name, config)
        else:
            raise CannotRetry(f"{target}: neither a job id nor a file")
    except (CannotRetry, JobNotFound) as exc:
        click.echo(str(exc), err=True)
        ctx.exit(1)
    click.echo(f"job {new_id} queued")


@click.command()
@click.argument("new_mode", required=False, type=click.Choice(["normal", "import", "dry-run"]))
@click.pass_context
def mode(ctx: click.Context, new_mode: str | None) -> None:
    """Show or set the mode every process uses for new jobs: normal, import or dry-run."""
    from models import store

    config = _ready(ctx)
    if new_mode:
        store.set_mode(config.database_url, new_mode)
    click.echo(store.get_mode(config.database_url))


def _print_job(config: Any, job_id: int, as_json: bool) -> None:
    from models import store

    url = config.database_url
    data = _job_dict(store.get_job(url, job_id))
    data["steps"] = [
        {
            "name": s.name,
            "state": s.state,
            "attempts": s.attempts,
            "duration": s.duration,
            "error": s.error,
            "note": s.note,
        }
        for s in store.steps_of(url, job_id)
    ]
    data["deliveries"] = [
        {
            "kind": d.kind,
            "target": d.target,
            "remote_path": d.remote_path,
            "bytes": d.bytes,
            "seconds": d.seconds,
            "speed_mbps": d.speed_mbps,
        }
        for d in store.deliveries_of(url, job_id)
    ]
    data["sms"] = [
        {"recipient": s.recipient, "state": s.state, "provider_id": s.provider_id, "text": s.text}
        for s in store.sms_of(url, job_id)
    ]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        return
    click.echo(f"job {data['id']}: {data['name']}  [{data['status']}]")
    for key in (
        "order",
        "job_name",
        "press",
        "outputter",
        "plates",
        "mode",
        "error",
        "archive_path",
    ):
        if data.get(key) not in (None, ""):
            click.echo(f"  {key:<12} {data[key]}")
    for warning in data["warnings"]:
        click.echo(f"  warning      {warning}")
    for step in data["steps"]:
        took = f"{step['duration']:.2f}s" if step["duration"] is not None else ""
        click.echo(
            f"  - {step['name']:<17} {step['state']:<8} x{step['attempts']} {took:>7} "
            f"{step['note'] or step['error']}"
        )
    for d in data["deliveries"]:
        click.echo(f"  {d['kind']:<7} -> {d['target']} {d['remote_path']} ({d['bytes']} bytes)")
    for s in data["sms"]:
        click.echo(f"  sms     -> {s['recipient']} [{s['state']}] {s['text']}")


def _job_dict(job: Any) -> dict[str, Any]:
    data = job.model_dump()
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
    return data
