"""Ink coverage per page, measured by Ghostscript's ``ink_cov`` device.

Ghostscript is an optional outside program: without ``gs`` on the PATH the coverage is
unavailable (``None``), never an error. It runs with an argument list (never a shell), with
``-dSAFER``, with a timeout, and the PDF is passed as an absolute path after ``-f`` so a file
named ``-dNOSAFER.pdf`` or ``$(touch x).pdf`` is only ever read as a file.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Seconds Ghostscript may spend on one file before the coverage is given up.
GS_TIMEOUT = 600.0
#: Resolution of the coverage raster: coverage is an area ratio, 72 dpi is plenty and fast.
INK_RESOLUTION = 72
#: Devices tried in order: ``ink_cov`` gives ink amounts in percent, the older ``inkcov``
#: gives the share of pixels touched as a fraction.
DEVICES = (("ink_cov", 1.0), ("inkcov", 100.0))
#: The four process inks in the order Ghostscript prints them.
INKS = ("C", "M", "Y", "K")

_LINE = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+CMYK\s+OK\s*$", re.M)


@dataclass(frozen=True)
class InkReading:
    """What Ghostscript said: coverage per page number, or why there is none."""

    coverage: dict[int, dict[str, float]] | None
    problem: str | None = None


def ink_coverage(
    path: str | os.PathLike[str], timeout: float = GS_TIMEOUT
) -> dict[int, dict[str, float]] | None:
    """C, M, Y, K coverage in percent per page (numbered from 1); None when unavailable."""
    return read_ink(path, timeout).coverage


def read_ink(path: str | os.PathLike[str], timeout: float = GS_TIMEOUT) -> InkReading:
    """Like :func:`ink_coverage`, with the reason when there is no coverage."""
    gs = shutil.which("gs")
    if gs is None:
        return InkReading(None, "Ghostscript (gs) is not installed: ink coverage unavailable")
    target = str(Path(path).resolve())
    problem = "no output"
    for device, factor in DEVICES:
        try:
            done = subprocess.run(
                _command(gs, device, target), capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return InkReading(
                None,
                f"Ghostscript took over {timeout:.0f} s on {Path(path).name}: ink coverage skipped",
            )
        except OSError as exc:
            return InkReading(None, f"Ghostscript could not be started ({exc})")
        text = done.stdout.decode("utf-8", "replace")
        pages = _parse(text, factor)
        if pages:
            return InkReading(pages, _page_errors(text, done.returncode))
        problem = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[-300:]
        if "Unknown device" not in problem:
            break
    log.warning("ink coverage of %s failed: %s", path, problem)
    return InkReading(
        None,
        f"Ghostscript could not measure ink coverage of "
        f"{Path(path).name}: {problem or 'no output'}",
    )


def _command(gs: str, device: str, target: str) -> list[str]:
    return [
        gs,
        "-dSAFER",
        "-dBATCH",
        "-dNOPAUSE",
        "-dQUIET",
        "-q",
        f"-r{INK_RESOLUTION}",
        f"-sDEVICE={device}",
        "-o",
        "-",
        "-f",
        target,
    ]


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
