"""The press preview PDF: the job's own pages cropped to the paper, images at about 150 dpi.

The pages keep what they draw (vectors, text, spot colours): only their boxes change (MediaBox,
CropBox and TrimBox become the crop; ``/Rotate`` stays, so a page looks as it does in the job)
and every raster image drawn above ``DOWNSAMPLE_THRESHOLD`` times ``PREVIEW_DPI`` at its placed
size is resampled with Pillow and stored again as a JPEG. This is what Ghostscript's
``pdfwrite`` does with downsampling, at a fraction of the cost of rasterising each page.

An image object shared by several pages (or placed several times) is resampled once, for the
largest size it is drawn at. Placed sizes come from PDFium's page objects (forms included);
an image PDFium did not report is sized for the whole crop.

Colours: the samples a reader gets out of the new JPEG are the old ones, so ``/ColorSpace`` and
``/Decode`` stay as they were. Pillow reads an Adobe (inverted) CMYK JPEG as ink values and
writes every CMYK JPEG inverted with an Adobe marker, so a CMYK image that was not an Adobe
JPEG is inverted before saving. Images this cannot keep exact (masks, 16-bit, indexed,
colour-key masks, other filters) are copied as they are.

When a file cannot be copied, :func:`write_raster_pdf` makes the press PDF of one JPEG per page
instead (the caller's choice). :func:`render_box` renders a box of a page at an exact size.
"""

from __future__ import annotations

import ctypes
import io
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, cast

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, JpegImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from pipeline.preview.geometry import Box

log = logging.getLogger(__name__)

#: Resolution of the images (and of raster pages) of the press preview PDF.
PREVIEW_DPI = 150
#: Most pixels of one raster press PDF page: a larger page is rendered below PREVIEW_DPI.
MAX_PAGE_PIXELS = 40_000_000
#: JPEG quality of the press preview PDF's images and raster pages.
PREVIEW_QUALITY = 70
#: An image is resampled only above this many times PREVIEW_DPI (Ghostscript's default).
DOWNSAMPLE_THRESHOLD = 1.5
#: A JPEG decoded at 1/2, 1/4 or 1/8 scale is kept at that size when it lands between these
#: factors of the target size (libjpeg's scaled decoding is the cheapest downsampling there is;
#: 0.95 lets a 300 dpi photo, a hair under 2 x 150 dpi, decode at half scale).
JPEG_SCALE_SLACK = (0.95, 1.25)
#: Most bytes of decoded samples of one image the preview resamples (a larger one is copied):
#: a 1030 x 770 mm CMYK photo at 150 dpi is 110 MB.
MAX_DECODED_BYTES = 250_000_000
#: Colour spaces whose images are resampled, and their components.
COMPONENTS = {"/DeviceGray": 1, "/DeviceRGB": 3, "/DeviceCMYK": 4}
#: Pillow's image mode for a number of components.
MODES = {1: "L", 3: "RGB", 4: "CMYK"}

#: An affine matrix (a, b, c, d, e, f), points mapped as row vectors.
Matrix = tuple[float, float, float, float, float, float]


@dataclass
class PressPage:
    """One page of the press PDF: its crop in PDF user space, blank or not, its images' needs.

    ``needs`` maps an image's pixel size to the largest fraction of its pixels any placement
    on the page needs for PREVIEW_DPI (1.0: all of them).
    """

    box: Box
    blank: bool = False
    needs: dict[tuple[int, int], float] = field(default_factory=dict)


# --- what the images need, from PDFium --------------------------------------------------------


def image_needs(page: pdfium.PdfPage) -> dict[tuple[int, int], float]:
    """For each image pixel size on the page, the fraction of its pixels PREVIEW_DPI needs."""
    needs: dict[tuple[int, int], float] = {}
    for image, matrix in _placed_images(page):
        width, height = ctypes.c_uint(), ctypes.c_uint()
        if not pdfium_c.FPDFImageObj_GetImagePixelSize(image, width, height):
            continue
        size = (width.value, height.value)
        if min(size) == 0:
            continue
        a, b, c, d = matrix[:4]
        wanted = max(math.hypot(a, b) / size[0], math.hypot(c, d) / size[1]) * PREVIEW_DPI / 72
        needs[size] = max(needs.get(size, 0.0), wanted)
    return needs


def _placed_images(page: pdfium.PdfPage) -> Iterator[tuple[object, Matrix]]:
    """Every image object of the page with its matrix in page space, looking into forms."""
    count = pdfium_c.FPDFPage_CountObjects(page)
    yield from _walk(
        [pdfium_c.FPDFPage_GetObject(page, i) for i in range(count)], (1, 0, 0, 1, 0, 0), depth=0
    )


def _walk(objects: Sequence[object], outer: Matrix, depth: int) -> Iterator[tuple[object, Matrix]]:
    for obj in objects:
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind not in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM):
            continue
        raw = pdfium_c.FS_MATRIX()
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, raw):
            continue
        matrix = _multiply((raw.a, raw.b, raw.c, raw.d, raw.e, raw.f), outer)
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            yield obj, matrix
        elif depth < 12:  # forms in forms: as deep as anyone nests them
            count = pdfium_c.FPDFFormObj_CountObjects(obj)
            inner = [pdfium_c.FPDFFormObj_GetObject(obj, i) for i in range(count)]
            yield from _walk(inner, matrix, depth + 1)


def _multiply(first: Matrix, then: Matrix) -> Matrix:
    a, b, c, d, e, f = first
    p, q, r, s, t, u = then
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


# --- the vector press PDF -------------------------------------------------------------------


def write_press_pdf(source: BinaryIO, pages: Sequence[PressPage], out: BinaryIO) -> int:
    """Write the cropped job with resampled images to ``out``; return how many were resampled.

    Raises whatever pypdf or Pillow raise on a file they cannot handle: the caller falls back.
    """
    writer = PdfWriter(clone_from=PdfReader(source))
    if len(writer.pages) != len(pages):
        raise ValueError(f"pypdf reads {len(writer.pages)} pages where PDFium reads {len(pages)}")
    placed: dict[int, float] = {}
    unplaced: dict[int, float] = {}
    images: dict[int, StreamObject] = {}
    for page, plan in zip(writer.pages, pages, strict=True):
        _set_boxes(page, plan.box)
        if plan.blank:
            page.replace_contents(None)  # a page without contents is a white page
            page[NameObject("/Resources")] = DictionaryObject()
            continue
        for key, image in _page_images(page):
            images[key] = image
            size = _pixels(image)
            if size in plan.needs:
                placed[key] = max(placed.get(key, 0.0), plan.needs[size])
            else:  # not drawn on this page, or drawn where PDFium does not say: the crop
                unplaced[key] = max(unplaced.get(key, 0.0), _crop_need(size, plan.box))
    resampled = sum(
        _resample_or_keep(image, placed.get(key, unplaced.get(key, 1.0)))
        for key, image in images.items()
    )
    writer.write(out)
    return resampled


def set_page_boxes(source: BinaryIO, boxes: Sequence[Box], out: BinaryIO) -> None:
    """Copy the PDF ``source`` to ``out`` with each page's boxes set to its box."""
    writer = PdfWriter(clone_from=PdfReader(source))
    for page, box in zip(writer.pages, boxes, strict=True):
        _set_boxes(page, box)
    writer.write(out)


def _set_boxes(page: DictionaryObject, box: Box) -> None:
    rectangle = ArrayObject(FloatObject(round(v, 4)) for v in box)
    for name in ("/MediaBox", "/CropBox", "/TrimBox"):
        page[NameObject(name)] = rectangle
    for name in ("/BleedBox", "/ArtBox"):
        page.pop(NameObject(name), None)


def _page_images(page: DictionaryObject) -> Iterator[tuple[int, StreamObject]]:
    """The image XObjects of a page and of the forms it draws, each once, with a key."""
    seen: set[int] = set()
    pending = [page.get("/Resources")]
    while pending:
        resources = pending.pop()
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if isinstance(resources, DictionaryObject) else None
        xobjects = xobjects.get_object() if xobjects is not None else None
        if not isinstance(xobjects, DictionaryObject):
            continue
        for ref in xobjects.values():
            xobject = ref.get_object()
            key = ref.idnum if isinstance(ref, IndirectObject) else id(xobject)
            if key in seen or not isinstance(xobject, StreamObject):
                continue
            seen.add(key)
            if xobject.get("/Subtype") == "/Image":
                yield key, xobject
            elif xobject.get("/Subtype") == "/Form":
                pending.append(xobject.get("/Resources"))


def _pixels(image: StreamObject) -> tuple[int, int]:
    """An image's width and height in pixels (0 when missing)."""
    return (
        int(cast(int, _resolved(image.get("/Width", 0)))),
        int(cast(int, _resolved(image.get("/Height", 0)))),
    )


def _crop_need(size: tuple[int, int], box: Box) -> float:
    """The fraction of an image's pixels PREVIEW_DPI needs if it spans the whole crop."""
    if min(size) <= 0:
        return 1.0
    return max(box[2] - box[0], box[3] - box[1]) * PREVIEW_DPI / 72 / max(size)


# --- resampling one image ---------------------------------------------------------------------


def _resample_or_keep(image: StreamObject, scale: float) -> bool:
    """:func:`resample`, leaving an image Pillow cannot read (damaged, odd) as it was."""
    try:
        return resample(image, scale)
    except Exception:  # one bad image must not turn the whole press PDF into pictures
        log.warning("image %s copied as it is", image.indirect_reference, exc_info=True)
        return False


def resample(image: StreamObject, scale: float) -> bool:
    """Shrink ``image`` in place to ``scale`` of its pixels as a JPEG; False: left as it was."""
    if scale * DOWNSAMPLE_THRESHOLD >= 1 or not _resamplable(image):
        return False
    width, height = _pixels(image)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    components = _components(image)
    picture, inverted = _decode(image, (width, height), components, target)
    if picture is None:
        return False
    if max(picture.width / target[0], picture.height / target[1]) > JPEG_SCALE_SLACK[1]:
        picture = picture.resize(target, Image.Resampling.BOX)
    if components == 4 and not inverted:
        picture = picture.point(lambda v: 255 - v)  # Pillow writes CMYK JPEGs inverted
    data = io.BytesIO()
    picture.save(data, "JPEG", quality=PREVIEW_QUALITY)
    if data.tell() >= len(image._data):  # a tiny or flat image: the original is smaller
        return False
    _replace(image, data.getvalue(), picture.size)
    return True


def _resamplable(image: StreamObject) -> bool:
    filters = image.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    if isinstance(filters, ArrayObject):
        filters = filters[0] if len(filters) == 1 else None
    return (
        filters in ("/DCTDecode", "/FlateDecode")
        and not image.get("/ImageMask", False)
        and int(image.get("/BitsPerComponent", 8)) == 8
        and not isinstance(_resolved(image.get("/Mask")), ArrayObject)
        and _components(image) > 0
    )


def _resolved(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _is_jpeg(image: StreamObject) -> bool:
    return "/DCTDecode" in str(image.get("/Filter"))


def _components(image: StreamObject) -> int:
    """1, 3 or 4 for a device or ICC-based colour space; 0 for any other."""
    space = image.get("/ColorSpace")
    space = space.get_object() if space is not None else None
    if isinstance(space, str):
        return COMPONENTS.get(space, 0)
    if isinstance(space, ArrayObject) and len(space) == 2 and space[0] == "/ICCBased":
        count = int(space[1].get_object().get("/N", 0))
        return count if count in MODES else 0
    return 0


def _decode(
    image: StreamObject, size: tuple[int, int], components: int, target: tuple[int, int]
) -> tuple[Image.Image | None, bool]:
    """The samples as a Pillow image, and whether CMYK values came inverted (Adobe); None
    when they do not match the image's dictionary or would take more than MAX_DECODED_BYTES.
    """
    mode = MODES[components]
    if not _is_jpeg(image):
        if size[0] * size[1] * components > MAX_DECODED_BYTES:
            return None, False
        data = image.get_data()
        if len(data) < size[0] * size[1] * components:
            return None, False
        return Image.frombuffer(mode, size, data, "raw", mode, 0, 1), False
    # The plugin class, not Image.open: its pixel-count alarm is for the full size, and
    # draft() below decodes far fewer pixels; MAX_DECODED_BYTES is the limit here.
    picture = JpegImagePlugin.JpegImageFile(io.BytesIO(image._data))
    if picture.mode != mode or picture.size != size:
        return None, False
    least = (math.ceil(target[0] * JPEG_SCALE_SLACK[0]), math.ceil(target[1] * JPEG_SCALE_SLACK[0]))
    picture.draft(mode, least)  # decode at 1/2, 1/4 or 1/8 scale when that is enough
    if picture.width * picture.height * components > MAX_DECODED_BYTES:
        return None, False
    picture.load()
    return picture, "adobe" in picture.info


def _replace(image: StreamObject, jpeg: bytes, size: tuple[int, int]) -> None:
    image._data = jpeg
    if hasattr(image, "decoded_self"):
        image.decoded_self = None  # pypdf's cache of the old samples
    image[NameObject("/Filter")] = NameObject("/DCTDecode")
    image[NameObject("/Width")] = NumberObject(size[0])
    image[NameObject("/Height")] = NumberObject(size[1])
    image[NameObject("/Length")] = NumberObject(len(jpeg))
    image.pop(NameObject("/DecodeParms"), None)
