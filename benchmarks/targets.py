"""What the health strip costs every page: the targets with the jobs waiting on them, on 100,000
jobs (900,000 step rows), with the ``ix_step_state`` index and, side by side, without it.

Every page renders the strip with the page (tasks/targets.py ``overview``: the target records
and the waiting steps). Without an index on the step's state the waiting steps are a scan of
every step row; with it, a look-up of the few that wait. Times are in-process, median of
``--runs`` after one warm-up. Target: the strip adds under 10 ms to a page.

Run: ``.venv/bin/python benchmarks/targets.py [--jobs 100000] [--runs 15]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlalchemy  # noqa: E402

from models.db import engine_for, migrate  # noqa: E402
from models.job import Job, Step, utcnow  # noqa: E402
from pipeline.chain import STEPS  # noqa: E402


def _web_benchmark() -> Any:
    """benchmarks/web.py (its shop and its jobs), loaded by path: benchmarks/ is no package."""
    spec = importlib.util.spec_from_file_location("bench_web", REPO / "benchmarks" / "web.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


web = _web_benchmark()

#: The strip's budget per page, milliseconds.
TARGET_MS = 10.0
#: Jobs whose plate upload waits on the bureau (an outage in progress).
WAITING = 25


def fill(url: str, count: int) -> None:
    """``count`` done jobs with all their steps, and WAITING jobs waiting on Leonov."""
    migrate(url)
    jobs, _ = web.job_rows(count, random.Random(7))
    steps = [
        {"job_id": job["id"], "name": name, "state": "done", "attempts": 1, "error": "",
         "note": "", "task_id": "", "waiting_since": None}
        for job in jobs
        for name in STEPS
    ]  # fmt: skip
    since = utcnow() - timedelta(minutes=3)
    for step in steps[-len(STEPS) * WAITING :]:
        if step["name"] == "upload_plate":
            step.update(state="waiting", error="connection refused", waiting_since=since)
    for job in jobs[-WAITING:]:
        job.update(status="running", outputter="Leonov")
    with engine_for(url).begin() as connection:
        for chunk in range(0, len(jobs), 5000):
            connection.execute(sqlalchemy.insert(Job.__table__), jobs[chunk : chunk + 5000])  # type: ignore[attr-defined]
        for chunk in range(0, len(steps), 20000):
            connection.execute(sqlalchemy.insert(Step.__table__), steps[chunk : chunk + 20000])  # type: ignore[attr-defined]


def median_ms(work: Callable[[], object], runs: int) -> float:
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    from tasks.targets import overview

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-targets-") as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'prepress.db'}"
        fill(url, args.jobs)
        config = web.config_for(url, work)
        config = config.__class__(
            **{**config.__dict__, "outputters": {
                **config.outputters,
                "Leonov": config.outputters["Leonov"].__class__(
                    name="Leonov", url="ftp://ctp:pw@127.0.0.1:2121/leonov"
                ),
            }}
        )  # fmt: skip
        views = overview(config)
        leonov = next(v for v in views if v.key == "bureau:Leonov")
        assert leonov.waiting_count == WAITING, leonov
        with_index = median_ms(lambda: overview(config), args.runs)
        with engine_for(url).begin() as connection:
            connection.execute(sqlalchemy.text("DROP INDEX ix_step_state"))
        without = median_ms(lambda: overview(config), args.runs)
        engine_for(url).dispose()
    steps = args.jobs * len(STEPS)
    print(f"SQLite, {args.jobs:,} jobs ({steps:,} steps), {WAITING} waiting on Leonov FTP:")
    verdict = "ok" if with_index < TARGET_MS else "OVER"
    print(f"  targets + waiting jobs, with ix_step_state   {with_index:8.2f} ms  "
          f"(target < {TARGET_MS:g} ms: {verdict})")  # fmt: skip
    print(f"  targets + waiting jobs, without the index    {without:8.2f} ms")
    print(f"  ratio                                        {without / with_index:8.1f}x")


if __name__ == "__main__":
    main()
