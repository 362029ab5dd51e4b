"""Sheets for the total-ink tests: Signa's marks in ``All`` around a light product, and heavy
areas of known size, ink and place.

Everything is in mm from the plate's lower-left corner. The marks are form XObjects named
``pssMO<n>_0`` with Signa's mark info, drawn in the registration colour ``All`` (a Separation
that Ghostscript prints on every plate: 400 % on CMYK), as Signa draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.preflight_sheets import PT, SheetWriter

#: The plate of a Speedmaster and the paper on it (centred, 10 mm gripper).
PLATE_MM, PAPER_MM, GRIPPER_MM = (1030.0, 770.0), (900.0, 640.0), 10.0
#: The paper's left edge on the plate.
PAPER_X = (PLATE_MM[0] - PAPER_MM[0]) / 2
#: Height of Signa's colour bar, in mm.
BAR_MM = 5.0
#: The registration colour: every plate, with an alternate that is all four inks.
ALL = (
    "[/Separation /All /DeviceCMYK << /FunctionType 2 /Domain [0 1] /C0 [0 0 0 0] "
    "/C1 [1 1 1 1] /N 1 >>]"
)
#: A product that is light everywhere (80 %: 20 % of each ink), as most placed pages are.
LIGHT = (0.2, 0.2, 0.2, 0.2)


@dataclass(frozen=True)
class Area:
    """A rectangle in mm with its CMYK ink (0..1 each)."""

    x: float
    y: float
    w: float
    h: float
    cmyk: tuple[float, float, float, float]

    def ops(self) -> str:
        c, m, y, k = self.cmyk
        x, y0, w, h = (round(v * PT, 3) for v in (self.x, self.y, self.w, self.h))
        return f"{c:g} {m:g} {y:g} {k:g} k {x} {y0} {w} {h} re f "


def paper(cmyk: tuple[float, float, float, float] = LIGHT) -> Area:
    """The paper area of the plate, filled with ``cmyk``."""
    return Area(PAPER_X, GRIPPER_MM, PAPER_MM[0], PAPER_MM[1], cmyk)


def patch(x: float, y: float, w: float, h: float, total: float) -> Area:
    """A ``w`` x ``h`` mm area of ``total`` percent ink (C, M, Y full first, then K)."""
    inks = [min(max(total / 100 - i, 0.0), 1.0) for i in range(4)]
    return Area(x, y, w, h, (inks[0], inks[1], inks[2], inks[3]))


def dots(count: int, side: float, total: float) -> list[Area]:
    """``count`` squares of ``side`` mm and ``total`` percent, 80 mm apart on the paper."""
    return [
        patch(PAPER_X + 50 + 80 * (i % 10), GRIPPER_MM + 60 + 80 * (i // 10), side, side, total)
        for i in range(count)
    ]


def write_sheet(path: Path, areas: Sequence[Area], marks: bool = False) -> Path:
    """One plate with ``areas`` drawn in order, and Signa's marks over them if ``marks``."""
    writer = SheetWriter()
    content = "".join(area.ops() for area in areas)
    xobjects = ""
    if marks:
        for number, mark in enumerate(signa_marks(), start=1):
            form = writer.mark(mark, f"/ColorSpace << /All {ALL} >> /Font << /F9 {_font()} >>")
            xobjects += f"/pssMO{number}_0 {form} 0 R "
            content += f"/pssMO{number}_0 Do "
    writer.page(content, f"/XObject << {xobjects} >>" if xobjects else "")
    return writer.write(path)


def signa_marks() -> list[str]:
    """The content of each mark, in plate coordinates (the forms are drawn unmoved)."""
    return [colour_bar(), *register_marks(), *crop_marks(), *text_marks()]


def colour_bar() -> str:
    """A 5 mm bar along the paper's edge opposite the gripper, as long as the paper: solid
    ``All`` (400 %) patches between CMY (300 %) and single-ink patches, 5 mm each."""
    top = GRIPPER_MM + PAPER_MM[1] - BAR_MM - 2
    kinds = ("/All cs 1 scn", "1 1 1 0 k", "/All cs 1 scn", "1 1 0 0 k", "0 0 0 1 k")
    ops = []
    for i in range(int((PAPER_MM[0] - 20) / BAR_MM)):
        x = PAPER_X + 10 + i * BAR_MM
        ops.append(f"{kinds[i % len(kinds)]} {_box(x, top, BAR_MM, BAR_MM)} re f")
    return " ".join(ops)


def register_marks() -> list[str]:
    """A register mark at the middle of each paper edge: a filled 6 mm disc, a 12 mm cross
    and a circle, lines 0.25 pt."""
    left, bottom = PAPER_X, GRIPPER_MM
    right, top = PAPER_X + PAPER_MM[0], GRIPPER_MM + PAPER_MM[1]
    middle = (left + right) / 2, (bottom + top) / 2
    places = ((middle[0], bottom + 8), (middle[0], top - 16), (left + 8, middle[1]))
    return [_register_mark(x, y) for x, y in (*places, (right - 8, middle[1]))]


def crop_marks() -> list[str]:
    """Crop marks at the corners of a 2 x 2 grid of 420 x 300 mm pages on the paper."""
    lines = []
    for col in range(3):
        for row in range(3):
            x, y = PAPER_X + 30 + col * 420, GRIPPER_MM + 20 + row * 300
            lines += [
                f"{_xy(x - 8, y)} m {_xy(x - 3, y)} l",
                f"{_xy(x, y - 8)} m {_xy(x, y - 3)} l",
            ]
            lines += [
                f"{_xy(x + 3, y)} m {_xy(x + 8, y)} l",
                f"{_xy(x, y + 3)} m {_xy(x, y + 8)} l",
            ]
    return ["/All CS 1 SCN 0.25 w " + " ".join(lines) + " S"]


def text_marks() -> list[str]:
    """The shop's text marks, 8 pt, in the slug under the paper's far edge."""
    texts = ("Machine: Speedmaster", "Outputter: Leonov", "Paper: 900,0 x 640,0", "0537 Flier")
    y = _mm(GRIPPER_MM + PAPER_MM[1] - 12)
    return [
        f"/All cs 1 scn BT /F9 8 Tf {_mm(PAPER_X + 40 + 200 * i)} {y} Td ({text}) Tj ET"
        for i, text in enumerate(texts)
    ]


def _register_mark(x: float, y: float) -> str:
    r = 3 * PT
    cx, cy = _mm(x), _mm(y)
    disc = f"{cx + r} {cy} m " + " ".join(
        f"{cx + r * dx} {cy + r * dy} {cx + r * ex} {cy + r * ey} {cx + r * fx} {cy + r * fy} c"
        for dx, dy, ex, ey, fx, fy in (
            (1, 0.55, 0.55, 1, 0, 1),
            (-0.55, 1, -1, 0.55, -1, 0),
            (-1, -0.55, -0.55, -1, 0, -1),
            (0.55, -1, 1, -0.55, 1, 0),
        )
    )
    cross = f"{_xy(x - 6, y)} m {_xy(x + 6, y)} l {_xy(x, y - 6)} m {_xy(x, y + 6)} l"
    circle = f"{_box(x - 5, y - 5, 10, 10)} re"
    return f"/All cs 1 scn /All CS 1 SCN 0.25 w {disc} f {cross} S {circle} S"


def _font() -> str:
    return "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _mm(value: float) -> float:
    return round(value * PT, 3)


def _xy(x: float, y: float) -> str:
    return f"{_mm(x)} {_mm(y)}"


def _box(x: float, y: float, w: float, h: float) -> str:
    return f"{_mm(x)} {_mm(y)} {_mm(w)} {_mm(h)}"
