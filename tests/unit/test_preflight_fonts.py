"""Fonts that are not really embedded: a /FontFile* that is empty or points to nothing."""

from __future__ import annotations

import shutil
import subprocess
import time
import zlib
from pathlib import Path

import pytest
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from pipeline.preflight import Finding, PreflightSettings, preflight
from pipeline.preflight.fonts import NAME_CHARS, font_use
from tests.preflight_sheets import SheetWriter, clean_sheet

DESCRIPTOR = (
    "/Type /FontDescriptor /FontName /Minion /Flags 32 /FontBBox [0 0 1000 1000] "
    "/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80"
)


def truetype(writer: SheetWriter, program: str) -> int:
    """A TrueType font whose descriptor ends with ``program`` (e.g. ``/FontFile2 7 0 R``)."""
    descriptor = writer.add(f"<< {DESCRIPTOR} {program} >>")
    return writer.add(
        f"<< /Type /Font /Subtype /TrueType /BaseFont /Minion /FirstChar 32 /LastChar 32 "
        f"/Widths [250] /FontDescriptor {descriptor} 0 R >>"
    )


def raw_stream(writer: SheetWriter, data: bytes, head: str = "") -> int:
    return writer.add(f"<<{head} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")


def sheet_with(tmp_path: Path, build, free: int | None = None) -> Path:
    """A clean sheet that also shows text in the font ``build(writer)`` returns; ``free``
    marks that object number free in the cross-reference table."""
    writer = SheetWriter()
    font = build(writer)
    clean_sheet(writer, "BT /F2 10 Tf 1 0 0 1 200 200 Tm (x) Tj ET", fonts=f"/F2 {font} 0 R")
    path = writer.write(tmp_path / "sheet.pdf")
    if free is not None:  # blank its body (offsets kept) and mark it free
        data = path.read_bytes()
        start = data.index(f"\n{free} 0 obj".encode()) + 1
        end = data.index(b"endobj", start) + len(b"endobj")
        data = data[:start] + b" " * (end - start) + data[end:]
        head, xref = data.rsplit(b"\nxref\n", 1)
        lines = xref.split(b"\n")
        lines[1 + free] = b"0000000000 00001 f "
        path.write_bytes(head + b"\nxref\n" + b"\n".join(lines))
    return path


def font_findings(path: Path) -> list[Finding]:
    return [f for f in preflight(path, PreflightSettings()) if f.code == "font_not_embedded"]


# --- the cases, each with what prepress and pdffonts say -----------------------------------


def _empty_length_0(w: SheetWriter) -> int:
    return truetype(w, f"/FontFile2 {raw_stream(w, b'')} 0 R")


def _empty_flate(w: SheetWriter) -> int:
    empty = raw_stream(w, zlib.compress(b""), " /Filter /FlateDecode")
    return truetype(w, f"/FontFile2 {empty} 0 R")


def _missing_object(w: SheetWriter) -> int:
    return truetype(w, "/FontFile2 999 0 R")


def _non_stream(w: SheetWriter) -> int:
    return truetype(w, f"/FontFile2 {w.add('<< /Length 10 >>')} 0 R")


def _no_program(w: SheetWriter) -> int:
    return truetype(w, "")


GLYPHS = b"\x00\x01\x00\x00 glyphs"


def _real(w: SheetWriter) -> int:
    return truetype(w, f"/FontFile2 {w.stream(GLYPHS)} 0 R")


def _uncompressed(w: SheetWriter) -> int:
    return truetype(w, f"/FontFile3 {raw_stream(w, b'CFF data', ' /Subtype /Type1C')} 0 R")


def _undecodable(w: SheetWriter) -> int:
    broken = raw_stream(w, b"this is not flate data at all", " /Filter /FlateDecode")
    return truetype(w, f"/FontFile2 {broken} 0 R")


def _empty_then_real(w: SheetWriter) -> int:
    empty, real = raw_stream(w, b""), w.stream(GLYPHS)
    return truetype(w, f"/FontFile {empty} 0 R /FontFile2 {real} 0 R")


CASES = {
    # name: (builder, embedded, the problem prepress names)
    "length 0": (_empty_length_0, False, "its /FontFile2 is empty"),
    "flate of nothing": (_empty_flate, False, "its /FontFile2 is empty"),
    "missing object": (_missing_object, False, "its /FontFile2 points to nothing"),
    "not a stream": (_non_stream, False, "its /FontFile2 is not a stream but a dictionary"),
    "no program": (_no_program, False, "its font program is not in the file"),
    "real program": (_real, True, ""),
    "unfiltered program": (_uncompressed, True, ""),
    "undecodable": (_undecodable, False, "its /FontFile2 cannot be decoded"),
    "one of two keys": (_empty_then_real, True, ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_font_is_embedded_only_with_a_font_program_holding_data(tmp_path, case):
    # Given a sheet showing text in a font whose descriptor's program is as the case says
    build, embedded, problem = CASES[case]
    path = sheet_with(tmp_path, build)
    # When it is preflighted
    found = font_findings(path)
    # Then the font is reported exactly when it is not really in the file, with the reason
    if embedded:
        assert found == []
    else:
        assert [f.object for f in found] == ["Minion"]
        assert f"({problem})" in found[0].message


def test_reference_to_a_free_object_points_to_nothing(tmp_path):
    # Given a /FontFile2 that refers to an object the cross-reference table marks free
    # (the program is the sheet's first object)
    path = sheet_with(tmp_path, _real, free=1)
    # Then it is not embedded
    found = font_findings(path)
    assert [f.object for f in found] == ["Minion"]
    assert "(its /FontFile2 points to nothing)" in found[0].message


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript is not installed")
@pytest.mark.parametrize("case", [c for c, (_, embedded, _) in CASES.items() if not embedded])
def test_ghostscript_substitutes_the_fonts_prepress_reports(tmp_path, case):
    # Given a sheet whose font prepress says is not embedded
    path = sheet_with(tmp_path, CASES[case][0])
    # When Ghostscript renders it
    out = subprocess.run(
        ["gs", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=nullpage", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Then it loads another font in its place (pdffonts would say "emb yes" for most of
    # these: it only looks whether the /FontFile* key is a reference)
    assert "Loading font Minion (or substitute)" in out.stdout + out.stderr


# --- Type0 and Type3 -----------------------------------------------------------------------


def _type0(w: SheetWriter, program: str) -> int:
    descriptor = w.add(f"<< {DESCRIPTOR} {program} >>")
    cid = w.add(
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Kozuka /CIDSystemInfo << "
        f"/Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor "
        f"{descriptor} 0 R >>"
    )
    return w.add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /Kozuka /Encoding /Identity-H "
        f"/DescendantFonts [{cid} 0 R] >>"
    )


def test_type0_font_is_judged_by_its_descendant(tmp_path):
    # Given a Type0 font whose descendant has a real program, and one whose is empty
    good = sheet_with(tmp_path, lambda w: _type0(w, f"/FontFile2 {w.stream(b'glyf')} 0 R"))
    assert font_findings(good) == []
    bad = sheet_with(tmp_path, lambda w: _type0(w, f"/FontFile2 {raw_stream(w, b'')} 0 R"))
    found = font_findings(bad)
    # Then only the second is reported, with its reason
    assert [f.object for f in found] == ["Kozuka"]
    assert "(its /FontFile2 is empty)" in found[0].message


def test_type3_font_is_embedded_without_a_descriptor():
    font = DictionaryObject(
        {NameObject("/Subtype"): NameObject("/Type3"), NameObject("/BaseFont"): NameObject("/T3")}
    )
    assert font_use(font).embedded


# --- hostile dictionaries ------------------------------------------------------------------


def _dict(**entries) -> DictionaryObject:
    return DictionaryObject({NameObject(f"/{k}"): v for k, v in entries.items()})


@pytest.mark.parametrize(
    "font",
    [
        None,
        NumberObject(3),
        ArrayObject([NameObject("/Type0")]),
        _dict(Subtype=NameObject("/TrueType"), BaseFont=NumberObject(12)),
        _dict(Subtype=NameObject("/TrueType"), FontDescriptor=ArrayObject()),
        _dict(Subtype=NameObject("/Type0"), DescendantFonts=NumberObject(1)),
        _dict(Subtype=NameObject("/Type0"), DescendantFonts=ArrayObject([NumberObject(1)])),
        _dict(
            Subtype=ArrayObject([NumberObject(1)]), FontDescriptor=_dict(FontFile=NumberObject(0))
        ),
        _dict(FontDescriptor=_dict(FontFile2=_dict(Length=NumberObject(5)))),
        _dict(BaseFont=ArrayObject([NumberObject(1)] * 10_000)),
    ],
)
def test_hostile_font_dictionary_is_not_embedded_and_does_not_raise(font):
    use = font_use(font)
    assert not use.embedded and use.problem and len(use.name) <= NAME_CHARS


def test_long_name_is_cut():
    use = font_use(_dict(BaseFont=NameObject("/" + "A" * 1_000_000)))
    assert use.name == "A" * NAME_CHARS


def test_string_name_and_number_name():
    assert font_use(_dict(BaseFont=TextStringObject("Garamond"))).name == "Garamond"
    assert font_use(_dict(BaseFont=NumberObject(7))).name == "7"


def test_flate_bomb_font_program_is_probed_not_inflated(tmp_path):
    # Given a font program that inflates to 50 MB
    bomb = zlib.compress(bytes(50_000_000), 9)

    def build(w: SheetWriter) -> int:
        return truetype(w, f"/FontFile2 {raw_stream(w, bomb, ' /Filter /FlateDecode')} 0 R")

    path = sheet_with(tmp_path, build)
    started = time.monotonic()
    # Then it counts as embedded, quickly
    assert font_findings(path) == []
    assert time.monotonic() - started < 5
