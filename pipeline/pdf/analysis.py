"""What an imposed PDF says: validity, press, plate count, CTP bureau, order and job name.

Each fact is decided by its own function (each becomes its own Celery task): :func:`validate`,
:func:`detect_press`, :func:`count_plates`, :func:`detect_outputter`, :func:`order_and_job`;
:func:`analyze` runs them all on one reading of the file and never raises for bad input.
The rules are those of DOMAIN.md; the mark names and patterns come from ``config.marks``.
Results are plain dataclasses with ``as_dict``/``from_dict`` so tasks can store them.
"""

from __future__ import annotations

import os
import re
from pathlib import PurePath

from pipeline.config import Config
from pipeline.errors import RejectedFile
from pipeline.json_values import jsonable
from pipeline.pdf.facts import (
    Analysis,
    DocumentFacts,
    OutputterResult,
    PlateResult,
    PressResult,
    SheetFacts,
)
from pipeline.pdf.read import (
    MB,
    SIGNA_CREATOR,
    RawSheet,
    creator_of,
    open_pdf,
    page_count,
    read_page,
)

__all__ = [
    "Analysis",
    "DocumentFacts",
    "OutputterResult",
    "PlateResult",
    "PressResult",
    "SheetFacts",
    "analyze",
    "count_plates",
    "decide_outputter",
    "decide_plates",
    "decide_press",
    "detect_outputter",
    "detect_press",
    "order_and_job",
    "read_document",
    "read_sheets",
    "validate",
]

PathLike = str | os.PathLike[str]


# --- reading --------------------------------------------------------------------------------


def validate(path: PathLike, config: Config) -> DocumentFacts:
    """Check the file is a complete, readable PDF; say who made it. Raises RejectedFile."""
    return _read(path, config)[0]


def read_document(path: PathLike, config: Config) -> tuple[DocumentFacts, list[SheetFacts]]:
    """Validate the file and read every page's facts in one pass (the validate step stores
    both, so the detections and the preview decide without parsing the file again)."""
    return _read(path, config)


def read_sheets(path: PathLike, config: Config) -> list[SheetFacts]:
    """The facts of every page: plate size, colorants and what the marks say."""
    return _read(path, config)[1]


def _read(path: PathLike, config: Config) -> tuple[DocumentFacts, list[SheetFacts]]:
    name = PurePath(path).name
    try:
        with open_pdf(path, config.limits.max_file_mb * MB) as reader:
            creator = creator_of(reader)
            pages = page_count(reader, config.max_pages, name)
            raw = [read_page(reader, index, name) for index in range(pages)]
    except (RejectedFile, OSError):
        raise
    except Exception as exc:  # pypdf fails in many ways on broken files
        raise RejectedFile(
            "damaged_pdf",
            f"{name}: the PDF is damaged ({type(exc).__name__}: "
            f"{exc}); export it again from Signa.",
            name,
        ) from None
    signa = SIGNA_CREATOR in (creator or "")
    warnings = (
        []
        if signa
        else [
            f"{name}: not made by Prinect Signa Station (creator {creator!r}); accepted, but "
            f"check press, plates and bureau by hand."
        ]
    )
    return DocumentFacts(name, creator, signa, pages, warnings), [
        _sheet_facts(sheet, config) for sheet in raw
    ]


def _sheet_facts(raw: RawSheet, config: Config) -> SheetFacts:
    """Apply the configured mark patterns to the texts of one page's marks."""
    found: dict[str, str] = {}
    for creation, text in raw.marks.items():
        pattern = config.marks.get(creation)
        match = re.search(pattern, text) if pattern else None
        if match:
            for group, value in match.groupdict().items():
                if value:
                    found.setdefault(group, value)
    paper = None
    if "paper_w" in found and "paper_h" in found:
        paper = (_number(found["paper_w"]), _number(found["paper_h"]))
    return SheetFacts(
        raw.number,
        raw.plate_mm,
        paper,
        found.get("press"),
        found.get("outputter"),
        raw.colorants or [],
        dict(raw.marks),
    )


def _number(text: str) -> float:
    return float(text.replace(",", "."))


# --- the three facts ------------------------------------------------------------------------


def detect_press(path: PathLike, config: Config) -> PressResult:
    """The press of page 1 (mark, else plate size). Raises unknown_press, press_undetected."""
    return decide_press(read_sheets(path, config), config, PurePath(path).name)


def count_plates(path: PathLike, config: Config) -> PlateResult:
    """Sum of colorant names over the pages; None when a page has no Signa colorant list."""
    document, sheets = _read(path, config)
    return decide_plates(document, sheets)


def detect_outputter(path: PathLike, config: Config) -> OutputterResult:
    """The CTP bureau from the marks, else the filename. Raises outputter_undetected."""
    return decide_outputter(read_sheets(path, config), PurePath(path).name, config)


def decide_press(sheets: list[SheetFacts], config: Config, name: str) -> PressResult:
    """The press decision on already read sheets (see :func:`detect_press`)."""
    press, source = _sheet_press(sheets[0], config, name)
    other: dict[int, str] = {}
    for sheet in sheets[1:]:
        try:
            other_press = _sheet_press(sheet, config, name)[0]
        except RejectedFile:
            other_press = sheet.press or f"no press ({_size(sheet.plate_mm)} mm plate)"
        if other_press != press:
            other[sheet.number] = other_press
    warnings = [
        f"{name}: page {number} is for {other_press}, page 1 for {press}; check the imposition."
        for number, other_press in other.items()
    ]
    return PressResult(press, source, other, warnings)


def _sheet_press(sheet: SheetFacts, config: Config, name: str) -> tuple[str, str]:
    configured = ", ".join(f"{p.name} ({_size(p.plate_mm)} mm)" for p in config.presses.values())
    if sheet.press is not None:
        if sheet.press in config.presses:
            return sheet.press, "mark"
        raise RejectedFile(
            "unknown_press",
            f"{name}: page {sheet.number} has a mark naming press "
            f"{sheet.press!r}, which is not configured "
            f"(configured: {configured}). Fix the mark in Signa "
            f"or add [presses.{sheet.press}] to the "
            f"configuration.",
            name,
        )
    plate = sorted(sheet.plate_mm)
    fits = [
        p.name for p in config.presses.values() if sorted(round(v) for v in p.plate_mm) == plate
    ]
    if len(fits) == 1:
        return fits[0], "plate_size"
    problem = (
        f"fits several presses ({', '.join(fits)})"
        if fits
        else f"fits no configured press ({configured})"
    )
    raise RejectedFile(
        "press_undetected",
        f"{name}: page {sheet.number} has no press mark and "
        f"its {_size(sheet.plate_mm)} mm plate {problem}. Add "
        f"the Machine mark in Signa.",
        name,
    )


def _size(mm: tuple[float, float]) -> str:
    return "x".join(str(jsonable(round(v, 1))) for v in mm)


#: Separations no sheet side really has (a press has at most a dozen printing units): a list
#: longer than this is counted as it says, but warned about, and only its first names are kept
#: with the job (the count stays the list's; the preflight's ``plates_over_limit`` holds it).
MAX_SEPARATIONS = 64


def decide_plates(document: DocumentFacts, sheets: list[SheetFacts]) -> PlateResult:
    """The plate count on already read sheets (see :func:`count_plates`).

    A page listing more than :data:`MAX_SEPARATIONS` names counts them all, with a warning,
    and keeps only the first :data:`MAX_SEPARATIONS` names in ``separations``."""
    separations = {s.number: list(s.colorants[:MAX_SEPARATIONS]) for s in sheets if s.colorants}
    counts = {s.number: len(s.colorants) for s in sheets if s.colorants}
    absurd = [
        f"{document.file}: page {number} lists {count} separations, more than any press "
        f"prints ({MAX_SEPARATIONS}): {count} plates are counted for it and only the first "
        f"{MAX_SEPARATIONS} names are kept; check the colorant list in Signa before plates "
        f"are bought."
        for number, count in counts.items()
        if count > MAX_SEPARATIONS
    ]
    missing = [s.number for s in sheets if not s.colorants]
    if missing:
        pages = ", ".join(map(str, missing))
        return PlateResult(
            None,
            separations,
            [
                f"{document.file}: plate count unknown: page(s) {pages} carry no Signa colorant "
                f"list (/PieceInfo/HDAG_COLORANT); count the plates by hand.",
                *absurd,
            ],
        )
    warnings = (
        []
        if document.signa
        else [
            f"{document.file}: plates counted from Signa colorant lists although the creator is "
            f"{document.creator!r} (a re-saved Signa file?)."
        ]
    )
    return PlateResult(sum(counts.values()), separations, [*warnings, *absurd])


def decide_outputter(sheets: list[SheetFacts], filename: str, config: Config) -> OutputterResult:
    """The outputter decision on already read sheets (see :func:`detect_outputter`)."""
    configured = {name.lower(): name for name in config.outputters}
    in_marks = [s.outputter for s in sheets if s.outputter]
    for value in in_marks:
        if value.lower() in configured:
            return OutputterResult(configured[value.lower()], "mark")
    warnings = (
        [
            f"{filename}: the outputter mark names {in_marks[0]!r}, which is not a "
            f"configured outputter; the filename decides."
        ]
        if in_marks
        else []
    )
    from_name = _outputter_part(filename, config)
    if from_name:
        return OutputterResult(configured[from_name.lower()], "filename", warnings)
    found = f"the mark names {in_marks[0]!r}" if in_marks else "there is no outputter mark"
    raise RejectedFile(
        "outputter_undetected",
        f"{filename}: no CTP bureau found: {found} and no "
        f"part of the name (split on _) is a configured "
        f"outputter ({', '.join(config.outputters)}). "
        f"Add the Outputter mark or put the bureau in "
        f"the name, e.g. 0537_Job_Leonov.pdf.",
        filename,
    )


def _stem(filename: str) -> str:
    name = PurePath(filename).name
    return name[:-4] if name.lower().endswith(".pdf") else PurePath(name).stem


def _outputter_part(filename: str, config: Config) -> str | None:
    """The last part of the stem (split on ``_``) equal, ignoring case, to an outputter."""
    configured = {name.lower() for name in config.outputters}
    parts = [p for p in _stem(filename).split("_") if p.lower() in configured]
    return parts[-1] if parts else None


def order_and_job(filename: str, config: Config) -> tuple[str | None, str]:
    """``0537_Technoyug_Flier_Leonov.pdf`` -> ``("0537", "Technoyug_Flier")``."""
    stem = _stem(filename)
    match = re.match(r"(\d+)[_\s-]*", stem)
    order = match.group(1) if match else None
    parts = (stem[match.end() :] if match else stem).split("_")
    bureau = _outputter_part(filename, config)
    if bureau is not None and bureau in parts:
        del parts[len(parts) - 1 - parts[::-1].index(bureau)]
    job = "_".join(p for p in parts if p)
    return order, job or stem


# --- all at once ----------------------------------------------------------------------------


def analyze(path: PathLike, config: Config) -> Analysis:
    """Every fact about one file; rejections land in ``errors``, never raised."""
    name = PurePath(path).name
    result = Analysis(file=name)
    result.order, result.job_name = order_and_job(name, config)
    try:
        document, sheets = _read(path, config)
    except RejectedFile as exc:
        result.reject(exc)
        return result
    except Exception as exc:  # whatever the input, analysis answers
        result.reject(
            RejectedFile(
                "damaged_pdf",
                f"{name}: the file cannot be read ({type(exc).__name__}: {exc}); copy it again.",
                name,
            )
        )
        return result
    _fill_document(result, document, sheets)
    _fill_decisions(result, document, sheets, config)
    return result


def _fill_document(result: Analysis, document: DocumentFacts, sheets: list[SheetFacts]) -> None:
    result.creator, result.signa, result.pages = document.creator, document.signa, document.pages
    result.warnings += document.warnings
    result.plate_mm = {s.number: s.plate_mm for s in sheets}
    result.paper_mm = {s.number: s.paper_mm for s in sheets}


def _fill_decisions(
    result: Analysis, document: DocumentFacts, sheets: list[SheetFacts], config: Config
) -> None:
    try:
        press = decide_press(sheets, config, result.file)
        result.press, result.press_source = press.press, press.source
        result.warnings += press.warnings
    except RejectedFile as exc:
        result.reject(exc)
    plates = decide_plates(document, sheets)
    result.plates, result.separations = plates.plates, plates.separations
    result.warnings += plates.warnings
    try:
        outputter = decide_outputter(sheets, result.file, config)
        result.outputter, result.outputter_source = outputter.outputter, outputter.source
        result.warnings += outputter.warnings
    except RejectedFile as exc:
        result.reject(exc)
