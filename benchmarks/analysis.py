"""Analysis speed and memory, ours against the predecessor's method, in one run.

1. Speed: an 8-page Signa file with ~20,000 vector objects per page. Ours reads page
   dictionaries and mark forms only; the predecessor ran pdfminer's layout analysis over every
   whole page to find the mark texts. Both on the same file; target ours >= 50x faster and
   under 100 ms.
2. Memory: a ~500 MB file of mostly image data, analysed in a child process; peak RSS from
   ``getrusage`` in the child. Target under 200 MB. For contrast, the same file opened the
   naive way (``PdfReader(path_string)`` reads it whole).

Run: ``.venv/bin/python benchmarks/analysis.py [--big-mb 500] [--runs 5]``.
Temporary files are deleted at the end.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.config import config_from_dict  # noqa: E402
from pipeline.pdf.analysis import analyze  # noqa: E402
from testkit.samples import signa_sheet, write_signa_pdf, xref_and_trailer  # noqa: E402

#: The shop's presses and bureaus, as in tests/fixtures.py.
CONFIG = {
    "presses": {
        "Speedmaster": {"plate_mm": [1030, 770], "gripper_mm": 10},
        "Dominant": {"plate_mm": [650, 550], "gripper_mm": 8},
    },
    "outputters": {"Leonov": {}, "Korol": {}},
}
#: Pages and vector objects per page of the speed file.
PAGES, VECTOR_OBJECTS = 8, 20_000
#: Bytes of image data written per chunk of the big file.
CHUNK = 4 * 1024 * 1024

#: Peak RSS of this process in KiB. VmHWM, not ru_maxrss: ru_maxrss survives exec and would
#: report the parent's peak.
PEAK_RSS = """
def peak_rss():
    with open("/proc/self/status") as status:
        return next(line.split()[1] for line in status if line.startswith("VmHWM:"))
"""
#: Run in a child: analyse argv[1] and print the peak RSS in KiB.
CHILD_OURS = (
    PEAK_RSS
    + """
import sys
sys.path.insert(0, sys.argv[2])
from pipeline.pdf.analysis import analyze
from pipeline.config import config_from_dict
result = analyze(sys.argv[1], config_from_dict({CONFIG!r}))
assert result.ok and result.plates == {plates}, result.as_dict()
print(peak_rss())
"""
)
#: Run in a child: only the imports, for the baseline RSS of the interpreter and libraries.
CHILD_BASELINE = (
    PEAK_RSS
    + """
import sys
sys.path.insert(0, sys.argv[2])
import pipeline.pdf.analysis
print(peak_rss())
"""
)
#: Run in a child: pypdf given the path string (reads the whole file into memory).
CHILD_NAIVE = (
    PEAK_RSS
    + """
import sys
from pypdf import PdfReader
reader = PdfReader(sys.argv[1])
len(reader.pages)
print(peak_rss())
"""
)


def timed(function, runs: int) -> float:
    """Median seconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pdfminer_layout(path: Path) -> int:
    """The predecessor's method: full layout analysis of every page; returns the page count."""
    from pdfminer.high_level import extract_pages

    return sum(1 for _ in extract_pages(str(path)))


def speed(folder: Path, runs: int) -> None:
    path = write_signa_pdf(
        folder / "0537_Busy_Leonov.pdf", [signa_sheet(vector_objects=VECTOR_OBJECTS)] * PAGES
    )
    config = config_from_dict(CONFIG)
    result = analyze(path, config)
    assert result.ok and result.plates == 4 * PAGES, result.as_dict()
    ours = timed(lambda: analyze(path, config), runs)
    theirs = timed(lambda: pdfminer_layout(path), max(1, runs // 3))
    size = path.stat().st_size / 1e6
    print(f"speed file: {PAGES} pages x {VECTOR_OBJECTS} vector objects, {size:.1f} MB")
    print(f"  ours (analyze, median of {runs}):        {ours * 1000:8.1f} ms")
    print(f"  pdfminer layout, whole pages:            {theirs * 1000:8.1f} ms")
    print(f"  ratio: {theirs / ours:.0f}x  (target >= 50x, ours < 100 ms)")


def write_big_pdf(path: Path, megabytes: int, pages: int = 8) -> None:
    """A Signa-like file whose bulk is raw CMYK image streams, written chunk by chunk."""
    per_page = megabytes * 1024 * 1024 // pages
    side = int((per_page / 4) ** 0.5)
    image_bytes = side * side * 4
    chunk = bytes(range(256)) * (CHUNK // 256)
    offsets: list[int] = []
    with open(path, "wb") as out:

        def obj(body: bytes) -> int:
            offsets.append(out.tell())
            out.write(f"{len(offsets)} 0 obj\n".encode() + body + b"\nendobj\n")
            return len(offsets)

        out.write(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")
        font = obj(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        kids = []
        tree_number = 1 + 5 * pages + 1  # font, then 5 objects per page, then the tree
        for number in range(1, pages + 1):
            marks = [
                _mark(obj, font, "Machine", "Machine: Speedmaster"),
                _mark(obj, font, "Outputter", "Output: Leonov"),
            ]
            offsets.append(out.tell())
            out.write(
                f"{len(offsets)} 0 obj\n<< /Type /XObject /Subtype /Image /Width {side} "
                f"/Height {side} /ColorSpace /DeviceCMYK /BitsPerComponent 8 /Length "
                f"{image_bytes} >>\nstream\n".encode()
            )
            left = image_bytes
            while left:
                out.write(chunk[: min(left, len(chunk))])
                left -= min(left, len(chunk))
            out.write(b"\nendstream\nendobj\n")
            image = len(offsets)
            content = obj(
                _stream(
                    f"q 2919 0 0 2182 0 0 cm /pssPO{number}_img Do Q "
                    f"q 1 0 0 1 20 8 cm /pssMO{number}_0 Do Q".encode()
                )
            )
            names = b"[/Cyan /Magenta /Yellow /Black]"
            kids.append(
                obj(
                    b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 2919.685 2182.677] "
                    b"/Resources << /XObject << /pssPO%d_img %d 0 R /pssMO%d_0 %d 0 R "
                    b"/pssMO%d_1 %d 0 R >> >> /Contents %d 0 R /PieceInfo << /HDAG_COLORANT << "
                    b"/Private << /HDAG_ColorantNames %s >> >> >> >>"
                    % (
                        tree_number,
                        number,
                        image,
                        number,
                        marks[0],
                        number,
                        marks[1],
                        content,
                        names,
                    )
                )
            )
        tree = obj(
            f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
            f"/Count {pages} >>".encode()
        )
        assert tree == tree_number, "the pages' /Parent number was computed wrongly"
        catalog = obj(f"<< /Type /Catalog /Pages {tree} 0 R >>".encode())
        info = obj(b"<< /Creator (PrinectSignaStation 2015.0) >>")
        out.write(xref_and_trailer(offsets, out.tell(), catalog, info))


def _stream(data: bytes, head: bytes = b"") -> bytes:
    packed = zlib.compress(data)
    return (
        b"<<"
        + head
        + b" /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
        + packed
        + b"\nendstream"
    )


def _mark(obj, font: int, name: str, text: str) -> int:
    info = (
        f" /Type /XObject /Subtype /Form /BBox [0 0 170 16] /Resources << /Font << /F1 "
        f"{font} 0 R >> >> /PieceInfo << /HDAG_SignaMarkInfo << /Private << /CreationName "
        f"({name}) /SubType /TextMark >> >> >>"
    ).encode()
    return obj(_stream(f"BT /F1 9 Tf 2 4 Td ({text}) Tj ET".encode(), info))


def child_rss(code: str, path: Path) -> float:
    """Peak RSS in MB of a child running ``code`` on ``path``."""
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(REPO)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1]) / 1024


def memory(folder: Path, megabytes: int) -> None:
    path = folder / "0538_Photos_Leonov.pdf"
    started = time.perf_counter()
    write_big_pdf(path, megabytes)
    written = time.perf_counter() - started
    size = path.stat().st_size / 1e6
    baseline = child_rss(CHILD_BASELINE, path)
    started = time.perf_counter()
    ours = child_rss(CHILD_OURS.format(CONFIG=CONFIG, plates=4 * 8), path)
    elapsed = time.perf_counter() - started
    naive = child_rss(CHILD_NAIVE, path)
    print(f"memory file: {size:.0f} MB, mostly raw image streams (written in {written:.1f} s)")
    print(f"  child baseline (interpreter + imports): {baseline:8.1f} MB peak RSS")
    print(
        f"  ours (analyze, file object):            {ours:8.1f} MB peak RSS "
        f"({elapsed:.2f} s incl. start-up)  (target < 200 MB)"
    )
    print(f"  pypdf PdfReader(path string):           {naive:8.1f} MB peak RSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--big-mb", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prepress-bench-") as folder:
        speed(Path(folder), args.runs)
        memory(Path(folder), args.big_mb)


if __name__ == "__main__":
    main()
