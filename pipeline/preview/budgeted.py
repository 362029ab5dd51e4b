"""A job's preview and ink coverage, each in a child process, together within one budget.

The preview (PDFium) and the ink coverage (Ghostscript) are the steps a crafted file makes
expensive. Both are optional artefacts: the plate file goes to the bureau without them, so over
budget the job goes on with a warning instead of the artefact (:class:`OverBudget` is raised
for the preview, and the caller warns; the ink coverage is only a warning here). They share
``[limits] wall_seconds``: the ink coverage gets what the rendering left, so one file holds a
worker for at most the budget (plus about a second of child start-up).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from pipeline.budget import run_within_budget
from pipeline.config import Limits
from pipeline.errors import OverBudget
from pipeline.preview.geometry import SheetGeometry
from pipeline.preview.inkcov import read_ink
from pipeline.preview.render import PreviewResult, render_preview, safe_key
from pipeline.text import shown

#: The files :func:`render_preview` writes, after the key.
ARTEFACTS = ("_proof.jpg", "_thumb.jpg", "_preview.pdf")
#: Fewer seconds than this left after the rendering: the ink coverage is not started.
MIN_INK_SECONDS = 5.0


def preview_within_budget(
    path: str | os.PathLike[str],
    geometries: Sequence[SheetGeometry | None] | None,
    out_dir: Path,
    key: str,
    *,
    limits: Limits,
    spots: Iterable[str] = (),
    ink: bool = True,
    by_year: bool = True,
    secrets: tuple[str, ...] = (),
) -> PreviewResult:
    """:func:`render_preview` and the ink coverage of ``path`` within ``limits``.

    Raises :class:`OverBudget` (the preview is lost, no half-written file stays) or the
    RejectedFile the rendering raised; an ink coverage over budget is a warning.
    """
    name = shown(Path(path).name)
    started = time.monotonic()
    try:
        result = run_within_budget(
            render_preview,
            path,
            geometries,
            out_dir,
            key,
            spots=list(spots),
            ink=False,
            by_year=by_year,
            limits=limits,
            what=f"the preview of {name}",
        )
    except OverBudget as exc:
        _remove_artefacts(Path(out_dir), key)
        exc.file = name
        raise
    if ink:
        left = limits.wall_seconds - (time.monotonic() - started)
        _add_ink(result, path, replace(limits, wall_seconds=left), name, secrets)
    return result


def _add_ink(
    result: PreviewResult,
    path: str | os.PathLike[str],
    limits: Limits,
    name: str,
    secrets: tuple[str, ...],
) -> None:
    """The ink coverage in the time the rendering left, or a warning saying why not."""
    if limits.wall_seconds < MIN_INK_SECONDS:
        result.warnings.append(
            f"ink coverage of {name} not measured: rendering used the budget (limits.wall_seconds)"
        )
        return
    try:
        reading = run_within_budget(
            read_ink,
            path,
            limits.wall_seconds - 1,
            secrets,
            limits=limits,
            what=f"the ink coverage of {name}",
        )
    except OverBudget as exc:
        result.warnings.append(f"{exc.message}: no ink coverage")
        return
    result.ink_coverage = reading.coverage
    result.ink_profiles = reading.profiles
    if reading.problem:
        result.warnings.append(reading.problem)


def _remove_artefacts(out_dir: Path, key: str) -> None:
    """What a rendering that was stopped wrote (``<key>_proof.jpg``... and ``.part`` files):
    a job has its whole preview or none."""
    stem = safe_key(key)
    for folder in (out_dir, *[p for p in out_dir.glob("[0-9]*") if p.is_dir()]):
        for suffix in ARTEFACTS:
            for written in (folder / f"{stem}{suffix}", folder / f"{stem}{suffix}.part"):
                written.unlink(missing_ok=True)
