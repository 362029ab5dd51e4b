"""Opening an imposed PDF safely and reading only the small objects analysis needs.

The page content streams (hundreds of thousands of vector objects on a busy sheet) and the
image streams (hundreds of megabytes) are never read: only the document info, the page
dictionaries (MediaBox, PieceInfo) and the small Signa mark forms. The file is opened here and
handed to pypdf as a file object, so pypdf seeks to what it needs instead of loading the file.

Every problem with the file itself becomes a :class:`RejectedFile` with a stable code.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from pypdf import PageObject, PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from pipeline.errors import RejectedFile

#: Bytes at the start of the file searched for the ``%PDF-`` header.
HEADER_WINDOW = 1024
#: Bytes in a megabyte (``limits.max_file_mb``).
MB = 1024 * 1024
#: Bytes at the end of the file searched for ``startxref`` and ``%%EOF``.
TAIL_WINDOW = 4096
#: Prefix of the resource names Signa gives its mark forms (``pssMO<n>_<m>``).
MARK_PREFIX = "/pssMO"
#: At most this many mark forms are read per page (a hostile file could hold thousands).
MAX_MARKS_PER_PAGE = 64
#: Signa's creator string in the document info.
SIGNA_CREATOR = "PrinectSignaStation"
#: PostScript points per millimetre.
PT_PER_MM = 72 / 25.4


@dataclass
class RawSheet:
    """What one page says, before any decision: plate size, colorants, mark forms."""

    number: int
    plate_mm: tuple[int, int]
    colorants: list[str] | None
    marks: dict[str, str]  # CreationName -> the text the mark draws


def check_file(path: Path, max_bytes: int | None = None) -> None:
    """Reject what is not a complete PDF by name, size, header and tail.

    The file must *start* with ``%PDF-``. Readers tolerate up to 1 KB before the header, and
    a PostScript program hidden there is what a PostScript interpreter (Ghostscript, the
    bureau's RIP) would run. Signa writes the header at byte 0, and the original goes to the
    bureau as it is, so such a file is refused (``bytes_before_header``) rather than trimmed:
    trimming a copy would protect our Ghostscript but still send the program onward.
    """
    name = path.name
    if path.suffix.lower() != ".pdf":
        raise RejectedFile(
            "not_pdf",
            f"{name}: the name does not end in .pdf; only PDF "
            f"files are processed. Export the job from Signa as PDF.",
            name,
        )
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):  # a FIFO would block the read, /dev/zero never end
        raise RejectedFile(
            "not_regular_file", f"{name}: not a regular file; give the PDF file itself.", name
        )
    size = info.st_size
    if size == 0:
        raise RejectedFile(
            "empty_file", f"{name}: the file is empty (0 bytes); copy it again from Signa.", name
        )
    if max_bytes is not None and size > max_bytes:
        raise RejectedFile(
            "file_too_large",
            f"{name}: the file has {size / MB:.0f} MB, more than limits.max_file_mb = "
            f"{max_bytes / MB:.0f}; check the file, or raise the limit if such jobs are real.",
            name,
        )
    with open(path, "rb") as stream:
        head = stream.read(HEADER_WINDOW)
        stream.seek(max(0, size - TAIL_WINDOW))
        tail = stream.read(TAIL_WINDOW)
    _check_header(head, name)
    if b"%%EOF" not in tail or b"startxref" not in tail:
        raise RejectedFile(
            "damaged_pdf",
            f"{name}: the file is truncated (no startxref/%%EOF "
            f"at its end), probably half copied; copy it again.",
            name,
        )


def _check_header(head: bytes, name: str) -> None:
    """``%PDF-`` at byte 0, else ``not_pdf`` (none at all) or ``bytes_before_header``."""
    at = head.find(b"%PDF-")
    if at < 0:
        raise RejectedFile(
            "not_pdf",
            f"{name}: the content is not PDF (it starts with "
            f'"{first_bytes_as_text(head)}"); export the job from Signa as PDF.',
            name,
        )
    if at > 0:
        raise RejectedFile(
            "bytes_before_header",
            f"{name}: {at} bytes come before the PDF header (it starts with "
            f'"{first_bytes_as_text(head)}"), which Signa never writes and a RIP could run '
            f"as PostScript; export the job from Signa as PDF again.",
            name,
        )


@contextmanager
def open_pdf(path: str | os.PathLike[str], max_bytes: int | None = None) -> Iterator[PdfReader]:
    """A checked, decrypted reader over the open file; the file is closed on exit."""
    path = Path(path)
    check_file(path, max_bytes)
    with open(path, "rb") as stream, warnings.catch_warnings():
        # pypdf reports repairs of slightly broken files as warnings; analysis decides itself.
        warnings.simplefilter("ignore")
        reader = _reader(stream, path.name)
        _decrypt(reader, path.name)
        yield reader


def creator_of(reader: PdfReader) -> str | None:
    """The document info /Creator, or None when absent or unreadable."""
    try:
        creator = _path(reader.trailer, "/Info", "/Creator")
    except Exception:  # a broken info dictionary only loses the creator
        return None
    return str(creator) if creator is not None else None


def page_count(reader: PdfReader, max_pages: int, name: str) -> int:
    """The number of pages, rejecting page trees that are broken or larger than ``max_pages``."""
    count = _declared_count(reader)
    if count is not None and count > max_pages:
        raise RejectedFile(
            "damaged_pdf",
            f"{name}: the file declares {count} pages, more than "
            f"analysis.max_pages = {max_pages}; an imposed job "
            f"never has that many. Check the file.",
            name,
        )
    try:
        pages = len(reader.pages)
    except RecursionError:
        raise _damaged(name, "its page tree loops back on itself") from None
    except Exception as exc:  # pypdf raises many kinds on broken trees
        raise _damaged(name, f"its page tree cannot be read ({exc})") from None
    if pages == 0:
        raise _damaged(name, "it has no pages")
    if pages > max_pages:
        raise _damaged(name, f"it has {pages} pages, more than analysis.max_pages = {max_pages}")
    if count is not None and count != pages:
        # pypdf skips page objects it cannot find; a job with missing sheets must not pass.
        raise _damaged(name, f"it declares {count} pages but {pages} can be read")
    return pages


def read_page(reader: PdfReader, index: int, name: str) -> RawSheet:
    """Plate size, colorant names and mark forms of page ``index`` (0-based)."""
    try:
        page = reader.pages[index]
        box = [float(v) for v in cast(ArrayObject, page["/MediaBox"])]
        sheet = RawSheet(index + 1, _plate_mm(box), _colorants(page), _mark_texts(page))
    except RejectedFile:
        raise
    except Exception as exc:  # any unreadable part is a damaged file
        raise _damaged(
            name, f"page {index + 1} cannot be read ({type(exc).__name__}: {exc})"
        ) from None
    return sheet


def _reader(stream: BinaryIO, name: str) -> PdfReader:
    try:
        return PdfReader(stream, strict=False)
    except RecursionError:
        raise _damaged(name, "its objects refer to each other in a loop") from None
    except Exception as exc:  # pypdf raises many kinds on broken files
        raise _damaged(
            name, f"its structure cannot be read ({type(exc).__name__}: {exc})"
        ) from None


def _decrypt(reader: PdfReader, name: str) -> None:
    """Open an encrypted file with the empty user password, or reject it."""
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception:  # unsupported or broken encryption
        opened = False
    if not opened:
        raise RejectedFile(
            "encrypted",
            f"{name}: the file is protected by a password; save "
            f"it again from Signa without a password.",
            name,
        )


def _declared_count(reader: PdfReader) -> int | None:
    try:
        count = cast(Any, reader.trailer)["/Root"]["/Pages"]["/Count"]
    except Exception:  # checked properly when the tree is walked
        return None
    return int(count) if isinstance(count, int) else None


def _plate_mm(box: list[float]) -> tuple[int, int]:
    width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
    return round(width / PT_PER_MM), round(height / PT_PER_MM)


def page_colorants(page: DictionaryObject) -> list[str] | None:
    """The page's Signa colorant names (see :func:`_colorants`); None when it has no list."""
    return _colorants(page)


def _colorants(page: DictionaryObject) -> list[str] | None:
    """``/PieceInfo/HDAG_COLORANT/Private/HDAG_ColorantNames`` as text (``#20`` is a space).

    Only name entries are colorants (one name, one plate): Signa writes nothing else, and a
    number, a string or a dictionary is no separation the bureau can expose; preflight reports
    such entries (``colorant_unreadable``, pipeline/preflight/platelist.py)."""
    names = _path(page, "/PieceInfo", "/HDAG_COLORANT", "/Private", "/HDAG_ColorantNames")
    if not isinstance(names, ArrayObject):
        return None
    found = []
    for entry in names:
        if isinstance(entry, IndirectObject):
            entry = _resolved(entry)
        if isinstance(entry, NameObject):
            found.append(str(entry)[1:])
    return found


#: References followed in a row to a colorant list entry before it counts as no name (a loop).
MAX_HOPS = 16


def _resolved(obj: Any) -> Any:
    """The object a chain of references leads to; None for a loop or a dangling reference."""
    for _ in range(MAX_HOPS):
        if not isinstance(obj, IndirectObject):
            return obj
        try:
            obj = obj.get_object()
        except Exception:  # a broken reference is no name
            return None
    return None


def _mark_texts(page: PageObject) -> dict[str, str]:
    """CreationName -> text of the page's marks; of several marks with one name, the first
    that draws any text."""
    texts: dict[str, str] = {}
    for creation, forms in _mark_forms(page).items():
        for form in forms:
            text = _form_text(page, form)
            if text or creation not in texts:
                texts[creation] = text
            if text:
                break
    return texts


def _form_text(page: PageObject, form: StreamObject) -> str:
    """The text a mark form draws, spaces collapsed; "" when its text cannot be decoded (an
    unreadable mark counts as an empty one, it does not make the whole file damaged)."""
    try:
        text = page.extract_xform_text(
            cast(Any, form), orientations=(0, 90, 180, 270), space_width=200.0
        )
    except Exception:  # odd fonts and operators in one mark
        return ""
    return " ".join(text.split())


def _mark_forms(page: DictionaryObject) -> dict[str, list[StreamObject]]:
    """The ``pssMO`` forms with HDAG_SignaMarkInfo, by CreationName; other XObjects untouched."""
    xobjects = _path(page, "/Resources", "/XObject")
    if not isinstance(xobjects, DictionaryObject):
        return {}
    forms: dict[str, list[StreamObject]] = {}
    names = [k for k in xobjects if str(k).startswith(MARK_PREFIX)]
    for key in names[:MAX_MARKS_PER_PAGE]:
        form = xobjects[key]  # resolving a small mark form only, never an image
        creation = _path(form, "/PieceInfo", "/HDAG_SignaMarkInfo", "/Private", "/CreationName")
        if isinstance(form, StreamObject) and creation is not None:
            forms.setdefault(str(creation).lstrip("/"), []).append(form)
    return forms


def _path(obj: Any, *keys: str) -> Any:
    """Follow dictionary keys, resolving references; None when any step is missing."""
    for key in keys:
        if isinstance(obj, IndirectObject):
            obj = obj.get_object()
        if not isinstance(obj, DictionaryObject) or key not in obj:
            return None
        obj = obj[key]
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _damaged(name: str, problem: str) -> RejectedFile:
    return RejectedFile(
        "damaged_pdf",
        f"{name}: the PDF is damaged: {problem}. Export it again from Signa and copy it anew.",
        name,
    )


#: Characters of a file's beginning shown when it is not a PDF.
SHOWN_BYTES = 16


def first_bytes_as_text(head: bytes) -> str:
    """The first bytes as a person reads them: text, control characters and binary as ``.``."""
    text = head[:SHOWN_BYTES].decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() and c != "\ufffd" else "." for c in text)
