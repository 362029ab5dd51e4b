"""Is a font in the file? Read from its dictionary and the first bytes of its font program.

A font is embedded when its descriptor's ``/FontFile``, ``/FontFile2`` or ``/FontFile3``
is a stream that holds data: a key that is missing, points to nothing (a missing or free
object, something not a stream) or holds an empty stream does not put the font in the file,
and the RIP substitutes another, as ``pdffonts`` says ("emb no").

The font program is never decoded whole (a hostile Flate stream can inflate to gigabytes):
the stream's encoded bytes must be non-empty and the first of them must decode to at least
one byte (Flate: at most :data:`_PROBE_IN` bytes in, :data:`_PROBE_OUT` out; ASCIIHex and
ASCII85: data before the end marker). Other filters are taken on their encoded length.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

#: Keys of a font descriptor that hold the embedded font program.
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
#: Longest font name kept (a hostile /BaseFont can be megabytes).
NAME_CHARS = 100
#: Encoded bytes read to probe a Flate font program, and decoded bytes asked for.
_PROBE_IN = 64 * 1024
_PROBE_OUT = 1024


@dataclass(frozen=True)
class FontUse:
    """A font a page shows text with: its name, whether it is embedded, and why not."""

    name: str
    embedded: bool
    problem: str = ""


def font_use(font: Any) -> FontUse:
    """Whether ``font`` is embedded; Type3 fonts are (their glyphs are content), a font
    without a descriptor is not (a standard font the RIP substitutes). Never raises: a font
    that cannot be read is not embedded, with the reason."""
    name = "(unreadable font)"
    try:
        font = _resolve(font)
        if not isinstance(font, DictionaryObject):
            return FontUse(name, False, "its font resource is not a dictionary")
        name = font_name(font)
        return _font_use(name, font)
    except Exception as exc:  # noqa: BLE001 - a hostile dictionary can hold anything
        return FontUse(name, False, f"its dictionary cannot be read ({type(exc).__name__})")


def font_name(font: DictionaryObject) -> str:
    """The /BaseFont as text, at most :data:`NAME_CHARS` characters."""
    base = _resolve(font.get("/BaseFont"))
    if base is None or _is_null(base):
        return "(unnamed)"
    if not _scalar(base):
        return f"(a {_kind(base)} as name)"
    try:
        text = base if isinstance(base, str) else str(base)
    except ValueError:  # an integer too long to print
        return "(a number as name)"
    return text[: NAME_CHARS + 1].lstrip("/")[:NAME_CHARS] or "(unnamed)"


def _font_use(name: str, font: DictionaryObject) -> FontUse:
    subtype = _resolve(font.get("/Subtype"))
    if subtype == "/Type3":
        return FontUse(name, True)
    if subtype == "/Type0":
        descendants = _resolve(font.get("/DescendantFonts"))
        if not isinstance(descendants, ArrayObject) or not descendants:
            return FontUse(name, False, "it is a Type0 font without its descendant font")
        font = _resolve(descendants[0])
        if not isinstance(font, DictionaryObject):
            return FontUse(name, False, "its descendant font is not a dictionary")
    descriptor = _resolve(font.get("/FontDescriptor"))
    if not isinstance(descriptor, DictionaryObject):
        return FontUse(name, False, "it has no font descriptor, as a standard font")
    problems = []
    for key in FONT_FILES:
        if key not in descriptor:
            continue
        problem = program_problem(key, dict.get(descriptor, key))
        if not problem:
            return FontUse(name, True)
        problems.append(problem)
    if problems:
        return FontUse(name, False, problems[0])
    return FontUse(name, False, "its font program is not in the file")


def program_problem(key: str, value: Any) -> str:
    """Why ``value`` (a descriptor's ``key``) is not a font program, or "" when it is one."""
    try:
        stream = _resolve(value)
    except Exception:  # noqa: BLE001 - a broken reference is a reference to nothing
        stream = None
    if stream is None or _is_null(stream):
        return f"its {key} points to nothing"
    if not isinstance(stream, StreamObject):
        return f"its {key} is not a stream but a {_kind(stream)}"
    length = _resolve(stream.get("/Length"))
    raw = getattr(stream, "_data", b"") or b""
    if (isinstance(length, int) and not isinstance(length, bool) and length <= 0) or not raw:
        return f"its {key} is empty"
    decoded = _probe(stream, bytes(raw[:_PROBE_IN]))
    if decoded is None:
        return f"its {key} cannot be decoded"
    if not decoded:
        return f"its {key} is empty"
    return ""


def _probe(stream: StreamObject, head: bytes) -> bytes | None:
    """The first decoded bytes of a stream whose encoded data begins with ``head``; b"" when
    it decodes to nothing, None when it cannot be decoded. Only the first filter is applied."""
    filters = _resolve(stream.get("/Filter"))
    if isinstance(filters, ArrayObject):
        filters = _resolve(filters[0]) if filters else None
    first = str(filters) if filters is not None and _scalar(filters) else ""
    if first in ("/FlateDecode", "/Fl"):
        try:
            inflater = zlib.decompressobj()
            return inflater.decompress(head, _PROBE_OUT)
        except zlib.error:
            try:  # raw deflate data without the zlib header, as some writers make
                return zlib.decompressobj(-15).decompress(head, _PROBE_OUT)
            except zlib.error:
                return None
    if first in ("/ASCIIHexDecode", "/AHx"):
        data = b"".join(head.split(b">", 1)[0].split())
        return data[:_PROBE_OUT]
    if first in ("/ASCII85Decode", "/A85"):
        data = b"".join(head.split())
        return data.split(b"~>", 1)[0].removeprefix(b"<~")[:_PROBE_OUT]
    return head[:_PROBE_OUT]


def _resolve(obj: Any) -> Any:
    seen = 0
    while isinstance(obj, IndirectObject) and seen < 32:
        obj = obj.get_object()
        seen += 1
    return None if isinstance(obj, IndirectObject) else obj


def _is_null(obj: Any) -> bool:
    return type(obj).__name__ == "NullObject"


def _scalar(obj: Any) -> bool:
    return isinstance(obj, str | int | float | bool)


def _kind(obj: Any) -> str:
    if isinstance(obj, DictionaryObject):
        return "dictionary"
    if isinstance(obj, ArrayObject):
        return "array"
    return type(obj).__name__.removesuffix("Object").lower() or "value"
