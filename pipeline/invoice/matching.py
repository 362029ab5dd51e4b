"""Each invoice line against the plates we sent the bureau: one status per line, and our jobs
of the invoice's period that no line bills.

A line names a job by its remote file name (the name the bureau received: a remake's carries
``_R1``, ``_R2``) or by its order number (``0537`` bills the order's first plates or any of
its remakes, ``0537_R1`` its first remake only; leading zeros are ignored, Excel drops them).
It bills a job whose local date lies within the bureau's ``window_days`` of the line's date.
Lines are matched in three passes so that the order of lines does not decide: first each line
takes a job with the same plate count, then any job left, and a line whose jobs were all taken
bills a job twice.

``matched``          the line bills one of our jobs: same plates, same price of a plate
``quantity_differs`` the line bills one of our jobs for another number of plates
``price_differs``    same plates, another price of a plate than the bureau's price that day
``billed_twice``     the job(s) the line names were billed by an earlier line already
``not_sent``         no job we sent the bureau matches the line
``not_billed``       our job in the invoice's period (the months its lines fall in, or the
                     days given) that no line bills
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from pipeline.accounting import plate_price
from pipeline.config import Config
from pipeline.invoice.lines import InvoiceLine, billing_period

MATCHED, QUANTITY_DIFFERS, PRICE_DIFFERS = "matched", "quantity_differs", "price_differs"
BILLED_TWICE, NOT_SENT, NOT_BILLED = "billed_twice", "not_sent", "not_billed"
#: Every status, the differences after ``matched`` in the order the text form lists them.
STATUSES = (MATCHED, QUANTITY_DIFFERS, PRICE_DIFFERS, BILLED_TWICE, NOT_SENT, NOT_BILLED)
#: Prices closer than this are the same price (money is written to the kopeck).
PRICE_TOLERANCE = 0.005
#: A remake's order number as a bureau writes it: ``0537_R1``, ``0537-R2``, ``0537 R1``.
_REMAKE_ORDER = re.compile(r"(.+?)(?:[\s_-]+|(?<=\d))r(\d{1,4})", re.IGNORECASE)
#: Extensions a bureau may keep or drop in a file name.
_EXTENSIONS = (".pdf", ".jdf")


@dataclass(frozen=True)
class SentJob:
    """What matching needs of one job we sent the bureau (its plates bought)."""

    id: int
    day: date
    order: str
    #: The names the bureau may bill it under: the remote file name, else the file's name.
    names: tuple[str, ...]
    plates: int | None
    #: Our price of one plate on the job's day (the bureau's, else the press's); None: unknown.
    price: float | None
    remake_number: int | None = None


@dataclass
class Match:
    """One line's (or, for ``not_billed``, one job's) outcome."""

    status: str
    line: InvoiceLine | None
    job: SentJob | None

    @property
    def billed_amount(self) -> float | None:
        line = self.line
        return None if line is None or line.price is None else line.plates * line.price

    @property
    def our_amount(self) -> float | None:
        """What the job costs at our price; nothing for a line that bills it twice."""
        job = self.job
        if job is None or self.status == BILLED_TWICE:
            return 0.0 if job is not None else None
        return None if job.plates is None or job.price is None else job.plates * job.price


@dataclass
class Outcome:
    """Every line's match and the jobs no line bills, with the period they were judged on."""

    first: date
    last: date
    matches: list[Match] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(STATUSES, 0)
        for match in self.matches:
            found[match.status] += 1
        return found

    def totals(self) -> dict[str, Any]:
        """Money billed, ours and the difference (None where a price is unknown), and plates."""
        billed = _sum(m.billed_amount for m in self.matches if m.line is not None)
        ours = _sum(m.our_amount for m in self.matches if m.job is not None)
        billed_plates = sum(m.line.plates for m in self.matches if m.line is not None)
        our_plates = sum(
            m.job.plates or 0 for m in self.matches if m.job and m.status != BILLED_TWICE
        )
        return {
            "billed": billed,
            "ours": ours,
            "difference": None if billed is None or ours is None else round(billed - ours, 2),
            "plates": {
                "billed": billed_plates,
                "ours": our_plates,
                "difference": billed_plates - our_plates,
            },
        }


def our_price(config: Config, outputter: str, press: str, day: date) -> float | None:
    """What one plate of ``press`` costs at the bureau on ``day``: the bureau's price for the
    press's plate format, else the press's ``plate_cost``; None when neither is known."""
    found = config.presses.get(press)
    price = plate_price(config, outputter, found.plate_mm if found else None, day)
    return price if price is not None or found is None else found.plate_cost


def _sum(values: Iterable[float | None]) -> float | None:
    total = 0.0
    for value in values:
        if value is None:
            return None
        total += value
    return round(total, 2)


def file_key(name: str) -> str:
    """A file name as matched: no folder, no ``.pdf``, case and surrounding spaces ignored."""
    base = PurePosixPath(name.strip().replace("\\", "/")).name.strip().casefold()
    for extension in _EXTENSIONS:
        if base.endswith(extension) and len(base) > len(extension):
            return base[: -len(extension)]
    return base


def order_key(order: str) -> tuple[str, int | None]:
    """An order number as matched, and the remake number it names (None: none named).

    ``"0537_R1"`` gives ``("537", 1)``; ``"0537"`` and ``"537"`` give ``("537", None)``.
    """
    text = order.strip().casefold()
    number = None
    remake = _REMAKE_ORDER.fullmatch(text)
    if remake:
        text, number = remake.group(1), int(remake.group(2))
    if text.isdigit():
        text = text.lstrip("0") or "0"
    return text, number


def match_lines(
    lines: Sequence[InvoiceLine],
    jobs: Sequence[SentJob],
    window_days: int,
    period: tuple[date, date] | None = None,
) -> Outcome:
    """Every line's status, then the jobs of ``period`` (default: the months of the lines'
    days) no line bills. ``jobs``: what we sent the bureau, around that period."""
    first, last = period or billing_period(line.day for line in lines)
    index = _Index(jobs)
    candidates = [index.candidates(line, window_days) for line in lines]
    taken: dict[int, SentJob] = {}
    chosen: list[SentJob | None] = [None] * len(lines)
    for same_plates in (True, False):
        for number, (line, found) in enumerate(zip(lines, candidates, strict=True)):
            if chosen[number] is None:
                job = _best(line, [j for j in found if j.id not in taken], same_plates)
                if job is not None:
                    chosen[number] = taken[job.id] = job
    outcome = Outcome(first, last)
    for line, found, job in zip(lines, candidates, chosen, strict=True):
        outcome.matches.append(_judge(line, found, job))
    for job in sorted(jobs, key=lambda j: (j.day, j.id)):
        if job.id not in taken and first <= job.day <= last:
            outcome.matches.append(Match(NOT_BILLED, None, job))
    return outcome


class _Index:
    """Our jobs by file name and by order number."""

    def __init__(self, jobs: Sequence[SentJob]) -> None:
        self.by_name: dict[str, list[SentJob]] = {}
        self.by_order: dict[str, list[SentJob]] = {}
        for job in jobs:
            for name in {file_key(name) for name in job.names if name}:
                self.by_name.setdefault(name, []).append(job)
            if job.order:
                self.by_order.setdefault(order_key(job.order)[0], []).append(job)

    def candidates(self, line: InvoiceLine, window_days: int) -> list[SentJob]:
        if line.file:
            found = self.by_name.get(file_key(line.file), [])
        else:  # an order without a remake number may bill its remakes too (per plate)
            order, remake = order_key(line.order)
            found = self.by_order.get(order, [])
            if remake is not None:
                found = [job for job in found if job.remake_number == remake]
        return [job for job in found if abs((job.day - line.day).days) <= window_days]


def _best(line: InvoiceLine, jobs: list[SentJob], same_plates: bool) -> SentJob | None:
    """The job nearest the line's date (then the oldest), among those with the line's plates
    when ``same_plates``."""
    if same_plates:
        jobs = [job for job in jobs if job.plates == line.plates]
    if not jobs:
        return None
    return min(jobs, key=lambda job: (abs((job.day - line.day).days), job.id))


def _judge(line: InvoiceLine, found: list[SentJob], job: SentJob | None) -> Match:
    if job is None:
        if not found:
            return Match(NOT_SENT, line, None)
        return Match(BILLED_TWICE, line, _best(line, found, False))
    if job.plates != line.plates:
        return Match(QUANTITY_DIFFERS, line, job)
    if (
        line.price is not None
        and job.price is not None
        and abs(line.price - job.price) > PRICE_TOLERANCE
    ):
        return Match(PRICE_DIFFERS, line, job)
    return Match(MATCHED, line, job)
