"""``prepress preview FILE [--out DIR]``: the proof, thumbnail and press PDF of one file.

For an operator checking a file by hand: the same crop and artefacts as the pipeline makes.
Exit status 0 when written, 1 when the file is rejected, 2 for a configuration error.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from commands.cli import fail, load_config_or_exit
from commands.output import echo_json
from pipeline.text import shown


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write the files into this folder (default: the configured previews/<year>/).",
)
@click.option("--no-ink", is_flag=True, help="Skip the Ghostscript ink coverage.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.pass_context
def preview(
    ctx: click.Context, file: str, out_dir: str | None, no_ink: bool, as_json: bool
) -> None:
    """Write the cropped proof, thumbnail and press preview PDF of FILE and say where."""
    from pipeline.errors import RejectedFile
    from pipeline.pdf.analysis import read_sheets
    from pipeline.preview.budgeted import preview_within_budget
    from pipeline.preview.geometry import sheet_geometries

    config = load_config_or_exit(ctx)
    path = Path(file)
    try:
        sheets = read_sheets(path, config)
        result = preview_within_budget(
            path,
            sheet_geometries(sheets, config, path.name),
            Path(out_dir) if out_dir else config.paths.previews,
            key=f"{time.strftime('%Y%m%d-%H%M%S')}_{path.stem}",
            spots=[name for sheet in sheets for name in sheet.colorants],
            limits=config.limits,
            ink=not no_ink,
            by_year=out_dir is None,
            secrets=config.secrets(),
        )
    except RejectedFile as exc:
        fail(ctx, f"rejected: {exc.message}", 1, rejection=exc.code)
    if as_json:
        echo_json(_as_dict(result))
        return
    click.echo(f"proof:     {shown(str(result.proof))}")
    click.echo(f"thumbnail: {result.thumbnail}")
    click.echo(f"preview:   {result.preview_pdf}")
    if result.spots:
        click.echo(f"spots:     {', '.join(result.spots)}")
    for number, inks in (result.ink_coverage or {}).items():
        click.echo(f"page {number} ink %: " + " ".join(f"{k} {v:.1f}" for k, v in inks.items()))
    if result.ink_coverage is None and not no_ink:
        click.echo("ink coverage: unavailable (Ghostscript `gs` gives it)")
    for warning in result.warnings:
        click.echo(f"warning: {shown(warning)}", err=True)


def _as_dict(result: Any) -> dict[str, Any]:
    return {
        "proof": str(result.proof),
        "thumbnail": str(result.thumbnail),
        "preview_pdf": str(result.preview_pdf),
        "spots": list(result.spots),
        "ink_coverage": result.ink_coverage,
        "warnings": list(result.warnings),
    }
