"""The colorant list checks (pipeline/preflight/platelist.py) on real sheets opened with pypdf:
a missing list, too many plates, entries that are not names, one ink under two names."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from pipeline.config.preflight import PreflightSettings, merge
from pipeline.preflight.findings import Finding
from pipeline.preflight.platelist import collapse_missing, plate_list_findings
from tests.preflight_sheets import CMYK, SheetWriter, clean_sheet

SETTINGS = PreflightSettings()


def name(text: str) -> str:
    """A PDF name for any text (UTF-8 bytes, ``#XX`` for all but plain ASCII)."""
    return "/" + "".join(
        chr(b) if 0x21 <= b <= 0x7E and chr(b) not in "#()<>[]{}/%" else f"#{b:02X}"
        for b in text.encode("utf-8")
    )


def names(*texts: str) -> str:
    return "[" + " ".join(name(t) for t in texts) + "]"


def colorant_list(array: str) -> str:
    """A page's PieceInfo with ``array`` (PDF syntax) as its colorant list."""
    return f"/PieceInfo << /HDAG_COLORANT << /Private << /HDAG_ColorantNames {array} >> >> >>"


def spot(text: str, c1: str = "0 1 1 0", alternate: str = "/DeviceCMYK") -> str:
    """A Separation colour space: ``text`` with a type 2 tint transform to ``c1``."""
    return (
        f"[/Separation {name(text)} {alternate} << /FunctionType 2 /Domain [0 1] "
        f"/C0 [0 0 0 0] /C1 [{c1}] /N 1 >>]"
    )


def page(
    tmp_path: Path,
    listing: str | Callable[[SheetWriter], str] | None,
    resources: str | Callable[[SheetWriter], str] = "",
) -> DictionaryObject:
    """Page 1 of a written sheet whose colorant list is ``listing`` (PDF syntax of the value,
    or a function of the writer that adds objects and answers it; None: no list)."""
    writer = SheetWriter()
    value = listing(writer) if callable(listing) else listing
    extra = colorant_list(value) if value is not None else ""
    res = resources(writer) if callable(resources) else resources
    writer.page("0 0 0 1 k 0 0 10 10 re f", res, colorants=None, extra=extra)
    reader = PdfReader(writer.write(tmp_path / "sheet.pdf"))
    return reader.pages[0]


def findings(
    tmp_path: Path,
    listing: str | Callable[[SheetWriter], str] | None,
    resources: str | Callable[[SheetWriter], str] = "",
    settings: PreflightSettings = SETTINGS,
) -> list[Finding]:
    return plate_list_findings(page(tmp_path, listing, resources), 1, settings)


def codes(found: Sequence[Finding]) -> list[str]:
    return [f.code for f in found]


# --- a clean list ----------------------------------------------------------------------------


def test_clean_cmyk_and_pantone_sheet_has_no_finding(tmp_path):
    # Given the clean test sheet with CMYK + PANTONE Warm Red C listed
    writer = SheetWriter()
    clean_sheet(writer, colorants=(*CMYK, "PANTONE Warm Red C"))
    sheet = PdfReader(writer.write(tmp_path / "clean.pdf")).pages[0]
    # When its colorant list is checked
    # Then nothing is found
    assert plate_list_findings(sheet, 1, SETTINGS) == []


def test_different_pantones_with_different_transforms_are_not_one_ink(tmp_path):
    # Given two PANTONEs, each with its own Separation colour
    resources = (
        f"/ColorSpace << /CS1 {spot('PANTONE 185 C', '0 1 0.8 0')} "
        f"/CS2 {spot('PANTONE 286 C', '1 0.7 0 0')} >>"
    )
    # Then nothing is found
    assert findings(tmp_path, names(*CMYK, "PANTONE 185 C", "PANTONE 286 C"), resources) == []


# --- plate_list_missing ----------------------------------------------------------------------


def test_page_without_colorant_list_is_plate_list_missing(tmp_path):
    found = findings(tmp_path, None)
    assert codes(found) == ["plate_list_missing"]
    assert found[0].severity == "warning" and found[0].page == 1
    assert found[0].message.startswith("page 1: no Signa colorant list")
    assert "check the separations by hand" in found[0].message


def test_empty_colorant_list_is_plate_list_missing(tmp_path):
    assert codes(findings(tmp_path, "[]")) == ["plate_list_missing"]


def test_missing_lists_of_several_pages_become_one_finding_naming_the_pages(tmp_path):
    # Given pages 1 and 3 without a list, page 2 with a clean one
    missing = plate_list_findings(page(tmp_path, None), 1, SETTINGS)
    other = Finding("plate_empty", "warning", 2, "Cyan", None, "page 2: ...")
    later = plate_list_findings(page(tmp_path, None), 3, SETTINGS)
    # When collapsed
    found = collapse_missing([*missing, other, *later])
    # Then one file finding names both pages, in the place of the first
    assert codes(found) == ["plate_list_missing", "plate_empty"]
    assert found[0].page is None and found[0].message.startswith("pages 1, 3: no Signa")
    # And a single page's finding stays as it is
    assert collapse_missing(missing) == missing


# --- plates_over_limit ------------------------------------------------------------------------


def test_thirteen_names_over_twelve_is_plates_over_limit(tmp_path):
    listed = [*CMYK, *(f"PANTONE {n} C" for n in range(100, 109))]
    found = findings(tmp_path, names(*listed))
    assert codes(found) == ["plates_over_limit"]
    assert found[0].severity == "error" and found[0].value == 13
    assert "13 separations" in found[0].message and "max_plates = 12" in found[0].message
    assert "not believed until a person approves" in found[0].message
    assert "Cyan, Magenta" in found[0].message


def test_twelve_names_is_within_the_limit(tmp_path):
    listed = [*CMYK, *(f"PANTONE {n} C" for n in range(100, 108))]
    assert findings(tmp_path, names(*listed)) == []


def test_the_limit_comes_from_the_settings(tmp_path):
    settings = merge(SETTINGS, {"max_plates": 4})
    assert codes(findings(tmp_path, names(*CMYK, "PANTONE 185 C"), settings=settings)) == [
        "plates_over_limit"
    ]


def test_ten_thousand_names_are_handled_quickly_and_named_briefly(tmp_path):
    # Given CMYK and 9,996 more names on one sheet side
    listed = [*CMYK, *(f"Spot {n}" for n in range(9996))]
    sheet = page(tmp_path, names(*listed))
    # When checked
    started = time.monotonic()
    found = plate_list_findings(sheet, 1, SETTINGS)
    took = time.monotonic() - started
    # Then one plates_over_limit says 10000, names at most 10, and it took under 0.5 s
    assert took < 0.5
    assert codes(found) == ["plates_over_limit"]
    assert "10000 separations" in found[0].message
    assert "Black, Spot 0" in found[0].message and "Spot 6" not in found[0].message
    assert "Spot 5 and 9990 more" in found[0].message


def test_a_hundred_thousand_entries_are_read_only_so_far(tmp_path):
    # Given a list of 99,999 numbers (a hostile file; pypdf refuses longer arrays)
    sheet = page(tmp_path, "[" + " 1" * 99_999 + "]")
    started = time.monotonic()
    found = plate_list_findings(sheet, 1, SETTINGS)
    # Then it is over the limit and unreadable, said in short messages, quickly
    assert time.monotonic() - started < 0.5
    assert codes(found) == ["plates_over_limit", "colorant_unreadable"]
    assert all(len(f.message) < 1000 for f in found)
    assert "99999 separations" in found[0].message
    assert "of the first 10000 entries" in found[1].message


def test_a_list_pypdf_cannot_parse_is_colorant_unreadable(tmp_path):
    # Given a list of a million entries in its own object (parsed only when read)
    def huge(writer: SheetWriter) -> str:
        return f"{writer.add('[' + ' 1' * 1_000_000 + ']')} 0 R"

    found = findings(tmp_path, huge)
    # Then the check answers, it does not raise
    assert codes(found) == ["colorant_unreadable"]
    assert "cannot be read" in found[0].message


# --- colorant_unreadable ----------------------------------------------------------------------


def test_entries_that_are_not_names_are_colorant_unreadable(tmp_path):
    # Given a list with a number, a dictionary and a string among names
    found = findings(tmp_path, "[/Cyan 5 << /N 1 >> (Magenta) /Black]")
    # Then one finding names each entry and what it is
    assert codes(found) == ["colorant_unreadable"]
    message = found[0].message
    assert found[0].severity == "error" and found[0].value == 3
    assert "entry 2 is a number (5)" in message
    assert "entry 3 is a dictionary" in message
    assert "entry 4 is a string (Magenta), not a name" in message
    assert "not counted as plates" in message


def test_an_indirect_name_is_a_name(tmp_path):
    def listing(writer: SheetWriter) -> str:
        return f"[/Cyan {writer.add('/Magenta')} 0 R]"

    assert findings(tmp_path, listing) == []


def test_list_that_is_not_an_array_is_colorant_unreadable(tmp_path):
    found = findings(tmp_path, "/Cyan")
    assert codes(found) == ["colorant_unreadable"]
    assert "not a list of names" in found[0].message


def test_list_that_refers_to_itself_is_answered(tmp_path):
    # Given a list that is a reference to itself
    def self_reference(writer: SheetWriter) -> str:
        number = len(writer.objects) + 1
        writer.add(f"{number} 0 R")
        return f"{number} 0 R"

    # Then a finding, not an exception
    assert codes(findings(tmp_path, self_reference)) == ["colorant_unreadable"]


def test_list_holding_itself_is_answered(tmp_path):
    # Given an array whose second entry is the array itself
    def holding_itself(writer: SheetWriter) -> str:
        number = len(writer.objects) + 1
        writer.add(f"[/Cyan {number} 0 R]")
        return f"{number} 0 R"

    found = findings(tmp_path, holding_itself)
    assert codes(found) == ["colorant_unreadable"] and "entry 2 is a list" in found[0].message


def test_off_codes_are_left_out(tmp_path):
    settings = merge(SETTINGS, {"severity": {"colorant_unreadable": "off"}})
    assert findings(tmp_path, "[/Cyan 5]", settings=settings) == []


# --- spot_duplicate ---------------------------------------------------------------------------


def test_pantone_book_suffixes_are_one_ink(tmp_path):
    found = findings(tmp_path, names(*CMYK, "PANTONE 185 C", "PANTONE 185 CV"))
    assert codes(found) == ["spot_duplicate"]
    assert found[0].severity == "error" and found[0].object == "PANTONE 185 CV"
    assert found[0].message == (
        "page 1: PANTONE 185 C and PANTONE 185 CV are one ink listed twice: two plates for "
        "one ink. Merge them in Signa (or in the placed file's colour settings)."
    )


def test_pantone_case_and_spaces_are_one_ink(tmp_path):
    found = findings(tmp_path, names("Black", "PANTONE 185 C", "Pantone  185 c"))
    assert codes(found) == ["spot_duplicate"]


def test_suffix_of_a_name_without_number_is_kept(tmp_path):
    # Cyan and "Cyan U" are not stripped to one name: only numbered or PANTONE names are
    assert findings(tmp_path, names("Cyan", "Cyan U")) == []
    assert findings(tmp_path, names("PANTONE 185 C", "PANTONE 186 C")) == []


def test_case_variant_is_one_ink(tmp_path):
    found = findings(tmp_path, names("Cyan", "cyan", "Magenta"))
    assert codes(found) == ["spot_duplicate"] and "Cyan and cyan are one ink" in found[0].message


def test_same_name_twice_is_one_ink(tmp_path):
    found = findings(tmp_path, names("Cyan", "Cyan"))
    assert codes(found) == ["spot_duplicate"]
    assert "Cyan is listed two times: two plates" in found[0].message


def test_nfc_and_nfd_spellings_are_one_ink(tmp_path):
    # Given an accented name written composed and decomposed
    text = "PANTONE Rhodamine Red C Éclat"
    composed, decomposed = (unicodedata.normalize(f, text) for f in ("NFC", "NFD"))
    assert composed != decomposed
    found = findings(tmp_path, names("Black", composed, decomposed))
    assert codes(found) == ["spot_duplicate"]
    assert "written with different Unicode characters" in found[0].message


def test_cyrillic_case_variants_are_one_ink(tmp_path):
    found = findings(tmp_path, names("Золото 871", "ЗОЛОТО 871"))
    assert codes(found) == ["spot_duplicate"] and "Золото 871" in found[0].message


def test_cyrillic_look_alike_of_a_latin_name_is_one_ink(tmp_path):
    # "Суan" typed with a Cyrillic С and у
    found = findings(tmp_path, names("Cyan", "\u0421\u0443an"))
    assert codes(found) == ["spot_duplicate"] and "look-alikes" in found[0].message


def test_different_names_with_one_separation_colour_are_one_ink(tmp_path):
    # Given two differently named spots defined with the same alternate and tint transform
    resources = (
        f"/ColorSpace << /CS1 {spot('Corporate Red')} /CS2 {spot('Logo Red')} "
        f"/CS3 {spot('PANTONE 286 C', '1 0.7 0 0')} >>"
    )
    found = findings(
        tmp_path, names(*CMYK, "Corporate Red", "Logo Red", "PANTONE 286 C"), resources
    )
    # Then one spot_duplicate names both
    assert codes(found) == ["spot_duplicate"]
    assert "Corporate Red and Logo Red are one ink listed twice" in found[0].message
    assert "same colour" in found[0].message


def test_separation_in_a_form_one_level_deep_is_compared(tmp_path):
    def resources(writer: SheetWriter) -> str:
        form = writer.form(
            "/CS9 cs 1 scn 0 0 5 5 re f", f"/ColorSpace << /CS9 {spot('Logo Red')} >>"
        )
        return f"/ColorSpace << /CS1 {spot('Corporate Red')} >> /XObject << /Fm1 {form} 0 R >>"

    found = findings(tmp_path, names("Black", "Corporate Red", "Logo Red"), resources)
    assert codes(found) == ["spot_duplicate"]


def test_sampled_tint_transforms_compare_their_decoded_bytes(tmp_path):
    def resources(writer: SheetWriter, second: bytes) -> str:
        head = " /FunctionType 0 /Domain [0 1] /Range [0 1 0 1 0 1 0 1] /Size [2] /BitsPerSample 8"
        one = writer.stream(bytes([0, 0, 0, 0, 0, 255, 200, 0]), head)
        two = writer.stream(second, head, compress=False)
        return (
            f"/ColorSpace << /CS1 [/Separation /Gold /DeviceCMYK {one} 0 R] "
            f"/CS2 [/Separation /Goldie /DeviceCMYK {two} 0 R] >>"
        )

    listing = names("Black", "Gold", "Goldie")
    same = findings(tmp_path, listing, lambda w: resources(w, bytes([0, 0, 0, 0, 0, 255, 200, 0])))
    other = findings(tmp_path, listing, lambda w: resources(w, bytes([0, 0, 0, 0, 0, 255, 201, 0])))
    assert codes(same) == ["spot_duplicate"] and other == []


def test_technical_separations_without_colour_are_not_one_ink(tmp_path):
    # Varnish and die line both defined as "no colour" at full tint are two real plates
    resources = (
        f"/ColorSpace << /CS1 {spot('Varnish', '0 0 0 0')} /CS2 {spot('Dieline', '0 0 0 0')} >>"
    )
    assert findings(tmp_path, names("Black", "Varnish", "Dieline"), resources) == []


def test_a_transform_referring_to_itself_is_no_duplicate_and_no_crash(tmp_path):
    def resources(writer: SheetWriter) -> str:
        number = len(writer.objects) + 1
        writer.add(f"<< /FunctionType 3 /Domain [0 1] /Functions [{number} 0 R] /Bounds [] >>")
        return (
            f"/ColorSpace << /CS1 [/Separation /Gold /DeviceCMYK {number} 0 R] "
            f"/CS2 [/Separation /Goldie /DeviceCMYK {number} 0 R] >>"
        )

    assert findings(tmp_path, names("Black", "Gold", "Goldie"), resources) == []


def test_braces_in_a_name_appear_literally(tmp_path):
    found = findings(tmp_path, names("PANTONE {x} C", "PANTONE {x} CV", "{0} {where}"))
    assert codes(found) == ["spot_duplicate"]
    assert "PANTONE {x} C and PANTONE {x} CV are one ink" in found[0].message


def test_many_duplicates_are_capped(tmp_path):
    listed = [n for k in range(40) for n in (f"PANTONE {k} C", f"PANTONE {k} U")]
    found = findings(tmp_path, names(*listed), settings=merge(SETTINGS, {"max_plates": 100}))
    assert codes(found) == ["spot_duplicate"] * 11
    assert "30 more inks are listed under several names" in found[-1].message
