"""The content stream reader (``pipeline.preflight.tokens``) against pikepdf's, in one run.

Streams:

1. the heavy sheet of benchmarks/preflight.py: the content of 8 pages of ~20,000 vector
   objects each (Signa marks, colorant lists), one after the other: ~530,000 operators;
2. hostile streams of 1 MB each: white space before an operator (the runs that made the
   old patterns backtrack), unclosed ``(``, ``[`` nested a million deep, ``BI`` without
   ``ID``, inline images whose data is glued to ``EI``, numbers without an operator.

Readers, CPU time, median of ``--runs``, readers interleaved round by round (the machine is
shared):

- ours: ``tokens.operations`` read to the end (plain Python operands, as the walker uses);
- pikepdf: ``pikepdf.parse_content_stream`` on the same bytes (qpdf's parser; operands are
  pikepdf objects, numbers ``int`` and ``Decimal``);
- pikepdf + plain: the same, and every operand turned into what the walker reads (floats,
  ``Name``, bytes, lists, dicts) - the price of switching;
- with ``--against REV``: the reader as it was at git revision ``REV`` (heavy stream only:
  the old patterns never finish some of the hostile ones).

Run: ``.venv/bin/python benchmarks/content_reader.py [--runs 5] [--against HEAD~1]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import types
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pikepdf  # noqa: E402

from pipeline.preflight.tokens import Name, operations  # noqa: E402
from testkit.samples import signa_sheet, write_signa_pdf  # noqa: E402

#: Pages and vector objects per page, as in benchmarks/preflight.py.
PAGES, VECTOR_OBJECTS = 8, 20_000
MEGABYTE = 1 << 20

Reader = Callable[[bytes], int]


def heavy_stream() -> bytes:
    """The heavy sheet's page contents, one after the other."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_signa_pdf(
            Path(folder) / "0537_Busy_Leonov.pdf",
            [signa_sheet(vector_objects=VECTOR_OBJECTS)] * PAGES,
        )
        with pikepdf.open(path) as pdf:
            return b"\n".join(page.Contents.read_bytes() for page in pdf.pages)


def repeat(piece: bytes) -> bytes:
    return (piece * (MEGABYTE // len(piece) + 1))[:MEGABYTE]


HOSTILE: dict[str, bytes] = {
    "1 MB of spaces, then /GS0 gs": b" " * MEGABYTE + b"/GS0 gs",
    "1 MB of unclosed (": b"(" * MEGABYTE,
    "1 MB of [ (nested)": b"[" * MEGABYTE,
    "1 MB of BI without ID": repeat(b"BI /W 1 "),
    "1 MB of inline images, data glued to EI": repeat(b"q BI /W 1 /H 1 /CS /G /BPC 8 ID xEI Q "),
    "1 MB of numbers, no operator": repeat(b"1 0.5 "),
}


def ours(data: bytes) -> int:
    return sum(1 for _ in operations(data))


def pikepdf_parse(data: bytes) -> list[Any]:
    pdf = pikepdf.new()
    return list(pikepdf.parse_content_stream(pikepdf.Stream(pdf, data)))


def pikepdf_only(data: bytes) -> int:
    return len(pikepdf_parse(data))


def pikepdf_plain(data: bytes) -> int:
    return sum(1 for _ in pikepdf_operations(data))


def pikepdf_operations(data: bytes) -> Iterator[tuple[list[Any], str]]:
    """pikepdf's instructions as ``tokens.operations`` yields them."""
    for instruction in pikepdf_parse(data):
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            yield [plain(instruction.iimage.obj)], "BI"
        else:
            yield [plain(operand) for operand in instruction.operands], str(instruction.operator)


def plain(value: Any) -> Any:
    """A pikepdf operand as the walker reads it (what ``tokens.operations`` yields)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pikepdf.Name):
        return Name(str(value)[1:])
    if isinstance(value, pikepdf.String):
        return bytes(value)
    if isinstance(value, pikepdf.Array):
        return [plain(item) for item in value]
    if isinstance(value, pikepdf.Dictionary):
        return {key[1:]: plain(item) for key, item in value.items()}
    return value


def reader_at(revision: str) -> Reader:
    """``tokens.operations`` as it was at git ``revision``."""
    source = subprocess.run(
        ["git", "show", f"{revision}:pipeline/preflight/tokens.py"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"tokens_at_{revision}")
    exec(compile(source, f"tokens.py@{revision}", "exec"), module.__dict__)  # noqa: S102

    def old(data: bytes) -> int:
        found: Iterator[Any] = module.operations(data)
        return sum(1 for _ in found)

    return old


def cpu(reader: Reader, data: bytes) -> tuple[float, str]:
    """CPU seconds of ``reader(data)`` and its operator count (or the error it raised)."""
    started = time.process_time()
    try:
        outcome = str(reader(data))
    except Exception as exc:  # noqa: BLE001 - the figure says what went wrong
        outcome = f"{type(exc).__name__}: {exc}"[:60]
    return time.process_time() - started, outcome


def measure(data: bytes, readers: dict[str, Reader], runs: int) -> dict[str, tuple[float, str]]:
    """Median CPU seconds and outcome of each reader, interleaved round by round."""
    times: dict[str, list[float]] = {name: [] for name in readers}
    outcomes: dict[str, str] = {}
    for _ in range(runs):
        for name, reader in readers.items():
            seconds, outcomes[name] = cpu(reader, data)
            times[name].append(seconds)
    return {name: (statistics.median(times[name]), outcomes[name]) for name in readers}


def report(title: str, figures: dict[str, tuple[float, str]]) -> None:
    print(title)
    base = figures["ours"][0]
    for name, (seconds, outcome) in figures.items():
        ratio = f"{seconds / base:6.2f}x ours" if base else ""
        print(f"  {name:<22} {seconds * 1000:9.1f} ms  {ratio}  ({outcome})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", help="also time the reader of this git revision")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pikepdf warns of the hostile streams' unexpected ends
    readers: dict[str, Reader] = {
        "ours": ours,
        "pikepdf": pikepdf_only,
        "pikepdf + plain": pikepdf_plain,
    }
    heavy = heavy_stream()
    on_heavy = dict(readers)
    if args.against:
        on_heavy[f"ours at {args.against}"] = reader_at(args.against)
    print(f"CPU ms, median of {args.runs}; the count in brackets is the operators read")
    report(
        f"heavy sheet: {len(heavy) / 1e6:.1f} MB of content", measure(heavy, on_heavy, args.runs)
    )
    for title, data in HOSTILE.items():
        report(title, measure(data, readers, args.runs))


if __name__ == "__main__":
    main()
