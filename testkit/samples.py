"""Signa-like sample PDFs, written from the structures in DOMAIN.md.

Used by the demo (bundled samples dropped into the hotfolder), by the tests and by the
benchmarks. A sheet carries what Prinect Signa Station writes: a plate-sized MediaBox, the page
``/PieceInfo/HDAG_COLORANT`` with the colorant names, and text marks as form XObjects named
``pssMO<n>_<m>`` with ``/PieceInfo/HDAG_SignaMarkInfo``. The mark text is drawn with a simple
font whose ``/ToUnicode`` map makes Cyrillic labels extractable, as in real files.
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: PostScript points per millimetre.
PT_PER_MM = 72 / 25.4
#: Creator string Signa writes into the document info.
SIGNA_CREATOR = "PrinectSignaStation 2015.0"
#: The four process colorants in Signa's spelling.
CMYK = ("Cyan", "Magenta", "Yellow", "Black")


@dataclass
class Mark:
    """One Signa text mark: its CreationName and the text it draws."""

    name: str
    text: str
    subtype: str = "TextMark"


@dataclass
class Fill:
    """A rectangle in mm from the plate's lower-left corner, filled with a CMYK colour (0..1)."""

    x: float
    y: float
    w: float
    h: float
    cmyk: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)


@dataclass
class Sheet:
    """One page: one sheet side on one plate."""

    plate_mm: tuple[float, float] = (1030, 770)
    colorants: Sequence[str] = CMYK
    marks: Sequence[Mark] = ()
    fills: Sequence[Fill] = ()
    vector_objects: int = 0
    image_px: tuple[int, int] | None = None
    image_mm: tuple[float, float, float, float] | None = None  # x, y, w, h of the image
    signa: bool = True


def machine_mark(press: str) -> Mark:
    return Mark("Machine", f"Машина: {press}")


def outputter_mark(outputter: str) -> Mark:
    return Mark("Outputter", f"Выведено: {outputter}")


def paper_mark(width: float, height: float, comma: bool = True) -> Mark:
    text = f"{width:.1f} x {height:.1f}"
    return Mark("Paper", "Бумага: " + (text.replace(".", ",") if comma else text))


def old_outputter_mark(outputter: str, press: str, width: float, height: float) -> Mark:
    """The single mark older Signa versions used (``tes_Outputter``)."""
    return Mark("tes_Outputter", f"Выведено: {outputter}     {press} {width:.1f} x {height:.1f}")


def signa_sheet(
    press: str | None = "Speedmaster",
    outputter: str | None = "Leonov",
    paper_mm: tuple[float, float] | None = (900, 640),
    plate_mm: tuple[float, float] = (1030, 770),
    gripper_mm: float = 10,
    colorants: Sequence[str] = CMYK,
    **extra: object,
) -> Sheet:
    """A typical sheet: the marks the shop uses and the paper area filled with ink."""
    marks = []
    if press:
        marks.append(machine_mark(press))
    if outputter:
        marks.append(outputter_mark(outputter))
    fills: list[Fill] = []
    if paper_mm:
        marks.append(paper_mark(*paper_mm))
        x = (plate_mm[0] - paper_mm[0]) / 2
        fills.append(Fill(x, gripper_mm, paper_mm[0], paper_mm[1], (0.2, 0.4, 0.1, 0.05)))
        fills.append(
            Fill(x + 20, gripper_mm + 20, paper_mm[0] / 3, paper_mm[1] / 3, (0.0, 0.9, 0.8, 0.0))
        )
    return Sheet(plate_mm=plate_mm, colorants=colorants, marks=marks, fills=fills, **extra)  # type: ignore[arg-type]


def write_signa_pdf(
    path: str | Path, sheets: Iterable[Sheet], creator: str | None = SIGNA_CREATOR, seed: int = 1
) -> Path:
    """Write the sheets as one PDF at ``path`` and return the path."""
    writer = _PdfWriter()
    font = writer.add_font()
    pages = [
        _add_sheet(writer, sheet, font, number, random.Random(seed + number))
        for number, sheet in enumerate(sheets, start=1)
    ]
    Path(path).write_bytes(writer.finish(pages, creator, title=Path(path).name))
    return Path(path)


def write_demo_samples(folder: str | Path) -> list[Path]:
    """The bundled samples of the demo: good jobs for several presses and bureaus, one bad."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    spot = (*CMYK[:2], "PANTONE Warm Red C")
    samples = [
        write_signa_pdf(
            folder / "0537_Technoyug_Flier_Leonov.pdf", [signa_sheet(), signa_sheet(colorants=spot)]
        ),
        write_signa_pdf(
            folder / "0601_Flier_Korol.pdf",
            [
                signa_sheet(
                    outputter="Korol", colorants=("Cyan", "Magenta", "PANTONE Reflex Blue C")
                )
            ],
        ),
        write_signa_pdf(
            folder / "0602_Каталог (весна) $1;2_Leonov.pdf",
            [signa_sheet(press="Dominant", plate_mm=(650, 550), paper_mm=(600, 450), gripper_mm=8)]
            * 2,
        ),
    ]
    broken = folder / "0603_Broken_Leonov.pdf"
    broken.write_bytes(samples[0].read_bytes()[:-400])  # a half-copied file
    samples.append(broken)
    return samples


# --- the PDF writer ------------------------------------------------------------------------


def _mm(value: float) -> float:
    return round(value * PT_PER_MM, 3)


def _name(text: str) -> str:
    """A PDF name: spaces and other delimiters as #xx escapes, as Signa writes them."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        out.append(ch if 0x21 <= byte <= 0x7E and ch not in "#()<>[]{}/%" else f"#{byte:02X}")
    return "/" + "".join(out)


def _literal(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


class _PdfWriter:
    """A minimal PDF writer: numbered objects, a classic xref table, compressed streams."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []
        self.codes: dict[str, int] = {}  # character -> single-byte code in the mark font

    def add(self, body: str | bytes) -> int:
        self.objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(self.objects)

    def reserve(self) -> int:
        return self.add(b"null")

    def set(self, number: int, body: str | bytes) -> None:
        self.objects[number - 1] = body.encode("latin-1") if isinstance(body, str) else body

    def stream(self, data: bytes, head: str = "", compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data, 6)
            head += " /Filter /FlateDecode"
        return self.add(
            f"<<{head} /Length {len(data)} >>\nstream\n".encode("latin-1") + data + b"\nendstream"
        )

    def add_font(self) -> int:
        self.font = self.reserve()
        return self.font

    def encode(self, text: str) -> str:
        """Hex string of ``text`` in the mark font; non-ASCII characters get codes 128..255."""
        out = []
        for ch in text:
            if ord(ch) < 128:
                code = ord(ch)
            else:
                code = self.codes.setdefault(ch, 128 + len(self.codes))
            out.append(f"{code:02X}")
        return "<" + "".join(out) + ">"

    def finish(self, pages: list[int], creator: str | None, title: str = "") -> bytes:
        """The whole file. ``title`` (the file's name) goes into the document info, so two
        samples with other names never have the same bytes (the hold holds duplicates)."""
        self._write_font()
        kids = " ".join(f"{p} 0 R" for p in pages)
        tree = self.add(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
        for page in pages:
            self.set(
                page,
                self.objects[page - 1].replace(b"/Parent 0 0 R", f"/Parent {tree} 0 R".encode()),
            )
        catalog = self.add(f"<< /Type /Catalog /Pages {tree} 0 R >>")
        named = f" /Title <FEFF{title.encode('utf-16-be').hex().upper()}>" if title else ""
        info = self.add(
            f"<< /Creator {_literal(creator)} /Producer (prepress samples){named} >>"
            if creator
            else f"<< /Producer (prepress samples){named} >>"
        )
        return pdf_bytes(self.objects, catalog, info)

    def _write_font(self) -> None:
        diffs = " ".join(f"{code} /uni{ord(ch):04X}" for ch, code in self.codes.items())
        chars = [(ord(c), ord(c)) for c in map(chr, range(32, 127))]
        chars += [(code, ord(ch)) for ch, code in self.codes.items()]
        lines = [f"<{code:02X}> <{uni:04X}>" for code, uni in chars]
        blocks = [lines[i : i + 100] for i in range(0, len(lines), 100)]
        cmap = (
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CMapName /prepress-marks def /CMapType 2 def\n"
            "1 begincodespacerange <00> <FF> endcodespacerange\n"
            + "".join(f"{len(b)} beginbfchar\n" + "\n".join(b) + "\nendbfchar\n" for b in blocks)
            + "endcmap CMapName currentdict /CMap defineresource pop end end\n"
        )
        to_unicode = self.stream(cmap.encode("ascii"))
        self.set(
            self.font,
            f"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
            f"/Encoding << /Type /Encoding /Differences [{diffs}] >> "
            f"/ToUnicode {to_unicode} 0 R >>",
        )


def _add_sheet(writer: _PdfWriter, sheet: Sheet, font: int, number: int, rng: random.Random) -> int:
    width, height = _mm(sheet.plate_mm[0]), _mm(sheet.plate_mm[1])
    xobjects: dict[str, int] = {}
    content = [_fill_ops(fill, sheet.colorants) for fill in sheet.fills]
    spots = [c for c in sheet.colorants if c not in CMYK]
    content += [_spot_ops(index, sheet.fills) for index in range(len(spots))]
    content.append(_vector_ops(sheet.vector_objects, width, height, rng))
    if sheet.image_px:
        image = _add_image(writer, sheet.image_px, rng)
        xobjects[f"pssPO{number}_img"] = image
        x, y, w, h = sheet.image_mm or (0, 0, *sheet.plate_mm)
        content.append(f"q {_mm(w)} 0 0 {_mm(h)} {_mm(x)} {_mm(y)} cm /pssPO{number}_img Do Q")
    for index, mark in enumerate(sheet.marks):
        name = f"pssMO{number}_{index}"
        xobjects[name] = _add_mark(writer, mark, font)
        content.append(f"q 1 0 0 1 {20 + 180 * index} 8 cm /{name} Do Q")
    stream = writer.stream("\n".join(content).encode("latin-1"))
    xobject_dict = " ".join(f"/{n} {ref} 0 R" for n, ref in xobjects.items())
    piece = ""
    if sheet.signa:
        names = " ".join(_name(c) for c in sheet.colorants)
        piece = (
            f"/PieceInfo << /HDAG_COLORANT << /LastModified (D:20260101120000+02'00') "
            f"/Private << /HDAG_ColorantNames [{names}] /HDAG_ColorantOrder [{names}] >> "
            f">> >>"
        )
    spaces = " ".join(f"/Spot{i} {_separation(name)}" for i, name in enumerate(spots))
    return writer.add(
        f"<< /Type /Page /Parent 0 0 R /MediaBox [0 0 {width} {height}] "
        f"/Resources << /XObject << {xobject_dict} >> /ColorSpace << {spaces} >> >> "
        f"/Contents {stream} 0 R {piece} >>"
    )


def _add_mark(writer: _PdfWriter, mark: Mark, font: int) -> int:
    ops = f"BT /F1 9 Tf 2 4 Td {writer.encode(mark.text)} Tj ET" if mark.text else ""
    info = (
        f"/PieceInfo << /HDAG_SignaMarkInfo << /LastModified (D:20260101120000+02'00') "
        f"/Private << /CreationName {_literal(mark.name)} /CreationType /Text "
        f"/SubType /{mark.subtype} >> >> >>"
    )
    return writer.stream(
        ops.encode("latin-1"),
        f" /Type /XObject /Subtype /Form /BBox [0 0 170 16] "
        f"/Resources << /Font << /F1 {font} 0 R >> >> {info}",
    )


def _fill_ops(fill: Fill, colorants: Sequence[str] = CMYK) -> str:
    """The fill in the process inks the sheet has plates for (the others at 0), so a sample
    prints exactly its colorant list, as a correct Signa job does."""
    c, m, y, k = (v if ink in colorants else 0 for v, ink in zip(fill.cmyk, CMYK, strict=True))
    return f"{c} {m} {y} {k} k {_mm(fill.x)} {_mm(fill.y)} {_mm(fill.w)} {_mm(fill.h)} re f"


#: Side of the square each spot colour of a sample sheet fills, in mm.
SPOT_MM = 30


def _spot_ops(index: int, fills: Sequence[Fill]) -> str:
    """A square of spot colour ``index`` at half tint, in the paper's top left corner."""
    first = fills[0] if fills else Fill(0, 0, 200, 200)
    x, y = first.x + 10 + (SPOT_MM + 10) * index, first.y + first.h - SPOT_MM - 10
    side = _mm(SPOT_MM)
    return f"/Spot{index} cs 0.5 scn {_mm(x)} {_mm(y)} {side} {side} re f"


def _separation(name: str) -> str:
    """A Separation colour space for a spot, its alternate a dark CMYK blend."""
    return (
        f"[/Separation {_name(name)} /DeviceCMYK << /FunctionType 2 /Domain [0 1] "
        f"/C0 [0 0 0 0] /C1 [0.9 0.7 0 0.1] /N 1 >>]"
    )


def _vector_ops(count: int, width: float, height: float, rng: random.Random) -> str:
    """``count`` small stroked and filled paths, like a busy sheet of vector artwork."""
    ops = []
    for i in range(count):
        x, y = rng.uniform(0, width - 20), rng.uniform(0, height - 20)
        if i % 3:
            ops.append(
                f"{rng.random():.2f} 0 0 {rng.random():.2f} k "
                f"{x:.1f} {y:.1f} {rng.uniform(1, 20):.1f} {rng.uniform(1, 20):.1f} re f"
            )
        else:
            ops.append(
                f"0.3 w {x:.1f} {y:.1f} m {x + rng.uniform(-30, 30):.1f} "
                f"{y + rng.uniform(-30, 30):.1f} l S"
            )
    return "\n".join(ops)


def _add_image(writer: _PdfWriter, size: tuple[int, int], rng: random.Random) -> int:
    """A CMYK JPEG of ``size`` pixels with smooth gradients and noise (a photo stand-in)."""
    from PIL import Image

    w, h = size
    small = Image.frombytes("CMYK", (64, 48), rng.randbytes(64 * 48 * 4))
    image = small.resize((w, h), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return writer.stream(
        out.getvalue(),
        f" /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceCMYK "
        f"/BitsPerComponent 8 /Decode [1 0 1 0 1 0 1 0] /Filter /DCTDecode",
        compress=False,
    )


def pdf_bytes(objects: Sequence[bytes], catalog: int, info: int) -> bytes:
    """A whole PDF file from numbered objects (1-based): header, bodies, classic xref, trailer."""
    out = io.BytesIO()
    out.write(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    out.write(xref_and_trailer(offsets, out.tell(), catalog, info))
    return out.getvalue()


def xref_and_trailer(offsets: Sequence[int], xref: int, catalog: int, info: int) -> bytes:
    """The end of a PDF whose objects 1..n start at ``offsets``: the classic cross-reference
    table (written at byte ``xref``), the trailer and ``startxref``."""
    table = f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n"
    table += "".join(f"{o:010d} 00000 n \n" for o in offsets)
    return (
        f"{table}trailer\n<< /Size {len(offsets) + 1} /Root {catalog} 0 R "
        f"/Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
