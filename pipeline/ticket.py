"""The plate order sent to the bureau beside each plate file: a CIP4 JDF 1.7 ticket.

One ``JDF`` node of ``Types="PlateMaking"`` (a process group) holding what the bureau needs to
make the plates without asking: our job id, the order number and job name, the press, the
plate format in mm, per sheet side (a page of the Signa file) the number of plates and their
separation names, the paper size, the due time (``[outputters.NAME] lead_hours`` after the
upload) and, for a remake, the word remake, its reason and the job it remakes.

* ``ExposedMedia`` (the plates) has ``Amount`` = the number of plates ordered, and refers to a
  ``Media`` of ``MediaType="Plate"`` with the plate format (``Dimension`` in points, as JDF
  measures, and the millimetres in its ``DescriptiveName``).
* The ``RunList`` of the plate file is partitioned by ``Run`` (one partition per sheet side
  with plates ordered); each partition holds one ``SeparationSpec`` per plate: the number of
  ``SeparationSpec`` elements is the number of plates.
* ``GeneralID`` elements carry the facts JDF has no attribute for (press, our job id, remake).

Built with xml.etree: every text and attribute is escaped by the library. Pure: the caller
gives the time; the same inputs give the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from pipeline.remake import Plate

#: The JDF namespace: the same URI for every JDF 1.x version.
JDF_NS = "http://www.CIP4.org/JDFSchema_1_1"
JDF_VERSION = "1.7"
#: Points in a millimetre (JDF measures in points).
POINTS_PER_MM = 72 / 25.4
#: The process group of a plate order.
TYPES = "PlateMaking"
#: The word a remake's ticket carries (in its DescriptiveName, Comment and GeneralID).
REMAKE_WORD = "REMAKE"


@dataclass(frozen=True)
class Order:
    """What the ticket says; ``plates`` are the plates ordered (for a remake, only those)."""

    job_id: int
    order: str
    job_name: str
    file_name: str
    press: str
    outputter: str
    plate_mm: tuple[float, float]
    paper_mm: tuple[float, float] | None
    plates: Sequence[Plate]
    due: datetime
    created: datetime
    remake_of: int | None = None
    remake_number: int | None = None
    remake_reason: str = ""
    remake_note: str = ""


def ticket_name(plate_name: str) -> str:
    """The ticket's remote name: the plate file's with ``.jdf`` (``0537_Flier_R1.jdf``)."""
    path = PurePath(plate_name)
    return f"{path.stem or plate_name}.jdf"


def build(order: Order) -> bytes:
    """The JDF ticket of ``order`` as UTF-8 bytes with an XML declaration."""
    ET.register_namespace("", JDF_NS)
    remake = order.remake_of is not None
    name = order.job_name or PurePath(order.file_name).stem
    root = _el(
        None,
        "JDF",
        ID=f"prepress_job_{order.job_id}",
        Type="ProcessGroup",
        Types=TYPES,
        JobID=f"prepress-{order.job_id}",
        JobPartID="plates",
        Status="Waiting",
        Version=JDF_VERSION,
        MaxVersion=JDF_VERSION,
        ICSVersions="Base_L1-1.7",
        DescriptiveName=f"{REMAKE_WORD} {name}" if remake else name,
    )
    _el(root, "NodeInfo", End=_iso(order.due), JobPriority="50")
    customer = {"CustomerOrderID": order.order} if order.order else {}
    _el(root, "CustomerInfo", CustomerJobName=name, **customer)
    _general(root, "PrepressJob", str(order.job_id))
    _general(root, "Press", order.press)
    _general(root, "Outputter", order.outputter)
    _general(root, "PlateCount", str(len(order.plates)))
    if remake:
        _general(root, "Remake", REMAKE_WORD)
        _general(root, "RemakeOf", str(order.remake_of))
        _general(root, "RemakeNumber", str(order.remake_number or ""))
        _general(root, "RemakeReason", order.remake_reason)
        comment = _el(root, "Comment", Name="Remake")
        comment.text = _xml_safe(_remake_text(order))
    pool = _el(root, "ResourcePool")
    width, height = order.plate_mm
    _el(
        pool,
        "Media",
        ID="PlateMedia",
        Class="Consumable",
        Status="Available",
        MediaType="Plate",
        Dimension=f"{_points(width)} {_points(height)}",
        DescriptiveName=f"{_mm(width)} x {_mm(height)} mm",
    )
    if order.paper_mm is not None:
        paper_w, paper_h = order.paper_mm
        _el(
            pool,
            "Media",
            ID="PaperMedia",
            Class="Consumable",
            Status="Available",
            MediaType="Paper",
            Dimension=f"{_points(paper_w)} {_points(paper_h)}",
            DescriptiveName=f"paper {_mm(paper_w)} x {_mm(paper_h)} mm",
        )
    exposed = _el(
        pool,
        "ExposedMedia",
        ID="Plates",
        Class="Handling",
        Status="Unavailable",
        Amount=str(len(order.plates)),
        DescriptiveName=f"{len(order.plates)} plates {_mm(width)} x {_mm(height)} mm",
    )
    _el(exposed, "MediaRef", rRef="PlateMedia")
    runs = _el(
        pool,
        "RunList",
        ID="PlateFile",
        Class="Parameter",
        Status="Available",
        PartIDKeys="Run",
    )
    element = _el(runs, "LayoutElement")
    _el(element, "FileSpec", URL=PurePath(order.file_name).name, MimeType="application/pdf")
    for page, names in _by_side(order.plates):
        side = _el(
            runs,
            "RunList",
            Run=str(page),
            Pages=str(page - 1),
            DescriptiveName=f"sheet side {page}: {len(names)} plates: {', '.join(names)}",
        )
        for separation in names:
            _el(side, "SeparationSpec", Name=separation)
    links = _el(root, "ResourceLinkPool")
    _el(links, "RunListLink", rRef="PlateFile", Usage="Input")
    _el(links, "MediaLink", rRef="PlateMedia", Usage="Input")
    _el(links, "ExposedMediaLink", rRef="Plates", Usage="Output", Amount=str(len(order.plates)))
    audit = _el(root, "AuditPool")
    _el(audit, "Created", TimeStamp=_iso(order.created), AgentName="prepress")
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _remake_text(order: Order) -> str:
    text = (
        f"{REMAKE_WORD} {order.remake_number or ''} of job {order.remake_of}: "
        f"{len(order.plates)} plates, reason {order.remake_reason}"
    )
    return f"{text}; {order.remake_note}" if order.remake_note else text


def _by_side(plates: Sequence[Plate]) -> list[tuple[int, list[str]]]:
    sides: dict[int, list[str]] = {}
    for plate in plates:
        sides.setdefault(plate.page, []).append(plate.separation)
    return sorted(sides.items())


def _el(parent: ET.Element | None, tag: str, **attributes: str) -> ET.Element:
    qualified = f"{{{JDF_NS}}}{tag}"
    clean = {key: _xml_safe(value) for key, value in attributes.items()}
    if parent is None:
        return ET.Element(qualified, clean)
    return ET.SubElement(parent, qualified, clean)


def _general(parent: ET.Element, usage: str, value: str) -> None:
    if value:
        _el(parent, "GeneralID", IDUsage=usage, IDValue=value)


def _xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold at all (control characters of a
    hostile file name): the library escapes the rest."""
    return "".join(
        ch
        if ch in "\t\n\r"
        or ("\x20" <= ch <= "\ud7ff")
        or ("\ue000" <= ch <= "\ufffd")
        or ch >= "\U00010000"
        else "\ufffd"
        for ch in text
    )


def _points(mm: float) -> str:
    return f"{mm * POINTS_PER_MM:.2f}"


def _mm(mm: float) -> str:
    return f"{mm:g}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
