"""Preflight in a child process held to the file's ``[limits]`` budget.

The checks walk every content stream of the sheet with pypdf: a crafted file (a flate bomb in
a content stream, 150,000 path operators, thousands of pages) could hold the worker's CPU and
memory. :func:`preflight_within_budget` runs :func:`pipeline.preflight.preflight` under
``pipeline.budget`` (wall time, CPU time and memory, like the preview), so the worker process
is as it was whatever the file does. The checks keep their own cooperative
``[preflight] budget_seconds`` (60 s by default, below the 90 s wall time) and report the pages
they did not reach; this budget is the backstop for what that cannot stop (one huge stream,
memory).

:func:`preflight_job_within_budget` is the same for a job named by its press and bureau, as
``prepress preflight`` has them: their settings are resolved here, in the caller, and only
they go to the child (never the whole configuration, which holds passwords).

Over budget the sheet is unchecked, which is a ``preflight_timeout`` finding at its configured
severity (a warning by default: the job goes on and the finding says to check it by eye).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pipeline.budget import run_within_budget
from pipeline.config import Config, Limits
from pipeline.config.preflight import PreflightSettings
from pipeline.config.settings import Press
from pipeline.errors import OverBudget
from pipeline.inkmap import InkMeasure
from pipeline.pdf.facts import SheetFacts
from pipeline.preflight.engine import preflight
from pipeline.preflight.findings import Finding
from pipeline.text import shown


def preflight_within_budget(
    path: str | os.PathLike[str],
    settings: PreflightSettings,
    *,
    limits: Limits,
    sheets: Sequence[SheetFacts] | None = None,
    press: Press | None = None,
    ink: InkMeasure | None = None,
) -> list[Finding]:
    """:func:`preflight` of ``path`` in a child process within ``limits``; over budget, one
    ``preflight_timeout`` finding saying the sheet is not checked and why."""
    name = shown(Path(path).name)
    try:
        return run_within_budget(
            preflight,
            str(path),
            settings,
            sheets=list(sheets) if sheets else None,
            press=press,
            ink=ink,
            limits=limits,
            what=f"the preflight of {name}",
        )
    except OverBudget as exc:
        finding = over_budget(exc, settings)
        return [finding] if finding.severity != "off" else []


def preflight_job_within_budget(
    path: str | os.PathLike[str],
    config: Config,
    *,
    press: str | None = None,
    outputter: str | None = None,
    sheets: Sequence[SheetFacts] | None = None,
    ink: InkMeasure | None = None,
) -> list[Finding]:
    """:func:`preflight_within_budget` of a job, like :func:`pipeline.preflight.preflight_job`:
    the settings of its press and bureau (``config.preflight_for``), its press's gripper for
    the paper check, and the ``[limits]`` of ``config``."""
    return preflight_within_budget(
        path,
        config.preflight_for(press, outputter),
        limits=config.limits,
        sheets=sheets,
        press=config.presses.get(press) if press else None,
        ink=ink,
    )


def over_budget(exc: OverBudget, settings: PreflightSettings) -> Finding:
    """The finding of a preflight the budget stopped: nothing on the sheet is checked."""
    return Finding(
        "preflight_timeout",
        settings.severity_of("preflight_timeout"),
        None,
        None,
        None,
        f"{exc.message}; the sheet is not checked. Check it by eye on the proof, or raise "
        f"[limits] ({exc.resource}) if the file is genuine.",
    )
