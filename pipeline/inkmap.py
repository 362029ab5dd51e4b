"""Ink amounts of a CMYK raster: each ink's average and where the total ink is heavy.

The preview's ink pass (pipeline.preview.inkcov) renders every page in CMYK with Ghostscript
and feeds the rows here, a strip at a time (memory stays small whatever the page size).
Preflight (pipeline.preflight.ink) judges ``ink_limit`` later, with the limit of the job's
press and bureau, from the kept :func:`InkMeter.profile` alone: no second rendering, no raster
kept. A page's profile is JSON-safe and is stored with the job's preview::

    {"dpi": 72, "peak": 342.7, "over": [[200, 51234, [x, y, w, h]], [205, ...], ...]}

``over`` has an entry for each level from 200 % in 5 % steps that some pixel
exceeds: how many pixels carry more C+M+Y+K than that level, and the box around them in mm
from the page's lower-left corner. A limit between two levels is judged at the next level up
(``level_for``; a limit under 200 % at 200 %). The total is summed in 8 bits at a quarter
scale: one unit is 400/255 = 1.6 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageStat

#: Millimetres per inch.
MM_PER_INCH = 25.4
#: The total-ink levels a profile keeps, in percent.
LEVELS = tuple(range(200, 401, 5))
#: Percent of total ink that one unit of the quarter-scale total stands for (255 = 400 %).
UNIT_PERCENT = 400 / 255
#: The inks of a CMYK raster, in band order.
INKS = ("C", "M", "Y", "K")

Profile = dict[str, Any]


@dataclass(frozen=True)
class InkMeasure:
    """What the preview's ink pass measured, per page (numbered from 1): each ink's average in
    percent, and the total-ink profile (None where only the averages were measured)."""

    coverage: dict[int, dict[str, float]]
    profiles: dict[int, Profile] | None = None

    @classmethod
    def from_stored(cls, preview: Mapping[str, Any] | None) -> InkMeasure | None:
        """From a job's stored preview (``ink_coverage`` and ``ink_profiles``, page numbers
        as strings: JSON), or None when it has no ink coverage."""
        coverage = (preview or {}).get("ink_coverage")
        if not coverage:
            return None
        profiles = (preview or {}).get("ink_profiles")
        return cls(
            {int(page): dict(inks) for page, inks in coverage.items()},
            {int(page): dict(p) for page, p in profiles.items()} if profiles else None,
        )


def _over(level: float) -> int:
    """The largest quarter-scale total that is not over ``level`` percent."""
    return int(level / UNIT_PERCENT)


class InkMeter:
    """Rows of one ``width`` x ``height`` CMYK page at ``dpi``, fed top to bottom."""

    def __init__(self, width: int, height: int, dpi: float) -> None:
        self.width, self.height, self.dpi = width, height, dpi
        self.row = 0
        self.sums = [0.0] * 4
        self.histogram = [0] * 256
        #: level -> (left, top, right, bottom) in pixels, of the pixels over it so far
        self.boxes: dict[int, tuple[int, int, int, int]] = {}

    def add(self, strip: Image.Image) -> None:
        """The next rows of the page, as a CMYK image as wide as the page."""
        for band, band_sum in enumerate(ImageStat.Stat(strip).sum):
            self.sums[band] += band_sum
        c, m, y, k = strip.split()
        total = ImageChops.add(
            ImageChops.add(c, m, scale=2), ImageChops.add(y, k, scale=2), scale=2
        )
        counts = total.histogram()
        for value, count in enumerate(counts):
            self.histogram[value] += count
        highest = max((v for v, n in enumerate(counts) if n), default=0)
        for level in LEVELS:
            threshold = _over(level)
            if highest <= threshold:
                break
            box = total.point([255 if v > threshold else 0 for v in range(256)]).getbbox()
            if box is not None:
                self._merge(level, box)
        self.row += strip.height

    def _merge(self, level: int, box: tuple[int, int, int, int]) -> None:
        left, top, right, bottom = box
        top, bottom = top + self.row, bottom + self.row
        if level in self.boxes:
            l0, t0, r0, b0 = self.boxes[level]
            left, top, right, bottom = min(l0, left), min(t0, top), max(r0, right), max(b0, bottom)
        self.boxes[level] = (left, top, right, bottom)

    def coverage(self) -> dict[str, float]:
        """Each ink's average over the page in percent (what Ghostscript's ``ink_cov`` says)."""
        pixels = max(self.width * self.height, 1)
        return {
            ink: round(total * 100 / 255 / pixels, 3)
            for ink, total in zip(INKS, self.sums, strict=True)
        }

    def profile(self) -> Profile:
        """The page's total-ink profile (see the module's docstring)."""
        highest = max((v for v, n in enumerate(self.histogram) if n), default=0)
        over = []
        for level in LEVELS:
            threshold = _over(level)
            pixels = sum(self.histogram[threshold + 1 :])
            if not pixels:
                break
            over.append([level, pixels, list(self._mm(self.boxes[level]))])
        return {"dpi": self.dpi, "peak": round(highest * UNIT_PERCENT, 1), "over": over}

    def _mm(self, box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
        """A pixel box (top-left origin) as ``(x, y, w, h)`` mm from the lower-left corner."""
        scale = MM_PER_INCH / self.dpi
        left, top, right, bottom = box
        return (
            round(left * scale, 1),
            round((self.height - bottom) * scale, 1),
            round((right - left) * scale, 1),
            round((bottom - top) * scale, 1),
        )


def measure(raster: Image.Image, dpi: float) -> InkMeter:
    """An :class:`InkMeter` fed with the whole of ``raster`` (any mode; CMYK is used as is)."""
    cmyk = raster if raster.mode == "CMYK" else raster.convert("CMYK")
    meter = InkMeter(cmyk.width, cmyk.height, dpi)
    meter.add(cmyk)
    return meter


def level_for(limit: float) -> int | None:
    """The profile level a ``limit`` in percent is judged at (None: no pixel can be over it)."""
    return next((level for level in LEVELS if level >= limit), None)


def heavy_area(profile: Profile, limit: float) -> tuple[float, float, list[float]] | None:
    """``(mm², peak %, [x, y, w, h] mm)`` of the pixels over ``limit`` percent, or None."""
    level = level_for(max(limit, LEVELS[0]))
    for entry_level, pixels, box in profile.get("over", []):
        if entry_level == level:
            area = pixels * (MM_PER_INCH / float(profile["dpi"])) ** 2
            return area, float(profile["peak"]), list(box)
    return None
