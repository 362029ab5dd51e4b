"""The colour family of JPEG 2000 (JPXDecode) image data that names no /ColorSpace.

:func:`jpx_family` reads only the first :data:`HEAD_BYTES` of the encoded data:

- a JP2/JPX file (it begins with the signature box): the top-level boxes are walked to the
  header box ``jp2h``; its first ``colr`` box that says something decides (method 1: the
  enumerated colour space; methods 2 and 3: the ICC profile's colour space signature), else
  the image header ``ihdr``'s number of components (1 gray, 3 RGB, 4 CMYK); with neither,
  a contiguous codestream box ``jp2c`` that starts within the head is read as below;
- a bare codestream (SOC then SIZ): the SIZ segment's number of components (1, 3, 4), as
  ISO 32000 tells a reader to take them.

Box lengths are validated (0: to the end, 1: a 64-bit length follows, under 8: broken), the
walk is linear and bounded (the head holds at most ``HEAD_BYTES // 8`` boxes), and anything
unreadable answers None (unknown). Never raises.
"""

from __future__ import annotations

import struct

#: Bytes of the data read at most.
HEAD_BYTES = 64 * 1024
#: The JP2 signature box: length 12, type 'jP  ', content CR LF 0x87 LF.
SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
#: A codestream starts with SOC and the SIZ marker.
CODESTREAM = b"\xff\x4f\xff\x51"

#: Enumerated colour spaces of a ``colr`` box (ISO 15444-1 and -2) and their family.
ENUMERATED = {
    0: "gray",  # bi-level
    1: "rgb",  # YCbCr(1)
    3: "rgb",  # YCbCr(2)
    4: "rgb",  # YCbCr(3)
    9: "rgb",  # PhotoYCC
    11: "cmyk",  # CMY: process inks without black
    12: "cmyk",
    13: "cmyk",  # YCCK
    14: "lab",  # CIELab
    15: "gray",  # bi-level(2)
    16: "rgb",  # sRGB
    17: "gray",  # greyscale
    18: "rgb",  # sYCC
    19: "lab",  # CIEJab
    20: "rgb",  # e-sRGB
    21: "rgb",  # ROMM-RGB
    22: "rgb",  # YPbPr(1125/60)
    23: "rgb",  # YPbPr(1250/50)
    24: "rgb",  # e-sYCC
}
#: An ICC profile's colour space signature (header bytes 16..20) and its family.
ICC_SPACES = {
    b"RGB ": "rgb",
    b"GRAY": "gray",
    b"CMYK": "cmyk",
    b"CMY ": "cmyk",
    b"Lab ": "lab",
    b"XYZ ": "lab",
    b"YCbr": "rgb",
}
#: Number of components and its family when nothing else says.
COMPONENTS = {1: "gray", 3: "rgb", 4: "cmyk"}


def jpx_family(data: bytes) -> str | None:
    """ "gray", "rgb", "cmyk" or "lab" for JPX data, None when it cannot be told."""
    try:
        head = bytes(data[:HEAD_BYTES])
        if head.startswith(SIGNATURE):
            return _jp2_family(head)
        if head.startswith(CODESTREAM):
            return _codestream_family(head)
    except Exception:  # noqa: BLE001, S110 - hostile data answers unknown, never raises
        pass
    return None


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """``(type, content start, content end)`` of the boxes in ``data[start:end]``; a box whose
    end lies past ``end`` is cut there and ends the walk, a broken length ends it too."""
    found: list[tuple[bytes, int, int]] = []
    position = start
    while position + 8 <= end:
        length, kind = struct.unpack_from(">I4s", data, position)
        content = position + 8
        if length == 1:
            if content + 8 > end:
                break
            (length,) = struct.unpack_from(">Q", data, content)
            content += 8
            if length < 16:
                break
        elif length == 0:
            length = end - position
        elif length < 8:
            break
        box_end = position + length
        found.append((kind, content, min(box_end, end)))
        if box_end >= end:
            break
        position = box_end
    return found


def _jp2_family(data: bytes) -> str | None:
    components: int | None = None
    for kind, start, end in _boxes(data, 0, len(data)):
        if kind == b"jp2h":
            for inner, inner_start, inner_end in _boxes(data, start, end):
                if inner == b"colr":
                    family = _colr_family(data[inner_start:inner_end])
                    if family is not None:
                        return family
                elif inner == b"ihdr" and inner_end - inner_start >= 10 and components is None:
                    (components,) = struct.unpack_from(">H", data, inner_start + 8)
            if components is not None:
                return COMPONENTS.get(components)
        elif kind == b"jp2c":
            return _codestream_family(data[start:end])
    return COMPONENTS.get(components) if components is not None else None


def _colr_family(box: bytes) -> str | None:
    if len(box) < 3:
        return None
    method = box[0]
    if method == 1 and len(box) >= 7:
        (space,) = struct.unpack_from(">I", box, 3)
        return ENUMERATED.get(space)
    if method in (2, 3) and len(box) >= 3 + 20:
        return ICC_SPACES.get(box[3 + 16 : 3 + 20])
    return None


def _codestream_family(data: bytes) -> str | None:
    """The family from a codestream's SIZ segment: Csiz components."""
    if not data.startswith(CODESTREAM) or len(data) < 42:
        return None
    (segment_length,) = struct.unpack_from(">H", data, 4)
    (components,) = struct.unpack_from(">H", data, 40)
    if segment_length != 38 + 3 * components:
        return None
    return COMPONENTS.get(components)
