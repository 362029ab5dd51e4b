"""``prepress preflight FILE|FOLDER...``: the checks of an imposed sheet, alone.

Exit status 0 when no file has an ``error`` finding, 1 when any has, 2 for a configuration
error. The press and bureau of each file are read as ``prepress analyze`` reads them, so their
``[presses.NAME.preflight]`` and ``[outputters.NAME.preflight]`` overrides apply.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from commands.analyze import pdfs_in
from commands.cli import load_config_or_exit
from pipeline.config import Config
from pipeline.errors import RejectedFile
from pipeline.pdf.analysis import analyze, read_sheets
from pipeline.preflight import Finding, has_errors, preflight_job
from pipeline.preview.inkcov import read_ink


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
    Ghostscript's page coverage feeds ``ink_limit`` (without gs it is skipped)."""
    facts = analyze(path, config)
    try:
        sheets = read_sheets(path, config)
    except (RejectedFile, OSError):
        sheets = None  # preflight itself reports an unreadable file
    reading = read_ink(path) if ink else None
    return preflight_job(
        path,
        config,
        press=facts.press,
        outputter=facts.outputter,
        sheets=sheets,
        ink=reading.measure if reading else None,
    )


def describe(path: Path, findings: list[Finding]) -> str:
    """A few lines a person reads: the verdict, then each finding."""
    verdict = "HOLD" if has_errors(findings) else ("warnings" if findings else "ok")
    lines = [f"{path.name}: {verdict}"]
    lines += [f"  {f.severity} {f.code}: {f.message}" for f in findings]
    return "\n".join(lines)
