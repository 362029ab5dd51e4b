"""A fast, lazy reader of content streams: ``(operands, operator)`` pairs, one at a time.

pypdf's ``ContentStream`` parses a whole stream before the first operator is seen (about 2 s
for a sheet of 20,000 vector objects, and no way to stop it halfway); this reader is a
generator driven by one regular expression, so the walker can check its budget between
operators and a page with a million operators costs only the part that was read. Malformed
syntax never raises: an unknown byte is skipped, an unclosed string or array ends the stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

#: One token: whitespace/comment (skipped), number, name, literal string start, hex string,
#: dictionary or array delimiter, or a keyword (operator, true/false/null).
_TOKEN = re.compile(
    rb"(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)*"
    rb"(?:(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))(?![^\x00\t\n\x0c\r /\[\]()<>{}%])"
    rb"|/(?P<name>[^\x00\t\n\x0c\r /\[\]()<>{}%]*)"
    rb"|\((?P<text>(?:[^()\\]|\\.)*)\)"
    rb"|(?P<str>\()"
    rb"|(?P<open><<|\[|\{)"
    rb"|(?P<close>>>|\]|\})"
    rb"|<(?P<hex>[0-9A-Fa-f\x00\t\n\x0c\r ]*)>"
    rb"|(?P<word>[^\x00\t\n\x0c\r /\[\]()<>{}%]+)"
    rb"|(?P<junk>.))",
    re.S,
)
#: Start of inline image data: the ``ID`` keyword between white space.
_INLINE_ID = re.compile(rb"[\x00\t\n\x0c\r ]ID[\x00\t\n\x0c\r ]")
#: A whole operation of numbers and an alphabetic operator, e.g. ``0 0 0 1 k``, ``re``, ``f*``.
_OPERATION = re.compile(
    rb"(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)*"
    rb"((?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)+)*)"
    rb"([A-Za-z][A-Za-z0-9]*\*?|'|\")(?=[\x00\t\n\x0c\r /\[\]()<>{}%]|$)"
)
#: Keywords the whole-operation path leaves to the token reader.
_NOT_SIMPLE = frozenset({b"BI", b"true", b"false", b"null", b"ID", b"EI"})
#: End of inline image data: ``EI`` after white space, followed by white space or the end.
_INLINE_END = re.compile(rb"[\x00\t\n\x0c\r ]EI(?=[\x00\t\n\x0c\r ]|$)")
#: Keywords that are values, not operators.
_CONSTANTS: dict[bytes, Any] = {b"true": True, b"false": False, b"null": None}
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


class Name(str):
    """A PDF name, without its slash (``/Cyan`` -> ``Name("Cyan")``)."""


def operations(data: bytes) -> Iterator[tuple[list[Any], str]]:
    """Yield ``(operands, operator)``; inline images come as ``([settings_dict], "BI")``.

    Most operations of a busy sheet are numbers and an operator (``0.2 0.4 0 0 k``,
    ``10 20 30 40 re``): one regular expression takes such an operation whole (its numbers
    come as floats); anything else is read token by token.
    """
    pos, end = 0, len(data)
    operands: list[Any] = []
    stack: list[list[Any]] = []
    fast, match = _OPERATION.match, _TOKEN.match
    while pos < end:
        if not operands and not stack:
            whole = fast(data, pos)
            if whole is not None and whole.group(2) not in _NOT_SIMPLE:
                yield list(map(float, whole.group(1).split())), whole.group(2).decode()
                pos = whole.end()
                continue
        token = match(data, pos)
        if token is None:
            return
        pos = token.end()
        kind = token.lastgroup
        if kind == "num":
            value: Any = _number(token.group("num"))
        elif kind == "word":
            word = token.group("word")
            if word in _CONSTANTS:
                value = _CONSTANTS[word]
            elif stack:
                continue  # an operator inside an array is malformed: skip it
            elif word == b"BI":
                settings, pos = _inline_image(data, pos)
                yield [settings], "BI"
                operands = []
                continue
            else:
                yield operands, word.decode("latin-1")
                operands = []
                continue
        elif kind == "name":
            value = _name(token.group("name"))
        elif kind == "text":
            value = token.group("text")
        elif kind == "str":  # a string with nested parentheses
            value, pos = _literal(data, pos)
        elif kind == "hex":
            digits = re.sub(rb"\s", b"", token.group("hex"))
            value = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
        elif kind == "open":
            stack.append([token.group("open")])
            continue
        elif kind == "close":
            if not stack:
                continue
            opened = stack.pop()
            value = _dict(opened[1:]) if opened[0] == b"<<" else opened[1:]
        else:
            continue  # white space at the end, or a stray byte
        (stack[-1] if stack else operands).append(value)


def _number(text: bytes) -> int | float:
    return float(text) if b"." in text else int(text)


def _name(raw: bytes) -> Name:
    if b"#" in raw:
        raw = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
    return Name(raw.decode("utf-8", "replace"))


def _dict(items: list[Any]) -> dict[str, Any]:
    return {
        str(items[i]): items[i + 1]
        for i in range(0, len(items) - 1, 2)
        if isinstance(items[i], Name)
    }


def _literal(data: bytes, pos: int) -> tuple[bytes, int]:
    """The bytes of a literal string whose ``(`` ends at ``pos`` (nesting and escapes kept)."""
    depth, start, end = 1, pos, len(data)
    while pos < end:
        byte = data[pos]
        if byte == 0x5C:  # backslash: the next byte is escaped
            pos += 2
            continue
        if byte == 0x28:
            depth += 1
        elif byte == 0x29:
            depth -= 1
            if depth == 0:
                return data[start:pos], pos + 1
        pos += 1
    return data[start:], end


def _inline_image(data: bytes, pos: int) -> tuple[dict[str, Any], int]:
    """The settings of an inline image (``BI ... ID``) and the position after its ``EI``."""
    found = _INLINE_ID.search(data, pos)
    if found is None:
        return {}, len(data)
    items: list[Any] = []
    for operands, _ in operations(data[pos : found.start()] + b" ID"):
        items = operands
    end = _INLINE_END.search(data, found.end() - 1)
    return _dict(items), (end.end() if end else len(data))
