"""Read-only queries of the dashboard and the plate report: filtered jobs and plate rows.

These select; they decide nothing. Which jobs count and how they add up is
pipeline/accounting.py: ``plate_report`` passes its statuses, modes and replaced jobs to the
queries as arguments and adds up what they return with its functions.
Every filter here has an index (migration 0002_web_indexes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, not_, or_, select, text
from sqlalchemy.orm import defer
from sqlmodel import Session, col

from models.db import session
from models.job import QUEUED, RUNNING, WAITING, Job, Step, fold
from pipeline import accounting
from pipeline.chain import PLATE_UPLOAD, UPLOAD_STEPS
from pipeline.config import Config

#: Most rows one page of the grid or the API returns.
MAX_LIMIT = 1000


@dataclass(frozen=True)
class JobFilter:
    """The grid's filters; empty means "any". ``q``: words in name, order or job, ``-w`` excludes.

    ``start`` and ``end`` bound the job's date (``start <= job_date < end``), or the time it
    was received when ``date_field`` is ``"received_at"``.
    """

    status: str = ""
    press: str = ""
    outputter: str = ""
    mode: str = ""
    q: str = ""
    start: datetime | None = None
    end: datetime | None = None
    date_field: str = "job_date"


#: The dates a filter can range: the job's date (the page's and the report's) or its arrival.
DATE_FIELDS = ("job_date", "received_at")


@dataclass(frozen=True, slots=True)
class PlateRow:
    """What plate accounting needs of one job (pipeline.accounting.JobRow)."""

    id: int
    status: str
    mode: str
    job_date: datetime
    press: str
    outputter: str
    plates: int | None
    reprocess_of: int | None
    same_file: bool = False
    duplicate_of: int | None = None
    remake: bool = False


@dataclass(frozen=True, slots=True)
class PlateGroup:
    """Counted jobs of one local month, press and bureau, added up by the database."""

    month: str
    press: str
    outputter: str
    jobs: int
    plates: int
    unknown_plates_jobs: int
    remake_jobs: int = 0
    remake_plates: int = 0
    remake_unknown: int = 0
    #: The first day of the group's price period (a month, or its part after a price change).
    day: date | None = None


@contextmanager
def _session(url: str) -> Iterator[Session]:
    """A session for these queries; on PostgreSQL each is planned for its own values.

    psycopg prepares a statement run five times, and PostgreSQL may then keep one generic plan
    for it: for a date range and a list of excluded ids that plan walked all done jobs (5x
    slower in benchmarks/web.py). ``SET LOCAL`` ends with the transaction.
    """
    with session(url) as db:
        if url.startswith("postgresql"):
            db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        yield db


def split_words(q: str) -> tuple[list[str], list[str]]:
    """``"flier -korol"`` -> (["flier"], ["korol"]): words to find and words to exclude."""
    words = q.split()
    wanted = [w for w in words if not w.startswith("-")]
    unwanted = [w[1:] for w in words if w.startswith("-") and len(w) > 1]
    return wanted, unwanted


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _word_in_job(word: str) -> ColumnElement[bool]:
    """The word in the file name, order or job name, ignoring case in every script.

    The job's ``search_key`` holds the three case-folded (models/job.py ``search_key``), so
    one LIKE on it works alike on SQLite and PostgreSQL, Cyrillic included.
    """
    return col(Job.search_key).like(_like(fold(word)), escape="\\")


def conditions(where: JobFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter."""
    clauses: list[ColumnElement[bool]] = []
    for name in ("status", "press", "outputter", "mode"):
        value = getattr(where, name)
        if value and (name, value) == ("status", WAITING):
            clauses.append(_waiting())
        elif value:
            clauses.append(getattr(Job, name) == value)
    if where.date_field not in DATE_FIELDS:
        raise ValueError(f"date_field must be one of {DATE_FIELDS}, not {where.date_field!r}")
    moment = col(getattr(Job, where.date_field))
    if where.start is not None:
        clauses.append(moment >= where.start)
    if where.end is not None:
        clauses.append(moment < where.end)
    wanted, unwanted = split_words(where.q)
    clauses += [_word_in_job(word) for word in wanted]
    clauses += [not_(_word_in_job(word)) for word in unwanted]
    return clauses


def _waiting() -> ColumnElement[bool]:
    """A queued or running job with a step waiting to retry (shown as ``waiting``)."""
    step = select(col(Step.id)).where(col(Step.job_id) == col(Job.id), col(Step.state) == WAITING)
    return and_(col(Job.status).in_((QUEUED, RUNNING)), step.exists())


def known_values(url: str, name: str) -> list[str]:
    """The distinct non-empty ``press`` or ``outputter`` of recorded jobs."""
    if name not in ("press", "outputter"):
        raise ValueError(f"no list of {name!r}")
    column = col(getattr(Job, name))
    with _session(url) as db:
        return sorted(str(v) for v in db.scalars(select(column).where(column != "").distinct()))


def search_jobs(
    url: str, where: JobFilter, limit: int = 50, offset: int = 0, *, sheets: bool = False
) -> tuple[list[Job], int]:
    """One page of matching jobs, newest first, and how many match in all.

    A job's sheets (the analysed pages, the largest column) are loaded only with ``sheets``.
    """
    clauses = conditions(where)
    limit = max(0, min(limit, MAX_LIMIT))
    with _session(url) as db:
        query = (
            select(Job)
            .options(*([] if sheets else [defer(Job.sheets)]))  # type: ignore[arg-type]
            .where(and_(True, *clauses))
            .order_by(col(Job.job_date).desc(), col(Job.id).desc())
            .limit(limit)
            .offset(max(0, offset))
        )
        jobs = list(db.scalars(query))
        total = db.scalar(select(func.count()).select_from(Job).where(and_(True, *clauses)))
        return jobs, int(total or 0)


def upload_steps(url: str, job_ids: Sequence[int]) -> dict[int, dict[str, Step]]:
    """The two upload steps of each job: {job id: {step name: Step}}."""
    if not job_ids:
        return {}
    found: dict[int, dict[str, Step]] = {job_id: {} for job_id in job_ids}
    with _session(url) as db:
        query = select(Step).where(
            col(Step.job_id).in_(list(job_ids)), col(Step.name).in_(UPLOAD_STEPS)
        )
        for step in db.scalars(query):
            found[step.job_id][step.name] = step
    return found


def reprocesses_of(url: str, job_ids: Sequence[int]) -> dict[int, list[int]]:
    """{job id: the jobs that reprocessed it, oldest first} for the given jobs that have any."""
    if not job_ids:
        return {}
    found: dict[int, list[int]] = {}
    with _session(url) as db:
        query = (
            select(col(Job.reprocess_of), col(Job.id))
            .where(col(Job.reprocess_of).in_(list(job_ids)))
            .order_by(col(Job.id))
        )
        for original, job_id in db.execute(query):
            found.setdefault(int(original), []).append(int(job_id))
    return found


def plate_rows(
    url: str,
    where: JobFilter,
    *,
    statuses: Sequence[str],
    modes: Sequence[str],
    same_file_note: str,
) -> tuple[list[PlateRow], set[int]]:
    """Rows of the matching jobs that may count, and the ids replaced by same-file reprocesses.

    The replaced ids are looked for among all jobs, not only the matching ones: a reprocess
    in December replaces a job from November.
    """
    columns = [col(c) for c in (Job.id, Job.status, Job.mode, Job.job_date, Job.press)]
    extra = [col(c) for c in (Job.outputter, Job.plates, Job.reprocess_of)]
    with _session(url) as db:
        query = select(*columns, *extra, col(Job.duplicate_of), col(Job.remake)).where(
            col(Job.status).in_(statuses),
            col(Job.mode).in_(modes),
            *conditions(where),
        )
        same_file = _same_file_reprocesses(db, statuses, modes, same_file_note)
        rows = [_plate_row(row, same_file) for row in db.execute(query)]
    return rows, set(same_file.values())


def _plate_row(row: Any, same_file: dict[int, int]) -> PlateRow:
    """A PlateRow from (id, status, mode, job_date, press, outputter, plates, reprocess_of,
    duplicate_of, remake)."""
    job_id, status, mode, job_date, press, outputter, plates, reprocess_of, duplicate, remake = row
    return PlateRow(
        job_id,
        status,
        mode,
        job_date,
        press,
        outputter,
        plates,
        reprocess_of,
        same_file=job_id in same_file,
        duplicate_of=duplicate,
        remake=bool(remake),
    )


def same_file_reprocesses(
    url: str, statuses: Sequence[str], modes: Sequence[str], note: str
) -> dict[int, int]:
    """{reprocess job id: the job it reprocessed} for reprocesses whose plate file was there."""
    with _session(url) as db:
        return _same_file_reprocesses(db, statuses, modes, note)


def stand_ins_not_counted(
    url: str, same_file: Mapping[int, int], *, statuses: Sequence[str], modes: Sequence[str]
) -> set[int]:
    """Same-file reprocesses (``{reprocess id: original id}``) that count for nothing.

    Such a reprocess bought no plates: it counts only in the place of its original. So it
    does not count when its original did not (rejected, held, dry-run, a duplicate nobody
    approved: there is nothing to replace), nor when a later same-file reprocess of the same
    original took that place (the plates of one file count once)."""
    if not same_file:
        return set()
    originals = set(same_file.values()) - set(same_file)
    with _session(url) as db:
        query = select(
            col(Job.id), col(Job.status), col(Job.mode), col(Job.duplicate_of), col(Job.remake)
        ).where(col(Job.id).in_(sorted(originals)))
        counted = {
            job_id
            for job_id, status, mode, duplicate, remake in db.execute(query)
            if status in statuses
            and mode in modes
            and (not accounting.DUPLICATES_COUNT_ONLY_AS_REMAKES or duplicate is None or remake)
        }
    latest: dict[int, int] = {}
    for reprocess in sorted(same_file):
        latest[same_file[reprocess]] = reprocess
    idle: set[int] = set()
    for reprocess in sorted(same_file):  # an original that is a reprocess is decided first
        original = same_file[reprocess]
        stands = original not in idle if original in same_file else original in counted
        if not stands or latest[original] != reprocess:
            idle.add(reprocess)
    return idle


def _counting(
    url: str,
    where: JobFilter,
    statuses: Sequence[str],
    modes: Sequence[str],
    exclude_ids: Sequence[int],
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [col(Job.status).in_(statuses), col(Job.mode).in_(modes)]
    if accounting.DUPLICATES_COUNT_ONLY_AS_REMAKES:
        clauses.append(or_(col(Job.duplicate_of).is_(None), col(Job.remake).is_(True)))
    clauses += conditions(where)
    if exclude_ids:
        clauses.append(col(Job.id).not_in(list(exclude_ids)))
    return clauses


def job_date_range(
    url: str,
    where: JobFilter,
    *,
    statuses: Sequence[str],
    modes: Sequence[str],
    exclude_ids: Sequence[int] = (),
) -> tuple[datetime | None, datetime | None]:
    """The first and last job date among the matching jobs that may count."""
    clauses = _counting(url, where, statuses, modes, exclude_ids)
    with _session(url) as db:
        query = select(func.min(col(Job.job_date)), func.max(col(Job.job_date))).where(*clauses)
        first, last = db.execute(query).one()
    return first, last


def plate_groups(
    url: str,
    where: JobFilter,
    *,
    statuses: Sequence[str],
    modes: Sequence[str],
    exclude_ids: Sequence[int],
    months: Sequence[tuple[str, datetime]],
) -> list[PlateGroup]:
    """Jobs, plates and unknown plate counts per month, press and bureau, summed in SQL.

    ``months`` are (label, start) in order; a job belongs to the last month starting at or
    before its date, so local months (and their summer-time shifts) are the caller's.
    """
    clauses = _counting(url, where, statuses, modes, exclude_ids)
    date = col(Job.job_date)
    month: ColumnElement[str] = literal(months[-1][0])
    if len(months) > 1:
        month = case(
            *[(date < start, label) for (label, _), (_, start) in pairwise(months)],
            else_=months[-1][0],
        )
    plates, remake = col(Job.plates), col(Job.remake).is_(True)
    query = (
        select(
            month,
            col(Job.press),
            col(Job.outputter),
            func.count(),
            func.coalesce(func.sum(plates), 0),
            func.sum(case((plates.is_(None), 1), else_=0)),
            func.sum(case((remake, 1), else_=0)),
            func.sum(case((and_(remake, plates.is_not(None)), plates), else_=0)),
            func.sum(case((and_(remake, plates.is_(None)), 1), else_=0)),
        )
        .where(*clauses)
        .group_by(month, col(Job.press), col(Job.outputter))
    )
    with _session(url) as db:
        return [
            PlateGroup(
                str(m),
                p or "",
                o or "",
                int(n),
                int(total),
                int(unknown or 0),
                int(remakes or 0),
                int(remade or 0),
                int(remade_unknown or 0),
            )  # fmt: skip
            for m, p, o, n, total, unknown, remakes, remade, remade_unknown in db.execute(query)
        ]


def _same_file_reprocesses(
    db: Any, statuses: Sequence[str], modes: Sequence[str], note: str
) -> dict[int, int]:
    """{reprocess job id: the job it reprocessed} for reprocesses whose plate file was there."""
    query = (
        select(col(Job.id), col(Job.reprocess_of))
        .join(Step, and_(col(Step.job_id) == Job.id, col(Step.name) == PLATE_UPLOAD))
        .where(
            col(Job.reprocess_of).is_not(None),
            col(Job.status).in_(statuses),
            col(Job.mode).in_(modes),
            col(Step.note).contains(note, autoescape=True),
        )
    )
    return {job_id: original for job_id, original in db.execute(query)}


def jobs_by_status_since(url: str, since: datetime) -> dict[str, int]:
    """How many jobs arrived since ``since``, per status."""
    with _session(url) as db:
        query = (
            select(col(Job.status), func.count())
            .where(col(Job.received_at) >= since)
            .group_by(Job.status)
        )
        return {status: int(count) for status, count in db.execute(query)}


def plate_report(
    config: Config,
    where: JobFilter,
    by: Sequence[str] = accounting.DIMENSIONS,
    zone: tzinfo | None = None,
) -> accounting.Report:
    """The plate report over the jobs ``where`` selects (pipeline/accounting.py's rules).

    The database adds up per local month, press and bureau (100,000 jobs in well under a
    second); the rules that decide which jobs count are applied through the query's arguments:
    the counted status and modes, and the jobs a same-file reprocess replaced.
    """
    url = config.database_url
    counted = {"statuses": (accounting.COUNTED_STATUS,), "modes": accounting.COUNTED_MODES}
    same_file = same_file_reprocesses(url, note=accounting.SAME_FILE_NOTE, **counted)
    idle = stand_ins_not_counted(url, same_file, **counted)
    exclude = sorted(accounting.replaced_ids(same_file) | idle)
    first, last = job_date_range(url, where, exclude_ids=exclude, **counted)
    if first is None or last is None:
        return accounting.Report(by=tuple(by))
    periods = price_periods(config, first, last, zone)
    groups = plate_groups(url, where, exclude_ids=exclude, months=periods, **counted)
    return accounting.summarize_groups([_dated(g) for g in groups], config.presses, by, config)


def price_periods(
    config: Config, first: datetime, last: datetime, zone: tzinfo | None = None
) -> list[tuple[str, datetime]]:
    """(label, local start) of the local months from ``first``'s to ``last``'s, cut where a
    bureau's price changes: within one period every price holds. A label is
    ``YYYY-MM|YYYY-MM-DD`` (the month, the period's first day)."""
    starts = {start: label for label, start in accounting.month_starts(first, last, zone)}
    begin, end = min(starts), last
    for bureau in config.outputters.values():
        for price in bureau.prices:
            if price.valid_from is None:
                continue
            start = accounting.local_day_start(price.valid_from, zone)
            if begin < start <= end:
                starts.setdefault(start, accounting.month_of(start, zone))
    return [
        (f"{label}|{start.astimezone(zone).date().isoformat()}", start)
        for start, label in sorted(starts.items())
    ]


def _dated(group: PlateGroup) -> PlateGroup:
    """The group of a price period as one of its month, with the period's first day."""
    month, _, day = group.month.partition("|")
    return replace(group, month=month, day=date.fromisoformat(day) if day else None)


def remake_ledger(config: Config, where: JobFilter, zone: tzinfo | None = None) -> dict[str, Any]:
    """The remake ledger (pipeline/accounting.py ``remake_ledger``) over the counted jobs
    ``where`` selects, summed by the database per price period, reason, press and bureau."""
    url = config.database_url
    counted = {"statuses": (accounting.COUNTED_STATUS,), "modes": accounting.COUNTED_MODES}
    same_file = same_file_reprocesses(url, note=accounting.SAME_FILE_NOTE, **counted)
    idle = stand_ins_not_counted(url, same_file, **counted)
    exclude = sorted(accounting.replaced_ids(same_file) | idle)
    first, last = job_date_range(url, where, exclude_ids=exclude, **counted)
    if first is None or last is None:
        return accounting.remake_ledger([], config.presses, config)
    periods = price_periods(config, first, last, zone)
    clauses = _counting(url, where, counted["statuses"], counted["modes"], exclude)
    moment = col(Job.job_date)
    period: ColumnElement[str] = literal(periods[-1][0])
    if len(periods) > 1:
        period = case(
            *[(moment < start, label) for (label, _), (_, start) in pairwise(periods)],
            else_=periods[-1][0],
        )
    plates, remake = col(Job.plates), col(Job.remake)
    reason = col(Job.remake_reason_code)
    query = (
        select(
            period,
            remake,
            reason,
            col(Job.press),
            col(Job.outputter),
            func.count(),
            func.coalesce(func.sum(plates), 0),
            func.sum(case((plates.is_(None), 1), else_=0)),
        )
        .where(*clauses)
        .group_by(period, remake, reason, col(Job.press), col(Job.outputter))
    )
    with _session(url) as db:
        groups = [
            accounting.LedgerGroup(
                date.fromisoformat(str(label).partition("|")[2]),
                bool(is_remake),
                code or "",
                press or "",
                outputter or "",
                int(jobs),
                int(total),
                int(unknown or 0),
            )
            for label, is_remake, code, press, outputter, jobs, total, unknown in db.execute(query)
        ]
    return accounting.remake_ledger(groups, config.presses, config)
