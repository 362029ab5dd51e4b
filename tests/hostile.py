"""Crafted files an attacker on the shop's LAN could drop on the share, written from scratch.

Each is small on disk and expensive or dangerous to process: a PostScript program in front of
a valid PDF (a polyglot), PostScript after a ``%PDF-`` line, 150,000 path operators in a few KB,
2,000 pages, a 30000 x 30000 image that decodes to 900 MB. Used by the tests and by
benchmarks/limits.py.
"""

from __future__ import annotations

import zlib
from pathlib import Path

#: Points per mm.
PT_PER_MM = 72 / 25.4
#: A Speedmaster plate, in points.
PLATE_PT = (1030 * PT_PER_MM, 770 * PT_PER_MM)


def write_pdf(path: Path, pages: list[bytes], image: tuple[int, int] | None = None) -> Path:
    """A minimal valid PDF: one Flate content stream per page, optionally one grey image of
    ``image`` pixels (all white, so it compresses to almost nothing) drawn on every page."""
    objects: list[bytes] = [b"", b""]  # 1 catalog, 2 page tree: filled in at the end
    image_ref = ""
    if image is not None:
        objects.append(_image_object(*image))
        image_ref = f"/XObject << /Im0 {len(objects)} 0 R >>"
    kids = []
    for content in pages:
        packed = zlib.compress(content, 9)
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed)
            + packed
            + b"\nendstream"
        )
        objects.append(
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PLATE_PT[0]:.2f} "
                f"{PLATE_PT[1]:.2f}] /Resources << {image_ref} >> /Contents {len(objects)} 0 R >>"
            ).encode()
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    refs = " ".join(f"{k} 0 R" for k in kids)
    objects[1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    return _write(path, objects)


def _image_object(width: int, height: int) -> bytes:
    packer = zlib.compressobj(9)
    row_block = b"\xff" * width * 64
    parts = [packer.compress(row_block) for _ in range(height // 64)]
    parts.append(packer.compress(b"\xff" * width * (height % 64)))
    parts.append(packer.flush())
    data = b"".join(parts)
    head = (
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
        f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode "
        f"/Length {len(data)} >>\nstream\n"
    ).encode()
    return head + data + b"\nendstream"


def _write(path: Path, objects: list[bytes], prefix: bytes = b"") -> Path:
    out = bytearray(prefix + b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def normal_pdf(path: Path) -> Path:
    """One plate-sized page with a few filled rectangles: what any file costs."""
    return write_pdf(path, [b"1 0 0 0 k 100 100 800 600 re f 0 0 0 1 k 1000 800 900 600 re f"])


def many_paths_pdf(path: Path, paths: int = 150_000) -> Path:
    """One page, ``paths`` wide stroked paths across the whole plate (a few KB compressed)."""
    width, height = PLATE_PT
    one = f"0 0 m {width:.0f} {height:.0f} l {width:.0f} 0 l 0 {height:.0f} l S\n".encode()
    return write_pdf(path, [b"40 w 1 J 1 j 0 0 0 1 K\n" + one * paths])


def many_pages_pdf(path: Path, pages: int = 2000) -> Path:
    """``pages`` plate-sized pages with a little drawing each."""
    return write_pdf(path, [b"0 0 0 1 k 100 100 500 500 re f"] * pages)


def huge_image_pdf(path: Path, side: int = 30000) -> Path:
    """One page showing a ``side`` x ``side`` grey image over the whole plate."""
    width, height = PLATE_PT
    return write_pdf(
        path, [f"q {width:.0f} 0 0 {height:.0f} 0 0 cm /Im0 Do Q".encode()], (side, side)
    )


def postscript_attack(secret: Path, written: Path, piped: Path) -> bytes:
    """A PostScript program that prints ``secret``, writes ``written`` and runs a shell command
    through ``%pipe%`` that creates ``piped``; each part runs even if another one fails."""
    return (
        f"%!PS\n"
        f"{{ ({secret}) (r) file dup 4096 string readstring pop print flush closefile }}"
        f" stopped pop\n"
        f"{{ ({written}) (w) file dup (pwned) writestring closefile }} stopped pop\n"
        f"{{ (%pipe%touch {piped}) (w) file closefile }} stopped pop\n"
        f"quit\n"
    ).encode()


def polyglot_pdf(path: Path, program: bytes) -> Path:
    """A PostScript ``program`` followed by a valid PDF whose ``%PDF-`` is in the first 1 KB."""
    assert len(program) < 1000
    normal = normal_pdf(path.with_name(path.name + ".inner"))
    data = normal.read_bytes()
    normal.unlink()
    return _write(path, _objects_of(data), prefix=program)


def pdf_then_postscript(path: Path, program: bytes) -> Path:
    """``%PDF-`` at byte 0, then the PostScript ``program``, then a valid PDF's objects: what
    a PostScript interpreter sniffing the file could run."""
    normal = normal_pdf(path.with_name(path.name + ".inner"))
    data = normal.read_bytes()
    normal.unlink()
    body = b"%PDF-1.4\n" + program.replace(b"%!PS\n", b"") + data[len(b"%PDF-1.4\n") :]
    path.write_bytes(body)
    return path


def _objects_of(data: bytes) -> list[bytes]:
    """The bodies of ``n 0 obj ... endobj`` in a file :func:`write_pdf` wrote, in order."""
    bodies = []
    for chunk in data.split(b" 0 obj\n")[1:]:
        bodies.append(chunk.split(b"\nendobj\n")[0])
    return bodies
