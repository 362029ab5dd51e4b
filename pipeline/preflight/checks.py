"""From what a page prints to findings: one function per check, each a pure function of the
walk's :class:`PageUse` (or the sheet's geometry) and the settings.

Colorant names are compared ignoring case; Signa's registration colour and placeholders
(``colours.NOT_PLATES``) are never plates and never missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

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

    def at(self, box: Box | None) -> str:
        """`` at x 12 mm, y 30 mm (40 x 20 mm)`` for a message, or ``""``."""
        return where(to_mm(box, self.origin))

    def finding(
        self,
        code: str,
        message: str,
        obj: str | None = None,
        box: Box | None = None,
        value: float | None = None,
        severity: str | None = None,
    ) -> Finding:
        """A finding on this page (text from the file is data in ``message``, never a
        format string)."""
        position = to_mm(box, self.origin)
        return Finding(
            code,
            severity or self.settings.severity_of(code),
            self.number,
            obj,
            position,
            f"page {self.number}: {message}",
            value if value is None or math.isfinite(value) else None,
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
                    (
                        f"{ink} is printed{page.at(box)} but the colorant list has no "
                        f"{ink} plate: the bureau will expose no plate for it. Add {ink} to the "
                        f"job's separations in Signa, or change the object to a listed colour."
                    ),
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
            (
                f"image /{image.name} is {image.colour}{page.at(image.box)}: the RIP "
                f"converts it and the colours shift. Convert it to CMYK and place it again."
            ),
            image.name,
            image.box,
        )
        for image in _unique(i for i in use.images if i.converted and not i.mark)
    ]
    if use.groups:
        what, box = use.groups[0]
        found.append(
            page.finding(
                "rgb_content",
                (
                    f"{what}{page.at(box)}"
                    f"{f' (and {len(use.groups) - 1} more)' if len(use.groups) > 1 else ''}: "
                    f"the RIP converts the colours it blends and they shift. Export with a CMYK "
                    f"transparency blend space."
                ),
                what,
                box,
            )
        )
    if use.converted:
        label, box = use.converted[0]
        count = len(use.converted)
        found.append(
            page.finding(
                "rgb_content",
                (
                    f"{count} vector object(s) in {label.split(' ')[0]} colour, the "
                    f"first{page.at(box)}: the RIP converts them and the colours shift. "
                    f"Convert them to CMYK."
                ),
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
            (
                f"font {font.name} is not embedded ({font.problem}), first "
                f"used{page.at(use.font_places.get(key))}: the RIP substitutes another font. "
                f"Embed it when exporting the page, or "
                f"outline the text."
            ),
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
        warning_under = settings.min_ppi_bitmap_warning if bitmap else settings.min_ppi_warning
        if not image.ppi < max(error_under, warning_under):
            continue  # also a NaN or infinite resolution (an image placed at no size)
        severity = None if image.ppi < error_under else "warning"
        limit = error_under if severity is None else warning_under
        found.append(
            page.finding(
                "low_resolution",
                (
                    f"image /{image.name} ({image.pixels[0]} x "
                    f"{image.pixels[1]} px{', 1-bit' if image.bits == 1 else ''}) is placed at "
                    f"{image.ppi:.0f} ppi{page.at(image.box)}, under {limit:g} ppi: it prints "
                    f"soft or pixelated. "
                    f"Use a larger image or place it smaller."
                ),
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
            (
                f"{len(use.white_overprint)} white object(s) ({label}) set to "
                f"overprint, the first{page.at(box)}: they vanish on press. Turn overprint "
                f"off for white."
            ),
            label,
            box,
        )
    ]


def unreadable_findings(use: PageUse, page: PageContext) -> list[Finding]:
    """``preflight_unreadable``: one per object that could not be checked (the rest of the
    page is checked all the same)."""
    return [
        page.finding(
            "preflight_unreadable",
            f"{obj or 'the page'} could not be checked ({problem}); everything else on the "
            f"page was. Check that part by eye on the proof.",
            obj or None,
        )
        for obj, problem in use.problems
    ]


def registration_findings(use: PageUse, page: PageContext) -> list[Finding]:
    """``registration_content``: Signa's registration colour outside the marks."""
    if use.registration is None:
        return []
    return [
        page.finding(
            "registration_content",
            (
                f"{use.registration_count} object(s) outside the marks are in the "
                f"registration colour All, the first{page.at(use.registration)}: All prints "
                f"on every plate (400 % on "
                f"CMYK). Use it only in marks; give the object its real colour."
            ),
            "All",
            use.registration,
        )
    ]


def size_findings(use: PageUse, page: PageContext) -> list[Finding]:
    """``small_text``, ``thin_line`` and ``black_text_knockout``: one per page each, at the
    first such object, with the smallest size found."""
    settings, found = page.settings, []
    checks: tuple[tuple[str, list[Any], float, Callable[[str, str], str], str], ...] = (
        (
            "small_text",
            [(label, size, box) for label, size, box in use.small_text],
            settings.min_text_pt,
            lambda label, size: f"text in {label} (white or several inks) is {size} pt",
            "it fills in or shows misregistration. Use one ink, or a larger or bolder font.",
        ),
        (
            "thin_line",
            [(label, width, box) for label, width, box in use.thin_lines],
            settings.min_line_pt,
            lambda label, size: f"a line in {label} (white or several inks) is {size} pt wide",
            "it breaks up or misregisters on press. Make it at least the limit, or one ink.",
        ),
        (
            "black_text_knockout",
            [("black", size, box) for size, box in use.black_knockout],
            settings.black_text_overprint_pt,
            lambda label, size: f"100 % black text of {size} pt knocks out",
            "white edges show where the plates misregister. Set black text to overprint.",
        ),
    )
    for code, items, limit, what, advice in checks:
        small = [(label, size, box) for label, size, box in items if size < limit]
        if not small:
            continue
        label, size, box = small[0]
        least = min(s for _, s, _ in small)
        text = what(label, _points(size))
        count = len(small)
        found.append(
            page.finding(
                code,
                (
                    f"{text}{page.at(box)}"
                    f"{f' ({count} such objects)' if count > 1 else ''}, under {limit:g} pt: "
                    f"{advice}"
                ),
                label,
                box,
                round(least, 3),
            )
        )
    return found


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
                (
                    f"the TrimBox{page.at(trim)} is off the plate (outside the MediaBox). Check "
                    f"the paper position in Signa."
                ),
                _text(size),
                trim,
            )
        )
    return found


def _points(size: float) -> str:
    """``7.96`` -> ``7.96``, ``8.0`` -> ``8``: a size as exact as a person needs it."""
    return f"{size:.2f}".rstrip("0").rstrip(".")


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
    """The paper fits the plate in one of its two orientations with the gripper margin on
    the plate's short side (around the cylinder), whatever the page's orientation."""
    long_side, short_side = max(plate[:2]), min(plate[:2])
    gripper = plate[2]
    w, h = size
    return any(
        a <= long_side + PAPER_TOLERANCE_MM and b + gripper <= short_side + PAPER_TOLERANCE_MM
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
