"""Preflight speed against Ghostscript's ink coverage pass, on the same file in one run.

The file is the analysis benchmark's heavy sheet: 8 pages of ~20,000 vector objects each
(Signa marks, colorant lists). Measured, median of ``--runs``, methods interleaved round by
round (the machine is shared):

1. ``run_preflight()`` with the default settings: every content check on every page;
2. only the reading of the content streams (``tokens.operations`` over every page), so the
   walk and the "prints" rule cost = (1) - (2);
3. the preview's ink pass (``pipeline.preview.inkcov.read_ink``: Ghostscript renders CMYK at
   72 dpi, ``pipeline.inkmap`` measures the averages and the total-ink profile), the pass the
   preview already runs on every job;
4. Ghostscript's ``ink_cov`` device alone over the same file (averages only: what the ink pass
   was before it kept the total-ink profile), so the cost of the profile is (3) - (4).

The cost of the "prints" rule alone (``colours.colour``, called for each colour a page has not
set before) is timed in one more run.

Run: ``.venv/bin/python benchmarks/preflight.py [--runs 5]``. Temporary files are deleted.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pypdf import PdfReader  # noqa: E402

from pipeline.config.preflight import PreflightSettings  # noqa: E402
from pipeline.preflight import run_preflight  # noqa: E402
from pipeline.preflight.tokens import operations  # noqa: E402
from pipeline.preview.inkcov import read_ink  # noqa: E402
from testkit.samples import signa_sheet, write_signa_pdf  # noqa: E402

#: Pages and vector objects per page, as in benchmarks/analysis.py.
PAGES, VECTOR_OBJECTS = 8, 20_000
#: A budget no run reaches: the benchmark measures the whole walk.
NO_BUDGET = PreflightSettings(budget_seconds=3600)


def read_only(path: Path) -> int:
    """Tokenise every page's content without interpreting it; the operator count."""
    count = 0
    for page in PdfReader(path).pages:
        count += sum(1 for _ in operations(page.get_contents().get_data()))
    return count


def cpu() -> float:
    """CPU seconds (user + sys) of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(function: Callable[[], object]) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds and the result of ``function()``."""
    wall, used = time.perf_counter(), cpu()
    result = function()
    return time.perf_counter() - wall, cpu() - used, result


def rule_cost(path: Path) -> tuple[int, float]:
    """How often the "prints" rule ran (colours not already remembered) and its CPU seconds,
    by timing ``colours.colour`` as the walker calls it during one preflight."""
    import pipeline.preflight.walk as walk

    original, calls, spent = walk.colour, [0], [0.0]

    def timed_colour(space, values):  # type: ignore[no-untyped-def]
        started = time.process_time()
        try:
            return original(space, values)
        finally:
            calls[0] += 1
            spent[0] += time.process_time() - started

    walk.colour = timed_colour  # type: ignore[assignment]
    try:
        run_preflight(path, NO_BUDGET)
    finally:
        walk.colour = original
    return calls[0], spent[0]


def measure(path: Path, runs: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of each method per round."""
    times: dict[str, list[tuple[float, float]]] = {
        "preflight": [],
        "read": [],
        "inkcov": [],
        "ink_cov": [],
    }
    for _ in range(runs):
        wall, used, report = timed(lambda: run_preflight(path, NO_BUDGET))
        assert report.pages_checked == PAGES and not report.findings, report.findings  # type: ignore[attr-defined]
        times["preflight"].append((wall, used))
        wall, used, _ = timed(lambda: read_only(path))
        times["read"].append((wall, used))
        wall, used, ink = timed(lambda: read_ink(path))
        assert ink.coverage is not None, ink.problem  # type: ignore[attr-defined]
        times["inkcov"].append((wall, used))
        wall, used, _ = timed(lambda: ink_cov_device(path))
        times["ink_cov"].append((wall, used))
    return times


def ink_cov_device(path: Path) -> None:
    """Ghostscript's ``ink_cov`` device over ``path`` at 72 dpi, its figures thrown away."""
    gs = shutil.which("gs")
    assert gs is not None, "Ghostscript (gs) is needed"
    subprocess.run(
        [gs, "-dSAFER", "-dBATCH", "-dNOPAUSE", "-q", "-r72", "-sDEVICE=ink_cov"]
        + ["-sOutputFile=-", str(path)],
        capture_output=True,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = write_signa_pdf(
            Path(folder) / "0537_Busy_Leonov.pdf",
            [signa_sheet(vector_objects=VECTOR_OBJECTS)] * PAGES,
        )
        operators = run_preflight(path, NO_BUDGET).operators
        rounds = measure(path, args.runs)
        rule_calls, rule_seconds = rule_cost(path)
        size = path.stat().st_size / 1e6
    wall = {k: statistics.median(w for w, _ in v) for k, v in rounds.items()}
    used = {k: statistics.median(c for _, c in v) for k, v in rounds.items()}
    print(
        f"file: {PAGES} pages x {VECTOR_OBJECTS} vector objects, {size:.1f} MB, "
        f"{operators} operators; median of {args.runs}, CPU ms (wall ms)"
    )
    rows = [
        ("preflight, all checks", used["preflight"], wall["preflight"]),
        ("reading the content streams only", used["read"], wall["read"]),
        (
            "walk + rules (the difference)",
            used["preflight"] - used["read"],
            wall["preflight"] - wall["read"],
        ),
        ("the preview's ink pass (CMYK, 72 dpi)", used["inkcov"], wall["inkcov"]),
        ("Ghostscript's ink_cov device alone", used["ink_cov"], wall["ink_cov"]),
    ]
    for label, cpu_s, wall_s in rows:
        print(f"  {label:<36} {cpu_s * 1000:8.0f} ({wall_s * 1000:.0f})")
    print(
        f"  the prints rule: {rule_calls} evaluations, {rule_seconds * 1000:.0f} ms CPU "
        f"(timed separately, one run)"
    )
    print(f"  ratio preflight / ink pass, CPU: {used['preflight'] / used['inkcov']:.2f}")
    print(f"  ratio ink pass / ink_cov device, CPU: {used['inkcov'] / used['ink_cov']:.2f}")
    print(f"  per operator, CPU: {used['preflight'] / operators * 1e6:.1f} us")


if __name__ == "__main__":
    main()
