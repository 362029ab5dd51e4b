"""Ink coverage per page, measured by Ghostscript's ``ink_cov`` device.

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
from dataclasses import dataclass
from pathlib import Path

from pipeline.text import outside_text, shown

log = logging.getLogger(__name__)

#: Seconds Ghostscript may spend on one file before the coverage is given up.
GS_TIMEOUT = 600.0
#: Resolution of the coverage raster: coverage is an area ratio, 72 dpi is plenty and fast.
INK_RESOLUTION = 72
#: Devices tried in order: ``ink_cov`` gives ink amounts in percent, the older ``inkcov``
#: gives the share of pixels touched as a fraction.
DEVICES = (("ink_cov", 1.0), ("inkcov", 100.0))
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
    """Run Ghostscript on ``target`` seen as ``folder/input.pdf``, each device in turn."""
    link = folder / "input.pdf"
    link.symlink_to(target)
    scratch = folder / "tmp"
    scratch.mkdir()
    problem = "no output"
    for device, factor in DEVICES:
        try:
            done = subprocess.run(
                _command(gs, device, link),
                capture_output=True,
                timeout=timeout,
                check=False,
                cwd=scratch,
                env=_environment(scratch),
            )
        except subprocess.TimeoutExpired:
            return InkReading(None, f"Ghostscript took over {timeout:.0f} s on {name}: skipped")
        except OSError as exc:
            return InkReading(None, f"Ghostscript could not be started ({exc})")
        text = done.stdout.decode("utf-8", "replace")
        pages = _parse(text, factor)
        if pages:
            return InkReading(pages, _page_errors(text, done.returncode))
        problem = outside_text(done.stderr or done.stdout, secrets)
        if "Unknown device" not in problem:
            break
    log.warning("ink coverage of %s failed: %s", name, problem)
    return InkReading(
        None, f"Ghostscript could not measure ink coverage of {name}: {problem or 'no output'}"
    )


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
