"""Previews of a job: the sheet cropped to the paper, as a proof, a thumbnail and a press PDF.

Every page is cropped to its paper: the paper centred horizontally on the plate, its bottom edge
``gripper_mm`` above the plate's bottom edge (DOMAIN.md). Without a paper size, or when the paper
does not fit the plate, the crop is the bounding box of what is drawn. Pages are rendered with
PDFium straight at the pixel size wanted, one page at a time, so memory stays bounded on a
1030 x 770 mm sheet full of images.

Orientation: the crop is computed in the plate's own frame (``plate_mm``, the gripper along its
bottom edge). When the page's orientation differs from the plate's, the page shows the plate
turned a quarter clockwise, as ``/Rotate 90`` would show it: the gripper edge is then the page's
left edge and the paper is centred vertically. A page ``/Rotate`` is applied the same way, so the
preview always looks like the page does in a viewer (a portrait page stays portrait).

A page that cannot be rendered, or draws nothing, becomes a white page plus a warning: the job's
preview is never lost to one bad page. PDFium is not thread-safe: render one file at a time per
process (Celery's prefork pool does).
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

from pipeline.errors import RejectedFile
from pipeline.inkcov import read_ink

log = logging.getLogger(__name__)

#: Size in points of the white page standing in for a page that cannot be read (A4).
BLANK_PAGE_PT = (595.0, 842.0)
#: PostScript points per millimetre.
PT_PER_MM = 72 / 25.4
#: Long side of the proof JPEG of page 1, in pixels.
PROOF_PX = 2500
#: Long side of the thumbnail, in pixels.
THUMB_PX = 175
#: Resolution of the pages of the press preview PDF.
PREVIEW_DPI = 150
#: Most pixels of one press PDF page: a larger page is rendered below PREVIEW_DPI.
MAX_PAGE_PIXELS = 40_000_000
#: JPEG quality of the proof and thumbnail, and of the press preview PDF pages.
PROOF_QUALITY = 85
PREVIEW_QUALITY = 70
#: Long side, in pixels, of the small render used to find what a page draws.
PROBE_PX = 1000
#: A probe pixel darker than this (0..255) counts as drawn.
INK_THRESHOLD = 250
#: Slack in mm when checking that the paper fits the plate.
FIT_TOLERANCE_MM = 0.5
#: Most bytes of a key in a file name (leaves room for the suffix under 255).
MAX_KEY_BYTES = 180
#: The process colorants; every other colorant name is a spot colour.
PROCESS_COLORANTS = frozenset({"Cyan", "Magenta", "Yellow", "Black"})

#: A box in page points: left, bottom, right, top from the page's lower-left corner.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class SheetGeometry:
    """What the crop of one page needs: its plate, its paper (None: unknown), the gripper."""

    plate_mm: tuple[float, float]
    paper_mm: tuple[float, float] | None
    gripper_mm: float


@dataclass
class PreviewResult:
    """The artefacts of one job's preview, and what went wrong on the way."""

    proof: Path
    thumbnail: Path
    preview_pdf: Path
    ink_coverage: dict[int, dict[str, float]] | None
    spots: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (paths as strings, page numbers as string keys)."""
        data = asdict(self)
        for name in ("proof", "thumbnail", "preview_pdf"):
            data[name] = str(data[name])
        if self.ink_coverage is not None:
            data["ink_coverage"] = {str(k): v for k, v in self.ink_coverage.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreviewResult:
        coverage = data.get("ink_coverage")
        return cls(proof=Path(data["proof"]), thumbnail=Path(data["thumbnail"]),
                   preview_pdf=Path(data["preview_pdf"]),
                   ink_coverage=None if coverage is None else {
                       int(k): dict(v) for k, v in coverage.items()},
                   spots=list(data.get("spots", [])), warnings=list(data.get("warnings", [])))


# --- geometry ------------------------------------------------------------------------------


def crop_box(page_width_pt: float, page_height_pt: float, geometry: SheetGeometry) -> Box | None:
    """The paper's box on an unrotated page, in points; None when the content box must do.

    None when the paper is unknown or (with the gripper) does not fit the plate.
    """
    if geometry.paper_mm is None:
        return None
    turned = _landscape(geometry.plate_mm) != _landscape((page_width_pt, page_height_pt))
    width, height = (page_height_pt, page_width_pt) if turned else (page_width_pt, page_height_pt)
    paper_w, paper_h = _oriented(geometry.paper_mm, landscape=width >= height)
    paper_w, paper_h, gripper = (v * PT_PER_MM for v in (paper_w, paper_h, geometry.gripper_mm))
    slack = FIT_TOLERANCE_MM * PT_PER_MM
    if paper_w > width + slack or gripper + paper_h > height + slack:
        return None
    left = (width - paper_w) / 2
    box = (left, gripper, left + paper_w, gripper + paper_h)
    return turn_box(box, width, height, 90) if turned else box


def turn_box(box: Box, width: float, height: float, rotation: int) -> Box:
    """``box`` on a ``width`` x ``height`` page, as seen when the page is turned clockwise."""
    x0, y0, x1, y1 = box
    if rotation == 90:
        return (y0, width - x1, y1, width - x0)
    if rotation == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if rotation == 270:
        return (height - y1, x0, height - y0, x1)
    return box


def _landscape(size: tuple[float, float]) -> bool:
    return size[0] > size[1]


def _oriented(size: tuple[float, float], landscape: bool) -> tuple[float, float]:
    small, large = sorted(size)
    return (large, small) if landscape else (small, large)


def safe_key(key: str) -> str:
    """``key`` as a file name part that is safe on SMB and any file system.

    Letters and digits of any script, ``-``, ``_`` and ``.`` stay; runs of anything else become
    one ``_``; no leading ``-`` or ``.`` (an option, a hidden file), no trailing dot or space.
    """
    text = unicodedata.normalize("NFC", key)
    text = re.sub(r"[^\w.-]+|_+", "_", text, flags=re.UNICODE).strip("._- ")
    while len(text.encode("utf-8")) > MAX_KEY_BYTES:
        text = text[:-1]
    return text.rstrip("._- ") or "preview"


# --- rendering -----------------------------------------------------------------------------


def render_preview(path: str | os.PathLike[str], geometries: Sequence[SheetGeometry | None] | None,
                   out_dir: Path, key: str, *, spots: Iterable[str] = (),
                   year: int | None = None, ink: bool = True) -> PreviewResult:
    """Write ``<out_dir>/<year>/<key>_proof.jpg``, ``_thumb.jpg`` and ``_preview.pdf``.

    ``geometries[i]`` is page i+1's geometry (None, or a short list: crop to the content).
    ``spots`` may be every colorant name of the job: the process inks are left out.
    Bad pages give warnings, not exceptions; a file PDFium cannot open is a RejectedFile.
    """
    folder = Path(out_dir) / str(year or datetime.now().year)
    folder.mkdir(parents=True, exist_ok=True)
    stem = safe_key(key)
    result = PreviewResult(proof=folder / f"{stem}_proof.jpg",
                           thumbnail=folder / f"{stem}_thumb.jpg",
                           preview_pdf=folder / f"{stem}_preview.pdf", ink_coverage=None,
                           spots=spot_names(spots))
    document = _open(path)
    try:
        _write_pages(document, list(geometries or []), result)
    finally:
        document.close()
    if ink:
        reading = read_ink(path)
        result.ink_coverage = reading.coverage
        if reading.problem:
            result.warnings.append(reading.problem)
    return result


def spot_names(colorants: Iterable[str]) -> list[str]:
    """The colorants that are not process inks, once each, in order."""
    return list(dict.fromkeys(c for c in colorants if c not in PROCESS_COLORANTS))


def _open(path: str | os.PathLike[str]) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(os.fspath(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise RejectedFile("encrypted", f"{Path(path).name}: protected by a password; "
                                            f"export it again without one", str(path)) from exc
        raise RejectedFile("damaged_pdf", f"{Path(path).name}: cannot be opened for the "
                                          f"preview ({exc}); export it again from Signa",
                           str(path)) from exc


def _write_pages(document: pdfium.PdfDocument, geometries: list[SheetGeometry | None],
                 result: PreviewResult) -> None:
    """Each page into the press PDF; page 1 also as the proof and the thumbnail."""
    with _atomic(result.preview_pdf) as out:
        pdf = JpegPdfWriter(out)
        for index in range(max(1, len(document))):  # an empty file still gets a proof
            geometry = geometries[index] if index < len(geometries) else None
            _write_page(document, index, geometry, pdf, result)
        pdf.close()


def _write_page(document: pdfium.PdfDocument, index: int, geometry: SheetGeometry | None,
                pdf: JpegPdfWriter, result: PreviewResult) -> None:
    """One page; any failure of this page alone becomes a white page and a warning."""
    number = index + 1
    box: Box = (0.0, 0.0, *BLANK_PAGE_PT)
    try:
        page = document[index]
    except Exception as exc:  # a bad page must not lose the whole preview
        return _stand_in(number, f"cannot be read ({exc})", box, pdf, result)
    try:
        box = _page_box(page, geometry, number, result.warnings)
        if pdfium_c.FPDFPage_CountObjects(page) == 0:
            result.warnings.append(f"page {number} draws nothing: its content is damaged or "
                                   f"empty; check the page in the original file")
        pdf.add(_render(page, box, scale=preview_scale(box)), box)
        if index == 0:
            _save_proof(_render(page, box, long_px=PROOF_PX), result)
    except Exception as exc:  # same: warn, stand in, go on
        log.warning("page %d of %s failed to render", number, result.preview_pdf, exc_info=True)
        _stand_in(number, f"failed to render ({exc})", box, pdf, result)
    finally:
        page.close()


def _stand_in(number: int, problem: str, box: Box, pdf: JpegPdfWriter,
              result: PreviewResult) -> None:
    """A white page (and proof, for page 1) where a page could not be rendered."""
    result.warnings.append(f"page {number} {problem}: the preview shows a white page instead")
    if len(pdf.pages) < number:
        pdf.add_blank(box)
    if number == 1:
        width, height = box[2] - box[0], box[3] - box[1]
        scale = PROOF_PX / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        _save_proof(Image.new("RGB", size, "white"), result)


def _page_box(page: pdfium.PdfPage, geometry: SheetGeometry | None, number: int,
              warnings: list[str]) -> Box:
    """The crop of one page in its displayed frame (after ``/Rotate``)."""
    rotation = page.get_rotation()
    width, height = page.get_size()
    if rotation in (90, 270):
        width, height = height, width
    box = crop_box(width, height, geometry) if geometry else None
    if box is not None:
        return turn_box(box, width, height, rotation)
    if geometry and geometry.paper_mm:
        paper = " x ".join(f"{v:g}" for v in geometry.paper_mm)
        warnings.append(f"page {number}: paper {paper} mm plus the {geometry.gripper_mm:g} mm "
                        f"gripper does not fit the {width / PT_PER_MM:.0f} x "
                        f"{height / PT_PER_MM:.0f} mm plate; the preview shows the drawn "
                        f"content instead. Check the Paper mark in Signa")
    return content_box(page)


def preview_scale(box: Box) -> float:
    """Pixels per point of a press PDF page: PREVIEW_DPI, less on a huge page."""
    area = (box[2] - box[0]) * (box[3] - box[1])
    return min(PREVIEW_DPI / 72, math.sqrt(MAX_PAGE_PIXELS / max(area, 1.0)))


def content_box(page: pdfium.PdfPage) -> Box:
    """The bounding box of what the page draws, from a small grey render; whole page if blank."""
    width, height = page.get_size()
    scale = PROBE_PX / max(width, height)
    probe = page.render(scale=scale, grayscale=True).to_pil()
    drawn = ImageOps.invert(probe.convert("L")).point(lambda v: 255 if v > 255 - INK_THRESHOLD
                                                      else 0)
    found = drawn.getbbox()
    if found is None:
        return (0.0, 0.0, width, height)
    left, top, right, bottom = found  # pixels, y down; anti-aliased edges are included
    return (left / scale, height - bottom / scale, min(width, right / scale),
            min(height, height - top / scale))


def _render(page: pdfium.PdfPage, box: Box, scale: float | None = None,
            long_px: int | None = None) -> Image.Image:
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


def _pixel_crop(page_size: tuple[float, float], box: Box, scale: float,
                target: tuple[int, int]) -> Box:
    """Crop amounts (left, bottom, right, top) in points that PDFium turns into ``target``.

    PDFium rounds each crop amount up to whole pixels; amounts half a pixel short of the wanted
    pixel counts make the bitmap exactly ``target`` whatever the floating-point noise.
    """
    full_w, full_h = (math.ceil(side * scale) for side in page_size)
    left = min(round(box[0] * scale), full_w - target[0])
    top = min(round((page_size[1] - box[3]) * scale), full_h - target[1])
    pixels = (left, full_h - top - target[1], full_w - left - target[0], top)
    return tuple(max(0.0, (p - 0.5) / scale) for p in pixels)  # type: ignore[return-value]


def _save_proof(proof: Image.Image, result: PreviewResult) -> None:
    with _atomic(result.proof) as out:
        proof.save(out, "JPEG", quality=PROOF_QUALITY, optimize=True)
    thumb = proof.copy()
    thumb.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.LANCZOS, reducing_gap=3.0)
    with _atomic(result.thumbnail) as out:
        thumb.save(out, "JPEG", quality=PROOF_QUALITY)


class _atomic:  # lower case: used like open()
    """Write to ``<name>.part`` and rename on success, so no half-written artefact remains."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")

    def __enter__(self) -> BinaryIO:
        self.file: BinaryIO = open(self.part, "wb")
        return self.file

    def __exit__(self, kind: object, *_: object) -> None:
        self.file.close()
        if kind is None:
            os.replace(self.part, self.path)
        else:
            self.part.unlink(missing_ok=True)


# --- the press preview PDF -----------------------------------------------------------------


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

    def _add_jpeg(self, jpeg: bytes, pixels: tuple[int, int], width: float,
                  height: float) -> None:
        image = 3 * (len(self.pages) + 1)
        self._object(image, (f"<< /Type /XObject /Subtype /Image /Width {pixels[0]} "
                             f"/Height {pixels[1]} /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                             f"/Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n").encode()
                     + jpeg + b"\nendstream")
        content = f"q {width:.3f} 0 0 {height:.3f} 0 0 cm /Im0 Do Q".encode()
        self._object(image + 1, f"<< /Length {len(content)} >>\nstream\n".encode() + content
                     + b"\nendstream")
        self._object(image + 2, (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.3f} "
                                 f"{height:.3f}] /Resources << /XObject << /Im0 {image} 0 R >> "
                                 f">> /Contents {image + 1} 0 R >>").encode())
        self.pages.append(image + 2)

    def close(self) -> None:
        kids = " ".join(f"{p} 0 R" for p in self.pages)
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        self._object(2, f"<< /Type /Pages /Kids [{kids}] /Count {len(self.pages)} >>".encode())
        size = max(self.offsets) + 1
        xref = self.out.tell()
        rows = "".join(f"{self.offsets[n]:010d} 00000 n \n" if n in self.offsets
                       else "0000000000 65535 f \n" for n in range(1, size))
        self.out.write(f"xref\n0 {size}\n0000000000 65535 f \n{rows}"
                       f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
                       .encode())

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.out.tell()
        self.out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")


# --- from the analysis to the crop ---------------------------------------------------------


def sheet_geometries(sheets: Sequence[Any], config: Any, name: str) -> list[SheetGeometry | None]:
    """The crop geometry of each analysed sheet (``pipeline.analysis.SheetFacts``).

    The press of a page is its own when it is configured, else the file's press (page 1's mark
    or plate size); a page whose press stays unknown is cropped to its content (None).
    """
    from pipeline.analysis import decide_press

    try:
        decision = decide_press(list(sheets), config, name)
        presses = {sheet.number: decision.other_pages.get(sheet.number, decision.press)
                   for sheet in sheets}
    except RejectedFile:
        presses = {sheet.number: sheet.press for sheet in sheets}
    geometries: list[SheetGeometry | None] = []
    for sheet in sheets:
        press = config.presses.get(presses.get(sheet.number))
        geometries.append(None if press is None else SheetGeometry(
            plate_mm=tuple(sheet.plate_mm), paper_mm=sheet.paper_mm,
            gripper_mm=press.gripper_mm))
    return geometries
