"""Is a font in the file? Read from its dictionary, never from its glyph data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

#: Keys of a font descriptor that hold the embedded font program.
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


@dataclass(frozen=True)
class FontUse:
    """A font a page shows text with: its name, whether it is embedded, and why not."""

    name: str
    embedded: bool
    problem: str = ""


def font_use(font: Any) -> FontUse:
    """Whether ``font`` is embedded; Type3 fonts are (their glyphs are content), a font
    without a descriptor is not (a standard font the RIP substitutes)."""
    font = _resolve(font)
    if not isinstance(font, DictionaryObject):
        return FontUse("(unreadable font)", False, "its font resource is not a dictionary")
    name = str(font.get("/BaseFont", "(unnamed)")).lstrip("/")
    subtype = str(font.get("/Subtype", ""))
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
    if any(key in descriptor for key in FONT_FILES):
        return FontUse(name, True)
    return FontUse(name, False, "its font program is not in the file")


def _resolve(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj
