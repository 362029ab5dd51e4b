"""The objects a content stream refers to, read defensively: resources, colour spaces,
patterns, images (placed size and effective resolution) and content data.

Every reader here answers something usable for a broken object and notes the problem on the
page (:class:`PageUse.problem`) instead of raising.
"""

from __future__ import annotations

import math
from typing import Any

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

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
from pipeline.preflight.records import Box, ImageUse, Matrix, PageUse, transform_box

#: A colour space that cannot be read: it prints nothing preflight can name.
UNKNOWN = Space("unknown", label="unreadable colour space")
#: Inline image keys and their full names.
_INLINE_KEYS = {
    "W": "/Width",
    "H": "/Height",
    "CS": "/ColorSpace",
    "BPC": "/BitsPerComponent",
    "IM": "/ImageMask",
    "F": "/Filter",
    "D": "/Decode",
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


def object_key(obj: Any) -> str:
    """An identity for loop detection and de-duplication: the object number where it has one."""
    reference = getattr(obj, "indirect_reference", None)
    return f"{reference.idnum}" if reference is not None else f"id{id(obj)}"


def matrix(operands: Any) -> Matrix:
    values = [float(v) for v in resolved(operands)][:6]
    if len(values) != 6:
        raise ValueError(f"a matrix needs 6 numbers, got {len(values)}")
    return (values[0], values[1], values[2], values[3], values[4], values[5])


def bbox(value: Any, ctm: Matrix) -> Box | None:
    try:
        x0, y0, x1, y1 = (float(v) for v in resolved(value))
    except (TypeError, ValueError):
        return None
    return transform_box(ctm, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def space_of(obj: Any, resources: Any, use: PageUse) -> Space:
    try:
        return resolve(obj, resources)
    except (BadColourSpace, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        use.problem(f"colour space {str(obj)[:40]}: {exc}")
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
        use.problem(f"{what}: its data cannot be decoded ({type(exc).__name__})")
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
    """An inline image's abbreviated settings as an image dictionary."""
    image = DictionaryObject()
    for key, value in (settings or {}).items():
        image[_INLINE_KEYS.get(key, f"/{key}")] = value  # type: ignore[index]
    return image


def image_use(
    name: str, image: DictionaryObject, ctm: Matrix, fill: Colour, resources: Any, use: PageUse
) -> tuple[Colour, ImageUse] | None:
    """How an image is placed: its colour (an image mask paints the fill colour), bounding box
    and effective resolution (pixels over the placed size through the CTM)."""
    try:
        width, height = int(resolved(image["/Width"])), int(resolved(image["/Height"]))
    except (KeyError, TypeError, ValueError):
        use.problem(f"image /{name} has no readable /Width and /Height")
        return None
    mask = truth(image.get("/ImageMask", False))
    bits = 1 if mask else int(resolved(image.get("/BitsPerComponent", 8)) or 8)
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
        # JPX images carry their colour space in the data; take them as process colour
        return Colour(UNKNOWN, frozenset(PROCESS), False, name="colour space in the image data")
    space = space_of(image["/ColorSpace"], resources, use)
    return Colour(space, space.all_inks(), False, name=space.label)


def missing_font(name: str) -> FontUse:
    return FontUse(name, False, "it is not in the page's resources")
