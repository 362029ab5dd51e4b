"""The per-file budget: how long a crafted file delays a normal file dropped right after it.

    .venv/bin/python benchmarks/limits.py [--cap 240] [--wall 90] [--memory 1500]

One worker process (as a Celery prefork child with one slot) takes two files dropped at the same
moment: a crafted one, then a normal Signa sheet (a 300 dpi photo and 20,000 paths). It makes
each file's preview and ink coverage, in order, the way the render_preview step does:

- before: ``render_preview`` in the worker process itself, as the step did without a budget
  (the worker is killed at ``--cap`` seconds, reported as "> cap");
- after: ``preview_within_budget`` with ``[limits]`` (children with RLIMIT_AS, RLIMIT_CPU and a
  wall-clock kill).

It prints, side by side, the normal file's delay (from the drop until its preview is written)
and the worker's peak memory (VmHWM), plus the largest peak of the budget's children.
Crafted files: 150,000 wide paths on one page (17 KB), 2,000 pages (0.5 MB), one 30000 x
30000 px grey image (0.9 MB on disk, 900 MB decoded).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import Limits  # noqa: E402
from testkit.samples import signa_sheet, write_signa_pdf  # noqa: E402
from tests import hostile  # noqa: E402

#: The crafted files: (label, writer).
CRAFTED = [
    ("150,000 paths", hostile.many_paths_pdf),
    ("2,000 pages", hostile.many_pages_pdf),
    ("30000x30000 image", hostile.huge_image_pdf),
]


def normal_sheet(path: Path) -> Path:
    """A real-looking Signa sheet: a 300 dpi photo on a quarter of the paper, 20,000 paths."""
    sheet = signa_sheet(image_px=(5300, 3800), image_mm=(65, 10, 450, 320), vector_objects=20_000)
    return write_signa_pdf(path, [sheet])


def worker(mode: str, limits: dict[str, float], files: list[str], out: str) -> None:
    """In the worker process: the previews of ``files`` in order, one JSON line per file."""
    from pipeline.budget import last_run
    from pipeline.errors import PrepressError
    from pipeline.preview.budgeted import preview_within_budget
    from pipeline.preview.render import render_preview

    budget = Limits(**limits)  # type: ignore[arg-type]
    dropped = time.monotonic()
    children = 0.0
    for number, name in enumerate(files):
        outcome = "preview"
        try:
            if mode == "before":
                render_preview(Path(name), None, Path(out), f"{number}", by_year=False)
            else:
                preview_within_budget(
                    Path(name), None, Path(out), f"{number}", limits=budget, by_year=False
                )
                children = last_run.largest_peak_mb
        except PrepressError as exc:
            outcome = f"{getattr(exc, 'code', 'error')} ({getattr(exc, 'resource', '')})"
        print(
            json.dumps(
                {
                    "file": Path(name).name,
                    "done_after": time.monotonic() - dropped,
                    "outcome": outcome,
                    "worker_peak_mb": _peak_mb(),
                    "children_peak_mb": children,
                }
            ),
            flush=True,
        )


def _peak_mb(pid: str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_worker(mode: str, limits: Limits, files: list[Path], cap: float) -> list[dict]:
    """A fresh worker process on ``files``; its lines, or fewer when killed at ``cap``."""
    with tempfile.TemporaryDirectory() as out:
        command = [
            sys.executable,
            __file__,
            "--worker",
            mode,
            json.dumps(vars(limits)),
            out,
            *map(str, files),
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        killed_peak = None
        try:
            stdout, _ = process.communicate(timeout=cap)
        except subprocess.TimeoutExpired:
            killed_peak = _peak_mb(str(process.pid))
            process.kill()
            stdout, _ = process.communicate()
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    if killed_peak is not None:
        lines.append({"killed": True, "worker_peak_mb": killed_peak, "children_peak_mb": 0})
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=240, help="seconds before a worker is killed")
    parser.add_argument("--wall", type=float, default=90)
    parser.add_argument("--memory", type=int, default=1500)
    args = parser.parse_args()
    limits = Limits(wall_seconds=args.wall, cpu_seconds=args.wall, memory_mb=args.memory)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        normal = normal_sheet(folder / "normal.pdf")
        alone = {mode: run_worker(mode, limits, [normal], args.cap) for mode in ("before", "after")}
        print(f"limits: wall {args.wall:g} s, cpu {args.wall:g} s, memory {args.memory} MB")
        for mode, lines in alone.items():
            print(
                f"normal file alone, {mode}: {lines[0]['done_after']:.1f} s, worker peak "
                f"{lines[0]['worker_peak_mb']:.0f} MB, children peak "
                f"{lines[0]['children_peak_mb']:.0f} MB"
            )
        print(
            f"{'crafted file dropped first':<22} | {'mode':<6} | {'crafted outcome':<22} | "
            f"{'normal delay':>12} | {'worker peak':>11} | {'children peak':>13}"
        )
        for label, write in CRAFTED:
            crafted = write(folder / "crafted.pdf")
            for mode in ("before", "after"):
                _row(label, mode, run_worker(mode, limits, [crafted, normal], args.cap), args.cap)


def _row(label: str, mode: str, lines: list[dict], cap: float) -> None:
    done = [line for line in lines if not line.get("killed")]
    crafted = done[0]["outcome"] if done else f"worker killed at {cap:g} s"
    normal = f"{done[1]['done_after']:.1f} s" if len(done) > 1 else f"> {cap:g} s"
    peak = f"{lines[-1]['worker_peak_mb']:.0f} MB" if lines else "?"
    children = f"{lines[-1]['children_peak_mb']:.0f} MB" if lines and mode == "after" else "-"
    print(f"{label:<22} | {mode:<6} | {crafted:<22} | {normal:>12} | {peak:>11} | {children:>13}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], json.loads(sys.argv[3]), sys.argv[5:], sys.argv[4])
    else:
        main()
