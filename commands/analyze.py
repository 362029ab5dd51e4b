"""``prepress analyze FILE...``: what the pipeline would read from imposed PDFs.

Exit status 0 when every file is ok, 1 when any is rejected, 2 for a configuration error.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from commands.cli import load_config_or_exit
from pipeline.pdf.analysis import Analysis
from pipeline.pdf.analysis import analyze as analyze_file


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per file (an array when several)."
)
@click.pass_context
def analyze(ctx: click.Context, files: tuple[str, ...], as_json: bool) -> None:
    """Read press, plates, CTP bureau, order and job name from Signa PDFs.

    A folder stands for the PDFs directly in it.
    """
    config = load_config_or_exit(ctx)
    paths = [path for given in files for path in pdfs_in(Path(given))]
    if not paths:
        raise click.UsageError(f"no PDF files in {', '.join(files)}")
    results = [analyze_file(path, config) for path in paths]
    if as_json:
        documents = [result.as_dict() for result in results]
        click.echo(
            json.dumps(documents[0] if len(documents) == 1 else documents, ensure_ascii=False)
        )
    else:
        click.echo("\n".join(describe(result) for result in results))
    ctx.exit(0 if all(result.ok for result in results) else 1)


def pdfs_in(path: Path) -> list[Path]:
    """``path`` itself, or the ``*.pdf`` files (any case) directly in a folder, sorted."""
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".pdf")


def describe(result: Analysis) -> str:
    """A few lines a person reads: the verdict, the facts, then errors and warnings (each
    line with its control characters escaped: a file name is data)."""
    from pipeline.text import shown

    return "\n".join(shown(line) for line in _lines(result))


def _lines(result: Analysis) -> list[str]:
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
    return lines


def _fact(value: str | None, source: str | None) -> str:
    return f"{value} (from {source})" if value else "-"


def _mm(size: tuple[float, float]) -> str:
    return "x".join(f"{v:g}" for v in size)
