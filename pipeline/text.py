"""Text that came from outside shown safely: file names and the error output of programs.

A file name on the share is data a person chose (or an attacker did): a newline in it must not
start a forged log line, an ESC must not drive the operator's terminal, and bytes that are not
UTF-8 (read by Python as lone surrogates) must neither crash an encoder nor vanish. A program's
error output (Ghostscript's, a child process's) may echo what it read: masked and cut before
it reaches a warning, a page, an API answer or a log.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import PurePath

from pipeline.errors import mask_secrets

#: Characters of a program's error output kept for warnings and logs.
OUTSIDE_TEXT_CHARS = 300
#: Hex digits of the hash that keeps a shortened name unique and stable.
NAME_HASH_DIGITS = 10
#: C0 controls, DEL, C1 controls, the Unicode line and paragraph separators, the bidi
#: controls (marks, embeddings, overrides, isolates: U+202E turns ``fdp.exe`` around), and the
#: lone surrogates Python uses for bytes that are not UTF-8 (``surrogateescape``).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
#: The short escapes people know; anything else is ``\xNN`` or ``\uNNNN``.
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """``text`` with every control character escaped (``\\n``, ``\\x1b``, ``\\x7f``).

    A byte that was not UTF-8 (a lone surrogate ``\\udcNN``) is shown as the byte, ``\\xNN``.
    Printable text, Cyrillic included, is left as it is.
    """
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape of the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def is_utf8_name(name: str) -> bool:
    """True when ``name`` (as os.listdir gives it) was valid UTF-8 on the disk."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fit_name(name: str, max_bytes: int) -> str:
    """``name`` in at most ``max_bytes`` of UTF-8: unchanged when it fits, else its start, a
    ``~``, 10 hex digits of the sha256 of the whole name, and its extension. The same name
    always gives the same result, and two long names that differ anywhere differ here."""
    if len(name.encode("utf-8", "surrogateescape")) <= max_bytes:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
    suffix = PurePath(name).suffix if len(PurePath(name).suffix) <= 16 else ""
    tail = f"~{digest[:NAME_HASH_DIGITS]}{suffix}"
    stem = name[: len(name) - len(suffix)]
    while len(stem.encode("utf-8", "surrogateescape")) > max_bytes - len(tail.encode("utf-8")):
        stem = stem[:-1]
    return stem + tail


def outside_text(
    data: bytes | str, secrets: tuple[str, ...] = (), limit: int = OUTSIDE_TEXT_CHARS
) -> str:
    """A program's output as one safe line: decoded, secrets masked, controls escaped, cut.

    The end is kept (errors come last); ``...`` says something was cut.
    """
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = shown(mask_secrets(text.strip(), secrets))
    return text if len(text) <= limit else "..." + text[-limit:]


class OneLineRecord(logging.LogRecord):
    """A log record whose message is one line: control characters in the arguments (a file
    name with a newline) are escaped, so no log line can be forged. Tracebacks are added by
    the formatter after this and stay as they are."""

    def getMessage(self) -> str:  # noqa: N802 - the logging API's name
        return shown(super().getMessage())


def one_line_log_records() -> None:
    """Make every log record of this process (and of processes forked from it) one line."""
    if logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(OneLineRecord)
