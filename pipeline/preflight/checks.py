"""From what a page prints to findings: one function per check, each a pure function of the
walk's :class:`PageUse` (or the sheet's geometry) and the settings.

Colorant names are compared ignoring case; Signa's registration colour and placeholders
(``colours.NOT_PLATES``) are never plates and never missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pipeline.config.preflight import PreflightSettings
from pipeline.preflight.colours import NOT_PLATES
from pipeline.preflight.findings import Finding, to_mm, where
from pipeline.preflight.records import Box, ImageUse, PageUse

#: Problems of one page named in its ``preflight_unreadable`` message.
SHOWN_PROBLEMS = 3
#: Millimetres a paper or TrimBox may exceed a limit by (rounding in Signa's marks).
PAPER_TOLERANCE_MM = 0.5


@dataclass(frozen=True)
class PageContext:
    """What every check of one page needs: its number, MediaBox corner, colorant list."""

    number: int
    origin: tuple[float, float]
    colorants: list[str] | None
    settings: PreflightSettings

    def finding(
        self,
        code: str,
        message: str,
        obj: str | None = None,
        box: Box | None = None,
        value: float | None = None,
        severity: str | None = None,
    ) -> Finding:
        position = to_mm(box, self.origin)
        return Finding(
            code,
            severity or self.settings.severity_of(code),
            self.number,
            obj,
            position,
            f"page {self.number}: {message.format(where=where(position))}",
            value,
        )


def plate_findings(use: PageUse, page: PageContext) -> list[Finding]:
    """``plate_missing`` and ``plate_empty`` against the page's colorant list."""
    if page.colorants is None:
        return []
    listed = {c.casefold(): c for c in page.colorants}
    found = []
    for ink, box in sorted(use.inks.items()):
        if ink not in NOT_PLATES and ink.casefold() not in listed:
            found.append(
                page.finding(
                    "plate_missing",
                    f"{ink} is printed{{where}} but the colorant list has no {ink} plate: "
                    f"the bureau will expose no plate for it. Add {ink} to the job's "
                    f"separations in Signa, or change the object to a listed colour.",
                    ink,
                    box,
                )
            )
    printed = {ink.casefold() for ink in [*use.inks, *use.converted_inks]}
    if use.complete:
        found += [
            page.finding(
                "plate_empty",
                f"the colorant list has {name} but nothing on the sheet prints it"
                f"{' (only marks do)' if name in use.mark_inks else ''}: a plate paid for "
                f"nothing. Remove {name} from the job's separations in Signa.",
                name,
            )
            for key, name in listed.items()
            if name not in NOT_PLATES and key not in printed
        ]
    return found


def rgb_findings(use: PageUse, page: PageContext) -> list[Finding]:
    """``rgb_content``: one per RGB/Lab image placement, one for all vector paints."""
    found = [
        page.finding(
            "rgb_content",
            f"image /{image.name} is {image.colour}{{where}}: the RIP converts it and the "
            f"colours shift. Convert it to CMYK and place it again.",
            image.name,
            image.box,
        )
        for image in _unique(i for i in use.images if i.converted and not i.mark)
    ]
    if use.converted:
        label, box = use.converted[0]
        count = len(use.converted)
        found.append(
            page.finding(
                "rgb_content",
                f"{count} vector object(s) in {label.split(' ')[0]} colour, the first{{where}}: "
                f"the RIP converts them and the colours shift. Convert them to CMYK.",
                label,
                box,
            )
        )
    return found


def font_findings(use: PageUse, page: PageContext) -> list[Finding]:
    """``font_not_embedded`` for each font shown outside the marks that is not in the file,
    placed where its first text starts."""
    return [
        page.finding(
            "font_not_embedded",
            f"font {font.name} is not embedded ({font.problem}), first used{{where}}: the RIP "
            f"substitutes another font. Embed it when exporting the page, or outline the text.",
            font.name,
            use.font_places.get(key),
        )
        for key, font in use.fonts.items()
        if not font.embedded
    ]


def resolution_findings(use: PageUse, page: PageContext) -> list[Finding]:
    """``low_resolution``: effective ppi under the limits (1-bit images: min_ppi_bitmap)."""
    settings = page.settings
    found = []
    for image in _unique(i for i in use.images if not i.mark):
        bitmap = image.bits == 1
        error_under = settings.min_ppi_bitmap if bitmap else settings.min_ppi_error
        warning_under = settings.min_ppi_bitmap if bitmap else settings.min_ppi_warning
        if image.ppi >= max(error_under, warning_under):
            continue
        severity = None if image.ppi < error_under else "warning"
        limit = error_under if severity is None else warning_under
        found.append(
            page.finding(
                "low_resolution",
                f"image /{image.name} ({image.pixels[0]} x {image.pixels[1]} px) is placed at "
                f"{image.ppi:.0f} ppi{{where}}, under {limit:g} ppi: it prints soft or "
                f"pixelated. Use a larger image or place it smaller.",
                image.name,
                image.box,
                round(image.ppi, 1),
                severity,
            )
        )
    return found


def overprint_findings(use: PageUse, page: PageContext) -> list[Finding]:
    """``white_overprint``: one per page, at the first white object set to overprint."""
    if not use.white_overprint:
        return []
    label, box = use.white_overprint[0]
    return [
        page.finding(
            "white_overprint",
            f"{len(use.white_overprint)} white object(s) ({label}) set to overprint, the first"
            f"{{where}}: they vanish on press. Turn overprint off for white.",
            label,
            box,
        )
    ]


def unreadable_findings(use: PageUse, page: PageContext) -> list[Finding]:
    """``preflight_unreadable`` when a part of the page could not be checked."""
    if not use.problems:
        return []
    shown = "; ".join(use.problems[:SHOWN_PROBLEMS])
    more = len(use.problems) - SHOWN_PROBLEMS
    return [
        page.finding(
            "preflight_unreadable",
            f"part of the sheet could not be checked ({shown}"
            f"{f'; {more} more' if more > 0 else ''}). Check it by eye on the proof.",
        )
    ]


def paper_findings(
    page: PageContext,
    paper_mm: tuple[float, float] | None,
    trim: Box | None,
    media: Box,
    plate: tuple[float, float, float] | None,
) -> list[Finding]:
    """``paper_too_large``: the paper (mark, else TrimBox) over the press's largest sheet,
    or not on the plate (``plate`` is width, height and gripper in mm)."""
    settings, found = page.settings, []
    size = paper_mm or (_size_mm(trim) if trim else None)
    if size is None:
        return []
    source = "the paper mark" if paper_mm else "the TrimBox"
    largest = settings.max_paper_mm
    if largest and not _fits(size, largest):
        found.append(
            page.finding(
                "paper_too_large",
                f"{source} says {_text(size)} mm, larger than the {_text(largest)} mm the "
                f"press takes. Check the paper size in Signa.",
                _text(size),
                trim,
            )
        )
    elif plate and not _on_plate(size, plate):
        found.append(
            page.finding(
                "paper_too_large",
                f"{source} says {_text(size)} mm, which does not fit the "
                f"{_text(plate[:2])} mm plate above its {plate[2]:g} mm gripper margin. "
                f"Check the paper size and the press in Signa.",
                _text(size),
                trim,
            )
        )
    elif trim and not _inside(trim, media):
        found.append(
            page.finding(
                "paper_too_large",
                "the TrimBox{where} is off the plate (outside the MediaBox). Check the "
                "paper position in Signa.",
                _text(size),
                trim,
            )
        )
    return found


def _unique(images: Iterable[ImageUse]) -> Iterator[ImageUse]:
    """One image per name and placement (the same image drawn twice in one place counts once)."""
    seen = set()
    for image in images:
        key = (image.name, tuple(round(v) for v in image.box))
        if key not in seen:
            seen.add(key)
            yield image


def _size_mm(box: Box) -> tuple[float, float]:
    return (round((box[2] - box[0]) * 25.4 / 72, 1), round((box[3] - box[1]) * 25.4 / 72, 1))


def _fits(size: tuple[float, float], limit: tuple[float, float]) -> bool:
    small, large = sorted(size), sorted(limit)
    return all(s <= lim + PAPER_TOLERANCE_MM for s, lim in zip(small, large, strict=True))


def _on_plate(size: tuple[float, float], plate: tuple[float, float, float]) -> bool:
    width, height, gripper = plate
    w, h = size
    return any(
        a <= width + PAPER_TOLERANCE_MM and b + gripper <= height + PAPER_TOLERANCE_MM
        for a, b in ((w, h), (h, w))
    )


def _inside(inner: Box, outer: Box) -> bool:
    slack = PAPER_TOLERANCE_MM * 72 / 25.4
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _text(size: tuple[float, ...]) -> str:
    return " x ".join(f"{v:g}" for v in size)
