"""Operator commands on jobs: process, jobs, show, retry, reprocess, mode."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from commands.cli import fail, load_config_or_exit
from commands.output import (
    FIRST_DAY,
    JOB_ID,
    MAX_ID,
    checked_day,
    checked_range,
    echo_json,
    known_name,
    local_midnight,
)
from pipeline.chain import FINAL_STATUSES, HELD, MODES, SHOWN_STATUSES
from pipeline.text import shown

#: Seconds ``process --wait`` waits for a first step before asking whether a worker answers.
NO_WORKER_AFTER = 4.0


def _ready(ctx: click.Context, celery: bool = False):
    """Config loaded, database migrated; with ``celery`` the Celery app configured for sending.

    Commands that only read or write the database (jobs, show, mode) leave Celery alone.
    """
    from models.db import migrate

    config = load_config_or_exit(ctx)
    migrate(config.database_url)
    if celery:
        from tasks.app import configure

        configure(config)
    return config


def queue_or_fail(ctx: click.Context, config: Any, job_id: int) -> None:
    """Queue a recorded job's chain; when the broker is down, say so in one line and exit 1."""
    from commands.broker import broker_problem, unreachable
    from tasks import canvas

    problem = broker_problem(config)
    if problem is None:
        try:
            canvas.start(job_id)
            return
        except Exception as exc:  # the broker went away between the check and the send
            problem = unreachable(config, exc)
    fail(
        ctx,
        f"job {job_id} is recorded with its file but not queued: {problem}. The watcher "
        f"queues it once the broker answers, or run `prepress retry {job_id}`.",
        1,
        job=job_id,
    )


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--wait", is_flag=True, help="Show each step live and print the job at the end.")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds --wait waits.")
@click.pass_context
def process(ctx: click.Context, file: Path, wait: bool, as_json: bool, timeout: float) -> None:
    """Submit FILE (a copy; the file stays where it is) as a new job."""
    from pipeline.errors import RejectedFile
    from pipeline.files import check_takeable
    from watcher import intake

    try:  # before anything is set up: /dev/zero or a 16 GB file is refused at once
        check_takeable(file, load_config_or_exit(ctx).limits.max_file_mb * 2**20)
    except RejectedFile as exc:
        fail(ctx, f"rejected: {exc.message}", 1, rejection=exc.code)
    config = _ready(ctx, celery=True)
    job_id = intake.submit_copy(file, file.name, config, queue=False)
    queue_or_fail(ctx, config, job_id)
    if not wait:
        if as_json:
            echo_json({"job": job_id, "status": "queued"})
        else:
            click.echo(f"job {job_id} queued")
        return
    status = follow(ctx, config, job_id, timeout, quiet=as_json)
    _print_job(config, job_id, as_json)
    ctx.exit(0 if status == "done" else 1)


def follow(ctx: click.Context, config: Any, job_id: int, timeout: float, quiet: bool) -> str:
    """Print each step's state changes until the job is final; return its status.

    When no step has started after a few seconds and no worker answers a ping, say so and
    exit 1: the job stays queued and runs once a worker starts.
    """
    from commands.broker import broker_label
    from models import store
    from tasks.probes import workers_answering

    seen: dict[str, str] = {}
    started = time.monotonic()
    asked = False
    while time.monotonic() - started < timeout:
        for step in store.steps_of(config.database_url, job_id):
            if seen.get(step.name) != step.state and not quiet:
                detail = step.note or step.error
                click.echo(shown(f"  {step.name:<17} {step.state:<8} {detail}")[:200])
            seen[step.name] = step.state
        status = store.get_job(config.database_url, job_id).status
        if status in FINAL_STATUSES or status == HELD:
            return status
        if not asked and status == "queued" and time.monotonic() - started > NO_WORKER_AFTER:
            asked = True
            if workers_answering() == []:
                fail(
                    ctx,
                    f"job {job_id} is queued, but no worker answers on broker "
                    f"{broker_label(config.broker_url)}: start `prepress up` (or "
                    f"`prepress worker`); the job runs once a worker is there.",
                    1,
                    job=job_id,
                )
        time.sleep(0.2)
    click.echo(
        f"job {job_id}: still running after {timeout:.0f} s; `prepress show {job_id}`", err=True
    )
    return "running"


@click.command()
@click.option(
    "--status",
    type=click.Choice(SHOWN_STATUSES, case_sensitive=False),
    help="Only jobs shown with this status (waiting: a step waits to retry).",
)
@click.option("--press", default="", help="Only jobs for this press (any case).")
@click.option("--outputter", default="", help="Only jobs for this CTP bureau (any case).")
@click.option(
    "--search", default="", help="Words in the file name, order or job name; -WORD excludes."
)
@click.option("--from", "first", help="From this local date (YYYY-MM-DD), included.")
@click.option("--to", "last", help="To this local date (YYYY-MM-DD), included.")
@click.option("--since", help="Since a local date (YYYY-MM-DD) or a number of days back (7d).")
@click.option(
    "--received",
    is_flag=True,
    help="Dates are when the file was received, not the job's date (the page's default).",
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.pass_context
def jobs(ctx: click.Context, as_json: bool, limit: int, **chosen: Any) -> None:
    """List jobs, newest job date first, times in local time.

    Dates filter the job's date, as the dashboard and the report do (for imported history the
    file's date); with --received they filter when the file was received.
    """
    from commands.render import table_header, table_row
    from models import report
    from models.record import job_summary

    config = _ready(ctx)
    for option, what, configured in (
        ("press", "press", config.presses),
        ("outputter", "CTP bureau (outputter)", config.outputters),
    ):
        known = [*configured, *report.known_values(config.database_url, option)]
        chosen[option] = known_name(chosen[option], known, f"--{option}", what)
    rows, _ = report.search_jobs(config.database_url, job_filter(**chosen), limit)
    if as_json:  # the record's fields only: no server paths, no internal columns
        echo_json([job_summary(job) for job in rows])
        return
    if not rows:
        click.echo("no jobs")
        return
    click.echo(table_header())
    for job in rows:
        waiting = _waiting_step(config, job)
        click.echo("\n".join(table_row(job, "waiting" if waiting else None)))
        if waiting:
            from pipeline.targets import for_step
            from tasks.actions import describe_wait

            target = for_step(config, waiting.name, job.outputter, job.press)
            label = f"for {target.label}: " if target is not None else ""
            click.echo(f"{'':>8}{label}{describe_wait(waiting)}"[:240])


def job_filter(
    *,
    status: str | None,
    press: str,
    outputter: str,
    search: str,
    first: str | None,
    last: str | None,
    since: str | None,
    received: bool,
) -> Any:
    """The ``jobs`` options as the dashboard's filter (models/report.py ``JobFilter``)."""
    from models.report import JobFilter
    from pipeline.accounting import period

    checked_range(_day(first, "--from"), _day(last, "--to"))
    start, end = period(_day(first, "--from"), _day(last, "--to"))
    since_at = parse_since(since)
    if since_at is not None and (start is None or since_at > start):
        start = since_at
    return JobFilter(
        status=(status or "").lower(),
        press=press,
        outputter=outputter,
        q=search,
        start=start,
        end=end,
        date_field="received_at" if received else "job_date",
    )


def _day(value: str | None, option: str) -> date | None:
    return checked_day(value, option) if value else None


def _waiting_step(config: Any, job: Any) -> Any:
    """The job's step that waits to retry a transient fault, if any."""
    if job.status not in ("queued", "running"):
        return None
    from models import store

    steps = store.steps_of(config.database_url, job.id)
    return next((s for s in steps if s.state == "waiting"), None)


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """``--since``: a local date (its local midnight) or a number of days back; UTC-aware."""
    if not value:
        return None
    if value.endswith("d") and value[:-1].isdigit():
        try:
            return (now or datetime.now(UTC)) - timedelta(days=int(value[:-1]))
        except OverflowError:
            raise click.BadParameter(
                f"{value!r}: too many days back; use a date from {FIRST_DAY}",
                param_hint="--since",
            ) from None
    try:
        date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use YYYY-MM-DD or a number of days like 7d", param_hint="--since"
        ) from None
    return local_midnight(checked_day(value, "--since"))


@click.command()
@click.argument("job_id", type=JOB_ID)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, job_id: int, as_json: bool) -> None:
    """Show one job: facts, steps, deliveries and SMS."""
    from pipeline.errors import JobNotFound

    config = _ready(ctx)
    try:
        _print_job(config, job_id, as_json)
    except JobNotFound as exc:
        fail(ctx, str(exc), 1)


@click.command("retry")
@click.argument("job_id", type=JOB_ID)
@click.option("--now", is_flag=True, help="A job waiting to retry by itself: try it now.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_context
def retry_command(ctx: click.Context, job_id: int, now: bool, as_json: bool) -> None:
    """Queue a failed job again from the step that failed (done uploads and SMS are kept).

    A job still retrying by itself is left alone (--now cuts its wait short)."""
    from commands.broker import broker_problem
    from pipeline.errors import CannotRetry, JobNotFound
    from tasks import actions

    config = _ready(ctx, celery=True)
    problem = broker_problem(config)
    if problem:
        fail(ctx, f"job {job_id} not queued again: {problem}", 1, job=job_id)
    try:
        said = actions.retry(config, job_id, actions.Actor.cli(), now=now)
    except (CannotRetry, JobNotFound) as exc:
        fail(ctx, str(exc), 1, job=job_id)
    if as_json:
        echo_json({"job": job_id, "status": "queued", "said": said})
    else:
        click.echo(said)


@click.command()
@click.argument("target")
@click.option("--force-upload", is_flag=True, help="Send the plate file again (a remake).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the new job as JSON.")
@click.pass_context
def reprocess(
    ctx: click.Context, target: str, force_upload: bool, yes: bool, as_json: bool
) -> None:
    """Run the whole chain again on a job's archived original (or on FILE) as a new job."""
    from models import store
    from pipeline.errors import CannotRetry, JobNotFound, RejectedFile
    from pipeline.files import check_takeable
    from tasks import actions
    from watcher import intake

    if target.isdigit() and int(target) > MAX_ID and not Path(target).is_file():
        fail(ctx, f"no job {target}; `prepress jobs` lists the jobs", 1)
    config = _ready(ctx, celery=True)
    if not yes:
        says = f"{actions.REPROCESS_SAYS}; {actions.PLATE_SAYS[force_upload]}"
        click.echo(f"{shown(target)}: prepress {says}.", err=True)
        click.confirm("Go on?", abort=True, err=True)
    try:
        if target.isdigit() and not Path(target).is_file():
            new_id = actions.reprocess(
                config, int(target), actions.Actor.cli(), force_upload=force_upload, queue=False
            )
        elif Path(target).is_file():
            check_takeable(Path(target), config.limits.max_file_mb * 2**20)
            new_id = intake.submit_copy(Path(target), Path(target).name, config, queue=False)
            if force_upload:
                store.set_force_upload(config.database_url, new_id)
        else:
            raise CannotRetry(f"{target}: neither a job id nor a file")
    except (CannotRetry, JobNotFound, RejectedFile) as exc:
        fail(ctx, str(exc), 1)
    queue_or_fail(ctx, config, new_id)
    if as_json:
        echo_json({"job": new_id, "reprocess_of": target, "force_upload": force_upload})
    else:
        click.echo(f"job {new_id} queued")


@click.command()
@click.argument("new_mode", required=False, type=click.Choice(MODES))
@click.option("--json", "as_json", is_flag=True, help="Print the mode as JSON.")
@click.pass_context
def mode(ctx: click.Context, new_mode: str | None, as_json: bool) -> None:
    """Show or set the mode every process uses for new jobs: normal, import or dry-run."""
    from models import store
    from tasks import actions

    config = _ready(ctx)
    if new_mode:
        actions.set_mode(config, new_mode, actions.Actor.cli())
    current = store.get_mode(config.database_url)
    if as_json:
        echo_json({"mode": current})
    else:
        click.echo(current)


def _print_job(config: Any, job_id: int, as_json: bool) -> None:
    from commands.render import job_details, print_job, server_paths

    data = job_details(config, job_id)
    if as_json:
        echo_json(data)
    else:
        print_job(data, server_paths(config, job_id))
