"""Ink coverage per page, measured by Ghostscript: each ink's average and a total-ink profile.

Ghostscript renders the pages in CMYK (``pamcmyk32``, 72 dpi) to a pipe; the rows are read a
strip at a time into ``pipeline.inkmap``, which keeps each ink's average (the same figures as
Ghostscript's ``ink_cov`` device) and where the total ink is heavy (the ``ink_limit`` check of
preflight judges that later; no second rendering). A Ghostscript without ``pamcmyk32`` is
asked for ``ink_cov`` (averages only).

Ghostscript is an optional outside program: without ``gs`` on the PATH the coverage is
unavailable (``None``), never an error. Ghostscript is a PostScript interpreter, and a file
from the hotfolder is hostile, so:

- only a file that starts with ``%PDF-`` is handed over (validation refuses the others with
  ``bytes_before_header``; this module checks again), and it is run by ``runpdf``, the PDF
  interpreter, never by the PostScript one that sniffing a file would pick;
- ``-dSAFER``, with the file reachable only as ``<private folder>/input.pdf`` (a link to it)
  and ``--permit-file-read`` naming that one path; no path is permitted for writing (the
  coverage goes to stdout), and ``TMPDIR`` is an empty private folder, because SAFER lets
  Ghostscript read and write the temporary folder (/tmp by default);
- an argument list (never a shell), a minimal environment (no ``GS_OPTIONS``), a timeout;
  the file name reaches Ghostscript only as the value of ``-sInputFile=``, so a name like
  ``-dNOSAFER.pdf`` or ``%pipe%x.pdf`` is only ever a name;
- what Ghostscript prints on failure is masked, escaped and cut before it becomes a warning.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image

from pipeline.children import dies_with_parent
from pipeline.inkmap import InkMeasure, InkMeter, Profile
from pipeline.text import outside_text, shown

log = logging.getLogger(__name__)

#: Seconds Ghostscript may spend on one file before the coverage is given up.
GS_TIMEOUT = 600.0
#: Resolution of the coverage raster: coverage is an area ratio, 72 dpi is plenty and fast.
INK_RESOLUTION = 72
#: The CMYK raster device (8 bits per ink, a PAM header per page).
RASTER_DEVICE = "pamcmyk32"
#: Devices tried when there is no raster device: ``ink_cov`` gives ink amounts in percent,
#: the older ``inkcov`` gives the share of pixels touched as a fraction.
DEVICES = (("ink_cov", 1.0), ("inkcov", 100.0))
#: Rows of a page read and measured at a time (a plate at 72 dpi: 2,920 x 256 px, 3 MB).
STRIP_ROWS = 256
#: Most bytes of a PAM page header.
MAX_HEADER = 1024
#: What a file handed to Ghostscript must start with.
PDF_HEADER = b"%PDF-"
#: The PostScript that runs the file named by ``-sInputFile`` as PDF, whatever it contains.
RUN_AS_PDF = "InputFile (r) file runpdf"
#: Environment variables Ghostscript is given (``GS_OPTIONS``, ``GS_LIB`` are not).
GS_ENV_KEEP = ("PATH", "LANG", "LC_ALL")
#: The four process inks in the order Ghostscript prints them.
INKS = ("C", "M", "Y", "K")

_LINE = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+CMYK\s+OK\s*$", re.M)


@dataclass(frozen=True)
class InkReading:
    """What Ghostscript said: coverage per page number, or why there is none."""

    coverage: dict[int, dict[str, float]] | None
    problem: str | None = None
    #: The total-ink profile per page (``pipeline.inkmap``); None from ``ink_cov``.
    profiles: dict[int, Profile] | None = None

    @property
    def measure(self) -> InkMeasure | None:
        """The coverage and profiles together, as preflight takes them."""
        return InkMeasure(self.coverage, self.profiles) if self.coverage else None


def ink_coverage(
    path: str | os.PathLike[str], timeout: float = GS_TIMEOUT, secrets: tuple[str, ...] = ()
) -> dict[int, dict[str, float]] | None:
    """C, M, Y, K coverage in percent per page (numbered from 1); None when unavailable."""
    return read_ink(path, timeout, secrets).coverage


def read_ink(
    path: str | os.PathLike[str], timeout: float = GS_TIMEOUT, secrets: tuple[str, ...] = ()
) -> InkReading:
    """Like :func:`ink_coverage`, with the reason when there is no coverage.

    ``secrets`` are masked in what Ghostscript says, should it ever echo one.
    """
    gs = shutil.which("gs")
    name = shown(Path(path).name)
    if gs is None:
        return InkReading(None, "Ghostscript (gs) is not installed: ink coverage unavailable")
    target = Path(path).resolve()
    with open(target, "rb") as head:
        if head.read(len(PDF_HEADER)) != PDF_HEADER:
            return InkReading(None, f"{name} does not start with %PDF-: ink coverage not measured")
    with tempfile.TemporaryDirectory(prefix="prepress-gs-") as folder:
        return _measure(gs, target, Path(folder), timeout, name, secrets)


def _measure(
    gs: str, target: Path, folder: Path, timeout: float, name: str, secrets: tuple[str, ...]
) -> InkReading:
    """Run Ghostscript on ``target`` seen as ``folder/input.pdf``: the raster device, else
    each coverage device in turn."""
    link = folder / "input.pdf"
    link.symlink_to(target)
    scratch = folder / "tmp"
    scratch.mkdir()
    deadline = time.monotonic() + timeout
    try:
        reading = _measure_raster(gs, link, scratch, timeout)
        if reading is not None:
            return reading
        problem = "no output"
        for device, factor in DEVICES:
            done = subprocess.run(
                _command(gs, device, link),
                capture_output=True,
                timeout=max(deadline - time.monotonic(), 0.1),  # one timeout for both passes
                check=False,
                cwd=scratch,
                env=_environment(scratch),
                preexec_fn=dies_with_parent(),  # no Ghostscript outlives this process
            )
            text = done.stdout.decode("utf-8", "replace")
            pages = _parse(text, factor)
            if pages:
                return InkReading(pages, _page_errors(text, done.returncode))
            problem = outside_text(done.stderr or done.stdout, secrets)
            if "Unknown device" not in problem:
                break
    except subprocess.TimeoutExpired:
        return InkReading(None, f"Ghostscript took over {timeout:.0f} s on {name}: skipped")
    except OSError as exc:
        return InkReading(None, f"Ghostscript could not be started ({exc})")
    log.warning("ink coverage of %s failed: %s", name, problem)
    return InkReading(
        None, f"Ghostscript could not measure ink coverage of {name}: {problem or 'no output'}"
    )


def _measure_raster(gs: str, link: Path, scratch: Path, timeout: float) -> InkReading | None:
    """The pages rendered by :data:`RASTER_DEVICE`, measured as they come out of the pipe;
    None when no page came out (this Ghostscript has no such device, or the file renders no
    page). Raises TimeoutExpired past ``timeout``."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            _command(gs, RASTER_DEVICE, link),
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=scratch,
            env=_environment(scratch),
            preexec_fn=dies_with_parent(),  # no Ghostscript outlives this process
        )
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            assert process.stdout is not None
            meters = _read_pages(process.stdout)
            # read to its end, or stopped at a page that is not whole: a Ghostscript still
            # writing gets a broken pipe instead of blocking on a pipe nobody reads
            process.stdout.close()
            returncode = process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
            assert process.stdout is not None
            process.stdout.close()
        if timed_out.is_set():
            raise subprocess.TimeoutExpired(RASTER_DEVICE, timeout)
        errors.seek(0)
        said = errors.read()
    if not meters:  # no such device, or no page rendered: ink_cov says which, in words
        return None
    coverage = {page: meter.coverage() for page, meter in meters.items()}
    profiles = {page: meter.profile() for page, meter in meters.items()}
    return InkReading(coverage, _page_errors(said.decode("utf-8", "replace"), returncode), profiles)


def _read_pages(stream: IO[bytes]) -> dict[int, InkMeter]:
    """Every whole page of a PAM stream, measured a strip at a time (a cut-off page is not
    kept: its averages would be wrong)."""
    meters: dict[int, InkMeter] = {}
    page = 0
    while (size := _read_header(stream)) is not None:
        width, height = size
        page += 1
        meter = InkMeter(width, height, INK_RESOLUTION)
        row = 0
        while row < height:
            rows = min(STRIP_ROWS, height - row)
            data = stream.read(width * rows * 4)
            if len(data) < width * rows * 4:
                return meters
            meter.add(Image.frombytes("CMYK", (width, rows), data))
            row += rows
        meters[page] = meter
    return meters


def _read_header(stream: IO[bytes]) -> tuple[int, int] | None:
    """Width and height from the next PAM header (``P7`` ... ``ENDHDR``); None at the end
    of the stream or on anything that is not a CMYK PAM header."""
    if stream.readline(MAX_HEADER).strip() != b"P7":
        return None
    fields: dict[bytes, bytes] = {}
    for _ in range(16):
        line = stream.readline(MAX_HEADER).strip()
        if line == b"ENDHDR":
            break
        key, _, value = line.partition(b" ")
        fields[key] = value.strip()
    else:
        return None
    try:
        width, height = int(fields[b"WIDTH"]), int(fields[b"HEIGHT"])
    except (KeyError, ValueError):
        return None
    if fields.get(b"DEPTH") != b"4" or fields.get(b"MAXVAL") != b"255" or width <= 0:
        return None
    return width, height


def _command(gs: str, device: str, link: Path) -> list[str]:
    return [
        gs,
        "-dSAFER",
        "-dBATCH",
        "-dNOPAUSE",
        "-dQUIET",
        "-q",
        f"--permit-file-read={link}",
        f"-r{INK_RESOLUTION}",
        f"-sDEVICE={device}",
        "-sOutputFile=-",
        f"-sInputFile={link}",
        "-c",
        RUN_AS_PDF,
    ]


def _environment(scratch: Path) -> dict[str, str]:
    """A minimal environment: no GS_OPTIONS, and TMPDIR the private scratch folder."""
    env = {key: os.environ[key] for key in GS_ENV_KEEP if key in os.environ}
    env["TMPDIR"] = env["TEMP"] = env["TMP"] = str(scratch)
    return env


def _parse(text: str, factor: float) -> dict[int, dict[str, float]]:
    """The coverage lines of Ghostscript's output, one per page in page order."""
    return {
        number: {
            ink: round(float(value) * factor, 3)
            for ink, value in zip(INKS, match.groups(), strict=True)
        }
        for number, match in enumerate(_LINE.finditer(text), start=1)
    }


def _page_errors(text: str, returncode: int) -> str | None:
    if "Error" in text or returncode:
        return "Ghostscript reported errors while measuring ink: coverage may be incomplete"
    return None
