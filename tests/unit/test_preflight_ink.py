"""``ink_limit`` from the preview's ink coverage and from a CMYK raster."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from pipeline.config.preflight import PreflightSettings
from pipeline.inkmap import InkMeasure
from pipeline.preflight import ink_from_coverage, ink_from_raster
from pipeline.preflight.ink import ink_findings

#: Raster resolution of the tests: one pixel is 1 mm.
DPI = 25.4
#: 100 % of each ink: 400 %.
FULL = (255, 255, 255, 255)


def light_page() -> Image.Image:
    """A 200 x 100 mm page at 20 % of each ink (80 %)."""
    return Image.new("CMYK", (200, 100), (51, 51, 51, 51))


def test_page_average_over_the_limit_is_ink_limit():
    coverage = {1: {"C": 80, "M": 80, "Y": 80, "K": 90}, 2: {"C": 10, "M": 10, "Y": 10, "K": 10}}
    found = ink_from_coverage(coverage, PreflightSettings())
    assert [(f.code, f.page, f.value) for f in found] == [("ink_limit", 1, 330)]


def test_no_coverage_no_finding():
    assert ink_from_coverage(None, PreflightSettings()) == []


def test_raster_area_over_the_limit_is_found_where_it_is():
    # Given a 200 x 100 mm page with a 60 x 40 mm patch of 400 % ink, 20 mm from the left
    # and 30 mm from the bottom
    raster = light_page()
    ImageDraw.Draw(raster).rectangle((20, 30, 79, 69), fill=FULL)
    # When it is judged
    found = ink_from_raster(raster, DPI, 3, PreflightSettings())
    # Then the patch is found, averaged over 15 mm squares, within half a square of its edges
    assert [(f.code, f.page, f.value) for f in found] == [("ink_limit", 3, 400)]
    x, y, w, h = found[0].position_mm  # type: ignore[misc]
    assert (x, y, x + w, y + h) == pytest.approx((20, 30, 80, 70), abs=7.5)
    assert "averaged over 15 mm squares" in found[0].message


def test_a_few_pixels_over_the_limit_are_not_a_finding():
    raster = Image.new("CMYK", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(raster).rectangle((20, 60, 21, 61), fill=FULL)
    assert ink_from_raster(raster, DPI, 1, PreflightSettings()) == []
    heavy_but_under = Image.new("CMYK", (200, 100), (200, 200, 200, 200))  # 313 %
    assert ink_from_raster(heavy_but_under, DPI, 1, PreflightSettings()) == []


def test_a_patch_smaller_than_the_window_is_not_a_finding_however_heavy():
    # Given a 10 x 10 mm patch of 400 % (what the old per-pixel judging flagged: 100 mm²)
    raster = light_page()
    ImageDraw.Draw(raster).rectangle((20, 60, 29, 69), fill=FULL)
    # Then no 15 mm square averages over 320 %, even when any one such square would count
    for settings in (PreflightSettings(), PreflightSettings(tac_min_area_mm2=0)):
        assert ink_from_raster(raster, DPI, 1, settings) == []
    # and with a 5 mm window it is heavy again
    found = ink_from_raster(raster, DPI, 1, PreflightSettings(tac_window_mm=5))
    assert [f.value for f in found] == [400] and "averaged over 5 mm squares" in found[0].message


def test_a_colour_bar_and_far_apart_dots_are_not_a_finding():
    # Given a 5 mm bar of 400 % along the page (Signa's colour bar in All) and ten 3 mm dots
    raster = light_page()
    draw = ImageDraw.Draw(raster)
    draw.rectangle((0, 2, 199, 6), fill=FULL)
    for i in range(10):
        draw.rectangle((5 + 19 * i, 60, 7 + 19 * i, 62), fill=FULL)
    # Then nothing is found, even when any one square over the limit would count
    assert ink_from_raster(raster, DPI, 1, PreflightSettings(tac_min_area_mm2=0)) == []


def test_the_minimum_area_is_of_square_positions_over_the_limit():
    # Given a 15 x 15 mm square of 340 %: one square position averages over 320 %
    raster = Image.new("CMYK", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(raster).rectangle((40, 40, 54, 54), fill=(217, 217, 217, 217))
    # Then it counts when any one square does (1 mm² of positions here), not with 4 mm²
    found = ink_from_raster(raster, DPI, 1, PreflightSettings(tac_min_area_mm2=0))
    assert [f.value for f in found] == [pytest.approx(340, abs=1.6)]
    assert ink_from_raster(raster, DPI, 1, PreflightSettings()) == []
    # and a 20 x 20 mm one (36 positions) counts with the default
    ImageDraw.Draw(raster).rectangle((40, 40, 59, 59), fill=(217, 217, 217, 217))
    assert len(ink_from_raster(raster, DPI, 1, PreflightSettings())) == 1


def test_a_profile_measured_per_pixel_by_an_older_version_is_judged_as_then():
    # Given a stored profile without window_mm: 100 pixels of 1 mm² over 320 %
    old = {"dpi": DPI, "peak": 400.0, "over": [[320, 100, [20.0, 30.0, 10.0, 10.0]]]}
    ink = InkMeasure({1: {"C": 20, "M": 20, "Y": 20, "K": 20}}, {1: old})
    # Then it is a finding of 100 mm², said as before
    found = ink_findings(ink, PreflightSettings())
    assert [(f.page, f.value, f.position_mm) for f in found] == [(1, 400, (20, 30, 10, 10))]
    assert found[0].message.startswith("page 1: 100 mm² carry more than 320 % ink")
    # and 3 pixels are not over a 4 mm² minimum
    old["over"] = [[320, 3, [20.0, 30.0, 2.0, 2.0]]]
    assert ink_findings(ink, PreflightSettings(tac_min_area_mm2=4)) == []
