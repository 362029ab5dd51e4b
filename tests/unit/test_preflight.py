"""Preflight checks on generated sheets: a clean sheet gives nothing, each fault its finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config.preflight import PreflightSettings, merge
from pipeline.inkmap import InkMeasure
from pipeline.preflight import Finding, preflight
from tests.preflight_sheets import SheetWriter, clean_sheet, separation

SPOT = "PANTONE 185 C"


def check(
    tmp_path: Path,
    content: str = "",
    resources: str = "",
    settings: PreflightSettings | None = None,
    **page: object,
) -> list[Finding]:
    writer = SheetWriter()
    clean_sheet(writer, content, resources, **page)
    return preflight(writer.write(tmp_path / "sheet.pdf"), settings or PreflightSettings())


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def spot_space(name: str = SPOT) -> str:
    return f"/ColorSpace << /CS1 {separation(name)} >>"


def test_clean_sheet_has_no_finding(tmp_path):
    # Given a sheet of CMYK fills, an embedded font, a 300 ppi image and a mark in All
    # When it is preflighted
    found = check(tmp_path)
    # Then nothing is found
    assert found == []


# --- plates --------------------------------------------------------------------------------


def test_spot_printed_but_not_listed_is_plate_missing_with_its_place(tmp_path):
    # Given a 100% tint of a spot colour the colorant list lacks, 10 mm from the corner
    found = check(tmp_path, "/CS1 cs 1 scn 28.3465 28.3465 56.693 28.3465 re f", spot_space())
    # Then exactly one plate_missing names the spot and where it is
    assert codes(found) == ["plate_missing"]
    assert found[0].object == SPOT and found[0].severity == "error" and found[0].page == 1
    assert found[0].position_mm == (10.0, 10.0, 20.0, 10.0)
    assert SPOT in found[0].message and "Signa" in found[0].message


def test_zero_tint_of_a_spot_prints_nothing(tmp_path):
    # Given a spot at 0 % tint, not in the colorant list
    found = check(tmp_path, "/CS1 cs 0 scn 10 10 50 50 re f", spot_space())
    # Then it does not count as printed
    assert found == []


def test_listed_spot_at_zero_tint_only_is_plate_empty(tmp_path):
    # Given a listed spot whose only use on the sheet is a 0 % tint, and a mark printing it
    writer = SheetWriter()
    mark = writer.mark("/CS1 cs 1 scn 0 0 10 10 re f", spot_space())
    clean_sheet(
        writer,
        "/CS1 cs 0 scn 10 10 50 50 re f /pssMO1_9 Do",
        spot_space(),
        xobjects=f"/pssMO1_9 {mark} 0 R",
        colorants=("Cyan", "Magenta", "Yellow", "Black", SPOT),
    )
    found = preflight(writer.write(tmp_path / "s.pdf"), PreflightSettings())
    # Then the plate is paid for nothing: one warning naming it
    assert codes(found) == ["plate_empty"]
    assert found[0].object == SPOT and found[0].severity == "warning"
    assert "only marks" in found[0].message


def test_black_only_cmyk_prints_only_black(tmp_path):
    # Given a sheet that prints only 0 0 0 1 k, with a colorant list of Black alone
    writer = SheetWriter()
    writer.page("0 0 0 1 k 10 10 100 100 re f 0 0 0 0 k 10 10 5 5 re f", colorants=("Black",))
    found = preflight(writer.write(tmp_path / "k.pdf"), PreflightSettings())
    # Then nothing is missing (the white square prints no plate)
    assert found == []


def test_black_only_cmyk_leaves_listed_process_plates_empty(tmp_path):
    writer = SheetWriter()
    writer.page("0 0 0 1 k 10 10 100 100 re f")
    found = preflight(writer.write(tmp_path / "k.pdf"), PreflightSettings())
    assert sorted(f.object or "" for f in found) == ["Cyan", "Magenta", "Yellow"]
    assert set(codes(found)) == {"plate_empty"}


def test_devicen_with_all_counts_the_spot_and_never_all(tmp_path):
    # Given DeviceN [All, spot] at full tint and a list without the spot
    devicen = f"[/DeviceN [/All /PANTONE#20185#20C] /DeviceCMYK {separation('x')[-60:]}"
    space = (
        "/ColorSpace << /CS2 [/DeviceN [/All /PANTONE#20185#20C] /DeviceCMYK "
        "<< /FunctionType 2 /Domain [0 1] /C0 [0 0 0 0] /C1 [0 1 1 0] /N 1 >>] >>"
    )
    assert devicen  # the space is written in full above
    found = check(tmp_path, "/CS2 cs 1 1 scn 10 10 50 50 re f", space)
    # Then only the spot is missing (All is never a plate); All outside a mark is flagged
    assert codes(found) == ["plate_missing", "registration_content"]
    assert found[0].object == SPOT


def test_devicen_with_all_and_a_listed_colour_is_clean(tmp_path):
    space = (
        "/ColorSpace << /CS2 [/DeviceN [/All /Cyan] /DeviceCMYK "
        "<< /FunctionType 2 /Domain [0 1] /C0 [0 0 0 0] /C1 [1 0 0 0] /N 1 >>] >>"
    )
    assert check(tmp_path, "/CS2 cs 0 0.5 scn 10 10 50 50 re f", space) == []


def test_signa_placeholders_are_never_plates(tmp_path):
    spaces = " ".join(
        f"/P{i} {separation(n)}" for i, n in enumerate(["S3", "HDM_DarkColor", "X", "All"])
    )
    content = " ".join(f"/P{i} cs 1 scn 10 10 5 5 re f" for i in range(4))
    found = check(tmp_path, content, f"/ColorSpace << {spaces} >>")
    # none is a missing plate; All outside a mark is the registration colour misused
    assert codes(found) == ["registration_content"]


def test_spot_in_forms_nested_three_deep_is_found_through_their_matrices(tmp_path):
    # Given form A -> form B -> form C, each moving 10 mm right, C filling the spot
    writer = SheetWriter()
    move = " /Matrix [1 0 0 1 28.3465 0]"
    inner = writer.form("/CS1 cs 1 scn 0 0 28.3465 28.3465 re f", spot_space(), move)
    middle = writer.form("/C Do", f"/XObject << /C {inner} 0 R >>", move)
    outer = writer.form("/B Do", f"/XObject << /B {middle} 0 R >>", move)
    clean_sheet(writer, "/A Do", xobjects=f"/A {outer} 0 R")
    found = preflight(writer.write(tmp_path / "nested.pdf"), PreflightSettings())
    # Then the spot is missing, placed 30 mm right
    assert codes(found) == ["plate_missing"]
    assert found[0].position_mm == (30.0, 0.0, 10.0, 10.0)


def test_spot_image_and_shading_print_their_colorants(tmp_path):
    writer = SheetWriter()
    image = writer.image(600, 600, separation(SPOT).replace("[", "[ ", 1))
    shading = writer.add(
        "<< /ShadingType 2 /ColorSpace [/Separation /Gold /DeviceCMYK << /FunctionType 2 "
        "/Domain [0 1] /C0 [0 0 0 0] /C1 [0 0.2 1 0] /N 1 >>] /Coords [0 0 100 0] "
        "/Function << /FunctionType 2 /Domain [0 1] /C0 [0] /C1 [1] /N 1 >> >>"
    )
    clean_sheet(
        writer,
        "q 144 0 0 144 0 0 cm /Sp Do Q /Sh sh",
        f"/Shading << /Sh {shading} 0 R >>",
        xobjects=f"/Sp {image} 0 R",
    )
    found = preflight(writer.write(tmp_path / "spot-image.pdf"), PreflightSettings())
    assert sorted(f.object or "" for f in found) == ["Gold", SPOT]
    assert set(codes(found)) == {"plate_missing"}


# --- RGB -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "resources"),
    [
        ("1 0 0 rg 10 10 50 50 re f", ""),
        (
            "/L cs 50 20 20 sc 10 10 50 50 re f",
            "/ColorSpace << /L [/Lab << /WhitePoint [1 1 1] >>] >>",
        ),
        ("/I cs 0.2 0.3 0.4 sc 10 10 50 50 re f", "/ColorSpace << /I [/ICCBased PROFILE] >>"),
    ],
    ids=["DeviceRGB", "Lab", "ICC-RGB"],
)
def test_rgb_lab_and_icc_rgb_vector_fills_are_rgb_content(tmp_path, content, resources):
    writer = SheetWriter()
    profile = writer.stream(b"profile", " /N 3")
    clean_sheet(writer, content, resources.replace("PROFILE", f"{profile} 0 R"))
    found = preflight(writer.write(tmp_path / "rgb.pdf"), PreflightSettings())
    assert codes(found) == ["rgb_content"]
    assert found[0].position_mm is not None and found[0].severity == "error"


def test_rgb_image_is_rgb_content_named_and_placed(tmp_path):
    writer = SheetWriter()
    image = writer.image(600, 600, "/DeviceRGB")
    clean_sheet(writer, "q 144 0 0 144 0 0 cm /Photo Do Q", xobjects=f"/Photo {image} 0 R")
    found = preflight(writer.write(tmp_path / "rgb-image.pdf"), PreflightSettings())
    assert codes(found) == ["rgb_content"]
    assert found[0].object == "Photo" and found[0].position_mm == (0.0, 0.0, 50.8, 50.8)


def test_rgb_inside_a_mark_is_not_judged(tmp_path):
    writer = SheetWriter()
    mark = writer.mark("1 0 0 rg 0 0 10 10 re f")
    clean_sheet(writer, "/pssMO1_5 Do", xobjects=f"/pssMO1_5 {mark} 0 R")
    assert preflight(writer.write(tmp_path / "m.pdf"), PreflightSettings()) == []


# --- fonts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "font",
    [
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< /Type /Font /Subtype /TrueType /BaseFont /Arial /FontDescriptor << /Type "
        "/FontDescriptor /FontName /Arial /Flags 32 >> >>",
        "<< /Type /Font /Subtype /Type0 /BaseFont /Kozuka /DescendantFonts [] >>",
    ],
    ids=["no-descriptor", "descriptor-without-program", "type0-without-descendant"],
)
def test_font_not_embedded_names_the_font(tmp_path, font):
    found = check(tmp_path, "BT /F2 10 Tf (x) Tj ET", fonts=f"/F2 {font}")
    assert codes(found) == ["font_not_embedded"]
    assert found[0].object in ("Helvetica", "Arial", "Kozuka") and found[0].page == 1


def test_type3_font_is_embedded(tmp_path):
    font = (
        "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1 1] /FontMatrix [1 0 0 1 0 0] "
        "/CharProcs << >> /Encoding << /Differences [] >> /FirstChar 0 /LastChar 0 /Widths [0] >>"
    )
    assert check(tmp_path, "BT /F3 10 Tf (x) Tj ET", fonts=f"/F3 {font}") == []


# --- resolution ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pixels", "ppi", "severity"),
    [(100, 100.0, "error"), (200, 200.0, "warning"), (300, None, None)],
)
def test_image_scaled_through_two_ctms_gets_its_effective_ppi(tmp_path, pixels, ppi, severity):
    # Given an image placed 144 pt wide inside a 0.5 scale: 1 inch on the sheet
    writer = SheetWriter()
    image = writer.image(pixels, pixels)
    clean_sheet(
        writer,
        "q 0.5 0 0 0.5 0 0 cm q 144 0 0 144 200 200 cm /Lo Do Q Q",
        xobjects=f"/Lo {image} 0 R",
    )
    found = preflight(writer.write(tmp_path / "res.pdf"), PreflightSettings())
    if ppi is None:
        assert found == []
    else:
        assert codes(found) == ["low_resolution"]
        assert found[0].value == ppi and found[0].severity == severity
        assert found[0].position_mm == (35.3, 35.3, 25.4, 25.4)


def test_image_in_a_scaled_form_counts_the_form_matrix(tmp_path):
    writer = SheetWriter()
    image = writer.image(300, 300)
    form = writer.form(
        "q 72 0 0 72 0 0 cm /I Do Q", f"/XObject << /I {image} 0 R >>", " /Matrix [3 0 0 3 0 0]"
    )
    clean_sheet(writer, "/Big Do", xobjects=f"/Big {form} 0 R")
    found = preflight(writer.write(tmp_path / "form.pdf"), PreflightSettings())
    assert codes(found) == ["low_resolution"] and found[0].value == 100.0


@pytest.mark.parametrize(
    ("pixels", "severity"), [(500, "error"), (600, "warning"), (790, "warning"), (800, None)]
)
def test_one_bit_images_need_min_ppi_bitmap(tmp_path, pixels, severity):
    # GWG 2022 R0032: 1-bit images under 550 ppi are an error, under 800 a warning
    writer = SheetWriter()
    image = writer.image(pixels, pixels, "/DeviceGray", bits=1)
    clean_sheet(writer, "q 72 0 0 72 0 0 cm /Bw Do Q", xobjects=f"/Bw {image} 0 R")
    found = preflight(writer.write(tmp_path / "bw.pdf"), PreflightSettings())
    assert [(f.code, f.severity) for f in found] == (
        [("low_resolution", severity)] if severity else []
    )


# --- white overprint -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "flagged"),
    [
        ("/OP1 gs 0 0 0 0 k 10 10 50 50 re f", True),
        ("/OP1 gs /CS1 cs 0 scn BT /F1 10 Tf (w) Tj ET", True),
        ("/OP1 gs 0 0 0 0.5 k 10 10 50 50 re f", False),
        ("0 0 0 0 k 10 10 50 50 re f", False),
        ("/OP0 gs 0 0 0 0 k 10 10 50 50 re f", False),
    ],
    ids=["white-fill", "white-spot-text", "grey-overprint", "white-knockout", "overprint-false"],
)
def test_white_overprint(tmp_path, content, flagged):
    found = check(
        tmp_path,
        content,
        f"/ExtGState << /OP1 << /OP true /op true >> /OP0 << /OP false >> >> {spot_space()}",
    )
    assert codes(found) == (["white_overprint"] if flagged else [])


# --- paper ---------------------------------------------------------------------------------


def test_trimbox_larger_than_the_press_takes_is_paper_too_large(tmp_path):
    settings = PreflightSettings(max_paper_mm=(720, 1020))
    trim = "/TrimBox [0 0 2891.34 2041]"  # 1020 x 720 mm: fits
    assert check(tmp_path, settings=settings, extra=trim) == []
    found = check(tmp_path, settings=PreflightSettings(max_paper_mm=(700, 1000)), extra=trim)
    assert codes(found) == ["paper_too_large"] and "1020 x 720" in found[0].message


def test_trimbox_off_the_plate_is_paper_too_large(tmp_path):
    found = check(tmp_path, extra="/TrimBox [2800 100 3000 300]")
    assert codes(found) == ["paper_too_large"] and "off the plate" in found[0].message


# --- settings, bad input, budget -----------------------------------------------------------


def test_off_checks_are_not_run_and_severity_follows_settings(tmp_path):
    settings = merge(
        PreflightSettings(), {"severity": {"plate_missing": "off", "rgb_content": "warning"}}
    )
    found = check(tmp_path, "/CS1 cs 1 scn 1 0 0 rg 10 10 50 50 re f", spot_space(), settings)
    assert [(f.code, f.severity) for f in found] == [("rgb_content", "warning")]


@pytest.mark.parametrize(
    ("content", "resources"),
    [
        ("/Bad cs 1 scn 10 10 5 5 re f", "/ColorSpace << /Bad [/Nonsense 1 2] >>"),
        ("/Nope cs 1 scn", ""),
        ("q 10 0 0 10 0 0 cm /Broken Do Q", "/Broken BROKEN"),
        ("/Self Do", "/Self SELF"),
        ("1 2 cm (unclosed [ << /x", ""),
    ],
    ids=["unknown-family", "missing-space", "image-without-size", "form-loop", "junk"],
)
def test_malformed_content_is_a_warning_never_an_exception(tmp_path, content, resources):
    writer = SheetWriter()
    broken = writer.stream(b"", " /Type /XObject /Subtype /Image /ColorSpace /DeviceRGB")
    loop = len(writer.objects) + 1
    writer.form("/Self Do", f"/XObject << /Self {loop} 0 R >>")
    xobjects = resources.replace("BROKEN", f"{broken} 0 R").replace("SELF", f"{loop} 0 R")
    if xobjects.startswith("/ColorSpace"):
        clean_sheet(writer, content, xobjects)
    else:
        clean_sheet(writer, content, xobjects=xobjects)
    found = preflight(writer.write(tmp_path / "bad.pdf"), PreflightSettings())
    assert codes(found) == ["preflight_unreadable"] and found[0].severity == "warning"


def test_a_file_that_is_no_pdf_is_one_unreadable_finding(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"not a pdf at all")
    found = preflight(path, PreflightSettings())
    assert codes(found) == ["preflight_unreadable"] and "x.pdf" in found[0].message


def test_a_page_of_a_million_operators_stops_at_the_budget(tmp_path):
    # Given a page of a million fills and a budget of a fraction of a second
    writer = SheetWriter()
    writer.page("0 0 0 1 k 1 1 1 1 re f\n" * 250_000)
    path = writer.write(tmp_path / "huge.pdf")
    # When it is preflighted
    found = preflight(path, PreflightSettings(budget_seconds=0.2))
    # Then it stops with a timeout warning instead of running on
    assert codes(found) == ["preflight_timeout"] and found[0].page == 1


def test_paper_mark_that_does_not_fit_the_plate_is_paper_too_large(tmp_path, config):
    # Given Signa sheets whose Paper mark says 1000 x 765 mm on a 1030 x 770 mm plate
    from pipeline.pdf.analysis import read_sheets
    from testkit.samples import signa_sheet, write_signa_pdf

    good = write_signa_pdf(tmp_path / "good.pdf", [signa_sheet()])
    big = write_signa_pdf(tmp_path / "big.pdf", [signa_sheet(paper_mm=(1000, 765))])
    press = config.presses["Speedmaster"]
    settings = config.preflight_for("Speedmaster", "Leonov")
    # When they are preflighted with the sheets validate read and their press
    found = preflight(big, settings, sheets=read_sheets(big, config), press=press)
    # Then the paper does not fit above the 10 mm gripper; the good sheet passes
    assert codes(found) == ["paper_too_large"] and "1000 x 765" in found[0].message
    assert preflight(good, settings, sheets=read_sheets(good, config), press=press) == []


def test_ink_coverage_of_the_preview_is_judged_with_the_sheet(tmp_path):
    writer = SheetWriter()
    clean_sheet(writer)
    path = writer.write(tmp_path / "heavy.pdf")
    coverage = {1: {"C": 90.0, "M": 90.0, "Y": 90.0, "K": 60.0}}
    found = preflight(path, PreflightSettings(), ink=InkMeasure(coverage))
    assert [(f.code, f.page, f.value) for f in found] == [("ink_limit", 1, 330)]


def test_an_image_mask_prints_the_fill_colour(tmp_path):
    # Given a 1-bit stencil mask painted in a spot the list lacks, and a plain grey image
    writer = SheetWriter()
    stencil = writer.stream(
        bytes(113 * 900),
        " /Type /XObject /Subtype /Image /Width 900 /Height 900 /ImageMask true "
        "/BitsPerComponent 1",
    )
    grey = writer.stream(
        bytes(300 * 300),
        " /Type /XObject /Subtype /Image /Width 300 /Height 300 /ImageMask false "
        "/ColorSpace /DeviceGray /BitsPerComponent 8",
    )
    clean_sheet(
        writer,
        "/CS1 cs 1 scn q 72 0 0 72 0 0 cm /M Do Q q 72 0 0 72 100 0 cm /G Do Q",
        spot_space(),
        xobjects=f"/M {stencil} 0 R /G {grey} 0 R",
    )
    found = preflight(writer.write(tmp_path / "mask.pdf"), PreflightSettings())
    # Then the spot is missing; the grey image prints Black, which is listed
    assert codes(found) == ["plate_missing"] and found[0].object == SPOT


def test_damaged_bytes_anywhere_give_findings_never_an_exception(tmp_path):
    # Given a sheet with every kind of object, damaged at 200 places one at a time
    import random

    writer = SheetWriter()
    clean_sheet(writer, "/CS1 cs 0.5 scn 10 10 50 50 re f", spot_space())
    data = writer.write(tmp_path / "whole.pdf").read_bytes()
    rng = random.Random(7)
    damaged = tmp_path / "damaged.pdf"
    for _ in range(200):
        at = rng.randrange(len(data))
        damaged.write_bytes(data[:at] + bytes([rng.randrange(256)]) * 3 + data[at + 3 :])
        # When each is preflighted, then it answers findings
        assert isinstance(preflight(damaged, PreflightSettings()), list)


def test_patterns_print_what_their_cell_or_shading_prints(tmp_path):
    # Given a tiling pattern whose cell fills a spot, and a shading pattern in another spot
    writer = SheetWriter()
    cell = writer.stream(
        "/CS1 cs 1 scn 0 0 5 5 re f",
        f" /Type /Pattern /PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 10 10] "
        f"/XStep 10 /YStep 10 /Resources << {spot_space()} >>",
    )
    shading = writer.add(
        f"<< /PatternType 2 /Shading << /ShadingType 2 /ColorSpace {separation('Gold')} "
        "/Coords [0 0 100 0] /Function << /FunctionType 2 /Domain [0 1] /C0 [0] /C1 [1] "
        "/N 1 >> >> >>"
    )
    clean_sheet(
        writer,
        "/Pattern cs /P1 scn 10 10 50 50 re f /Pattern CS /P2 SCN 2 w 0 0 m 50 50 l S",
        f"/Pattern << /P1 {cell} 0 R /P2 {shading} 0 R >>",
    )
    found = preflight(writer.write(tmp_path / "patterns.pdf"), PreflightSettings())
    # Then both spots are missing plates
    assert sorted(f.object or "" for f in found) == ["Gold", SPOT]
    assert set(codes(found)) == {"plate_missing"}


def test_a_form_placed_many_times_alike_is_walked_once(tmp_path):
    # Given a 1,500-operator page form placed 24 times at the same scale (an N-up sheet)
    from pipeline.preflight import run_preflight

    writer = SheetWriter()
    page = writer.form("0 0 0 1 k 1 1 1 1 re f\n" * 500)
    placements = " ".join(f"q 1 0 0 1 {20 * i} 0 cm /Pg Do Q" for i in range(24))
    clean_sheet(writer, placements + " q 2 0 0 2 0 0 cm /Pg Do Q", xobjects=f"/Pg {page} 0 R")
    # When it is preflighted
    report = run_preflight(writer.write(tmp_path / "nup.pdf"), PreflightSettings())
    # Then the form is read once per scale, not 25 times
    assert report.findings == []
    assert 3_000 < report.operators < 3_300


def test_the_demo_samples_print_exactly_their_colorant_lists(tmp_path):
    # Given the demo's bundled samples (a job with a spot, a Korol job, a Dominant job)
    from testkit.samples import write_demo_samples

    good = [p for p in write_demo_samples(tmp_path) if "Broken" not in p.name]
    # Then none of them would be held or warned about
    assert {p.name: preflight(p, PreflightSettings()) for p in good} == {p.name: [] for p in good}


def test_a_page_over_the_operator_limit_is_checked_in_part_and_says_so(tmp_path):
    import time

    from pypdf import PdfReader

    from pipeline.preflight.walk import Walker

    writer = SheetWriter()
    writer.page("0 0 0 1 k 1 1 1 1 re f\n" * 10_000)
    page = PdfReader(writer.write(tmp_path / "many.pdf")).pages[0]
    use = Walker(time.monotonic() + 60, max_operators=5_000).walk(page)
    assert not use.complete and "more than 5000" in use.problems[0][1]
    assert 5_000 < use.operators <= 5_000 + 4096


def test_a_sheet_without_a_colorant_list_says_so_instead_of_plate_findings(tmp_path):
    writer = SheetWriter()
    writer.page(
        "/CS1 cs 1 scn 10 10 50 50 re f",
        f"/ColorSpace << /CS1 {separation(SPOT)} >>",
        colorants=None,
    )
    found = preflight(writer.write(tmp_path / "plain.pdf"), PreflightSettings())
    assert [(f.code, f.severity) for f in found] == [("plate_list_missing", "warning")]


def test_an_indexed_rgb_image_is_rgb_content(tmp_path):
    writer = SheetWriter()
    image = writer.image(600, 600, "[/Indexed /DeviceRGB 1 <FF000000FF00>]")
    clean_sheet(writer, "q 72 0 0 72 0 0 cm /Ix Do Q", xobjects=f"/Ix {image} 0 R")
    found = preflight(writer.write(tmp_path / "indexed.pdf"), PreflightSettings())
    assert codes(found) == ["rgb_content"] and found[0].object == "Ix"
