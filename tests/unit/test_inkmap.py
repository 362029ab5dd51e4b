"""The ink amounts of a CMYK raster: averages, the total-ink profile, strips."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from pipeline.config.preflight import DEFAULT_TAC_WINDOW_MM
from pipeline.inkmap import TAC_WINDOW_MM, InkMeter, heavy_area, level_for, measure

#: One pixel is 1 mm.
DPI = 25.4
#: The quarter-scale total of 20 % of each ink (80 %), and of 100 % of each (400 %).
LIGHT, FULL = (51, 51, 51, 51), (255, 255, 255, 255)


def sheet_with_patch(w: int = 10, h: int = 10) -> Image.Image:
    """200 x 100 mm at 20 % of each ink (80 %), a ``w`` x ``h`` mm patch of 400 % at x 20,
    y 30 (from the bottom)."""
    raster = Image.new("CMYK", (200, 100), LIGHT)
    ImageDraw.Draw(raster).rectangle((20, 70 - h, 19 + w, 69), fill=FULL)
    return raster


def entry(profile: dict, level: int) -> tuple[int, list[float]] | None:
    """The square positions over ``level`` and the box around those squares, if any."""
    return next(((n, box) for lvl, n, box in profile["over"] if lvl == level), None)


def over(profile: dict, level: int) -> tuple[int, list[float]]:
    """:func:`entry`, which the test expects to be there."""
    found = entry(profile, level)
    assert found is not None, f"nothing over {level} %"
    return found


def test_averages_are_each_inks_share_in_percent():
    meter = measure(sheet_with_patch(), DPI)
    expected = (51 * 19_900 + 255 * 100) / 20_000 * 100 / 255
    assert meter.coverage() == {ink: pytest.approx(expected, abs=0.01) for ink in "CMYK"}


def test_the_window_is_the_settings_default():
    assert TAC_WINDOW_MM == DEFAULT_TAC_WINDOW_MM == 15
    assert measure(sheet_with_patch(), DPI).profile()["window_mm"] == 15


def test_total_ink_is_averaged_over_15_mm_squares():
    # Given a light sheet with a 30 x 20 mm patch of 400 %
    profile = measure(sheet_with_patch(30, 20), DPI).profile()
    # Then the 16 x 6 squares wholly in the patch average 400 %, and they cover the patch
    assert profile["peak"] == 400 and profile["dpi"] == DPI
    assert over(profile, 395) == (16 * 6, [20.0, 30.0, 30.0, 20.0])
    # and squares partly in the patch average less, the less of it they hold
    assert over(profile, 200)[0] > over(profile, 240)[0] > 16 * 6
    # the box around the squares over a level holds the patch, and reaches less than a
    # square's side past it (a square wholly beside the patch is light)
    for level in (200, 320):
        x, y, w, h = over(profile, level)[1]
        assert 20 - 15 < x <= 20 and 50 <= x + w < 50 + 15
        assert 30 - 15 < y <= 30 and 50 <= y + h < 50 + 15
    assert heavy_area(profile, 320) == (over(profile, 320)[0], 400, over(profile, 320)[1])


def test_a_square_as_large_as_the_window_counts_a_smaller_heavier_one_does_not():
    exact = Image.new("CMYK", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(exact).rectangle((40, 40, 54, 54), fill=(217, 217, 217, 217))  # 340 %
    assert measure(exact, DPI).profile()["peak"] == pytest.approx(340, abs=1.6)
    small = sheet_with_patch(10, 10)  # 400 % over 10 x 10 mm: (100 x 400 + 125 x 80) / 225
    assert measure(small, DPI).profile()["peak"] == pytest.approx(222, abs=1.6)


def test_thin_lines_a_narrow_bar_and_far_apart_dots_do_not_count():
    # Given register-mark lines, a 5 mm bar of 400 % (a colour bar in All) and ten 3 mm dots
    raster = Image.new("CMYK", (300, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(raster)
    draw.rectangle((10, 10, 289, 14), fill=FULL)
    draw.line((150, 40, 150, 80), fill=FULL)
    draw.line((130, 60, 170, 60), fill=FULL)
    for i in range(10):
        draw.rectangle((20 + 25 * i, 150, 22 + 25 * i, 152), fill=FULL)
    # When it is measured per pixel, and averaged over 15 mm squares
    per_pixel = measure(raster, DPI, window_mm=0).profile()
    averaged = measure(raster, DPI).profile()
    # Then every pixel of them is 400 %, and no square averages over a third of that
    assert per_pixel["peak"] == 400 and over(per_pixel, 320)[0] > 1_400
    assert averaged["peak"] == pytest.approx(400 / 3, abs=2) and entry(averaged, 200) is None


def test_per_pixel_when_the_window_is_zero():
    profile = measure(sheet_with_patch(), DPI, window_mm=0).profile()
    assert profile["peak"] == 400 and profile["window_mm"] == 0
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


def test_outside_the_page_counts_as_no_ink():
    # Given a page all at 400 %: squares at its edges are half or a quarter off the page
    profile = measure(Image.new("CMYK", (60, 40), FULL), DPI).profile()
    # Then only squares wholly on it average 400 %, and a corner's averages a quarter of that
    assert over(profile, 395) == ((60 - 14) * (40 - 14), [0.0, 0.0, 60.0, 40.0])
    assert over(profile, 200)[0] < 60 * 40


@pytest.mark.parametrize(("dpi", "rows"), [(72, 64), (72, 7), (72, 1), (25.4, 5), (25.4, 256)])
def test_a_page_fed_in_strips_measures_like_a_whole_one(dpi: float, rows: int):
    # Given a page with heavy areas in two strips and a light band between them, the first
    # across a strip's edge
    raster = Image.new("CMYK", (300, 400), (10, 20, 30, 40))
    draw = ImageDraw.Draw(raster)
    draw.rectangle((10, 5, 40, 70), fill=(200, 200, 200, 200))  # 313 %
    draw.rectangle((250, 300, 290, 390), fill=(255, 255, 200, 255))  # 378 %
    whole = measure(raster, dpi)
    # When the same rows come ``rows`` at a time (fewer than a square's too)
    strips = InkMeter(300, 400, dpi)
    for top in range(0, 400, rows):
        strips.add(raster.crop((0, top, 300, min(top + rows, 400))))
    # Then the averages and the profile are the same, squares across strips included
    assert strips.coverage() == whole.coverage()
    assert strips.profile() == whole.profile()
    assert strips.carry.height <= 2 * strips.pad + 1  # what is kept between strips
    if dpi == 72:
        boxes = {level: box for level, _, box in whole.profile()["over"]}
        assert boxes[200][1] < 25 and boxes[200][3] > 100  # both areas (mm, from the bottom)
        assert boxes[320][0] > 80  # only the right-hand one is over 320 %


@pytest.mark.parametrize(
    ("limit", "level"), [(320, 320), (321, 325), (100, 200), (200, 200), (400, 400), (401, None)]
)
def test_a_limit_is_judged_at_the_next_level_up(limit: float, level: int | None):
    assert level_for(max(limit, 200)) == level
