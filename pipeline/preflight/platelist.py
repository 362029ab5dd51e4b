"""The page's Signa colorant list as the bureau will read it: one name, one plate bought.

:func:`plate_list_findings` reads ``/PieceInfo/HDAG_COLORANT/Private/HDAG_ColorantNames``
itself (not the names analysis kept) and reports what would make the plate count wrong:

- ``plate_list_missing``: no list (a file Signa did not make), or an empty one;
- ``plates_over_limit``: more entries than ``max_plates``;
- ``colorant_unreadable``: the list is not an array, or an entry is not a PDF name (Signa
  writes names only; a number, a dictionary or a string is exposed as nobody knows what);
- ``spot_duplicate``: two listed names denote one ink: the same text after Unicode NFKC,
  case folding and collapsed spaces (and Latin look-alikes of Cyrillic and Greek letters);
  the same PANTONE-style colour with another book suffix (``PANTONE 185 C`` and
  ``PANTONE 185 CV``); or two Separation colour spaces of the page (and of its forms, one
  level deep) with the same alternate space and tint transform (not one that gives no colour
  at full tint: technical separations share that).

Whatever the page holds (reference loops, a million entries, odd types), it answers findings
and never raises. Text from the file is put into messages as it is: nothing is formatted with
it and nothing is escaped here (the presentation escapes).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
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
    StreamObject,
    TextStringObject,
)

from pipeline.config.preflight import PreflightSettings
from pipeline.preflight.findings import Finding

#: The keys from the page to the colorant list.
LIST_PATH = ("/PieceInfo", "/HDAG_COLORANT", "/Private", "/HDAG_ColorantNames")
#: At most this many entries of one list are read (a hostile list can hold millions).
MAX_ENTRIES = 10_000
#: At most this many names (or entries, or pages) are named in one message.
MAX_SHOWN = 10
#: A name longer than this is cut in messages.
MAX_NAME_CHARS = 80
#: Indirect references followed in a row before an object counts as unreadable (a loop).
MAX_HOPS = 16
#: Colour spaces examined per resource dictionary, and forms examined per page.
MAX_SPACES = 512
MAX_FORMS = 256
#: Nesting depth and objects visited when comparing one tint transform or alternate space.
MAX_DEPTH = 12
MAX_NODES = 4_000
#: Decoded bytes of a function or ICC stream compared (more: the rest is not compared, but the
#: raw length is).
MAX_STREAM_BYTES = 1 << 20
#: PANTONE-style colour book suffixes: the same ink printed on another stock or shown on screen.
BOOK_SUFFIXES = frozenset(
    {
        "c",
        "u",
        "m",
        "cv",
        "cvc",
        "cvu",
        "cvp",
        "cp",
        "up",
        "pc",
        "ec",
        "xgc",
        "tcx",
        "tpx",
        "tpg",
        "tn",
    }
)
#: Cyrillic and Greek letters drawn like a Latin one (after case folding): a name typed on the
#: other keyboard layout is the same ink to the person who typed it.
LOOK_ALIKES = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "α": "a",
        "β": "b",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
    }
)
_DIGIT = re.compile(r"\d")
#: Where a name stops being what a person reads (a Cyrillic name's suffix is Latin too).
_SPACES = re.compile(r"\s+")
#: The advice of a duplicate finding.
MERGE = " Merge them in Signa (or in the placed file's colour settings)."
#: Small counts in words, as a person writes them in a message.
WORDS = {2: "two", 3: "three", 4: "four"}
#: A stand-in that never equals anything: what could not be compared is never a duplicate.
_Unequal = object


def plate_list_findings(
    page: DictionaryObject, number: int, settings: PreflightSettings
) -> list[Finding]:
    """The colorant list findings of page ``number``; ``off`` codes are left out.

    Never raises: a list that cannot be read at all is one ``colorant_unreadable`` finding."""
    try:
        found = _findings(page, number, settings)
    except Exception as exc:  # noqa: BLE001 - whatever the page holds, preflight answers
        found = [
            _finding(
                settings,
                "colorant_unreadable",
                number,
                None,
                f"page {number}: the Signa colorant list cannot be read "
                f"({type(exc).__name__}): what the bureau exposes is unknown. Check the "
                f"separations by hand.",
            )
        ]
    return [f for f in found if f.severity != "off"]


def collapse_missing(findings: Sequence[Finding]) -> list[Finding]:
    """``findings`` with the pages' ``plate_list_missing`` made one finding naming the pages
    (at the place of the first), when more than one page has it; the others as they are."""
    missing = [f for f in findings if f.code == "plate_list_missing"]
    if len(missing) < 2:
        return list(findings)
    pages = [f.page for f in missing if f.page is not None]
    one = Finding(
        "plate_list_missing",
        missing[0].severity,
        None,
        None,
        None,
        f"{_pages(pages)}: no Signa colorant list (/PieceInfo/HDAG_COLORANT): the plates "
        f"cannot be checked against the content or counted; check the separations by hand.",
        float(len(pages)),
    )
    out: list[Finding] = []
    for finding in findings:
        if finding is missing[0]:
            out.append(one)
        elif finding.code != "plate_list_missing":
            out.append(finding)
    return out


# --- reading the list -----------------------------------------------------------------------


def _findings(page: DictionaryObject, number: int, settings: PreflightSettings) -> list[Finding]:
    present, listed = _raw_list(page)
    if not present:
        return [_missing(settings, number, "no Signa colorant list (/PieceInfo/HDAG_COLORANT)")]
    if not isinstance(listed, ArrayObject):
        return [
            _finding(
                settings,
                "colorant_unreadable",
                number,
                None,
                f"page {number}: the Signa colorant list is {_kind(listed)}, not a list of "
                f"names: what the bureau exposes is unknown and the plates cannot be counted. "
                f"Export the job from Signa again.",
            )
        ]
    total = len(listed)
    if total == 0:
        return [_missing(settings, number, "the Signa colorant list is empty")]
    names: list[str] = []
    bad: list[tuple[int, str]] = []
    for index in range(min(total, MAX_ENTRIES)):
        entry = _resolve(listed[index])
        if isinstance(entry, NameObject):
            names.append(str(entry)[1:])
        else:
            bad.append((index + 1, _kind(entry)))
    found: list[Finding] = []
    if total > settings.max_plates:
        found.append(_over_limit(settings, number, total, names))
    if bad:
        found.append(_unreadable_entries(settings, number, bad, total))
    if settings.enabled("spot_duplicate"):
        found += _duplicates(page, number, names, settings)
    return found


def _raw_list(page: Any) -> tuple[bool, Any]:
    """(whether the page has the list's key, its resolved value)."""
    node = page
    for key in LIST_PATH:
        node = _resolve(node)
        if not isinstance(node, DictionaryObject) or key not in node:
            return False, None
        node = node.raw_get(key)
    return True, _resolve(node)


def _resolve(obj: Any) -> Any:
    """The object a chain of references leads to; a loop or a dangling one gives None."""
    for _ in range(MAX_HOPS):
        if not isinstance(obj, IndirectObject):
            return obj
        obj = obj.get_object()
    return None if isinstance(obj, IndirectObject) else obj


def _kind(obj: Any) -> str:
    """What a non-name entry is, as a person says it (with its value when short)."""
    if obj is None or isinstance(obj, NullObject):
        return "null (or a reference that leads nowhere)"
    if isinstance(obj, BooleanObject):
        return f"a boolean ({'true' if obj else 'false'})"
    if isinstance(obj, NumberObject | FloatObject | int | float):
        return f"a number ({_cut(str(obj))})"
    if isinstance(obj, TextStringObject | ByteStringObject | str | bytes):
        text = obj if isinstance(obj, str) else repr(bytes(obj))
        return f"a string ({_cut(text)}), not a name"
    if isinstance(obj, StreamObject):
        return "a stream"
    if isinstance(obj, DictionaryObject):
        return "a dictionary"
    if isinstance(obj, ArrayObject):
        return "a list"
    return f"a {type(obj).__name__}"


# --- the findings ---------------------------------------------------------------------------


def _finding(
    settings: PreflightSettings,
    code: str,
    number: int,
    obj: str | None,
    message: str,
    value: float | None = None,
) -> Finding:
    return Finding(code, settings.severity_of(code), number, obj, None, message, value)


def _missing(settings: PreflightSettings, number: int, what: str) -> Finding:
    return _finding(
        settings,
        "plate_list_missing",
        number,
        None,
        f"page {number}: {what}: the plates cannot be checked against the content or "
        f"counted; check the separations by hand.",
    )


def _over_limit(
    settings: PreflightSettings, number: int, total: int, names: Sequence[str]
) -> Finding:
    shown = _listing(names, total)
    return _finding(
        settings,
        "plates_over_limit",
        number,
        None,
        f"page {number}: the colorant list has {total} separations, more than max_plates = "
        f"{settings.max_plates} ({shown}): {total} plates for one sheet side. The plate count "
        f"is not believed until a person approves the job; check the separations in Signa.",
        float(total),
    )


def _unreadable_entries(
    settings: PreflightSettings, number: int, bad: Sequence[tuple[int, str]], total: int
) -> Finding:
    shown = "; ".join(f"entry {index} is {kind}" for index, kind in bad[:MAX_SHOWN])
    more = f"; and {len(bad) - MAX_SHOWN} more" if len(bad) > MAX_SHOWN else ""
    checked = f" (of the first {MAX_ENTRIES} entries)" if total > MAX_ENTRIES else ""
    return _finding(
        settings,
        "colorant_unreadable",
        number,
        None,
        f"page {number}: {len(bad)} entries of the colorant list are not colour names"
        f"{checked} ({shown}{more}): what the bureau exposes for them is unknown and they are "
        f"not counted as plates. Export the job from Signa again.",
        float(len(bad)),
    )


def _duplicate(settings: PreflightSettings, number: int, names: Sequence[str], why: str) -> Finding:
    first, plates = names[0], WORDS.get(len(names), str(len(names)))
    if len(set(names)) == 1:
        said = f"{_cut(first)} is listed {plates} times: {plates} plates for one ink."
    else:
        said = (
            f"{_and(names)} are one ink listed {'twice' if len(names) == 2 else 'several times'}"
            f"{why}: {plates} plates for one ink."
        )
    return _finding(
        settings, "spot_duplicate", number, names[1], f"page {number}: {said}{MERGE}", None
    )


def _listing(names: Sequence[str], total: int) -> str:
    shown = ", ".join(_cut(n) for n in names[:MAX_SHOWN])
    rest = total - min(len(names), MAX_SHOWN)
    if not shown:
        return "none of them a name"
    return f"{shown} and {rest} more" if rest > 0 else shown


def _and(names: Sequence[str]) -> str:
    shown = [_cut(n) for n in names[:MAX_SHOWN]]
    if len(names) > MAX_SHOWN:
        return ", ".join(shown) + f" and {len(names) - MAX_SHOWN} more"
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_NAME_CHARS else text[: MAX_NAME_CHARS - 1] + "…"


def _pages(pages: Sequence[int]) -> str:
    shown = ", ".join(map(str, pages[:MAX_SHOWN]))
    more = f" and {len(pages) - MAX_SHOWN} more" if len(pages) > MAX_SHOWN else ""
    return f"pages {shown}{more}"


# --- one ink under two names ----------------------------------------------------------------


def ink_key(name: str) -> str:
    """What a person reads in a colour name: NFKC, case folded, spaces collapsed, Latin
    look-alike letters as Latin."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(_SPACES.split(text.translate(LOOK_ALIKES))).strip()


def book_key(key: str) -> str:
    """:func:`ink_key` without a trailing colour book suffix (``pantone 185 cv`` ->
    ``pantone 185``), for names with a number or starting with PANTONE only: ``cyan u`` stays."""
    stem, _, suffix = key.rpartition(" ")
    if stem and suffix in BOOK_SUFFIXES and (_DIGIT.search(stem) or stem.startswith("pantone")):
        return stem
    return key


def _duplicates(
    page: DictionaryObject, number: int, names: Sequence[str], settings: PreflightSettings
) -> list[Finding]:
    groups = _groups(names)
    same: list[tuple[list[str], str]] = [(g, _why(g)) for g in groups if len(g) > 1]
    first_of = {book_key(ink_key(g[0])): g[0] for g in groups}
    by_look: dict[Any, list[str]] = {}
    for name, look in _separations(page, set(names)).items():
        by_look.setdefault(look, []).append(name)
    for alike in by_look.values():
        inks = list(dict.fromkeys(first_of[book_key(ink_key(n))] for n in alike))
        if len(inks) > 1:
            same.append((inks, " (their Separation colour spaces define the same colour)"))
    found = [_duplicate(settings, number, group, why) for group, why in same[:MAX_SHOWN]]
    if len(same) > MAX_SHOWN:
        found.append(
            _finding(
                settings,
                "spot_duplicate",
                number,
                None,
                f"page {number}: {len(same) - MAX_SHOWN} more inks are listed under several "
                f"names.{MERGE}",
                float(len(same) - MAX_SHOWN),
            )
        )
    return found


def _groups(names: Iterable[str]) -> list[list[str]]:
    """The names in groups of one ink (:func:`book_key` of :func:`ink_key`), in list order."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(book_key(ink_key(name)), []).append(name)
    return list(groups.values())


def _why(group: Sequence[str]) -> str:
    """Why names that differ are one ink, when the reader cannot see it."""
    if len(set(group)) == 1:
        return ""
    if len({unicodedata.normalize("NFKC", n) for n in group}) == 1:
        return " (they look the same but are written with different Unicode characters)"
    folded = {" ".join(unicodedata.normalize("NFKC", n).casefold().split()) for n in group}
    if len({ink_key(n) for n in group}) < len(folded):
        return " (some letters are Cyrillic or Greek look-alikes of Latin ones)"
    return ""


def _separations(page: DictionaryObject, listed: set[str]) -> dict[str, Any]:
    """{listed name: canonical (alternate, tint transform)} of the page's Separation spaces,
    the page's own and its forms' (one level deep); the first definition of a name wins."""
    found: dict[str, Any] = {}
    resources = _resolve(page.raw_get("/Resources")) if "/Resources" in page else None
    dictionaries = [resources]
    xobjects = _entry(resources, "/XObject")
    if isinstance(xobjects, DictionaryObject):
        for key in list(xobjects.keys())[:MAX_FORMS]:
            form = _resolve(xobjects.raw_get(key))
            if isinstance(form, StreamObject) and form.get("/Subtype") == "/Form":
                dictionaries.append(_entry(form, "/Resources"))
    for dictionary in dictionaries:
        spaces = _entry(dictionary, "/ColorSpace")
        if not isinstance(spaces, DictionaryObject):
            continue
        for key in list(spaces.keys())[:MAX_SPACES]:
            space = _resolve(spaces.raw_get(key))
            if (
                not isinstance(space, ArrayObject)
                or len(space) < 4
                or _resolve(space[0]) != "/Separation"
            ):
                continue
            name = _resolve(space[1])
            if not isinstance(name, NameObject) or str(name)[1:] not in listed:
                continue
            if _no_colour(space[3]):
                continue
            found.setdefault(str(name)[1:], _look(space[2], space[3]))
    return found


def _no_colour(transform: Any) -> bool:
    """A tint transform that gives no colour at full tint (a type 2 function whose ``C1`` is
    all zeros): technical separations (varnish, die line, white) are often defined so, and
    sharing it does not make two of them one ink."""
    function = _resolve(transform)
    if not isinstance(function, DictionaryObject) or _resolve(function.get("/FunctionType")) != 2:
        return False
    full = _resolve(function.get("/C1"))
    if not isinstance(full, ArrayObject) or not full:
        return False
    values = [_resolve(v) for v in full[:32]]
    return all(isinstance(v, int | float) and float(v) == 0 for v in values)


def _entry(dictionary: Any, key: str) -> Any:
    if not isinstance(dictionary, DictionaryObject) or key not in dictionary:
        return None
    return _resolve(dictionary.raw_get(key))


def _look(alternate: Any, transform: Any) -> Any:
    """A hashable canonical form of a Separation's alternate space and tint transform; what
    cannot be read whole (too deep, too many objects) is unequal to everything."""
    budget = [MAX_NODES]
    try:
        return (_canon(alternate, 0, budget), _canon(transform, 0, budget))
    except _TooMuch:
        return _Unequal()


class _TooMuch(Exception):
    """A tint transform too deep or too large to compare."""


def _canon(obj: Any, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        raise _TooMuch
    obj = _resolve(obj)
    if obj is None or isinstance(obj, NullObject):
        return ("null",)
    if isinstance(obj, BooleanObject):
        return ("bool", bool(obj))
    if isinstance(obj, NameObject):
        return ("name", str(obj))
    if isinstance(obj, NumberObject | FloatObject | int | float):
        return ("num", round(float(obj), 6))
    if isinstance(obj, TextStringObject | ByteStringObject | str | bytes):
        return ("str", obj if isinstance(obj, str) else bytes(obj))
    if isinstance(obj, ArrayObject):
        return ("array", tuple(_canon(item, depth + 1, budget) for item in obj))
    if isinstance(obj, DictionaryObject):
        skip = ("/Length", "/Filter", "/DecodeParms") if isinstance(obj, StreamObject) else ()
        items = tuple(
            (str(key), _canon(obj.raw_get(key), depth + 1, budget))
            for key in sorted(obj.keys())
            if key not in skip
        )
        if isinstance(obj, StreamObject):
            return ("stream", items, _stream_digest(obj))
        return ("dict", items)
    raise _TooMuch


def _stream_digest(stream: StreamObject) -> tuple[Any, ...]:
    """The decoded bytes' digest (at most MAX_STREAM_BYTES of them); streams with filters other
    than Flate are compared by their raw bytes and filter."""
    raw = bytes(stream._data or b"")
    filters = _resolve(stream.get("/Filter"))
    if isinstance(filters, ArrayObject):
        filters = [_resolve(f) for f in filters]
        if len(filters) == 1:
            filters = filters[0]
    params = _resolve(stream.get("/DecodeParms"))
    if filters is None or isinstance(filters, NullObject):
        data, complete = raw[:MAX_STREAM_BYTES], len(raw) <= MAX_STREAM_BYTES
    elif filters in ("/FlateDecode", "/Fl") and params is None:
        inflate = zlib.decompressobj()
        try:
            data = inflate.decompress(raw, MAX_STREAM_BYTES)
            complete = not inflate.unconsumed_tail
        except zlib.error:
            return (
                "raw",
                str(filters),
                len(raw),
                hashlib.sha256(raw[:MAX_STREAM_BYTES]).hexdigest(),
            )
    else:
        key = str(filters) + repr(_canon(params, 0, [MAX_NODES]))
        data = raw[:MAX_STREAM_BYTES]
        return ("raw", key, len(raw), hashlib.sha256(data).hexdigest())
    return ("data", complete or len(raw), hashlib.sha256(data).hexdigest())
