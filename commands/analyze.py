"""``prepress analyze FILE...``: what the pipeline would read from imposed PDFs.

Exit status 0 when every file is ok, 1 when any is rejected, 2 for a configuration error.
"""

from __future__ import annotations

import json

import click

from commands.cli import load_config_or_exit
from pipeline.pdf.analysis import Analysis
from pipeline.pdf.analysis import analyze as analyze_file


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="prepress.toml to use (default: $PREPRESS_CONFIG, else ./prepress.toml).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per file (an array when several)."
)
@click.pass_context
def analyze(
    ctx: click.Context, files: tuple[str, ...], config_path: str | None, as_json: bool
) -> None:
    """Read press, plates, CTP bureau, order and job name from Signa PDFs."""
    config = load_config_or_exit(ctx, config_path)
    results = [analyze_file(path, config) for path in files]
    if as_json:
        documents = [result.as_dict() for result in results]
        click.echo(
            json.dumps(documents[0] if len(documents) == 1 else documents, ensure_ascii=False)
        )
    else:
        click.echo("\n".join(describe(result) for result in results))
    ctx.exit(0 if all(result.ok for result in results) else 1)


def describe(result: Analysis) -> str:
    """A few lines a person reads: the verdict, the facts, then errors and warnings."""
    lines = [f"{result.file}: {'ok' if result.ok else 'REJECTED'}"]
    if result.pages is not None:
        lines.append(
            f"  creator {result.creator or '(none)'}, {result.pages} page(s)"
            f"{'' if result.signa else ', not Signa'}"
        )
    lines.append(f"  order {result.order or '-'}, job {result.job_name}")
    if result.pages is not None:
        lines.append(
            f"  press {_fact(result.press, result.press_source)}, "
            f"outputter {_fact(result.outputter, result.outputter_source)}, "
            f"plates {result.plates if result.plates is not None else 'unknown'}"
        )
    for number, plate in result.plate_mm.items():
        paper = result.paper_mm.get(number)
        inks = ", ".join(result.separations.get(number, [])) or "no colorant list"
        lines.append(
            f"  page {number}: plate {_mm(plate)} mm, "
            f"paper {_mm(paper) + ' mm' if paper else 'unknown'}, {inks}"
        )
    lines += [f"  error {error['code']}: {error['message']}" for error in result.errors]
    lines += [f"  warning: {warning}" for warning in result.warnings]
    return "\n".join(lines)


def _fact(value: str | None, source: str | None) -> str:
    return f"{value} (from {source})" if value else "-"


def _mm(size: tuple[float, float]) -> str:
    return "x".join(f"{v:g}" for v in size)
