"""What walking a page finds, and the geometry it is found with (page space, points)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.preflight.colours import BLACK, Colour
from pipeline.preflight.fonts import FontUse

#: Problems recorded per page at most (a hostile page could produce millions).
MAX_PROBLEMS = 20

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in page space (points)
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass
class ImageUse:
    """One placement of an image: its pixels, colour, bounding box and effective ppi."""

    name: str
    pixels: tuple[int, int]
    bits: int
    colour: str
    converted: bool
    box: Box
    ppi: float
    mark: bool


@dataclass
class PageUse:
    """What one page prints: inks (outside and inside marks), converted colour, images,
    white overprints, fonts, and the problems met on the way."""

    inks: dict[str, Box | None] = field(default_factory=dict)  # first place each ink prints
    mark_inks: set[str] = field(default_factory=set)
    converted_inks: set[str] = field(default_factory=set)  # process inks of RGB/Lab colour
    complete: bool = True  # False when the walk stopped before the end of the page
    converted: list[tuple[str, Box | None]] = field(default_factory=list)
    images: list[ImageUse] = field(default_factory=list)
    white_overprint: list[tuple[str, Box | None]] = field(default_factory=list)
    fonts: dict[str, FontUse] = field(default_factory=dict)
    font_places: dict[str, Box] = field(default_factory=dict)  # where each font is first used
    #: Signa's registration colour painted outside the marks: the first place
    registration: Box | None = None
    registration_count: int = 0
    #: white or multi-ink text: (colour, size in pt, place), and lines: (colour, width, place)
    small_text: list[tuple[str, float, Box | None]] = field(default_factory=list)
    thin_lines: list[tuple[str, float, Box | None]] = field(default_factory=list)
    #: small 100 % black text that knocks out: (size in pt, place)
    black_knockout: list[tuple[float, Box | None]] = field(default_factory=list)
    #: transparency groups blending in RGB or Lab: (what, place)
    groups: list[tuple[str, Box | None]] = field(default_factory=list)
    #: (object, what is wrong with it), one per object
    problems: list[tuple[str, str]] = field(default_factory=list)
    operators: int = 0

    def problem(self, text: str, obj: str = "") -> None:
        entry = (obj, text)
        if len(self.problems) < MAX_PROBLEMS and entry not in self.problems:
            self.problems.append(entry)


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF's row-vector convention: ``cm`` makes CTM = m x CTM)."""
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    )


def transform_box(m: Matrix, x0: float, y0: float, x1: float, y1: float) -> Box:
    """The page-space bounding box of a user-space rectangle."""
    xs, ys = [], []
    for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
        xs.append(m[0] * x + m[2] * y + m[4])
        ys.append(m[1] * x + m[3] * y + m[5])
    return min(xs), min(ys), max(xs), max(ys)


class TooManyOperators(Exception):
    """The page has more operators than MAX_OPERATORS."""


class OverBudget(Exception):
    """The deadline passed while walking; the engine reports ``preflight_timeout``."""


@dataclass
class GraphicsState:
    """What a content stream has set so far: CTM, colours, overprint, text state."""

    ctm: Matrix = IDENTITY
    fill: Colour = BLACK
    stroke: Colour = BLACK
    overprint_fill: bool = False
    overprint_stroke: bool = False
    render: int = 0
    overprint_mode: int = 0
    line_width: float = 1.0
    font: str = ""
    font_size: float = 0.0
    text: Matrix = IDENTITY  # the text line matrix

    def copy(self) -> GraphicsState:
        return GraphicsState(**self.__dict__)
