"""Held jobs: ``prepress held``, ``approve JOB --reason``, ``reject JOB --reason``.

The decisions are tasks/actions.py's ``approve`` and ``reject``, the same the dashboard's
buttons and ``/api/jobs/<id>/approve|reject`` call; this module only prints.
"""

from __future__ import annotations

from typing import Any

import click

from commands.cli import fail
from commands.jobs import _ready
from commands.output import echo_json, shorten, show_time
from pipeline.text import shown

#: Longest file name shown in the ``held`` table.
NAME_WIDTH = 40


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the held jobs as JSON.")
@click.pass_context
def held(ctx: click.Context, as_json: bool) -> None:
    """List the jobs waiting at the hold for a person, longest held first, with the reasons."""
    from models import hold
    from models.record import job_summary
    from pipeline import hold as rules

    config = _ready(ctx)
    jobs = hold.held_jobs(config.database_url)
    if as_json:
        echo_json({"held": [job_summary(job) for job in jobs], "total": len(jobs)})
        return
    if not jobs:
        click.echo("No job is held.")
        return
    for job in jobs:
        click.echo(
            f"{job.id:>6}  {show_time(job.held_at)}  "
            f"{shown(shorten(job.name, NAME_WIDTH)):<{NAME_WIDTH}}"
            f"  {job.press or '-'} {job.outputter or '-'} {_plates(job)}"
        )
        for finding in job.findings:
            described = rules.describe(rules.finding_from(finding))
            click.echo(f"        {shown(described)}")
    click.echo(
        f"{len(jobs)} held; `prepress approve JOB --reason TEXT` or "
        "`prepress reject JOB --reason TEXT`"
    )


def _plates(job: Any) -> str:
    return "unknown plates" if job.plates is None else f"{job.plates} plates"


@click.command()
@click.argument("job_id", type=int)
@click.option("--reason", default="", help="Why (required for a duplicate or over errors).")
@click.option(
    "--reason-code",
    default="",
    help="For a duplicate (it becomes a remake): a code of [remakes] reasons; a --reason that "
    "is itself a code serves as both.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_context
def approve(ctx: click.Context, job_id: int, reason: str, reason_code: str, as_json: bool) -> None:
    """Approve a held job: it continues with the plate upload (a duplicate becomes a remake)."""
    _decide(ctx, job_id, "approve", reason, as_json, reason_code)


@click.command()
@click.argument("job_id", type=int)
@click.option("--reason", required=True, help="Why the job is rejected (goes into error.txt).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_context
def reject(ctx: click.Context, job_id: int, reason: str, as_json: bool) -> None:
    """Reject a held job: its file goes to failed/ with the findings and the reason."""
    _decide(ctx, job_id, "reject", reason, as_json)


def _decide(
    ctx: click.Context,
    job_id: int,
    action: str,
    reason: str,
    as_json: bool,
    reason_code: str = "",
) -> None:
    from models import store
    from pipeline.errors import CannotRetry, JobNotFound
    from tasks import actions

    config = _ready(ctx, celery=action == "approve")
    try:
        if action == "approve":
            said = actions.approve(config, job_id, actions.Actor.cli(), reason, reason_code)
        else:
            said = actions.reject(config, job_id, actions.Actor.cli(), reason)
    except (CannotRetry, JobNotFound) as exc:
        fail(ctx, str(exc), 1, job=job_id)
    job = store.get_job(config.database_url, job_id)
    if as_json:
        echo_json({"job": job_id, "status": job.status, "decision": job.decision, "said": said})
    else:
        click.echo(said)
