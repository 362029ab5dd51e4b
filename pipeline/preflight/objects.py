"""The objects a content stream refers to, read defensively: resources, colour spaces,
patterns, images (placed size and effective resolution) and content data.

Every reader here answers something usable for a broken object and notes the problem on the
page (:class:`PageUse.problem`) instead of raising.
"""

from __future__ import annotations

import math
from typing import Any

from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

from pipeline.preflight.colours import (
    PROCESS,
    BadColourSpace,
    Colour,
    Space,
    colour,
    inks_of,
    resolve,
)
from pipeline.preflight.fonts import FontUse
from pipeline.preflight.jpx import jpx_family
from pipeline.preflight.records import Box, ImageUse, Matrix, PageUse, transform_box
from pipeline.preflight.tokens import Name

#: A colour space that cannot be read: it prints nothing preflight can name.
UNKNOWN = Space("unknown", label="unreadable colour space")
#: Bytes of a JPX image's data read to find its colour space.
JPX_HEAD_BYTES = 65536
#: Spaces a JPX image's data names, as preflight's spaces.
_JPX_SPACES = {
    "gray": Space("gray", label="JPX DeviceGray"),
    "rgb": Space("rgb", label="JPX RGB"),
    "cmyk": Space("cmyk", label="JPX CMYK"),
    "lab": Space("lab", label="JPX Lab"),
}
#: Inline image keys and their full names.
_INLINE_KEYS = {
    "W": "/Width",
    "H": "/Height",
    "CS": "/ColorSpace",
    "BPC": "/BitsPerComponent",
    "IM": "/ImageMask",
    "F": "/Filter",
    "D": "/Decode",
    "DP": "/DecodeParms",
    "I": "/Interpolate",
    "L": "/Length",
}
#: Inline image abbreviations of filter and colour space names.
_INLINE_NAMES = {
    "AHx": "/ASCIIHexDecode",
    "A85": "/ASCII85Decode",
    "LZW": "/LZWDecode",
    "Fl": "/FlateDecode",
    "RL": "/RunLengthDecode",
    "CCF": "/CCITTFaxDecode",
    "DCT": "/DCTDecode",
    "G": "/DeviceGray",
    "RGB": "/DeviceRGB",
    "CMYK": "/DeviceCMYK",
    "I": "/Indexed",
}


def resolved(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def truth(obj: Any) -> bool:
    """A PDF boolean as Python's (``bool(BooleanObject(False))`` is True in pypdf)."""
    obj = resolved(obj)
    return bool(getattr(obj, "value", obj))


def as_dict(obj: Any) -> DictionaryObject | None:
    obj = resolved(obj)
    return obj if isinstance(obj, DictionaryObject) else None


def lookup(resources: Any, category: str, name: Any) -> Any:
    """``resources[category][/name]`` resolved, or None."""
    table = as_dict(resources.get(category)) if isinstance(resources, DictionaryObject) else None
    key = f"/{str(name).lstrip('/')}"
    return resolved(table.get(key)) if table is not None else None


def is_signa_mark(form: Any) -> bool:
    """A form Signa marked as one of its marks (``/PieceInfo /HDAG_SignaMarkInfo``)."""
    info = as_dict(form.get("/PieceInfo")) if isinstance(form, DictionaryObject) else None
    return info is not None and as_dict(info.get("/HDAG_SignaMarkInfo")) is not None


def object_key(obj: Any) -> str:
    """An identity for loop detection and de-duplication: the object number where it has one."""
    reference = getattr(obj, "indirect_reference", None)
    return f"{reference.idnum}" if reference is not None else f"id{id(obj)}"


class NotFinite(ValueError):
    """A number that is infinite or not a number: the object is not drawn where it says."""


def number(value: Any) -> float:
    """A finite float from an operand; NotFinite for inf/NaN and numbers too large."""
    try:
        found = float(resolved(value))
    except OverflowError:
        raise NotFinite("a number too large") from None
    if not math.isfinite(found):
        raise NotFinite(f"a number that is not finite ({found})")
    return found


def matrix(operands: Any) -> Matrix:
    values = [number(v) for v in list(resolved(operands))[:6]]
    if len(values) != 6:
        raise ValueError(f"a matrix needs 6 numbers, got {len(values)}")
    return (values[0], values[1], values[2], values[3], values[4], values[5])


def bbox(value: Any, ctm: Matrix) -> Box | None:
    try:
        x0, y0, x1, y1 = (number(v) for v in resolved(value))
    except (TypeError, ValueError):
        return None
    return transform_box(ctm, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def space_of(obj: Any, resources: Any, use: PageUse) -> Space:
    try:
        return resolve(obj, resources)
    except (BadColourSpace, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        use.problem(str(exc)[:160], f"colour space {str(obj)[:40]}")
        return UNKNOWN


def initial_colour(space: Space) -> Colour:
    """The colour ``cs``/``CS`` selects: tint 1 for spot spaces, black for the others."""
    if space.family in ("separation", "devicen"):
        return colour(space, [1.0] * space.components)
    if space.family == "cmyk":
        return colour(space, [0, 0, 0, 1])
    if space.family in ("pattern", "unknown"):
        return Colour(space, frozenset(), False, name=space.label)
    return colour(space, [0.0] * space.components)


def pattern_kind(pattern: Any) -> str:
    if not isinstance(pattern, DictionaryObject):
        return "missing"
    if pattern.get("/PatternType") == 2:
        return "shading"
    return "tiling" if pattern.get("/PaintType", 1) == 1 else "uncoloured"


def pattern_inks(
    pattern: Any, kind: str, space: Space, values: list[Any], resources: Any
) -> tuple[frozenset[str], bool]:
    """What painting with a pattern prints (a coloured cell was already walked where it was
    set, so it adds nothing here) and whether its colour is converted RGB."""
    if kind == "uncoloured" and space.base is not None:
        numbers = [float(v) for v in values if isinstance(v, int | float)]
        return inks_of(space.base, numbers), space.base.converted
    if kind == "shading":
        shading = as_dict(pattern.get("/Shading"))
        if shading is not None:
            shading_space = resolve(shading.get("/ColorSpace"), resources)
            return shading_space.all_inks(), shading_space.converted
    return frozenset(), False


def stream_data(stream: Any, what: str, use: PageUse) -> bytes:
    try:
        return bytes(stream.get_data())
    except Exception as exc:  # noqa: BLE001 - filters fail in many ways on broken data
        use.problem(f"its data cannot be decoded ({type(exc).__name__})", what)
        return b""


def contents(page: DictionaryObject, use: PageUse) -> bytes:
    """The page's content streams, joined."""
    found = resolved(page.get("/Contents"))
    streams = list(found) if isinstance(found, ArrayObject) else [found]
    parts = [
        stream_data(resolved(s), "page content", use)
        for s in streams
        if isinstance(resolved(s), StreamObject)
    ]
    return b"\n".join(parts)


def inline_dict(settings: Any) -> DictionaryObject:
    """An inline image's abbreviated settings as an image dictionary of pypdf objects (keys
    and abbreviated names expanded), judged like any image."""
    image = DictionaryObject()
    for key, value in (settings or {}).items():
        image[NameObject(_INLINE_KEYS.get(key, f"/{key}"))] = _pdf_object(value, depth=0)
    return image


def _pdf_object(value: Any, depth: int) -> PdfObject:
    """A value of the content-stream reader as a pypdf object."""
    if depth > 8:
        return NullObject()
    if isinstance(value, Name):
        return NameObject(_INLINE_NAMES.get(str(value), f"/{value}"))
    if isinstance(value, bool):
        return BooleanObject(value)
    if isinstance(value, int):
        return NumberObject(value)
    if isinstance(value, float):
        return FloatObject(value) if math.isfinite(value) else NullObject()
    if isinstance(value, bytes):
        return ByteStringObject(value)
    if isinstance(value, list):
        return ArrayObject(_pdf_object(v, depth + 1) for v in value[:1000])
    if isinstance(value, dict):
        table = DictionaryObject()
        for key, item in list(value.items())[:100]:
            table[NameObject(f"/{key}")] = _pdf_object(item, depth + 1)
        return table
    return NullObject()


def image_use(
    name: str, image: DictionaryObject, ctm: Matrix, fill: Colour, resources: Any, use: PageUse
) -> tuple[Colour, ImageUse] | None:
    """How an image is placed: its colour (an image mask paints the fill colour), bounding box
    and effective resolution (pixels over the placed size through the CTM)."""
    try:
        width, height = int(number(image["/Width"])), int(number(image["/Height"]))
    except (KeyError, TypeError, ValueError):
        use.problem("it has no readable /Width and /Height", f"image /{name}")
        return None
    if width <= 0 or height <= 0:
        use.problem(f"it is {width} x {height} pixels", f"image /{name}")
        return None
    mask = truth(image.get("/ImageMask", False))
    try:
        bits = 1 if mask else int(number(image.get("/BitsPerComponent", 8)) or 8)
    except (TypeError, ValueError):
        bits = 8
    value = fill if mask else _image_colour(image, resources, use)
    side_x, side_y = math.hypot(ctm[0], ctm[1]), math.hypot(ctm[2], ctm[3])
    ppi = min(width * 72 / side_x, height * 72 / side_y) if side_x and side_y else math.inf
    box = transform_box(ctm, 0, 0, 1, 1)
    placed = ImageUse(
        name, (width, height), bits, value.label, value.space.converted, box, ppi, False
    )
    return value, placed


def _image_colour(image: DictionaryObject, resources: Any, use: PageUse) -> Colour:
    if "/ColorSpace" not in image:
        # a JPX image carries its colour space in its data
        family = jpx_family(_raw_head(image)) if _is_jpx(image) else None
        if family is None:
            use.problem("it has no /ColorSpace and its data names none", "an image")
            return Colour(UNKNOWN, frozenset(PROCESS), False, name="colour space unknown")
        space = _JPX_SPACES[family]
        return Colour(space, space.all_inks(), False, name=space.label)
    space = space_of(image["/ColorSpace"], resources, use)
    return Colour(space, space.all_inks(), False, name=space.label)


def _is_jpx(image: DictionaryObject) -> bool:
    filters = resolved(image.get("/Filter"))
    names = list(filters) if isinstance(filters, ArrayObject) else [filters]
    return any(str(resolved(f)) == "/JPXDecode" for f in names)


def _raw_head(image: Any) -> bytes:
    """The first bytes of a stream's data as stored (JPX is the last filter, if any)."""
    raw = getattr(image, "_data", b"") or b""
    return bytes(raw[:JPX_HEAD_BYTES])


def missing_font(name: str) -> FontUse:
    return FontUse(name, False, "it is not in the page's resources")
