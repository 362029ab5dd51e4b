"""Preflight of an imposed sheet: every check on every page, within a time budget.

:func:`preflight` is the one entry point: give it the file (a path or an open pypdf reader),
the settings that apply to the job (``config.preflight_for(press, outputter)``) and, when the
pipeline has them, the sheets validate stored (paper from the marks), the press (plate and
gripper) and the preview's ink coverage. It answers a list of findings and never raises for
bad input: an unreadable file or page is a ``preflight_unreadable`` finding, running over
``budget_seconds`` a ``preflight_timeout`` one (the pages checked so far keep their findings).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import PurePath
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from pipeline.config.preflight import PreflightSettings
from pipeline.config.settings import Config, Press
from pipeline.errors import RejectedFile
from pipeline.inkmap import InkMeasure
from pipeline.pdf.facts import SheetFacts
from pipeline.pdf.read import open_pdf, page_colorants
from pipeline.preflight.checks import (
    PageContext,
    font_findings,
    overprint_findings,
    paper_findings,
    plate_findings,
    registration_findings,
    resolution_findings,
    rgb_findings,
    size_findings,
    unreadable_findings,
)
from pipeline.preflight.findings import Finding
from pipeline.preflight.ink import ink_findings
from pipeline.preflight.platelist import collapse_missing, plate_list_findings
from pipeline.preflight.records import Box, OverBudget, PageUse
from pipeline.preflight.walk import Walker

#: The checks that need the page's content walked; when all are off the walk is skipped.
CONTENT_CODES = (
    "plate_missing",
    "plate_empty",
    "rgb_content",
    "font_not_embedded",
    "low_resolution",
    "white_overprint",
    "registration_content",
    "small_text",
    "thin_line",
    "black_text_knockout",
)
#: The checks of the page's colorant list itself (no walk needed).
PLATE_LIST_CODES = (
    "plate_list_missing",
    "plates_over_limit",
    "colorant_unreadable",
    "spot_duplicate",
)
#: Each content check and the function that makes its findings from a walked page.
PAGE_CHECKS: tuple[tuple[tuple[str, ...], Callable[[PageUse, PageContext], list[Finding]]], ...] = (
    (("plate_missing", "plate_empty"), plate_findings),
    (("rgb_content",), rgb_findings),
    (("font_not_embedded",), font_findings),
    (("low_resolution",), resolution_findings),
    (("white_overprint",), overprint_findings),
    (("registration_content",), registration_findings),
    (("small_text", "thin_line", "black_text_knockout"), size_findings),
    (("preflight_unreadable",), unreadable_findings),
)

Source = str | os.PathLike[str] | PdfReader


@dataclass
class PreflightReport:
    """The findings, and what the run cost (for the benchmark and the job's record)."""

    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    operators: int = 0
    pages_checked: int = 0


def preflight(
    source: Source,
    settings: PreflightSettings,
    *,
    sheets: Sequence[SheetFacts] | None = None,
    press: Press | None = None,
    ink: InkMeasure | None = None,
) -> list[Finding]:
    """Every finding on the sheet, in page order; ``off`` checks are not run.

    ``ink`` is what the preview's ink pass measured (pipeline.preview.inkcov): the
    ``ink_limit`` check judges it."""
    return run_preflight(source, settings, sheets=sheets, press=press, ink=ink).findings


def preflight_job(
    source: Source,
    config: Config,
    *,
    press: str | None = None,
    outputter: str | None = None,
    sheets: Sequence[SheetFacts] | None = None,
    ink: InkMeasure | None = None,
) -> list[Finding]:
    """:func:`preflight` of a job: the settings of its press and bureau
    (``config.preflight_for``) and its press's gripper for the paper check."""
    return preflight(
        source,
        config.preflight_for(press, outputter),
        sheets=sheets,
        press=config.presses.get(press) if press else None,
        ink=ink,
    )


def run_preflight(
    source: Source,
    settings: PreflightSettings,
    *,
    sheets: Sequence[SheetFacts] | None = None,
    press: Press | None = None,
    ink: InkMeasure | None = None,
) -> PreflightReport:
    """Like :func:`preflight`, with the time and operator count of the run."""
    started = time.monotonic()
    report = PreflightReport()
    if isinstance(source, PdfReader):
        _check_reader(source, "the file", settings, sheets, press, report, started)
    else:
        name = PurePath(source).name
        try:
            with open_pdf(source) as reader:
                _check_reader(reader, name, settings, sheets, press, report, started)
        except Exception as exc:  # noqa: BLE001 - whatever the file, preflight answers
            report.findings.append(_unreadable(None, settings, f"{name}: {_reason(exc)}"))
    report.findings += ink_findings(ink, settings)
    report.findings = collapse_missing([f for f in report.findings if f.severity != "off"])
    report.seconds = time.monotonic() - started
    return report


def _check_reader(
    reader: PdfReader,
    name: str,
    settings: PreflightSettings,
    sheets: Sequence[SheetFacts] | None,
    press: Press | None,
    report: PreflightReport,
    started: float,
) -> None:
    deadline = started + settings.budget_seconds
    by_number = {sheet.number: sheet for sheet in sheets or ()}
    try:
        pages = list(reader.pages)
    except Exception as exc:  # noqa: BLE001 - a broken page tree is a finding, not a crash
        report.findings.append(_unreadable(None, settings, f"{name}: {_reason(exc)}"))
        return
    for number, page in enumerate(pages, start=1):
        if time.monotonic() > deadline:
            report.findings.append(_timeout(number, len(pages), settings))
            return
        try:
            _check_page(page, number, settings, by_number.get(number), press, report, deadline)
        except OverBudget:
            report.findings.append(_timeout(number, len(pages), settings))
            return
        except Exception as exc:  # noqa: BLE001 - one hostile page never stops the others
            report.findings.append(_unreadable(number, settings, _reason(exc)))
        report.pages_checked = number


def _check_page(
    page: DictionaryObject,
    number: int,
    settings: PreflightSettings,
    sheet: SheetFacts | None,
    press: Press | None,
    report: PreflightReport,
    deadline: float,
) -> None:
    media = _box(page.get("/MediaBox")) or (0.0, 0.0, 0.0, 0.0)
    colorants = sheet.colorants if sheet is not None and sheet.colorants else page_colorants(page)
    context = PageContext(number, (media[0], media[1]), colorants, settings)
    if any(settings.enabled(code) for code in PLATE_LIST_CODES):
        report.findings += _isolated(
            context, "the colorant list", lambda: plate_list_findings(page, number, settings)
        )
    if any(settings.enabled(code) for code in CONTENT_CODES):
        walker = Walker(deadline)
        try:
            use = walker.walk(page)
        finally:
            report.operators += walker.use.operators
        for codes, check in PAGE_CHECKS:
            if any(settings.enabled(code) for code in codes):
                found = _isolated(context, codes[0], partial(check, use, context))
                report.findings += [f for f in found if f.code in (*codes, _FAULT)]
    if settings.enabled("paper_too_large"):
        report.findings += _isolated(
            context,
            "the paper size",
            lambda: paper_findings(
                context,
                sheet.paper_mm if sheet is not None else None,
                _trim(page, media),
                media,
                _plate(press),
            ),
        )


#: The code of a check that could not run on a page.
_FAULT = "preflight_unreadable"


def _isolated(context: PageContext, what: str, check: Callable[[], list[Finding]]) -> list[Finding]:
    """One check's findings; a fault in it is one finding naming it, never the loss of the
    page's other checks."""
    try:
        return check()
    except OverBudget:
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile page never stops the other checks
        return [
            context.finding(
                _FAULT,
                f"the check of {what} could not run ({_reason(exc)}); the other checks of the "
                f"page ran. Check it by eye on the proof.",
                what,
            )
        ]


def _box(value: Any) -> Box | None:
    try:
        value = value.get_object() if hasattr(value, "get_object") else value
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError, AttributeError, OverflowError):
        return None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return None
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _trim(page: DictionaryObject, media: Box) -> Box | None:
    """The TrimBox when Signa wrote one that differs from the sheet (the paper)."""
    trim = _box(page.get("/TrimBox")) if isinstance(page.get("/TrimBox"), ArrayObject) else None
    return trim if trim and trim != media else None


def _plate(press: Press | None) -> tuple[float, float, float] | None:
    """The plate the paper must fit: the press's plate in mm (its long side across the
    press, the gripper on its short side) and gripper, whatever the page's orientation."""
    if press is None:
        return None
    return float(press.plate_mm[0]), float(press.plate_mm[1]), press.gripper_mm


def _unreadable(page: int | None, settings: PreflightSettings, reason: str) -> Finding:
    where = f"page {page}: " if page else ""
    return Finding(
        "preflight_unreadable",
        settings.severity_of("preflight_unreadable"),
        page,
        None,
        None,
        f"{where}the sheet could not be checked ({reason}). Check it by eye on the proof.",
    )


def _timeout(page: int, pages: int, settings: PreflightSettings) -> Finding:
    return Finding(
        "preflight_timeout",
        settings.severity_of("preflight_timeout"),
        page,
        None,
        None,
        f"preflight stopped on page {page} of {pages} after budget_seconds = "
        f"{settings.budget_seconds:g} s; pages {page}..{pages} are not checked. Check them by "
        f"eye, or raise [preflight] budget_seconds.",
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RejectedFile):
        return exc.message
    return f"{type(exc).__name__}: {exc}"[:300]
