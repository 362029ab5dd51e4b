"""``ink_limit`` from the preview's ink coverage and from a CMYK raster."""

from __future__ import annotations

from PIL import Image, ImageDraw

from pipeline.config.preflight import PreflightSettings
from pipeline.preflight import ink_from_coverage, ink_from_raster

#: Raster resolution of the tests: one pixel is 1 mm.
DPI = 25.4


def test_page_average_over_the_limit_is_ink_limit():
    coverage = {1: {"C": 80, "M": 80, "Y": 80, "K": 90}, 2: {"C": 10, "M": 10, "Y": 10, "K": 10}}
    found = ink_from_coverage(coverage, PreflightSettings())
    assert [(f.code, f.page, f.value) for f in found] == [("ink_limit", 1, 330)]


def test_no_coverage_no_finding():
    assert ink_from_coverage(None, PreflightSettings()) == []


def test_raster_area_over_the_limit_is_found_where_it_is():
    # Given a 200 x 100 mm page with a 10 x 10 mm patch of 400 % ink, 20 mm from the left
    # and 30 mm from the bottom
    raster = Image.new("CMYK", (200, 100), (50, 50, 50, 50))
    ImageDraw.Draw(raster).rectangle((20, 60, 29, 69), fill=(255, 255, 255, 255))
    found = ink_from_raster(raster, DPI, 3, PreflightSettings())
    assert [(f.code, f.page, f.value) for f in found] == [("ink_limit", 3, 400)]
    assert found[0].position_mm == (20.0, 30.0, 10.0, 10.0)


def test_a_few_pixels_over_the_limit_are_not_a_finding():
    raster = Image.new("CMYK", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(raster).rectangle((20, 60, 21, 61), fill=(255, 255, 255, 255))
    assert ink_from_raster(raster, DPI, 1, PreflightSettings()) == []
    heavy_but_under = Image.new("CMYK", (200, 100), (200, 200, 200, 200))  # 313 %
    assert ink_from_raster(heavy_but_under, DPI, 1, PreflightSettings()) == []
