"""Plate accounting: which jobs count, and plates, m2 and money per month, press and bureau.

The rules (DOMAIN.md, "Plate accounting") live here and only here, as pure functions;
models/report.py ``plate_report`` applies them to the database for ``prepress report``, the
dashboard's totals and its reports page. A job counts when it is done in normal or import
mode; a reprocess whose bureau upload was skipped because the same file was already there
replaces the job it reprocessed; a job whose plate count is unknown counts as a job, never as
zero plates. A duplicate (the same bytes as an earlier job, found at the hold) never counts,
unless a person approved it as a *remake*: then it counts as its own job and is also shown
apart (``Report.remakes``: plates paid twice, which the shop wants to see).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Protocol

from pipeline.config.ledger import plate_key
from pipeline.config.settings import Config, Press
from pipeline.spreadsheet import CsvFormat

#: The status a job must have to count.
COUNTED_STATUS = "done"
#: Modes whose jobs count: import loads history, whose plates were bought. Dry-run never counts.
COUNTED_MODES = ("normal", "import")
#: What the bureau upload's step note says when the same file was already on the server
#: (written by tasks/stages.py ``_upload``): such a reprocess bought no new plates.
SAME_FILE_NOTE = "already on the server with the same size"
#: The dimensions a report can be grouped by, in their order.
DIMENSIONS = ("month", "press", "outputter")
#: The figures of every report row and of the totals.
FIGURES = ("jobs", "plates", "area_m2", "cost")
#: The CSV's columns of the remakes among a row's jobs (already included in its figures).
REMAKE_FIGURES = ("remake_jobs", "remake_plates", "remake_cost")
#: A duplicate counts only when a person approved it as a remake.
DUPLICATES_COUNT_ONLY_AS_REMAKES = True


class JobRow(Protocol):
    """What accounting needs of a job (models/report.py selects exactly this)."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def job_date(self) -> datetime: ...
    @property
    def press(self) -> str: ...
    @property
    def outputter(self) -> str: ...
    @property
    def plates(self) -> int | None: ...
    @property
    def reprocess_of(self) -> int | None: ...
    @property
    def same_file(self) -> bool: ...
    @property
    def duplicate_of(self) -> int | None: ...
    @property
    def remake(self) -> bool: ...


@dataclass
class Figures:
    """Jobs, plates, plate area and cost of a set of jobs; area and cost may be unknown."""

    jobs: int = 0
    plates: int = 0
    area_m2: float | None = None
    cost: float | None = None
    unknown_plates_jobs: int = 0

    def add(self, plates: int | None, area_m2: float | None, cost: float | None) -> None:
        self.jobs += 1
        if plates is None:
            self.unknown_plates_jobs += 1
            return
        self.plates += plates
        if area_m2 is not None:
            self.area_m2 = (self.area_m2 or 0.0) + area_m2
        if cost is not None:
            self.cost = (self.cost or 0.0) + cost

    def merge(
        self, jobs: int, plates: int, unknown: int, area_m2: float | None, cost: float | None
    ) -> None:
        """Add a group of jobs at once (their plates, area and cost already summed)."""
        self.jobs += jobs
        self.unknown_plates_jobs += unknown
        if jobs == unknown:
            return
        self.plates += plates
        if area_m2 is not None:
            self.area_m2 = (self.area_m2 or 0.0) + area_m2
        if cost is not None:
            self.cost = (self.cost or 0.0) + cost

    def as_dict(self) -> dict[str, Any]:
        return {
            "jobs": self.jobs,
            "plates": self.plates,
            "area_m2": None if self.area_m2 is None else round(self.area_m2, 3),
            "cost": None if self.cost is None else round(self.cost, 2),
        }


@dataclass
class Report:
    """Rows keyed by the chosen dimensions, the totals, and how many jobs had no plate count."""

    by: tuple[str, ...]
    rows: dict[tuple[str, ...], Figures] = field(default_factory=dict)
    totals: Figures = field(default_factory=Figures)
    #: The remakes among the counted jobs, by the same keys (included in ``rows`` too).
    remakes: dict[tuple[str, ...], Figures] = field(default_factory=dict)
    remake_totals: Figures = field(default_factory=Figures)

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``prepress report --json`` and ``GET /api/report``."""
        return {
            "rows": self._rows(self.rows),
            "totals": self.totals.as_dict(),
            "unknown_plates_jobs": self.totals.unknown_plates_jobs,
            "remakes": {"rows": self._rows(self.remakes), "totals": self.remake_totals.as_dict()},
        }

    def _rows(self, rows: Mapping[tuple[str, ...], Figures]) -> list[dict[str, Any]]:
        return [
            {**dict(zip(self.by, key, strict=True)), **figures.as_dict()}
            for key, figures in sorted(rows.items())
        ]

    def rollup(self, by: Sequence[str]) -> Report:
        """The same report grouped by fewer dimensions (``by`` a subset of this one's)."""
        report = Report(by=tuple(by), totals=self.totals, remake_totals=self.remake_totals)
        for source, target in ((self.rows, report.rows), (self.remakes, report.remakes)):
            for key, figures in source.items():
                values = dict(zip(self.by, key, strict=True))
                target.setdefault(tuple(values[n] for n in by), Figures()).merge(
                    figures.jobs,
                    figures.plates,
                    figures.unknown_plates_jobs,
                    figures.area_m2,
                    figures.cost,
                )
        return report

    def as_csv(self, style: CsvFormat | None = None) -> str:
        """The CSV file (pipeline/spreadsheet.py: a byte order mark, the shop's separator and
        decimal mark; default ``;`` and a decimal comma) with a header: the grouping columns,
        jobs, plates, area_m2, cost, then the remakes among those jobs (remake_jobs,
        remake_plates, remake_cost)."""

        def values(key: tuple[str, ...], figures: Figures) -> list[Any]:
            remade = self.remakes.get(key, Figures()).as_dict()
            return [
                *key,
                *(figures.as_dict()[name] for name in FIGURES),
                *(remade["jobs"], remade["plates"], remade["cost"]),
            ]

        header = [*self.by, *FIGURES, *REMAKE_FIGURES]
        rows = (values(key, figures) for key, figures in sorted(self.rows.items()))
        return (style or CsvFormat()).document(header, rows)


def counts(row: JobRow) -> bool:
    """True when the job's plates were bought: done, in normal or import mode, and not a
    duplicate of an earlier job unless a person approved it as a remake."""
    if row.status != COUNTED_STATUS or row.mode not in COUNTED_MODES:
        return False
    return row.duplicate_of is None or row.remake or not DUPLICATES_COUNT_ONLY_AS_REMAKES


def counted_jobs(rows: Iterable[JobRow], replaced: Iterable[int] = ()) -> list[JobRow]:
    """The jobs that count, each once.

    ``replaced`` are ids of jobs replaced by a same-file reprocess the caller found outside
    ``rows`` (the reprocess may fall in a later month than the job it replaces).
    """
    kept = [row for row in rows if counts(row)]
    gone = set(replaced) | {r.reprocess_of for r in kept if r.same_file and r.reprocess_of}
    return [row for row in kept if row.id not in gone]


def month_of(moment: datetime, zone: tzinfo | None = None) -> str:
    """``YYYY-MM`` of ``moment`` in the shop's local time (``zone``, default: this host's)."""
    return moment.astimezone(zone).strftime("%Y-%m")


def plate_area_m2(press: Press | None, plates: int) -> float | None:
    """Plates x the press's plate in m2; unknown for a press no longer configured."""
    if press is None:
        return None
    width, height = press.plate_mm
    return plates * width * height / 1_000_000


def plate_price(
    config: Config, outputter: str, plate_mm: tuple[float, float] | None, day: date
) -> float | None:
    """The price of one plate of ``plate_mm`` at the bureau ``outputter`` on ``day``.

    The bureau's ``[[outputters.NAME.prices]]`` entry for that format (orientation-free, to
    the millimetre) with the latest ``from`` on or before ``day`` (an entry without ``from``
    holds always, below any dated one). None when the bureau is not configured or has no
    price for the format then: the caller may fall back to the press's ``plate_cost``.
    """
    bureau = config.outputters.get(outputter)
    if bureau is None or plate_mm is None or not bureau.prices:
        return None
    wanted = plate_key(plate_mm)
    best: tuple[date, float] | None = None
    for entry in bureau.prices:
        if plate_key(entry.plate_mm) != wanted:
            continue
        start = entry.valid_from or date.min
        if start <= day and (best is None or start >= best[0]):
            best = (start, entry.price)
    return None if best is None else best[1]


def unit_cost(
    config: Config | None,
    presses: Mapping[str, Press],
    outputter: str,
    press_name: str,
    day: date | None,
) -> float | None:
    """The price of one of the job's plates: the bureau's price for the press's plate format on
    ``day`` (:func:`plate_price`), else the press's ``plate_cost`` (the fallback); None: none."""
    press = presses.get(press_name)
    if config is not None and press is not None and day is not None:
        price = plate_price(config, outputter, press.plate_mm, day)
        if price is not None:
            return price
    return None if press is None else press.plate_cost


def plate_cost(press: Press | None, plates: int) -> float | None:
    """Plates x the press's ``plate_cost``; no price, no cost."""
    if press is None or press.plate_cost is None:
        return None
    return plates * press.plate_cost


def dimension(row: JobRow, name: str, zone: tzinfo | None) -> str:
    """The row's value for one grouping dimension."""
    if name == "month":
        return month_of(row.job_date, zone)
    return str(getattr(row, name) or "")


def summarize(
    rows: Iterable[JobRow],
    presses: Mapping[str, Press],
    by: Sequence[str] = DIMENSIONS,
    zone: tzinfo | None = None,
    replaced: Iterable[int] = (),
    config: Config | None = None,
) -> Report:
    """Group the counted jobs by ``by`` and add up jobs, plates, m2 and cost (with ``config``
    the bureau's price on the job's local day, else the press's ``plate_cost``)."""
    unknown = [name for name in by if name not in DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot group by {', '.join(unknown)}; choose from {DIMENSIONS}")
    report = Report(by=tuple(by))
    for row in counted_jobs(rows, replaced):
        press = presses.get(row.press)
        area = None if row.plates is None else plate_area_m2(press, row.plates)
        day = row.job_date.astimezone(zone).date()
        unit = unit_cost(config, presses, row.outputter, row.press, day)
        cost = None if row.plates is None or unit is None else row.plates * unit
        key = tuple(dimension(row, name, zone) for name in by)
        report.rows.setdefault(key, Figures()).add(row.plates, area, cost)
        report.totals.add(row.plates, area, cost)
        if row.remake:
            report.remakes.setdefault(key, Figures()).add(row.plates, area, cost)
            report.remake_totals.add(row.plates, area, cost)
    return report


def parse_by(text: str) -> tuple[str, ...]:
    """``"month,press"`` -> ``("month", "press")``, in the canonical order; ValueError if wrong."""
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(DIMENSIONS))
    if unknown:
        raise ValueError(
            f"cannot group by {', '.join(unknown)}; choose from {', '.join(DIMENSIONS)}"
        )
    return tuple(name for name in DIMENSIONS if name in names)


def local_day_start(day: date, zone: tzinfo | None = None) -> datetime:
    """Midnight at the start of ``day`` in the shop's local time, as an aware datetime."""
    if zone is None:
        return datetime(day.year, day.month, day.day).astimezone()
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def period(
    first: date | None, last: date | None, zone: tzinfo | None = None
) -> tuple[datetime | None, datetime | None]:
    """``[start, end)`` covering the local days ``first`` to ``last``, both included."""
    start = None if first is None else local_day_start(first, zone)
    end = None if last is None else local_day_start(last + timedelta(days=1), zone)
    return start, end


def replaced_ids(same_file: Mapping[int, int]) -> set[int]:
    """Jobs replaced by a counted same-file reprocess ({reprocess id: original id})."""
    return set(same_file.values())


def month_starts(
    first: datetime, last: datetime, zone: tzinfo | None = None
) -> list[tuple[str, datetime]]:
    """(``YYYY-MM``, local start) of every local month from ``first``'s to ``last``'s."""
    here = first.astimezone(zone)
    year, month = here.year, here.month
    end = month_of(last, zone)
    months = []
    while True:
        label = f"{year:04d}-{month:02d}"
        months.append((label, local_day_start(date(year, month, 1), zone)))
        if label >= end:
            return months
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def summarize_groups(
    groups: Iterable[Any],
    presses: Mapping[str, Press],
    by: Sequence[str] = DIMENSIONS,
    config: Config | None = None,
) -> Report:
    """Like :func:`summarize`, from counted jobs already summed per month (or part of a month
    with one price: a group's ``day`` is its first), press and bureau."""
    report = Report(by=tuple(by))
    for group in groups:
        press = presses.get(group.press)
        area = plate_area_m2(press, group.plates)
        unit = unit_cost(config, presses, group.outputter, group.press, getattr(group, "day", None))
        cost = None if unit is None else group.plates * unit
        key = tuple(str(getattr(group, name) or "") for name in by)
        figures = (group.jobs, group.plates, group.unknown_plates_jobs, area, cost)
        report.rows.setdefault(key, Figures()).merge(*figures)
        report.totals.merge(*figures)
        if group.remake_jobs:
            remade = (
                group.remake_jobs,
                group.remake_plates,
                group.remake_unknown,
                plate_area_m2(press, group.remake_plates),
                None if unit is None else group.remake_plates * unit,
            )
            report.remakes.setdefault(key, Figures()).merge(*remade)
            report.remake_totals.merge(*remade)
    return report


#: The groupings of the remake ledger, in the order they are shown.
LEDGER_DIMENSIONS = ("reason", "press", "outputter")
#: The reason shown for a remake without a reason code (a duplicate approved before codes).
NO_REASON = "(no reason)"


@dataclass(frozen=True)
class LedgerGroup:
    """Counted jobs of one price period, remake reason, press and bureau, first plates
    (``remake`` False) or remakes, as the database sums them."""

    day: date | None
    remake: bool
    reason: str
    press: str
    outputter: str
    jobs: int
    plates: int
    unknown_plates_jobs: int = 0


def remake_ledger(
    groups: Iterable[LedgerGroup], presses: Mapping[str, Press], config: Config | None = None
) -> dict[str, Any]:
    """Remakes per reason, per press and per bureau: jobs, plates, money (the bureau's price on
    the job's date, else the press's plate_cost) and the rate of remade plates against first
    plates (of that press or bureau; for a reason, of all). First plates are the counted plates
    of jobs that are no remake: remakes never change them."""
    first: dict[str, dict[str, int]] = {"press": {}, "outputter": {}}
    first_total = 0
    figures: dict[str, dict[str, Figures]] = {name: {} for name in LEDGER_DIMENSIONS}
    totals = Figures()
    for group in groups:
        if not group.remake:
            first_total += group.plates
            for name in ("press", "outputter"):
                key = getattr(group, name) or ""
                first[name][key] = first[name].get(key, 0) + group.plates
            continue
        unit = unit_cost(config, presses, group.outputter, group.press, group.day)
        cost = None if unit is None else group.plates * unit
        counted = (group.jobs, group.plates, group.unknown_plates_jobs, None, cost)
        for name in LEDGER_DIMENSIONS:
            key = (group.reason or NO_REASON) if name == "reason" else getattr(group, name) or ""
            figures[name].setdefault(key, Figures()).merge(*counted)
        totals.merge(*counted)

    def row(figure: Figures, against: int) -> dict[str, Any]:
        shown = figure.as_dict()
        rate = None if not against else round(figure.plates / against, 4)
        return {
            "jobs": shown["jobs"],
            "plates": shown["plates"],
            "cost": shown["cost"],
            "first_plates": against,
            "rate": rate,
        }

    ledger: dict[str, Any] = {
        "currency": config.currency if config is not None else "",
        "first_plates": first_total,
    }
    for name in LEDGER_DIMENSIONS:
        ledger[f"by_{name}"] = [
            {name: key, **row(figure, first_total if name == "reason" else first[name].get(key, 0))}
            for key, figure in sorted(figures[name].items())
        ]
    ledger["totals"] = row(totals, first_total)
    return ledger
