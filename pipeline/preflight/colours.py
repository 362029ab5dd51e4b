"""Colour spaces as preflight sees them, and the rule that decides what a colour prints.

**What "prints" means.** A colour prints on a plate when the operand values that select it
put ink on that plate, not when a colour space merely declares the colorant:

- DeviceCMYK ``c m y k``: each component above 0 prints its process plate (``0 0 0 1 k``
  prints only Black, ``0 0 0 0 k`` prints nothing: it is white);
- DeviceGray: any value under 1 prints Black (gray goes to the K plate);
- Separation: a tint above 0 prints the named colorant; ``/None`` never prints; ``/All``
  prints on every plate but is Signa's registration colour, never a plate of its own;
- DeviceN: each colorant whose tint is above 0;
- Indexed: the base colour of the selected entry of the lookup table;
- ICCBased: by its number of components (1 gray, 3 RGB, 4 CMYK), else its alternate;
- RGB, CalRGB, Lab and RGB-ICC colours are converted by the RIP: they print process inks
  (they keep a process plate from looking empty) and are reported as ``rgb_content``.

Images and shadings are not sampled (that would mean decoding every pixel): they print every
colorant of their colour space; an image mask prints the current fill colour. The cost of the
rule is one small computation per colour-setting operator; ``benchmarks/preflight.py`` measures
the whole walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pypdf.generic import ArrayObject, IndirectObject, StreamObject

#: The process colorants, in Signa's spelling and CMYK order.
PROCESS = ("Cyan", "Magenta", "Yellow", "Black")
#: Signa's registration colour: prints on every plate, never a plate of its own.
REGISTRATION = "All"
#: Names that are never plates: the registration colour, Signa's placeholders (mapped to the
#: job's real colours when output) and the Separation ``/None``.
NOT_PLATES = frozenset(
    {REGISTRATION, "None", "B", "C", "M", "Y", "X", "Z", "U", "V", "HDM_DarkColor"}
    | {f"S{n}" for n in range(1, 9)}
)
#: Components of the device families.
_COMPONENTS = {"gray": 1, "rgb": 3, "cmyk": 4, "lab": 3}
#: Colour space names (and inline image abbreviations) of the device families.
_DEVICE = {
    "DeviceGray": "gray",
    "G": "gray",
    "CalGray": "gray",
    "DeviceRGB": "rgb",
    "RGB": "rgb",
    "CalRGB": "rgb",
    "DeviceCMYK": "cmyk",
    "CMYK": "cmyk",
    "Lab": "lab",
}
#: Deepest chain of spaces followed (Indexed of ICCBased of an alternate ...).
MAX_SPACE_DEPTH = 8


class BadColourSpace(ValueError):
    """A colour space that cannot be understood; the walker turns it into a finding."""


@dataclass(frozen=True)
class Space:
    """A resolved colour space: its family, colorant names, and a base where it has one."""

    family: str  # gray rgb cmyk lab separation devicen indexed pattern
    names: tuple[str, ...] = ()
    label: str = ""
    base: Space | None = None
    lookup: bytes = b""

    @property
    def components(self) -> int:
        if self.family in ("separation", "devicen"):
            return len(self.names)
        return _COMPONENTS.get(self.family, 1)

    @property
    def converted(self) -> bool:
        """RGB or Lab colour that the RIP converts (also through Indexed or a pattern)."""
        if self.family in ("rgb", "lab"):
            return True
        return self.base is not None and self.base.converted

    def all_inks(self) -> frozenset[str]:
        """Every colorant this space can print (images and shadings are judged by this)."""
        if self.family == "cmyk" or self.converted:
            return frozenset(PROCESS)
        if self.family == "gray":
            return frozenset({"Black"})
        if self.family in ("separation", "devicen"):
            return frozenset(self.names) - {"None"}
        return self.base.all_inks() if self.base else frozenset()


GRAY = Space("gray", label="DeviceGray")
CMYK = Space("cmyk", label="DeviceCMYK")


@dataclass(frozen=True)
class Colour:
    """A current fill or stroke colour: what it prints, whether it is white or converted."""

    space: Space
    inks: frozenset[str]
    white: bool
    values: tuple[float, ...] = ()
    name: str = ""  # a pattern's name, instead of values

    @property
    def label(self) -> str:
        """``DeviceCMYK 0 0 0 1``, ``Separation Gold 0.5``, ``Pattern /P1``: for messages."""
        if self.name:
            return self.name
        return f"{self.space.label} {' '.join(f'{v:g}' for v in self.values)}".strip()


BLACK = Colour(GRAY, frozenset({"Black"}), False, (0.0,))


def colour(space: Space, values: Sequence[Any]) -> Colour:
    """The colour ``values`` select in ``space`` (see the module docstring for the rule)."""
    numbers = tuple(float(v) for v in values if isinstance(v, int | float))
    inks = inks_of(space, numbers)
    if space.converted:
        white = space.family == "rgb" and bool(numbers) and min(numbers) >= 1
    else:
        white = not inks and space.family not in ("pattern", "unknown")
    return Colour(space, inks, white, numbers)


def inks_of(space: Space, values: Sequence[float]) -> frozenset[str]:
    """The colorants the operand ``values`` put ink on, in ``space``."""
    family = space.family
    if family == "cmyk":
        return frozenset(n for n, v in zip(PROCESS, values, strict=False) if v > 0)
    if family == "gray":
        return frozenset({"Black"}) if values and values[0] < 1 else frozenset()
    if family in ("separation", "devicen"):
        return frozenset(
            n for n, v in zip(space.names, values, strict=False) if v > 0 and n != "None"
        )
    if space.converted and family != "indexed":
        return frozenset(PROCESS)
    if family == "indexed" and space.base is not None:
        return inks_of(space.base, _entry(space, values))
    if family == "pattern" and space.base is not None:
        return inks_of(space.base, values)
    return frozenset()


def _entry(space: Space, values: Sequence[float]) -> list[float]:
    """The base colour of an Indexed entry, scaled to 0..1 (tints and CMYK)."""
    assert space.base is not None
    n = space.base.components
    index = int(values[0]) if values else 0
    raw = space.lookup[index * n : (index + 1) * n]
    return [b / 255 for b in raw] if len(raw) == n else [1.0] * n


def resolve(obj: Any, resources: Any, depth: int = 0) -> Space:
    """The Space of a colour space operand or object; raises BadColourSpace."""
    if depth > MAX_SPACE_DEPTH:
        raise BadColourSpace("colour spaces nest too deep")
    if isinstance(obj, IndirectObject):
        obj = obj.get_object()
    if isinstance(obj, str):
        name = str(obj).lstrip("/")
        if name in _DEVICE:
            return Space(_DEVICE[name], label=name)
        if name == "Pattern":
            return Space("pattern", label="Pattern")
        named = _named_space(resources, name)
        if named is None:
            raise BadColourSpace(f"colour space /{name} is not in the resources")
        return resolve(named, resources, depth + 1)
    if isinstance(obj, list | ArrayObject) and obj:
        return _array_space(list(obj), resources, depth)
    raise BadColourSpace(f"colour space {str(obj)[:60]!r} is not a name or an array")


def _named_space(resources: Any, name: str) -> Any:
    try:
        spaces = resources["/ColorSpace"]
        return spaces[f"/{name}"] if f"/{name}" in spaces else None
    except (KeyError, TypeError, AttributeError):
        return None


def _array_space(items: list[Any], resources: Any, depth: int) -> Space:
    family = str(items[0]).lstrip("/")
    if family in _DEVICE or family == "Pattern" and len(items) == 1:
        return resolve(items[0], resources, depth + 1)
    if family == "ICCBased":
        return _icc(items[1], resources, depth)
    if family == "Separation":
        name = _text_name(items[1])
        return Space("separation", (name,), f"Separation {name}")
    if family == "DeviceN":
        names = tuple(_text_name(n) for n in _array(items[1]))
        return Space("devicen", names, f"DeviceN {' '.join(names)}")
    if family in ("Indexed", "I"):
        base = resolve(items[1], resources, depth + 1)
        return Space("indexed", label=f"Indexed {base.label}", base=base, lookup=_bytes(items[3]))
    if family == "Pattern":
        base = resolve(items[1], resources, depth + 1)
        return Space("pattern", label=f"Pattern {base.label}", base=base)
    raise BadColourSpace(f"unknown colour space family /{family}")


def _icc(stream: Any, resources: Any, depth: int) -> Space:
    stream = stream.get_object() if isinstance(stream, IndirectObject) else stream
    if not isinstance(stream, StreamObject):
        raise BadColourSpace("ICCBased colour space without its profile stream")
    count = stream.get("/N")
    family = {1: "gray", 3: "rgb", 4: "cmyk"}.get(int(count) if count is not None else 0)
    if family:
        return Space(family, label=f"ICCBased {family.upper()}")
    if "/Alternate" in stream:
        return resolve(stream["/Alternate"], resources, depth + 1)
    raise BadColourSpace(f"ICCBased colour space with /N {count!r}")


def _text_name(obj: Any) -> str:
    obj = obj.get_object() if isinstance(obj, IndirectObject) else obj
    return str(obj).lstrip("/")


def _array(obj: Any) -> list[Any]:
    obj = obj.get_object() if isinstance(obj, IndirectObject) else obj
    if not isinstance(obj, list | ArrayObject):
        raise BadColourSpace("DeviceN colorant names are not an array")
    return list(obj)


def _bytes(obj: Any) -> bytes:
    obj = obj.get_object() if isinstance(obj, IndirectObject) else obj
    if isinstance(obj, StreamObject):
        return bytes(obj.get_data())
    if hasattr(obj, "original_bytes"):
        return bytes(obj.original_bytes)
    if isinstance(obj, bytes | str):
        return obj.encode("latin-1", "replace") if isinstance(obj, str) else obj
    raise BadColourSpace("Indexed colour space without a lookup table")
