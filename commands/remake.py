"""``prepress remake JOB --reason CODE [--plates Cyan,PANTONE 485 C] [--note TEXT] [--json]``.

The remake itself is tasks/actions.py ``remake``, the same the job page's form and
``POST /api/jobs/<id>/remake`` call; this module only parses and prints.
"""

from __future__ import annotations

import click

from commands.cli import fail
from commands.jobs import _ready, queue_or_fail
from commands.output import echo_json


@click.command()
@click.argument("job_id", type=int)
@click.option(
    "--reason",
    "reason_code",
    required=True,
    help="Why the plates are made again: a code of [remakes] reasons (damaged_on_press, ...).",
)
@click.option(
    "--plates",
    default="",
    help="The plates to make again, comma-separated: a separation (on every sheet side) or "
    "PAGE:NAME (one side), e.g. 'Cyan,PANTONE 485 C'. Default: all of the job's plates.",
)
@click.option("--note", default="", help="Free text kept with the remake and sent in its ticket.")
@click.option("--json", "as_json", is_flag=True, help="Print the new job as JSON.")
@click.pass_context
def remake(
    ctx: click.Context, job_id: int, reason_code: str, plates: str, note: str, as_json: bool
) -> None:
    """Order plates of a done job again: a new job sends the plate file under ``_R<n>`` with a
    ticket naming only these plates, and counts exactly these plates."""
    from models import store
    from pipeline import remake as rules
    from pipeline.errors import CannotRetry, JobNotFound
    from tasks import actions

    config = _ready(ctx, celery=True)
    wanted = rules.parse_plates(plates)
    try:
        new_id = actions.remake(
            config, job_id, actions.Actor.cli(), reason_code, wanted, note, queue=False
        )
    except (CannotRetry, JobNotFound) as exc:
        fail(ctx, str(exc), 1, job=job_id)
    queue_or_fail(ctx, config, new_id)
    job = store.get_job(config.database_url, new_id)
    ordered = [rules.Plate.from_dict(p) for p in job.remake_plates]
    every = rules.job_plates(store.get_job(config.database_url, job_id).separations or {})
    if as_json:
        echo_json(
            {
                "job": new_id,
                "remake_of": job.remake_of,
                "remake_number": job.remake_number,
                "reason": job.remake_reason_code,
                "plates": [p.as_dict() for p in ordered],
                "note": job.remake_note,
                "status": job.status,
            }
        )
    else:
        click.echo(
            f"job {new_id} queued: remake R{job.remake_number} of job {job.remake_of}, "
            f"{rules.summary(ordered, every)} ({job.remake_reason_code})"
        )
