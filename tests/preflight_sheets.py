"""Sheets for the preflight tests, written as raw PDF objects so every fault is exact.

A sheet is a plate-sized page with Signa's colorant list; its content, resources and extra
objects are given as PDF syntax. :data:`CLEAN` parts make a sheet with no finding: CMYK
fills, an embedded font, a 300 ppi CMYK image and a Signa mark drawn in ``All`` with an
unembedded font (marks are not judged).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

from testkit.samples import pdf_bytes

#: Points per millimetre.
PT = 72 / 25.4
#: The four process colorants in Signa's spelling.
CMYK = ("Cyan", "Magenta", "Yellow", "Black")


class SheetWriter:
    """Numbered objects, a classic xref table; pages added with :meth:`page`."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []
        self.pages: list[int] = []

    def add(self, body: str | bytes) -> int:
        self.objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(self.objects)

    def stream(self, data: str | bytes, head: str = "", compress: bool = True) -> int:
        raw = data.encode("latin-1") if isinstance(data, str) else data
        if compress:
            raw, head = zlib.compress(raw), head + " /Filter /FlateDecode"
        return self.add(f"<<{head} /Length {len(raw)} >>\nstream\n".encode() + raw + b"\nendstream")

    def form(self, content: str, resources: str = "", head: str = "") -> int:
        return self.stream(
            content,
            f" /Type /XObject /Subtype /Form /BBox [0 0 3000 3000] /Resources << {resources} >>"
            + head,
        )

    def mark(self, content: str, resources: str = "") -> int:
        info = (
            " /PieceInfo << /HDAG_SignaMarkInfo << /Private << /CreationName (Bar) "
            "/CreationType /Text /SubType /TextMark >> >> >>"
        )
        return self.form(content, resources, info)

    def image(self, width: int, height: int, space: str = "/DeviceCMYK", bits: int = 8) -> int:
        components = {"/DeviceCMYK": 4, "/DeviceRGB": 3, "/DeviceGray": 1}.get(space, 1)
        size = (width * bits * components + 7) // 8 * height
        return self.stream(
            bytes(size),
            f" /Type /XObject /Subtype /Image /Width {width} /Height {height} "
            f"/ColorSpace {space} /BitsPerComponent {bits}",
        )

    def embedded_font(self) -> int:
        program = self.stream(b"\x00\x01\x00\x00 not a real font program")
        descriptor = self.add(
            f"<< /Type /FontDescriptor /FontName /ABCDEF+Minion /Flags 32 /FontBBox [0 0 1000 "
            f"1000] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 "
            f"/FontFile2 {program} 0 R >>"
        )
        return self.add(
            f"<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEF+Minion /FirstChar 32 "
            f"/LastChar 32 /Widths [250] /FontDescriptor {descriptor} 0 R >>"
        )

    def page(
        self,
        content: str,
        resources: str = "",
        colorants: Sequence[str] | None = CMYK,
        plate_mm: tuple[float, float] = (1030, 770),
        extra: str = "",
    ) -> int:
        width, height = round(plate_mm[0] * PT, 3), round(plate_mm[1] * PT, 3)
        contents = self.stream(content)
        piece = ""
        if colorants is not None:
            names = " ".join(pdf_name(c) for c in colorants)
            piece = (
                f"/PieceInfo << /HDAG_COLORANT << /Private << /HDAG_ColorantNames [{names}] "
                f"/HDAG_ColorantOrder [{names}] >> >> >>"
            )
        number = self.add(
            f"<< /Type /Page /Parent 0 0 R /MediaBox [0 0 {width} {height}] "
            f"/Resources << {resources} >> /Contents {contents} 0 R {piece} {extra} >>"
        )
        self.pages.append(number)
        return number

    def write(self, path: Path) -> Path:
        tree = len(self.objects) + 1
        kids = " ".join(f"{p} 0 R" for p in self.pages)
        for page in self.pages:
            self.objects[page - 1] = self.objects[page - 1].replace(
                b"/Parent 0 0 R", f"/Parent {tree} 0 R".encode()
            )
        self.add(f"<< /Type /Pages /Kids [{kids}] /Count {len(self.pages)} >>")
        catalog = self.add(f"<< /Type /Catalog /Pages {tree} 0 R >>")
        info = self.add("<< /Creator (PrinectSignaStation 2015.0) >>")
        path.write_bytes(pdf_bytes(self.objects, catalog, info))
        return path


def pdf_name(text: str) -> str:
    """``/PANTONE#20185#20C`` for ``PANTONE 185 C``."""
    return "/" + "".join(
        ch if 0x21 <= ord(ch) <= 0x7E and ch not in "#()<>[]{}/%" else f"#{ord(ch):02X}"
        for ch in text
    )


def separation(name: str) -> str:
    """A Separation colour space array with a CMYK alternate."""
    return (
        f"[/Separation {pdf_name(name)} /DeviceCMYK << /FunctionType 2 /Domain [0 1] "
        f"/C0 [0 0 0 0] /C1 [0 1 1 0] /N 1 >>]"
    )


def clean_sheet(
    writer: SheetWriter,
    content: str = "",
    resources: str = "",
    *,
    xobjects: str = "",
    fonts: str = "",
    **page: object,
) -> int:
    """A sheet with no finding, plus ``content`` drawn after; ``resources`` adds resource
    categories, ``xobjects`` and ``fonts`` add entries to the sheet's own XObject and Font."""
    font = writer.embedded_font()
    image = writer.image(300, 300)  # placed 1 inch square: 300 ppi
    mark = writer.mark(
        "/CS0 cs 1 scn 0 0 100 10 re f BT /F9 8 Tf (Bar) Tj ET",
        f"/ColorSpace << /CS0 {separation('All')} >> /Font << /F9 << /Type /Font "
        f"/Subtype /Type1 /BaseFont /Helvetica >> >>",
    )
    base = (
        "0.2 0.4 0.1 0.05 k 100 100 500 400 re f "
        "0 0 0 1 K 2 w 100 100 m 600 500 l S "
        "BT /F1 12 Tf 1 0 0 1 120 120 Tm (Hello) Tj ET "
        "q 72 0 0 72 300 300 cm /Im1 Do Q "
        "q 1 0 0 1 20 8 cm /pssMO1_0 Do Q "
    )
    return writer.page(
        base + content,
        f"/Font << /F1 {font} 0 R {fonts} >> "
        f"/XObject << /Im1 {image} 0 R /pssMO1_0 {mark} 0 R {xobjects} >> {resources}",
        **page,  # type: ignore[arg-type]
    )
