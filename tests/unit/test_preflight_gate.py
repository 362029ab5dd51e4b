"""The gate on what it used to miss or get wrong: inline images, printing annotations, Type 3
glyphs, forms that only look like marks, faults in one object, the press's gripper side, the
registration colour, and GWG 2022's text and line sizes. Each cause has a sheet that must be
flagged and one that must pass."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from pipeline.config.preflight import PreflightSettings
from pipeline.config.settings import Press
from pipeline.preflight import Finding, preflight
from tests.preflight_sheets import SheetWriter, clean_sheet, separation

SPOT = "PANTONE 185 C"


def run(writer: SheetWriter, tmp_path: Path, **kwargs: object) -> list[Finding]:
    return preflight(writer.write(tmp_path / "sheet.pdf"), PreflightSettings(), **kwargs)  # type: ignore[arg-type]


def codes(findings: list[Finding]) -> list[str]:
    return sorted(f.code for f in findings)


def sheet(tmp_path: Path, content: str, resources: str = "", **page: object) -> list[Finding]:
    writer = SheetWriter()
    clean_sheet(writer, content, resources, **page)
    return run(writer, tmp_path)


# --- inline images -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        # 2 x 1 RGB, placed 72 pt wide: RGB and 2 ppi
        (
            "BI /W 2 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00\x00\xff\x00 EI",
            ["low_resolution", "rgb_content"],
        ),
        # 1 x 1 CMYK at 1 ppi
        ("BI /W 1 /H 1 /CS /CMYK /BPC 8 ID \x00\x00\x00\xff EI", ["low_resolution"]),
        # 300 x 1 gray, placed 1 inch x 1/300 inch: 300 ppi both ways
        ("BI /W 300 /H 1 /CS /G /BPC 8 ID " + "\x80" * 300 + " EI", []),
    ],
)
def test_inline_images_are_judged_like_any_image(tmp_path, image, expected):
    content = (
        "q 72 0 0 72 10 10 cm " + image + " Q"
        if expected
        else "q 72 0 0 0.24 10 10 cm " + image + " Q"
    )
    assert codes(sheet(tmp_path, content)) == expected


def test_inline_image_data_glued_to_ei_does_not_swallow_the_page(tmp_path):
    # Given a gray inline image whose data byte is glued to EI, then an RGB fill after it
    content = "q 1 0 0 1 0 0 cm BI /W 1 /H 1 /CS /G /BPC 8 ID xEI Q 1 0 0 rg 10 10 50 50 re f"
    found = sheet(tmp_path, content)
    # Then the fill after the image is still read
    assert "rgb_content" in codes(found)


# --- annotations that print ----------------------------------------------------------------


def annotated(tmp_path: Path, flags: int, appearance: str, resources: str = "") -> list[Finding]:
    writer = SheetWriter()
    form = writer.form(appearance, resources, " /BBox [0 0 100 50]")
    annot = writer.add(
        f"<< /Type /Annot /Subtype /Stamp /Rect [100 100 300 200] /F {flags} "
        f"/AP << /N {form} 0 R >> >>"
    )
    clean_sheet(writer, extra=f"/Annots [{annot} 0 R]")
    return run(writer, tmp_path)


@pytest.mark.parametrize(("flags", "judged"), [(4, True), (0, False), (4 | 2, False)])
def test_the_appearance_of_an_annotation_that_prints_is_walked(tmp_path, flags, judged):
    # Given a stamp drawing RGB, an unlisted spot and unembedded text
    appearance = "1 0 0 rg 0 0 50 50 re f /CS1 cs 1 scn 50 0 50 50 re f BT /F5 9 Tf (x) Tj ET"
    resources = (
        f"/ColorSpace << /CS1 {separation(SPOT)} >> "
        "/Font << /F5 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >>"
    )
    found = annotated(tmp_path, flags, appearance, resources)
    # Then with the Print flag (and not Hidden) each is found, placed on the annotation's Rect
    expected = ["font_not_embedded", "plate_missing", "rgb_content"] if judged else []
    assert codes(found) == expected
    if judged:
        rgb = next(f for f in found if f.code == "rgb_content")
        assert rgb.position_mm is not None and rgb.position_mm[0] == pytest.approx(35.3, abs=0.2)


# --- Type 3 glyphs -------------------------------------------------------------------------


def type3_sheet(tmp_path: Path, glyph: str, text_colour: str = "0 0 0 1 k") -> list[Finding]:
    writer = SheetWriter()
    proc = writer.stream(glyph)
    font = writer.add(
        "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] "
        "/FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /a " + str(proc) + " 0 R >> "
        "/Encoding << /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [1000] "
        f"/Resources << /ColorSpace << /CS1 {separation(SPOT)} >> >> >>"
    )
    clean_sheet(
        writer, f"{text_colour} BT /T3 20 Tf 1 0 0 1 50 50 Tm (a) Tj ET", fonts=f"/T3 {font} 0 R"
    )
    return run(writer, tmp_path)


def test_type3_glyph_procedures_are_walked(tmp_path):
    # Given a coloured glyph (d0) that paints RGB and an unlisted spot
    found = type3_sheet(tmp_path, "1000 0 d0 1 0 0 rg 0 0 500 500 re f /CS1 cs 1 scn 0 0 9 9 re f")
    # Then both are found
    assert codes(found) == ["plate_missing", "rgb_content"]


def test_an_uncoloured_glyph_paints_the_text_colour(tmp_path):
    # Given an uncoloured glyph (d1) whose colour operators must be ignored
    glyph = "1000 0 0 0 1000 1000 d1 1 0 0 rg 0 0 500 500 re f"
    # Then it prints the text's CMYK black: nothing to report
    assert type3_sheet(tmp_path, glyph) == []


# --- marks are what Signa marked -----------------------------------------------------------


def test_a_form_named_like_a_mark_without_signa_mark_info_is_judged(tmp_path):
    writer = SheetWriter()
    fake = writer.form(
        "1 0 0 rg 0 0 50 50 re f /CS1 cs 1 scn 60 0 50 50 re f BT /F5 9 Tf (x) Tj ET",
        f"/ColorSpace << /CS1 {separation(SPOT)} >> "
        "/Font << /F5 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >>",
    )
    clean_sheet(writer, "/pssMO9_9 Do", xobjects=f"/pssMO9_9 {fake} 0 R")
    assert codes(run(writer, tmp_path)) == ["font_not_embedded", "plate_missing", "rgb_content"]


def test_a_form_signa_marked_is_a_mark_whatever_its_name(tmp_path):
    writer = SheetWriter()
    mark = writer.mark("1 0 0 rg 0 0 50 50 re f")
    clean_sheet(writer, "/Bar Do", xobjects=f"/Bar {mark} 0 R")
    assert run(writer, tmp_path) == []


# --- one object's fault is one finding -----------------------------------------------------


def test_a_spot_named_like_a_format_string_is_reported_literally(tmp_path):
    found = sheet(
        tmp_path,
        "/CS1 cs 1 scn 10 10 50 50 re f",
        f"/ColorSpace << /CS1 {separation('PANTONE {x} C')} >>",
    )
    assert codes(found) == ["plate_missing"]
    assert found[0].object == "PANTONE {x} C" and "PANTONE {x} C is printed" in found[0].message


@pytest.mark.parametrize(
    "fault",
    [
        "BT /F1 " + "9" * 400 + " Tf (a) Tj ET",
        "BT " + "9" * 400 + " Tr ET",
        "1e400 0 0 1 0 0 cm 0 0 0 1 k 0 0 5 5 re f",
        "q " + "9" * 400 + " 0 0 1 0 0 cm Q",
    ],
)
def test_a_hostile_number_costs_one_finding_and_the_page_is_still_checked(tmp_path, fault):
    # Given a number no reader can use, and an RGB fill after it on the same page
    found = sheet(tmp_path, fault + " 1 0 0 rg 10 10 50 50 re f")
    # Then the RGB fill is still found, nothing else is lost, and no number is not finite
    assert "rgb_content" in codes(found)
    assert set(codes(found)) <= {"rgb_content", "preflight_unreadable"}
    json.dumps([f.as_dict() for f in found], allow_nan=False)


def test_an_image_with_a_huge_width_is_one_finding_naming_it(tmp_path):
    writer = SheetWriter()
    image = writer.stream(
        b"\x00",
        " /Type /XObject /Subtype /Image /Width " + "9" * 400 + " /Height 1 "
        "/ColorSpace /DeviceRGB /BitsPerComponent 8",
    )
    clean_sheet(
        writer, "q 9 0 0 9 0 0 cm /Big Do Q 1 0 0 rg 0 0 5 5 re f", xobjects=f"/Big {image} 0 R"
    )
    found = run(writer, tmp_path)
    assert "rgb_content" in codes(found)
    unreadable = [f for f in found if f.code == "preflight_unreadable"]
    assert len(unreadable) == 1 and "Big" in (unreadable[0].object or "")


def test_a_form_with_a_non_finite_matrix_is_a_finding_and_nothing_is_stored_as_nan(tmp_path):
    writer = SheetWriter()
    form = writer.form("1 0 0 rg 0 0 50 50 re f")
    bad = writer.objects[form - 1].replace(b"/BBox", b"/Matrix [1e999 0 0 1 0 0] /BBox")
    writer.objects[form - 1] = bad
    clean_sheet(writer, "/Fx Do 0 1 0 rg 0 0 5 5 re f", xobjects=f"/Fx {form} 0 R")
    found = run(writer, tmp_path)
    assert "preflight_unreadable" in codes(found) and "rgb_content" in codes(found)
    json.dumps([f.as_dict() for f in found], allow_nan=False)


# --- the press's gripper side, whatever the page's orientation -----------------------------

PLANETA = Press("Planeta", (1010.0, 820.0), 12.0)


@pytest.mark.parametrize(
    ("paper", "fits"), [((700, 1000), True), ((800, 1000), True), ((810, 1000), False)]
)
def test_a_plate_turned_to_portrait_keeps_the_gripper_on_the_plates_short_side(
    tmp_path, paper, fits
):
    # Given a Planeta sheet written turned (an 820 x 1010 mm portrait page), 12 mm gripper
    from pipeline.pdf.analysis import read_sheets  # noqa: F401 - the pipeline's reader
    from testkit.samples import signa_sheet, write_signa_pdf

    path = write_signa_pdf(
        tmp_path / "korol.pdf",
        [signa_sheet("Planeta", "Korol", paper_mm=None, plate_mm=(820, 1010))],
    )
    writer_trim = PreflightSettings()
    from pipeline.pdf.facts import SheetFacts

    facts = SheetFacts(1, (820, 1010), paper, "Planeta", "Korol", ["Cyan"], {})
    found = preflight(path, writer_trim, sheets=[facts], press=PLANETA)
    assert ("paper_too_large" in codes(found)) is not fits


# --- the registration colour, GWG 2022 sizes, blend spaces, JPX -------------------------------


def test_registration_colour_outside_marks_is_an_error_and_inside_marks_is_not(tmp_path):
    all_space = f"/ColorSpace << /R {separation('All')} >>"
    found = sheet(tmp_path, "/R cs 1 scn 10 10 50 50 re f", all_space)
    assert codes(found) == ["registration_content"] and found[0].severity == "error"
    # the clean sheet's own mark draws All: no finding
    assert sheet(tmp_path, "") == []


WHITE_OP = "/ExtGState << /K0 << /OP false >> /K1 << /OP true /op true /OPM 1 >> >>"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("0 0 0 0 k BT /F1 6 Tf (w) Tj ET", ["small_text"]),  # white 6 pt
        ("1 1 0 0 k BT /F1 6 Tf (w) Tj ET", ["small_text"]),  # two inks 6 pt
        ("1 1 0 0 k BT /F1 9 Tf (w) Tj ET", []),  # two inks 9 pt
        ("0 0 0 1 k BT /F1 6 Tf (w) Tj ET", ["black_text_knockout"]),  # black, knocks out
        ("/K1 gs 0 0 0 1 k BT /F1 6 Tf (w) Tj ET", []),  # black, overprints
        ("0 0 0 1 k BT /F1 14 Tf (w) Tj ET", []),  # black, 14 pt
        ("0 0 0 0.5 k BT /F1 6 Tf (w) Tj ET", []),  # a tint of black: one ink, not 100 %
        ("1 1 0 0 K 0.1 w 0 0 m 100 100 l S", ["thin_line"]),  # two inks 0.1 pt
        ("0 0 0 1 K 0.1 w 0 0 m 100 100 l S", []),  # one ink 0.1 pt
        ("1 1 0 0 K 0.5 w 0 0 m 100 100 l S", []),  # two inks 0.5 pt
        ("q 0.1 0 0 0.1 0 0 cm 1 1 0 0 K 2 w 0 0 m 100 100 l S Q", ["thin_line"]),  # scaled
    ],
)
def test_gwg_text_and_line_sizes(tmp_path, content, expected):
    found = sheet(tmp_path, content, WHITE_OP)
    assert codes(found) == expected
    assert all(f.severity == "warning" for f in found)


@pytest.mark.parametrize(("space", "flagged"), [("/DeviceRGB", True), ("/DeviceCMYK", False)])
def test_a_transparency_group_blending_in_rgb_is_rgb_content(tmp_path, space, flagged):
    writer = SheetWriter()
    form = writer.form(
        "0 0 0 1 k 0 0 50 50 re f", head=f" /Group << /S /Transparency /CS {space} >>"
    )
    clean_sheet(writer, "/Grp Do", xobjects=f"/Grp {form} 0 R")
    assert codes(run(writer, tmp_path)) == (["rgb_content"] if flagged else [])


def test_a_soft_mask_group_blending_in_rgb_is_rgb_content(tmp_path):
    writer = SheetWriter()
    mask = writer.form("0 g 0 0 50 50 re f", head=" /Group << /S /Transparency /CS /DeviceRGB >>")
    clean_sheet(
        writer,
        "/SM gs 0 0 0 1 k 0 0 50 50 re f",
        f"/ExtGState << /SM << /SMask << /S /Luminosity /G {mask} 0 R >> >> >>",
    )
    found = run(writer, tmp_path)
    assert codes(found) == ["rgb_content"] and "soft mask" in found[0].message


def jp2(enumerated: int) -> bytes:
    """The head of a JP2 file whose colr box names an enumerated colour space."""
    signature = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"jp2 ", 0, b"jp2 ")
    ihdr = struct.pack(">I4sIIHBBBB", 22, b"ihdr", 1, 1, 3, 7, 7, 0, 0)
    colr = struct.pack(">I4sBBBI", 15, b"colr", 1, 0, 0, enumerated)
    header = struct.pack(">I4s", 8 + len(ihdr) + len(colr), b"jp2h") + ihdr + colr
    return signature + ftyp + header + struct.pack(">I4s", 8, b"jp2c")


@pytest.mark.parametrize(("enumerated", "flagged"), [(16, True), (12, False)])
def test_a_jpx_image_without_colour_space_is_judged_by_its_data(tmp_path, enumerated, flagged):
    writer = SheetWriter()
    image = writer.stream(
        jp2(enumerated),
        " /Type /XObject /Subtype /Image /Width 600 /Height 600 /BitsPerComponent 8 "
        "/Filter /JPXDecode",
        compress=False,
    )
    clean_sheet(writer, "q 72 0 0 72 0 0 cm /J Do Q", xobjects=f"/J {image} 0 R")
    found = run(writer, tmp_path)
    assert codes(found) == (["rgb_content"] if flagged else [])


def test_the_names_in_findings_are_data(tmp_path):
    # a spot whose name holds braces and percent signs
    name = "PANTONE {0} %s C"
    found = sheet(
        tmp_path, "/CS1 cs 1 scn 10 10 50 50 re f", f"/ColorSpace << /CS1 {separation(name)} >>"
    )
    assert found[0].object == name and f"{name} is printed" in found[0].message
