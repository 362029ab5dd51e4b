"""The ink amounts of a CMYK raster: averages, the total-ink profile, strips."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from pipeline.inkmap import InkMeter, heavy_area, level_for, measure

#: One pixel is 1 mm.
DPI = 25.4


def sheet_with_patch() -> Image.Image:
    """200 x 100 mm at 20 % of each ink (80 %), a 10 x 10 mm patch of 400 % at x 20, y 30."""
    raster = Image.new("CMYK", (200, 100), (51, 51, 51, 51))
    ImageDraw.Draw(raster).rectangle((20, 60, 29, 69), fill=(255, 255, 255, 255))
    return raster


def test_averages_are_each_inks_share_in_percent():
    meter = measure(sheet_with_patch(), DPI)
    expected = (51 * 19_900 + 255 * 100) / 20_000 * 100 / 255
    assert meter.coverage() == {ink: pytest.approx(expected, abs=0.01) for ink in "CMYK"}


def test_the_profile_says_how_much_is_over_each_level_and_where():
    profile = measure(sheet_with_patch(), DPI).profile()
    assert profile["peak"] == 400 and profile["dpi"] == DPI
    # every level from 200 % to 395 % is exceeded by the patch alone: 100 pixels, same box
    assert [level for level, _, _ in profile["over"]] == list(range(200, 400, 5))
    assert {pixels for _, pixels, _ in profile["over"]} == {100}
    assert {tuple(box) for _, _, box in profile["over"]} == {(20.0, 30.0, 10.0, 10.0)}
    area, peak, box = heavy_area(profile, 320)  # type: ignore[misc]
    assert (area, peak, box) == (pytest.approx(100), 400, [20.0, 30.0, 10.0, 10.0])


def test_nothing_over_the_lowest_level_keeps_no_entry():
    profile = measure(Image.new("CMYK", (50, 50), (200, 200, 100, 0)), DPI).profile()  # 196 %
    assert profile["over"] == [] and profile["peak"] == pytest.approx(196, abs=1.6)
    assert heavy_area(profile, 320) is None


def test_a_page_fed_in_strips_measures_like_a_whole_one():
    # Given a page with heavy areas in two strips and a light band between them
    raster = Image.new("CMYK", (300, 400), (10, 20, 30, 40))
    draw = ImageDraw.Draw(raster)
    draw.rectangle((10, 5, 40, 70), fill=(200, 200, 200, 200))  # 313 %
    draw.rectangle((250, 300, 290, 390), fill=(255, 255, 200, 255))  # 392 %
    whole = measure(raster, 72)
    # When the same rows come a strip of 64 at a time
    strips = InkMeter(300, 400, 72)
    for top in range(0, 400, 64):
        strips.add(raster.crop((0, top, 300, min(top + 64, 400))))
    # Then the averages and the profile are the same
    assert strips.coverage() == whole.coverage()
    assert strips.profile() == whole.profile()
    boxes = {level: box for level, _, box in whole.profile()["over"]}
    assert boxes[200][1] < 25 and boxes[200][3] > 100  # spans both areas (mm, from the bottom)
    assert boxes[320][0] > 80  # only the right-hand one is over 320 %


@pytest.mark.parametrize(
    ("limit", "level"), [(320, 320), (321, 325), (100, 200), (200, 200), (400, 400), (401, None)]
)
def test_a_limit_is_judged_at_the_next_level_up(limit: float, level: int | None):
    assert level_for(max(limit, 200)) == level
