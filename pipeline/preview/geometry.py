"""Where the paper is on a page: the crop of each sheet, from its plate, paper and gripper.

The paper is centred horizontally on the plate, its bottom edge ``gripper_mm`` above the
plate's bottom edge (DOMAIN.md); the crop is computed in the plate's own frame and turned when
the page's orientation differs from the plate's. ``sheet_geometries`` turns the analysed sheets
and the press decided for each page into what the crop needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.errors import RejectedFile

#: A box in PDF points: (x0, y0, x1, y1).
Box = tuple[float, float, float, float]
#: PostScript points per millimetre.
PT_PER_MM = 72 / 25.4
#: Slack in mm when checking that the paper fits the plate.
FIT_TOLERANCE_MM = 0.5


@dataclass(frozen=True)
class SheetGeometry:
    """What the crop of one page needs: its plate, its paper (None: unknown), the gripper."""

    plate_mm: tuple[float, float]
    paper_mm: tuple[float, float] | None
    gripper_mm: float


def crop_box(page_width_pt: float, page_height_pt: float, geometry: SheetGeometry) -> Box | None:
    """The paper's box on an unrotated page, in points; None when the content box must do.

    None when the paper is unknown or (with the gripper) does not fit the plate.
    """
    if geometry.paper_mm is None:
        return None
    turned = _landscape(geometry.plate_mm) != _landscape((page_width_pt, page_height_pt))
    width, height = (page_height_pt, page_width_pt) if turned else (page_width_pt, page_height_pt)
    paper_w, paper_h = _oriented(geometry.paper_mm, landscape=width >= height)
    paper_w, paper_h, gripper = (v * PT_PER_MM for v in (paper_w, paper_h, geometry.gripper_mm))
    slack = FIT_TOLERANCE_MM * PT_PER_MM
    if paper_w > width + slack or gripper + paper_h > height + slack:
        return None
    left = (width - paper_w) / 2
    box = (left, gripper, left + paper_w, gripper + paper_h)
    return turn_box(box, width, height, 90) if turned else box


def turn_box(box: Box, width: float, height: float, rotation: int) -> Box:
    """``box`` on a ``width`` x ``height`` page, as seen when the page is turned clockwise."""
    x0, y0, x1, y1 = box
    if rotation == 90:
        return (y0, width - x1, y1, width - x0)
    if rotation == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if rotation == 270:
        return (height - y1, x0, height - y0, x1)
    return box


def _landscape(size: tuple[float, float]) -> bool:
    return size[0] > size[1]


def _oriented(size: tuple[float, float], landscape: bool) -> tuple[float, float]:
    small, large = sorted(size)
    return (large, small) if landscape else (small, large)


def sheet_geometries(
    sheets: Sequence[Any], config: Any, name: str, presses: Mapping[int, str] | None = None
) -> list[SheetGeometry | None]:
    """The crop geometry of each analysed sheet (``pipeline.pdf.analysis.SheetFacts``).

    ``presses`` maps page numbers to the press decided for them (the pipeline passes what
    detect_press stored); without it the press is decided here: a page's own when configured,
    else the file's (page 1's mark or plate size). A page whose press stays unknown is cropped
    to its content (None).
    """
    if presses is None:
        presses = _decide_presses(sheets, config, name)
    geometries: list[SheetGeometry | None] = []
    for sheet in sheets:
        press = config.presses.get(presses.get(sheet.number))
        geometries.append(
            None
            if press is None
            else SheetGeometry(
                plate_mm=tuple(sheet.plate_mm), paper_mm=sheet.paper_mm, gripper_mm=press.gripper_mm
            )
        )
    return geometries


def _decide_presses(sheets: Sequence[Any], config: Any, name: str) -> dict[int, str]:
    from pipeline.pdf.analysis import decide_press

    try:
        decision = decide_press(list(sheets), config, name)
    except RejectedFile:
        return {sheet.number: sheet.press for sheet in sheets}
    return {
        sheet.number: decision.other_pages.get(sheet.number, decision.press) for sheet in sheets
    }
