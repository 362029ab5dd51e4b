"""Ink amounts of a CMYK raster: each ink's average and where the total ink is heavy.

The preview's ink pass (pipeline.preview.inkcov) renders every page in CMYK with Ghostscript
and feeds the rows here, a strip at a time (memory stays small whatever the page size).
Preflight (pipeline.preflight.ink) judges ``ink_limit`` later, with the limit of the job's
press and bureau, from the kept :func:`InkMeter.profile` alone: no second rendering, no raster
kept. A page's profile is JSON-safe and is stored with the job's preview::

    {"dpi": 72, "window_mm": 15, "peak": 342.7, "over": [[200, 51234, [x, y, w, h]], ...]}

Total ink is judged as GWG 2022 (R0026) does: averaged over a square of ``window_mm`` around
each pixel, so thin lines, small dots and a narrow colour bar (Signa's marks print 400 % in
the registration colour ``All``, and are cut off with the trim) do not count, and far-apart
dots do not add up. ``peak`` is the highest such average. ``over`` has an entry for each level
from 200 % in 5 % steps that some square's average exceeds: how many square positions (pixels,
each the centre of one square) average more C+M+Y+K than that level, and the box around those
squares in mm from the page's lower-left corner. Outside the page counts as no ink. A limit
between two levels is judged at the next level up (``level_for``; a limit under 200 % at
200 %). The total is summed in 8 bits at a quarter scale: one unit is 400/255 = 1.6 %.

A profile without ``window_mm`` was measured by an older version, per pixel: ``peak`` and
``over`` are then about single pixels, the format otherwise the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageFilter, ImageStat

from pipeline.config.preflight import DEFAULT_TAC_WINDOW_MM

#: Millimetres per inch.
MM_PER_INCH = 25.4
#: The total-ink levels a profile keeps, in percent.
LEVELS = tuple(range(200, 401, 5))
#: Percent of total ink that one unit of the quarter-scale total stands for (255 = 400 %).
UNIT_PERCENT = 400 / 255
#: The inks of a CMYK raster, in band order.
INKS = ("C", "M", "Y", "K")
#: Side in mm of the square the ink pass averages total ink over: the settings' default
#: (``tac_window_mm``), since the pass runs before the job's settings are known.
TAC_WINDOW_MM = DEFAULT_TAC_WINDOW_MM

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


#: Per level, the lookup table that keeps only the totals over it.
_MASKS = {level: [255 if v > _over(level) else 0 for v in range(256)] for level in LEVELS}


class InkMeter:
    """Rows of one ``width`` x ``height`` CMYK page at ``dpi``, fed top to bottom; total ink
    averaged over squares of ``window_mm`` (0: per pixel)."""

    def __init__(
        self, width: int, height: int, dpi: float, window_mm: float = TAC_WINDOW_MM
    ) -> None:
        self.width, self.height, self.dpi = width, height, dpi
        self.window_mm = window_mm
        #: The square's side in pixels, and the box blur's radius that averages over it
        #: (the outermost pixels weighted by the fraction of them the square covers).
        self.side = window_mm / MM_PER_INCH * dpi
        self.radius = max((self.side - 1) / 2, 0.0)
        #: Rows and columns of no ink around the page, so every square is whole.
        self.pad = int(self.radius) + 1
        self.row = 0
        self.sums = [0.0] * 4
        self.histogram = [0] * 256
        #: level -> (left, top, right, bottom) in pixels, of the square centres over it so far
        self.boxes: dict[int, tuple[int, int, int, int]] = {}
        #: The padded totals of the last rows, whose squares reach into the next strip.
        self.carry = Image.new("L", (width + 2 * self.pad, self.pad), 0)
        #: Rows of the page whose squares are averaged and judged.
        self.done = 0
        #: Whether the rows under the page are in: every square is judged.
        self.closed = False

    def add(self, strip: Image.Image) -> None:
        """The next rows of the page, as a CMYK image as wide as the page."""
        for band, band_sum in enumerate(ImageStat.Stat(strip).sum):
            self.sums[band] += band_sum
        c, m, y, k = strip.split()
        total = ImageChops.add(
            ImageChops.add(c, m, scale=2), ImageChops.add(y, k, scale=2), scale=2
        )
        self.row += strip.height
        self._average(total, last=self.row >= self.height)

    def close(self) -> None:
        """Judge the squares of the last rows, as if the rest of the page were blank (done
        by :meth:`add` with the page's last row, and by :meth:`profile`)."""
        if not self.closed:
            self._average(Image.new("L", (self.width, 0)), last=True)

    def _average(self, total: Image.Image, last: bool) -> None:
        """Average the squares whose rows are all known now: the carried rows, ``total``
        and, on the ``last`` strip, the blank rows under the page."""
        pad, carried = self.pad, self.carry.height
        self.closed = last
        rows = carried + total.height + (pad if last else 0)
        buffer = Image.new("L", (self.width + 2 * pad, rows), 0)
        buffer.paste(self.carry, (0, 0))
        buffer.paste(total, (pad, carried))
        self.carry = buffer.crop((0, max(rows - 2 * pad, 0), buffer.width, rows))
        if rows <= 2 * pad:
            return
        blurred = buffer.filter(ImageFilter.BoxBlur(self.radius)) if self.radius else buffer
        # rows pad .. rows - pad have their whole square in the buffer; the rest is padding,
        # or comes again (whole) with the next strip
        self._judge(blurred.crop((pad, pad, pad + self.width, rows - pad)))

    def _judge(self, averages: Image.Image) -> None:
        """Count the next rows of square averages per level, and widen each level's box."""
        counts = averages.histogram()
        for value, count in enumerate(counts):
            self.histogram[value] += count
        highest = max((v for v, n in enumerate(counts) if n), default=0)
        for level in LEVELS:
            if highest <= _over(level):
                break
            box = averages.point(_MASKS[level]).getbbox()
            if box is not None:
                self._merge(level, box)
        self.done += averages.height

    def _merge(self, level: int, box: tuple[int, int, int, int]) -> None:
        left, top, right, bottom = box
        top, bottom = top + self.done, bottom + self.done
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
        self.close()
        highest = max((v for v, n in enumerate(self.histogram) if n), default=0)
        over = []
        for level in LEVELS:
            positions = sum(self.histogram[_over(level) + 1 :])
            if not positions:
                break
            over.append([level, positions, list(self._mm(self._squares(self.boxes[level])))])
        return {
            "dpi": self.dpi,
            "window_mm": self.window_mm,
            "peak": round(highest * UNIT_PERCENT, 1),
            "over": over,
        }

    def _squares(self, box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
        """The box around the squares centred in the pixel ``box``, within the page."""
        left, top, right, bottom = box
        half = self.radius
        return (
            max(left - half, 0),
            max(top - half, 0),
            min(right + half, self.width),
            min(bottom + half, self.height),
        )

    def _mm(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A pixel box (top-left origin) as ``(x, y, w, h)`` mm from the lower-left corner."""
        scale = MM_PER_INCH / self.dpi
        left, top, right, bottom = box
        return (
            round(left * scale, 1),
            round((self.height - bottom) * scale, 1),
            round((right - left) * scale, 1),
            round((bottom - top) * scale, 1),
        )


def measure(raster: Image.Image, dpi: float, window_mm: float = TAC_WINDOW_MM) -> InkMeter:
    """An :class:`InkMeter` fed with the whole of ``raster`` (any mode; CMYK is used as is)."""
    cmyk = raster if raster.mode == "CMYK" else raster.convert("CMYK")
    meter = InkMeter(cmyk.width, cmyk.height, dpi, window_mm)
    meter.add(cmyk)
    return meter


def level_for(limit: float) -> int | None:
    """The profile level a ``limit`` in percent is judged at (None: no square can be over it)."""
    return next((level for level in LEVELS if level >= limit), None)


def heavy_area(profile: Profile, limit: float) -> tuple[float, float, list[float]] | None:
    """``(mm², peak %, [x, y, w, h] mm)`` over ``limit`` percent, or None: the area of the
    square positions (of the pixels, for a profile without ``window_mm``) over it, the
    profile's peak, and the box around them."""
    level = level_for(max(limit, LEVELS[0]))
    for entry_level, positions, box in profile.get("over", []):
        if entry_level == level:
            area = positions * (MM_PER_INCH / float(profile["dpi"])) ** 2
            return area, float(profile["peak"]), list(box)
    return None
