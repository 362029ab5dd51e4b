"""``prepress preflight FILE|FOLDER...``: the checks of an imposed sheet, alone.

Exit status 0 when no file has an ``error`` finding, 1 when any has, 2 for a configuration
error. The press and bureau of each file are read as ``prepress analyze`` reads them, so their
``[presses.NAME.preflight]`` and ``[outputters.NAME.preflight]`` overrides apply.

The checks and the ink pass run as in the pipeline: each in a child process held to the
``[limits]`` budget (wall time, CPU time, memory). A file that takes longer ends with the
``preflight_timeout`` finding instead of holding the terminal; an ink pass over budget is
skipped with a line on stderr. Killed from outside, the command leaves no child behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from commands.analyze import pdfs_in
from commands.cli import load_config_or_exit
from pipeline.budget import run_within_budget
from pipeline.config import Config
from pipeline.errors import OverBudget, RejectedFile
from pipeline.inkmap import InkMeasure
from pipeline.pdf.analysis import analyze, read_sheets
from pipeline.preflight import Finding, has_errors
from pipeline.preflight.budgeted import preflight_job_within_budget
from pipeline.preview.inkcov import read_ink
from pipeline.text import shown

#: Seconds of the ink pass's wall budget kept for the child to stop Ghostscript and answer.
INK_MARGIN_SECONDS = 1.0


@click.command(name="preflight")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per file (an array when several)."
)
@click.option(
    "--ink",
    is_flag=True,
    help="Also measure ink coverage with Ghostscript (ink_cov, 72 dpi, as the preview does) "
    "for the ink_limit check.",
)
@click.pass_context
def preflight_command(ctx: click.Context, files: tuple[str, ...], as_json: bool, ink: bool) -> None:
    """Check Signa PDFs for what would cost plates or a reprint.

    A folder stands for the PDFs directly in it.
    """
    config = load_config_or_exit(ctx)
    paths = [path for given in files for path in pdfs_in(Path(given))]
    if not paths:
        raise click.UsageError(f"no PDF files in {', '.join(files)}")
    results = [(path, check_file(path, config, ink)) for path in paths]
    if as_json:
        documents = [
            {
                "file": path.name,
                "ok": not has_errors(found),
                "findings": [f.as_dict() for f in found],
            }
            for path, found in results
        ]
        click.echo(
            json.dumps(documents[0] if len(documents) == 1 else documents, ensure_ascii=False)
        )
    else:
        click.echo("\n".join(describe(path, found) for path, found in results))
    ctx.exit(1 if any(has_errors(found) for _, found in results) else 0)


def check_file(path: Path, config: Config, ink: bool = False) -> list[Finding]:
    """The findings of one file with the settings of its press and bureau; with ``ink``,
    Ghostscript's page coverage feeds ``ink_limit`` (without gs it is skipped). Preflight
    runs within ``[limits]``: over budget, the ``preflight_timeout`` finding."""
    facts = analyze(path, config)
    try:
        sheets = read_sheets(path, config)
    except (RejectedFile, OSError):
        sheets = None  # preflight itself reports an unreadable file
    return preflight_job_within_budget(
        path,
        config,
        press=facts.press,
        outputter=facts.outputter,
        sheets=sheets,
        ink=measure_ink(path, config) if ink else None,
    )


def measure_ink(path: Path, config: Config) -> InkMeasure | None:
    """Ghostscript's ink coverage of ``path`` in a child process within ``[limits]``; None
    when there is none (no gs, a failure, over budget: said on stderr)."""
    limits = config.limits
    try:
        reading = run_within_budget(
            read_ink,
            path,
            max(limits.wall_seconds - INK_MARGIN_SECONDS, INK_MARGIN_SECONDS),
            limits=limits,
            what=f"the ink coverage of {shown(path.name)}",
        )
    except OverBudget as exc:
        click.echo(f"{exc.message}: no ink coverage", err=True)
        return None
    return reading.measure


def describe(path: Path, findings: list[Finding]) -> str:
    """A few lines a person reads: the verdict, then each finding."""
    verdict = "HOLD" if has_errors(findings) else ("warnings" if findings else "ok")
    lines = [f"{path.name}: {verdict}"]
    lines += [f"  {f.severity} {f.code}: {f.message}" for f in findings]
    return "\n".join(lines)
