"""Preflight of an imposed sheet: what would cost plates or a reprint, found before output.

Use: ``preflight_job(path, config, press=..., outputter=..., sheets=..., ink=...)``
(or ``preflight(path, config.preflight_for(press, outputter), ...)``) gives a list of
:class:`Finding`; ``has_errors(findings)`` says whether the job is held.

``engine`` runs the checks (:func:`preflight`); ``walk`` follows a page's content through
forms at any depth, over the fast stream reader of ``tokens``; ``colours`` decides what a
colour prints; ``objects`` and ``fonts`` read the objects content refers to; ``checks`` turns
what a page prints into :class:`Finding` s; ``ink`` judges total ink from existing renderings.
The codes and default severities are ``pipeline.errors.PREFLIGHT_CODES``.

``budgeted`` runs them in a child process held to the file's ``[limits]`` (the pipeline's
hold step calls :func:`preflight_within_budget`).

May import pipeline.config, pipeline.pdf, pipeline.errors, pipeline.text, pipeline.budget and
pipeline.inkmap (the total-ink profile the preview measured);
never celery, tasks or models.
"""

from pipeline.config.preflight import PreflightSettings
from pipeline.errors import PREFLIGHT_CODES
from pipeline.preflight.budgeted import preflight_job_within_budget, preflight_within_budget
from pipeline.preflight.engine import PreflightReport, preflight, preflight_job, run_preflight
from pipeline.preflight.findings import Finding, has_errors
from pipeline.preflight.ink import ink_findings, ink_from_coverage, ink_from_raster

__all__ = [
    "PREFLIGHT_CODES",
    "Finding",
    "PreflightReport",
    "PreflightSettings",
    "has_errors",
    "ink_findings",
    "ink_from_coverage",
    "ink_from_raster",
    "preflight",
    "preflight_job",
    "preflight_job_within_budget",
    "preflight_within_budget",
    "run_preflight",
]
