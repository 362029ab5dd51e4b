"""Previews of a job: the sheet cropped to the paper, as a proof, a thumbnail and a press PDF.

Every page is cropped to its paper: the paper centred horizontally on the plate, its bottom edge
``gripper_mm`` above the plate's bottom edge (DOMAIN.md). Without a paper size, or when the paper
does not fit the plate, the crop is the bounding box of what is drawn. The press PDF keeps the
pages' own content with their boxes set to the crop and their images resampled to about
150 dpi (``pipeline.preview.presspdf``); the proof and thumbnail are rendered from its page 1 with
PDFium, straight at the pixel size wanted. A file whose pages cannot be copied gets a press PDF
of one picture per page instead, with a warning.

Orientation: the crop is computed in the plate's own frame (``plate_mm``, the gripper along its
bottom edge). When the page's orientation differs from the plate's, the page shows the plate
turned a quarter clockwise, as ``/Rotate 90`` would show it: the gripper edge is then the page's
left edge and the paper is centred vertically. A page ``/Rotate`` is applied the same way (and
kept in the press PDF), so the preview looks like the page does in a viewer.

A page that cannot be rendered, or draws nothing, becomes a white page plus a warning: the job's
preview is never lost to one bad page. PDFium is not thread-safe: render one file at a time per
process (Celery's prefork pool does).
"""

from __future__ import annotations

import logging
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
from pipeline.preview.geometry import PT_PER_MM, SheetGeometry, crop_box, turn_box
from pipeline.preview.inkcov import read_ink
from pipeline.preview.presspdf import (
    PREVIEW_DPI,
    Box,
    PressPage,
    image_needs,
    set_page_boxes,
    write_press_pdf,
)
from pipeline.preview.raster import render_page, write_raster_pdf

log = logging.getLogger(__name__)

#: Size in points of the white page standing in for a page that cannot be read (A4).
BLANK_PAGE_PT = (595.0, 842.0)
#: Long side of the proof JPEG of page 1, in pixels.
PROOF_PX = 2500
#: Long side of the thumbnail, in pixels.
THUMB_PX = 175
#: JPEG quality of the proof and thumbnail.
PROOF_QUALITY = 85
#: Long side, in pixels, of the small render used to find what a page draws.
PROBE_PX = 1000
#: A probe pixel darker than this (0..255) counts as drawn.
INK_THRESHOLD = 250
#: Most bytes of a key in a file name (leaves room for the suffix under 255).
MAX_KEY_BYTES = 180
#: The process colorants; every other colorant name is a spot colour.
PROCESS_COLORANTS = frozenset({"Cyan", "Magenta", "Yellow", "Black"})


@dataclass
class PreviewResult:
    """The artefacts of one job's preview, and what went wrong on the way."""

    proof: Path
    thumbnail: Path
    preview_pdf: Path
    ink_coverage: dict[int, dict[str, float]] | None
    spots: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The total-ink profile per page (pipeline.inkmap), for preflight's ink_limit.
    ink_profiles: dict[int, dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (paths as strings, page numbers as string keys)."""
        data = asdict(self)
        for name in ("proof", "thumbnail", "preview_pdf"):
            data[name] = str(data[name])
        if self.ink_coverage is not None:
            data["ink_coverage"] = {str(k): v for k, v in self.ink_coverage.items()}
        if self.ink_profiles is not None:
            data["ink_profiles"] = {str(k): v for k, v in self.ink_profiles.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreviewResult:
        coverage = data.get("ink_coverage")
        profiles = data.get("ink_profiles")
        return cls(
            proof=Path(data["proof"]),
            thumbnail=Path(data["thumbnail"]),
            preview_pdf=Path(data["preview_pdf"]),
            ink_coverage=None
            if coverage is None
            else {int(k): dict(v) for k, v in coverage.items()},
            spots=list(data.get("spots", [])),
            warnings=list(data.get("warnings", [])),
            ink_profiles=None
            if profiles is None
            else {int(k): dict(v) for k, v in profiles.items()},
        )


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


def render_preview(
    path: str | os.PathLike[str],
    geometries: Sequence[SheetGeometry | None] | None,
    out_dir: Path,
    key: str,
    *,
    spots: Iterable[str] = (),
    year: int | None = None,
    ink: bool = True,
    by_year: bool = True,
) -> PreviewResult:
    """Write ``<out_dir>/<year>/<key>_proof.jpg``, ``_thumb.jpg`` and ``_preview.pdf``.

    ``by_year=False`` writes straight into ``out_dir`` (``prepress preview --out DIR``).

    ``geometries[i]`` is page i+1's geometry (None, or a short list: crop to the content).
    ``spots`` may be every colorant name of the job: the process inks are left out.
    Bad pages give warnings, not exceptions; a file PDFium cannot open is a RejectedFile.
    """
    folder = Path(out_dir) / str(year or datetime.now().year) if by_year else Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = safe_key(key)
    result = PreviewResult(
        proof=folder / f"{stem}_proof.jpg",
        thumbnail=folder / f"{stem}_thumb.jpg",
        preview_pdf=folder / f"{stem}_preview.pdf",
        ink_coverage=None,
        spots=spot_names(spots),
    )
    document = _open(path)
    try:
        _write_pages(path, document, list(geometries or []), result)
    finally:
        document.close()
    if ink:
        reading = read_ink(path)
        result.ink_coverage = reading.coverage
        result.ink_profiles = reading.profiles
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
            raise RejectedFile(
                "encrypted",
                f"{Path(path).name}: protected by a password; export it again without one",
                str(path),
            ) from exc
        raise RejectedFile(
            "damaged_pdf",
            f"{Path(path).name}: cannot be opened for the "
            f"preview ({exc}); export it again from Signa",
            str(path),
        ) from exc


def _write_pages(
    path: str | os.PathLike[str],
    document: pdfium.PdfDocument,
    geometries: list[SheetGeometry | None],
    result: PreviewResult,
) -> None:
    """The press PDF of every page, then the proof and thumbnail of page 1."""
    plans = [
        _plan_page(document, index, geometries[index] if index < len(geometries) else None, result)
        for index in range(max(1, len(document)))
    ]  # an empty file still gets a proof
    copied = _write_press_pdf(path, document, plans, result)
    _write_proof(document, plans[0], result, from_press_pdf=copied)


def _write_press_pdf(
    path: str | os.PathLike[str],
    document: pdfium.PdfDocument,
    plans: list[_PagePlan],
    result: PreviewResult,
) -> bool:
    """The press PDF keeping the pages' own content (True) or, when that fails for this file,
    one picture per page and a warning (False)."""
    try:
        with open(path, "rb") as source, _atomic(result.preview_pdf) as out:
            write_press_pdf(source, [plan.press for plan in plans], out)
        if any(plan.to_content for plan in plans):
            _crop_to_content(result.preview_pdf, plans)
        return True
    except Exception as exc:  # any file pypdf or Pillow cannot rewrite: the raster route
        log.warning("press PDF of %s: pages kept as pictures", result.preview_pdf, exc_info=True)
        result.warnings.append(
            f"{Path(path).name}: the press preview PDF shows the pages as "
            f"pictures at {PREVIEW_DPI} dpi, as their content could not be "
            f"copied ({exc}); it is fine to send, but the file may be "
            f"damaged: export it again from Signa"
        )
        for index, plan in enumerate(plans):
            if plan.to_content:
                _crop_job_page_to_content(document, index, plan, result)
        with _atomic(result.preview_pdf) as out:
            failed = write_raster_pdf(document, [(p.shown, p.press.blank) for p in plans], out)
        for number, problem in failed:
            _stand_in(number, f"failed to render ({problem})", result)
        return False


def _write_proof(
    document: pdfium.PdfDocument, first: _PagePlan, result: PreviewResult, from_press_pdf: bool
) -> None:
    """The proof and thumbnail of page 1, from the press PDF when it keeps the page (its
    images are already down to PREVIEW_DPI: far less to decode), else from the job."""
    proof = None
    if not first.press.blank:
        try:
            proof = (
                _render_press_page_1(result.preview_pdf)
                if from_press_pdf
                else render_page(document, 0, first.shown, long_px=PROOF_PX)
            )
        except Exception as exc:  # warn, stand in, go on
            log.warning("proof of %s failed", result.proof, exc_info=True)
            result.warnings.append(
                f"page 1 failed to render ({exc}): the proof shows a white page instead"
            )
    if proof is None:
        width, height = first.shown[2] - first.shown[0], first.shown[3] - first.shown[1]
        scale = PROOF_PX / max(width, height)
        proof = Image.new(
            "RGB", (max(1, round(width * scale)), max(1, round(height * scale))), "white"
        )
    _save_proof(proof, result)


def _render_press_page_1(press_pdf: Path) -> Image.Image:
    document = pdfium.PdfDocument(str(press_pdf))
    try:
        return render_page(document, 0, None, long_px=PROOF_PX)
    finally:
        document.close()


def _crop_to_content(press_pdf: Path, plans: list[_PagePlan]) -> None:
    """Crop the press PDF's pages that have no paper to what they draw.

    Found on the press PDF rather than the job: its images are already resampled, so PDFium
    decodes a fraction of the pixels (a 300 dpi photo over a whole plate is 440 MB decoded).
    """
    document = pdfium.PdfDocument(str(press_pdf))
    try:
        for index, plan in enumerate(plans):
            if plan.to_content:
                page = document[index]
                try:
                    plan.shown = content_box(page)
                    plan.press.box = _user_box(page, plan.shown)
                finally:
                    page.close()
    finally:
        document.close()
    with open(press_pdf, "rb") as source, _atomic(press_pdf) as out:
        set_page_boxes(source, [plan.press.box for plan in plans], out)
    for plan in plans:
        plan.to_content = False


def _crop_job_page_to_content(
    document: pdfium.PdfDocument, index: int, plan: _PagePlan, result: PreviewResult
) -> None:
    try:
        page = document[index]
        try:
            plan.shown = content_box(page)
        finally:
            page.close()
    except Exception as exc:  # warn, stand in, go on
        _stand_in(index + 1, f"failed to render ({exc})", result)
        plan.press.blank = True


@dataclass
class _PagePlan:
    """A page's crop as shown (after ``/Rotate``) and what the press PDF makes of it;
    ``to_content``: the crop is still the whole page, to become the drawn content's box."""

    shown: Box
    press: PressPage
    to_content: bool = False


def _plan_page(
    document: pdfium.PdfDocument, index: int, geometry: SheetGeometry | None, result: PreviewResult
) -> _PagePlan:
    """One page's crop; a failure of this page alone becomes a white page and a warning."""
    number = index + 1
    box: Box = (0.0, 0.0, *BLANK_PAGE_PT)
    try:
        page = document[index]
    except Exception as exc:  # a bad page must not lose the whole preview
        _stand_in(number, f"cannot be read ({exc})", result)
        return _PagePlan(box, PressPage(box, blank=True))
    try:
        paper = _paper_box(page, geometry, number, result.warnings)
        empty = pdfium_c.FPDFPage_CountObjects(page) == 0
        if empty:
            result.warnings.append(
                f"page {number} draws nothing: its content is damaged or "
                f"empty; check the page in the original file"
            )
        box = paper or (0.0, 0.0, *page.get_size())
        return _PagePlan(
            box,
            PressPage(_user_box(page, box), blank=empty, needs=image_needs(page)),
            to_content=paper is None and not empty,
        )
    except Exception as exc:  # same: warn, stand in, go on
        log.warning("page %d of %s failed", number, result.preview_pdf, exc_info=True)
        _stand_in(number, f"failed to render ({exc})", result)
        return _PagePlan(box, PressPage(box, blank=True))
    finally:
        page.close()


def _user_box(page: pdfium.PdfPage, shown: Box) -> Box:
    """``shown`` (a box on the page as displayed) in the page's own PDF coordinates."""
    width, height = page.get_size()  # as displayed, after /Rotate
    left, bottom = page.get_cropbox()[:2]
    x0, y0, x1, y1 = turn_box(shown, width, height, (360 - page.get_rotation()) % 360)
    return (left + x0, bottom + y0, left + x1, bottom + y1)


def _stand_in(number: int, problem: str, result: PreviewResult) -> None:
    result.warnings.append(f"page {number} {problem}: the preview shows a white page instead")


def _paper_box(
    page: pdfium.PdfPage, geometry: SheetGeometry | None, number: int, warnings: list[str]
) -> Box | None:
    """The paper of one page in its displayed frame (after ``/Rotate``); None: crop to the
    content (with a warning when the paper does not fit)."""
    rotation = page.get_rotation()
    width, height = page.get_size()
    if rotation in (90, 270):
        width, height = height, width
    box = crop_box(width, height, geometry) if geometry else None
    if box is not None:
        return turn_box(box, width, height, rotation)
    if geometry and geometry.paper_mm:
        paper = " x ".join(f"{v:g}" for v in geometry.paper_mm)
        warnings.append(
            f"page {number}: paper {paper} mm plus the {geometry.gripper_mm:g} mm "
            f"gripper does not fit the {width / PT_PER_MM:.0f} x "
            f"{height / PT_PER_MM:.0f} mm plate; the preview shows the drawn "
            f"content instead. Check the Paper mark in Signa"
        )
    return None


def content_box(page: pdfium.PdfPage) -> Box:
    """The bounding box of what the page draws, from a small grey render; whole page if blank."""
    width, height = page.get_size()
    scale = PROBE_PX / max(width, height)
    probe = page.render(scale=scale, grayscale=True).to_pil()
    drawn = ImageOps.invert(probe.convert("L")).point(
        lambda v: 255 if v > 255 - INK_THRESHOLD else 0
    )
    found = drawn.getbbox()
    if found is None:
        return (0.0, 0.0, width, height)
    left, top, right, bottom = found  # pixels, y down; anti-aliased edges are included
    return (
        left / scale,
        height - bottom / scale,
        min(width, right / scale),
        min(height, height - top / scale),
    )


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
