"""A fast, lazy reader of content streams: ``(operands, operator)`` pairs, one at a time.

pypdf's ``ContentStream`` parses a whole stream before the first operator is seen (about 2 s
for a sheet of 20,000 vector objects, and no way to stop it halfway); this reader is a
generator driven by regular expressions, so the walker can check its budget between
operators and a page with a million operators costs only the part that was read.

Any byte string is read in time linear in its length: every pattern is possessive (no
quantifier can give back what it took, so no backtracking), nothing is searched again from
the same place, arrays and dictionaries nest at most ``MAX_DEPTH`` deep (deeper content is
skipped), and numbers of any length become floats rather than slow or failing ints.
Malformed syntax never raises: an unknown byte is skipped, an unclosed string or array ends
the stream.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from typing import Any

#: How deep arrays and dictionaries nest; what is deeper is skipped up to its closing bracket.
MAX_DEPTH = 64
#: Integers with more digits than this are read as floats (int() is slow on long digit
#: strings and refuses more than 4300 digits).
_INT_DIGITS = 18

_WS = rb"\x00\t\n\x0c\r "
_REGULAR = rb"[^\x00\t\n\x0c\r /\[\]()<>{}%]"
#: White space before a token (a comment is a token of its own, skipped by the readers: no
#: pattern here repeats a group that itself repeats).
_SKIP = rb"[\x00\t\n\x0c\r ]*+"
_NUMBER = rb"[+-]?+(?:\d++\.?+\d*+|\.\d++)"
#: After a token: white space, a delimiter or the end of the data.
_BOUNDARY = rb"(?=[\x00\t\n\x0c\r /\[\]()<>{}%]|\Z)"

#: One token: whitespace/comment (skipped), number, name, literal string without nested
#: parentheses, literal string start, dictionary or array delimiter, hex string, a keyword
#: (operator, true/false/null), or a stray byte.
_TOKEN = re.compile(
    _SKIP + rb"(?:(?P<num>" + _NUMBER + rb")(?!" + _REGULAR + rb")"
    rb"|/(?P<name>" + _REGULAR + rb"*+)"
    rb"|(?P<comment>%[^\r\n]*+)"
    rb"|\((?P<text>(?:[^()\\]|\\.)*+)\)"
    rb"|(?P<str>\()"
    rb"|(?P<open><<|\[|\{)"
    rb"|(?P<close>>>|\]|\})"
    rb"|<(?P<hex>[0-9A-Fa-f\x00\t\n\x0c\r ]*+)>"
    rb"|(?P<word>" + _REGULAR + rb"++)"
    rb"|(?P<junk>\)++|.))",
    re.S,
)
#: A whole operation of numbers and an alphabetic operator, e.g. ``0 0 0 1 k``, ``re``, ``f*``
#: (numbers separated by white space other than NUL, which ``bytes.split`` does not know; a
#: comment or a NUL among them leaves the operation to the token reader).
_OPERATION = re.compile(
    _SKIP + rb"([+\-.0-9\t\n\x0c\r ]*+)" rb"([A-Za-z][A-Za-z0-9]*+\*?+|'|\")" + _BOUNDARY
)
#: The white space that may end the numbers of a whole operation.
_SEPARATORS = frozenset(b"\t\n\x0c\r ")
#: Keywords the whole-operation path leaves to the token reader.
_NOT_SIMPLE = frozenset({b"BI", b"true", b"false", b"null", b"ID", b"EI"})
#: Keywords that are values, not operators.
_CONSTANTS: dict[bytes, Any] = {b"true": True, b"false": False, b"null": None}
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
#: The text of a literal string up to its next unescaped parenthesis (or the end).
_LITERAL_PART = re.compile(rb"(?:[^()\\]|\\.)*+", re.S)
_WHITE = frozenset(b"\x00\t\n\x0c\r ")

#: ``EI`` where the data of an inline image is expected to end: a little white space, then
#: ``EI`` followed by white space, a delimiter or the end.
_EI_AT = re.compile(rb"[\x00\t\n\x0c\r ]{0,64}+EI" + _BOUNDARY)
#: Any ``EI`` that may end an inline image's data, with or without white space before it.
_EI_ANYWHERE = re.compile(rb"EI" + _BOUNDARY)
#: How far after a candidate ``EI`` the content is checked: bytes, and tokens.
_CHECK_BYTES, _CHECK_TOKENS = 256, 8
#: The operators of PDF content streams (but ``ID`` and ``EI``, which cannot follow ``EI``).
_OPERATORS = frozenset(
    b"b B b* B* BDC BI BMC BT BX c cm CS cs d d0 d1 Do DP EMC ET EX f F f* G g gs h i j J "
    b"K k l m M MP n q Q re RG rg ri s S SC sc SCN scn sh T* Tc Td TD Tf Tj TJ TL Tm Tr Ts "
    b"Tw Tz v w W W* y ' \"".split()
)
#: Colour components of the colour spaces an inline image can name without resources.
_COMPONENTS = {
    "G": 1,
    "DeviceGray": 1,
    "CalGray": 1,
    "RGB": 3,
    "DeviceRGB": 3,
    "CalRGB": 3,
    "Lab": 3,
    "CMYK": 4,
    "DeviceCMYK": 4,
    "I": 1,
    "Indexed": 1,
    "Separation": 1,
}


class Name(str):
    """A PDF name, without its slash (``/Cyan`` -> ``Name("Cyan")``)."""


def operations(data: bytes) -> Iterator[tuple[list[Any], str]]:
    """Yield ``(operands, operator)``; inline images come as ``([settings_dict], "BI")``.

    Most operations of a busy sheet are numbers and an operator (``0.2 0.4 0 0 k``,
    ``10 20 30 40 re``): one regular expression takes such an operation whole (its numbers
    come as floats); anything else is read token by token.
    """
    pos, end = 0, len(data)
    fast = _OPERATION.match
    searched: list[int] = []  # see _search_ei
    while pos < end:
        whole = fast(data, pos)
        if whole is not None and whole.group(2) not in _NOT_SIMPLE:
            numbers = _numbers(whole.group(1))
            if numbers is not None:
                yield numbers, whole.group(2).decode()
                pos = whole.end()
                continue
        operands, word, pos = _operation(data, pos)
        if word is None:
            return
        if word == b"BI":
            image = _inline_image(data, pos, searched)
            if image is None:
                return
            settings, pos = image
            yield [settings], "BI"
        else:
            yield operands, word.decode("latin-1")


def _numbers(run: bytes) -> list[float] | None:
    """The numbers before a whole operation's operator, or None when the run of digits,
    signs, dots and white space is not numbers each followed by white space (the token
    reader then takes the operation). Within that alphabet ``float`` accepts exactly PDF's
    numbers (``5.``, ``.5``, ``+1``) and refuses the rest (``-``, ``.``, ``1.2.3``, ``1-2``)."""
    if run and run[-1] not in _SEPARATORS:
        return None
    try:
        return list(map(float, run.split()))
    except ValueError:
        return None


def _operation(data: bytes, pos: int) -> tuple[list[Any], bytes | None, int]:
    """The operands from ``pos`` up to the next keyword, the keyword (None at the end of the
    data) and the position after it."""
    operands: list[Any] = []
    stack: list[list[Any]] = []
    skipped = 0  # brackets open beyond MAX_DEPTH: their content is dropped
    match = _TOKEN.match
    while True:
        token = match(data, pos)
        if token is None:
            return operands, None, len(data)
        pos = token.end()
        kind = token.lastgroup
        if skipped:
            if kind == "open":
                skipped += 1
            elif kind == "close":
                skipped -= 1
            elif kind == "str":
                pos = _literal(data, pos)[1]
            continue
        if kind == "num":
            value: Any = _number(token.group(kind))
        elif kind == "word":
            word = token.group(kind)
            if word in _CONSTANTS:
                value = _CONSTANTS[word]
            elif stack:
                continue  # an operator inside an array is malformed: skip it
            else:
                return operands, word, pos
        elif kind == "name":
            value = _name(token.group(kind))
        elif kind == "text":
            value = token.group(kind)
        elif kind == "str":  # a string with nested parentheses
            value, pos = _literal(data, pos)
        elif kind == "hex":
            value = _hex(token.group(kind))
        elif kind == "open":
            if len(stack) < MAX_DEPTH:
                stack.append([token.group(kind)])
            else:
                skipped = 1
            continue
        elif kind == "close":
            if not stack:
                continue
            opened = stack.pop()
            value = _dict(opened[1:]) if opened[0] == b"<<" else opened[1:]
        else:
            continue  # a stray byte
        (stack[-1] if stack else operands).append(value)


def _number(text: bytes) -> int | float:
    if b"." in text or len(text) > _INT_DIGITS:
        return float(text)  # inf when it is too large: the walker copes with that
    return int(text)


def _name(raw: bytes) -> Name:
    if b"#" in raw:
        raw = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
    return Name(raw.decode("utf-8", "replace"))


def _hex(raw: bytes) -> bytes:
    digits = raw.translate(None, b"\x00\t\n\x0c\r ")
    return binascii.unhexlify(digits + b"0" * (len(digits) % 2))


def _dict(items: list[Any]) -> dict[str, Any]:
    return {
        str(items[i]): items[i + 1]
        for i in range(0, len(items) - 1, 2)
        if isinstance(items[i], Name)
    }


def _literal(data: bytes, pos: int) -> tuple[bytes, int]:
    """The bytes of a literal string whose ``(`` ends at ``pos`` (nesting and escapes kept)."""
    depth, start, end = 1, pos, len(data)
    part = _LITERAL_PART.match
    while True:
        pos = part(data, pos).end()  # type: ignore[union-attr]  # it matches the empty string
        if pos >= end:
            break
        byte = data[pos]
        if byte == 0x28:
            depth += 1
        elif byte == 0x29:
            depth -= 1
            if depth == 0:
                return data[start:pos], pos + 1
        else:
            break  # a backslash, the last byte
        pos += 1
    return data[start:], end


# --- inline images ---------------------------------------------------------------------------


def _inline_image(data: bytes, pos: int, searched: list[int]) -> tuple[dict[str, Any], int] | None:
    """The settings of an inline image whose ``BI`` ends at ``pos`` and the position after
    its ``EI``; None if there is no ``ID`` (the rest of the data is not content)."""
    while True:  # as before the operators: a keyword other than ID drops what came before it
        items, word, pos = _operation(data, pos)
        if word is None:
            return None
        if word == b"ID":
            break
    settings = _dict(items)
    if pos < len(data) and data[pos] in _WHITE:
        pos += 1  # the one white-space byte after ID
    return settings, _image_end(data, pos, settings, searched)


def _image_end(data: bytes, start: int, settings: dict[str, Any], searched: list[int]) -> int:
    """The position after the ``EI`` of an inline image whose data begins at ``start``.

    1. ``/L`` (``/Length``) gives the length of the data: ``EI`` must follow it;
    2. unfiltered data has a length the settings give (rows x bytes per row): likewise;
    3. otherwise the first ``EI`` after which the content reads as content.
    """
    end = len(data)
    length = _setting(settings, "L", "Length")
    if _count(length) and length <= end - start:
        found = _EI_AT.match(data, start + length)
        if found is not None:
            return found.end()
    size = _raw_size(settings)
    if size is not None:
        found = _EI_AT.match(data, start + min(size, end - start))
        if found is not None:
            return found.end()
    return _search_ei(data, start, searched)


def _search_ei(data: bytes, start: int, searched: list[int]) -> int:
    """The end of the first ``EI`` from ``start`` after which the content looks right, else of
    the first ``EI`` at all, else the end of the data.

    Whether an ``EI`` looks right does not depend on where the search began, so once a
    search has found none up to the end of the data (``searched`` holds where it began),
    later searches from further on take the first ``EI`` without checking again: each byte
    is searched once.
    """
    first = _EI_ANYWHERE.search(data, start)
    if first is None:
        return len(data)
    if searched and start >= searched[0]:
        return first.end()
    found: re.Match[bytes] | None = first
    while found is not None:
        if _looks_like_content(data, found.end()):
            return found.end()
        found = _EI_ANYWHERE.search(data, found.end())
    searched[:] = [start]
    return first.end()


def _looks_like_content(data: bytes, pos: int) -> bool:
    """Whether the few tokens from ``pos`` read as content: operands and a PDF operator,
    white space up to the end of the data, or nothing that says otherwise."""
    end = len(data)
    limit = min(pos + _CHECK_BYTES, end)
    match = _TOKEN.match
    for _ in range(_CHECK_TOKENS):
        token = match(data, pos, limit)
        if token is None:
            return True  # only white space up to the end of the data or of the window
        kind = token.lastgroup
        if kind == "word":
            word = token.group(kind)
            if word not in _CONSTANTS:  # a keyword cut by the window's end is undecided
                return word in _OPERATORS or (token.end() == limit < end)
        elif kind == "junk":  # ")" or ">" cannot be content; "<" may be a hex string cut short
            return token.group(kind) == b"<" and limit < end
        elif kind == "str":
            return True  # a string with nested parentheses: an operand
        pos = token.end()
    return True


def _setting(settings: dict[str, Any], short: str, full: str) -> Any:
    return settings[short] if short in settings else settings.get(full)


def _count(value: Any) -> bool:
    """A non-negative int (not a bool)."""
    return type(value) is int and value >= 0


def _raw_size(settings: dict[str, Any]) -> int | None:
    """The length of an unfiltered inline image's data from its settings, or None."""
    if _setting(settings, "F", "Filter") not in (None, []):
        return None
    width, height = _setting(settings, "W", "Width"), _setting(settings, "H", "Height")
    if not (_count(width) and _count(height)):
        return None
    bits: Any = 1
    components: int | None = 1
    if _setting(settings, "IM", "ImageMask") is not True:
        bits = _setting(settings, "BPC", "BitsPerComponent")
        components = _components(_setting(settings, "CS", "ColorSpace"))
        if not _count(bits) or components is None:
            return None
    return height * ((width * bits * components + 7) // 8)


def _components(space: Any) -> int | None:
    """Colour components of an inline image's colour space; None for a named resource (its
    definition is not at hand) or anything unreadable."""
    if isinstance(space, list) and space and isinstance(space[0], Name):
        if space[0] == "DeviceN" and len(space) > 1 and isinstance(space[1], list):
            return len(space[1]) or None
        return _COMPONENTS.get(space[0])
    if isinstance(space, Name):
        return _COMPONENTS.get(space)
    return None
