"""The raster press PDF: one JPEG per page at PREVIEW_DPI, for a file whose pages cannot be
copied, and the rendering of a page's box that the proof and thumbnail use too."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import BinaryIO

import pypdfium2 as pdfium
from PIL import Image

from pipeline.preview.geometry import Box
from pipeline.preview.presspdf import MAX_PAGE_PIXELS, PREVIEW_DPI, PREVIEW_QUALITY


def preview_scale(box: Box) -> float:
    """Pixels per point of a press PDF page: PREVIEW_DPI, less on a huge page."""
    area = (box[2] - box[0]) * (box[3] - box[1])
    return min(PREVIEW_DPI / 72, math.sqrt(MAX_PAGE_PIXELS / max(area, 1.0)))


def render_box(
    page: pdfium.PdfPage, box: Box, scale: float | None = None, long_px: int | None = None
) -> Image.Image:
    """The ``box`` of the page as an RGB image, rendered at its final size.

    The pixel size is exact: ``long_px`` on the long side, or the box times ``scale``.
    """
    width, height = page.get_size()
    box_w, box_h = box[2] - box[0], box[3] - box[1]
    if long_px is not None:
        scale = long_px / max(box_w, box_h)
    assert scale is not None
    target = (max(1, round(box_w * scale)), max(1, round(box_h * scale)))
    crop = _pixel_crop((width, height), box, scale, target)
    bitmap = page.render(scale=scale, crop=crop, rev_byteorder=True)
    return bitmap.to_pil()


def _pixel_crop(
    page_size: tuple[float, float], box: Box, scale: float, target: tuple[int, int]
) -> Box:
    """Crop amounts (left, bottom, right, top) in points that PDFium turns into ``target``.

    PDFium rounds each crop amount up to whole pixels; amounts half a pixel short of the wanted
    pixel counts make the bitmap exactly ``target`` whatever the floating-point noise.
    """
    full_w, full_h = (math.ceil(side * scale) for side in page_size)
    left = min(round(box[0] * scale), full_w - target[0])
    top = min(round((page_size[1] - box[3]) * scale), full_h - target[1])
    pixels = (left, full_h - top - target[1], full_w - left - target[0], top)
    return tuple(max(0.0, (p - 0.5) / scale) for p in pixels)  # type: ignore[return-value]


def render_page(
    document: pdfium.PdfDocument,
    index: int,
    box: Box | None,
    scale: float | None = None,
    long_px: int | None = None,
) -> Image.Image:
    """``box`` of page ``index`` (None: all of it) as :func:`render_box` renders it."""
    page = document[index]
    try:
        if box is None:
            box = (0.0, 0.0, *page.get_size())
        return render_box(page, box, scale=scale, long_px=long_px)
    finally:
        page.close()


def write_raster_pdf(
    document: pdfium.PdfDocument, pages: Sequence[tuple[Box, bool]], out: BinaryIO
) -> list[tuple[int, str]]:
    """The press PDF as one JPEG per page at PREVIEW_DPI (the fallback), from (box as shown,
    blank) per page; returns the pages that failed to render (number, why), left white."""
    failed: list[tuple[int, str]] = []
    pdf = JpegPdfWriter(out)
    for index, (box, blank) in enumerate(pages):
        try:
            if not blank:
                pdf.add(render_page(document, index, box, scale=preview_scale(box)), box)
                continue
        except Exception as exc:  # a page that fails is white; the others go on
            failed.append((index + 1, str(exc)))
        pdf.add_blank(box)
    pdf.close()
    return failed


class JpegPdfWriter:
    """A PDF of one JPEG per page, written page by page (nothing is kept in memory).

    Page ``n`` uses objects 3n, 3n+1, 3n+2 (image, content, page); 1 is the catalog, 2 the page
    tree, both written by :meth:`close`.
    """

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.offsets: dict[int, int] = {}
        self.pages: list[int] = []
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def add(self, image: Image.Image, box: Box) -> None:
        """A page the size of ``box`` (points) showing ``image``."""
        data = io.BytesIO()
        image.save(data, "JPEG", quality=PREVIEW_QUALITY)
        self._add_jpeg(data.getvalue(), image.size, box[2] - box[0], box[3] - box[1])

    def add_blank(self, box: Box) -> None:
        """A white page the size of ``box``."""
        self.add(Image.new("RGB", (8, 8), "white"), box)

    def _add_jpeg(self, jpeg: bytes, pixels: tuple[int, int], width: float, height: float) -> None:
        image = 3 * (len(self.pages) + 1)
        self._object(
            image,
            (
                f"<< /Type /XObject /Subtype /Image /Width {pixels[0]} "
                f"/Height {pixels[1]} /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                f"/Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n"
            ).encode()
            + jpeg
            + b"\nendstream",
        )
        content = f"q {width:.3f} 0 0 {height:.3f} 0 0 cm /Im0 Do Q".encode()
        self._object(
            image + 1, f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"
        )
        self._object(
            image + 2,
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.3f} "
                f"{height:.3f}] /Resources << /XObject << /Im0 {image} 0 R >> "
                f">> /Contents {image + 1} 0 R >>"
            ).encode(),
        )
        self.pages.append(image + 2)

    def close(self) -> None:
        kids = " ".join(f"{p} 0 R" for p in self.pages)
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        self._object(2, f"<< /Type /Pages /Kids [{kids}] /Count {len(self.pages)} >>".encode())
        size = max(self.offsets) + 1
        xref = self.out.tell()
        rows = "".join(
            f"{self.offsets[n]:010d} 00000 n \n" if n in self.offsets else "0000000000 65535 f \n"
            for n in range(1, size)
        )
        self.out.write(
            f"xref\n0 {size}\n0000000000 65535 f \n{rows}"
            f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        )

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.out.tell()
        self.out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
