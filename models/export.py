"""The job grid as a CSV file (``/jobs.csv``), in the shop's CSV format (pipeline/spreadsheet.py).

One row per job with what the page shows: its facts, its cost (the plates it bought x the
bureau's price on its day, else the press's ``plate_cost``; empty for a job that bought none:
rejected, failed, held, dry-run, a duplicate nobody approved), a remake's original, number,
reason and plates, and the decision a person made at the hold (who, when, why). Times are the
shop's local time to the second.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from models.job import Job, aware
from pipeline import accounting
from pipeline.config import Config
from pipeline.spreadsheet import CsvFormat

#: The grid's CSV columns: the job's fields, then what is worked out per job.
GRID_COLUMNS = (
    "id",
    "job_date",
    "received_at",
    "order",
    "job_name",
    "name",
    "press",
    "outputter",
    "plates",
    "pages",
    "cost",
    "mode",
    "status",
    "step",
    "error",
    "remake",
    "remake_of",
    "remake_number",
    "remake_reason_code",
    "remake_plates",
    "decision",
    "decided_by",
    "decided_at",
    "decision_reason",
)


def job_cost(config: Config, job: Job) -> float | None:
    """What the job's plates cost the shop: only a job that counts (pipeline/accounting.py),
    at the bureau's price on the job's day, else the press's ``plate_cost``."""
    row: Any = job
    if job.plates is None or not accounting.counts(row):
        return None
    day = aware(job.job_date).astimezone().date()
    unit = accounting.unit_cost(config, config.presses, job.outputter, job.press, day)
    return None if unit is None else job.plates * unit


def remade_plates(plates: list[Any]) -> str:
    """A remake's plates: ``1:Cyan, 2:Black`` (empty: all of them)."""
    return ", ".join(
        f"{p.get('page')}:{p.get('separation')}" if isinstance(p, dict) else str(p) for p in plates
    )


def grid_csv(config: Config, jobs: Iterable[Job]) -> str:
    """The jobs as the shop's CSV file (byte order mark, separator, decimal mark, CRLF)."""
    style = CsvFormat.of(config)

    def values(job: Job) -> list[Any]:
        worked = {
            "cost": job_cost(config, job),
            "remake_plates": remade_plates(job.remake_plates or []),
        }
        return [worked[c] if c in worked else getattr(job, c) for c in GRID_COLUMNS]

    return style.document(GRID_COLUMNS, (values(job) for job in jobs))
