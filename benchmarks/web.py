"""Dashboard server time with 100,000 jobs: a filtered grid page and a year's plate report.

The jobs span three years (2024-2026) over the shop's presses and bureaus, mostly done, some
failed, rejected, dry-run or imported, a few same-file reprocesses; each has its two upload
steps. Times are server time: the request handled in-process by the Flask app (routing,
queries, accounting, template), median of ``--runs`` after one warm-up. Targets: grid page
< 150 ms, year's report < 300 ms. SQLite in a temporary folder, then PostgreSQL in a scratch
database that is created and dropped (``--pg-admin`` URL; skipped when unreachable).

Run: ``.venv/bin/python benchmarks/web.py [--jobs 100000] [--runs 9] [--no-pg]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlalchemy  # noqa: E402

from models.db import engine_for, migrate  # noqa: E402
from models.job import Job, Step, search_key  # noqa: E402
from pipeline.config import config_from_dict  # noqa: E402

#: PostgreSQL server with trust auth; a scratch database is made on it and dropped.
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: Targets of the issue, in milliseconds.
GRID_TARGET, REPORT_TARGET = 150, 300
#: (press, bureau) pairs the jobs are spread over.
PAIRS = [
    ("Speedmaster", "Leonov"),
    ("Planeta", "Korol"),
    ("Dominant", "Leonov"),
    ("Speedmaster", "Vonoel"),
    ("Planeta", "Leonov"),
    ("Speedmaster", "Admin"),
]
#: Words of file names.
WORDS = ["Flier", "Catalog", "Poster", "Menu", "Booklet", "Label", "Card", "Calendar"]
CLIENTS = ["Technoyug", "Kvitka", "Vesna", "Agro", "Dnipro", "Lviv", "Zirka", "Каталог", "ЗОРЯ"]
#: The grid page measured: last 60 days, one press, a word, an excluded word.
GRID_QUERY = "/?press=Speedmaster&q=flier+-korol&from={start}"
#: The year's report page and its JSON.
REPORT_PAGES = ("/reports?year=2026", "/api/report?from=2026-01-01&to=2026-12-31")


def config_for(url: str, work: Path) -> Any:
    os.environ["BENCH_WEB_PW"] = "bench-pw"
    presses = {
        "Speedmaster": {"plate_mm": [1030, 770], "gripper_mm": 10, "plate_cost": 95.0},
        "Planeta": {"plate_mm": [1010, 820], "gripper_mm": 10, "plate_cost": 88.0},
        "Dominant": {"plate_mm": [650, 550], "gripper_mm": 8},
    }
    raw = {
        "paths": {"work_dir": str(work)},
        "database": {"url": url},
        "presses": presses,
        "outputters": {name: {} for name in ("Leonov", "Korol", "Vonoel", "Admin")},
        "web": {"users": {"bench": {"role": "viewer", "password_env": "BENCH_WEB_PW"}}},
    }
    return config_from_dict(raw, source=work / "prepress.toml")


def job_rows(count: int, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """``count`` jobs over three years with their upload steps, oldest first."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 12, 1, tzinfo=UTC) - start).total_seconds()
    jobs, steps = [], []
    for index in range(1, count + 1):
        when = start + timedelta(seconds=span * index / count)
        press, outputter = rng.choice(PAIRS)
        status = rng.choices(["done", "failed", "rejected"], [95, 3, 2])[0]
        mode = rng.choices(["normal", "import", "dry-run"], [90, 7, 3])[0]
        order = f"{index % 10000:04d}"
        job = f"{rng.choice(CLIENTS)}_{rng.choice(WORDS)}"
        reprocess = index - rng.randint(1, 50) if index > 50 and rng.random() < 0.01 else None
        jobs.append(
            {
                "id": index,
                "name": f"{order}_{job}_{outputter}.pdf",
                "sha256": "",
                "size": 1000,
                "received_at": when,
                "job_date": when,
                "mode": mode,
                "status": status,
                "step": "persist",
                "spool_path": "",
                "archive_path": "",
                "error_code": "",
                "error": "",
                "reprocess_of": reprocess,
                "finished_at": when,
                "creator": "",
                "signa": True,
                "pages": 2,
                "order": order,
                "job_name": job,
                "press": press,
                "press_source": "mark",
                "outputter": outputter,
                "outputter_source": "mark",
                "plates": rng.choice([4, 6, 7, 8, 10, 16]) if rng.random() > 0.01 else None,
                "separations": {},
                "sheets": [],
                "preview": {},
                "warnings": [],
                "search_key": search_key(f"{order}_{job}_{outputter}.pdf", order, job),
            }
        )
        same = reprocess is not None and rng.random() < 0.5
        note = "leonov/a.pdf: already on the server with the same size, not sent again"
        for name in ("upload_plate", "upload_preview"):
            steps.append(
                {
                    "job_id": index,
                    "name": name,
                    "state": "done",
                    "attempts": 1,
                    "error": "",
                    "note": note if same and name == "upload_plate" else "",
                    "task_id": "",
                }
            )
    return jobs, steps


def fill(url: str, count: int) -> float:
    """Migrate and insert the jobs; return seconds taken."""
    started = time.monotonic()
    migrate(url)
    jobs, steps = job_rows(count, random.Random(7))
    with engine_for(url).begin() as connection:
        for chunk in range(0, len(jobs), 5000):
            connection.execute(sqlalchemy.insert(Job.__table__), jobs[chunk : chunk + 5000])  # type: ignore[attr-defined]
        for chunk in range(0, len(steps), 10000):
            connection.execute(sqlalchemy.insert(Step.__table__), steps[chunk : chunk + 10000])  # type: ignore[attr-defined]
    if url.startswith("postgresql"):
        with engine_for(url).connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sqlalchemy.text("ANALYZE"))
            c.execute(sqlalchemy.text("SELECT setval('job_id_seq', (SELECT max(id) FROM job))"))
    return time.monotonic() - started


def server_ms(client: Any, path: str, runs: int) -> float:
    """Median milliseconds of ``runs`` requests for ``path`` (after a warm-up)."""
    headers = {"Authorization": "Basic YmVuY2g6YmVuY2gtcHc="}  # bench:bench-pw
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path, headers=headers).close()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(label: str, url: str, work: Path, count: int, runs: int) -> dict[str, float]:
    from web.app import create_app

    seconds = fill(url, count)
    print(f"{label}: {count:,} jobs inserted in {seconds:.1f} s")
    client = create_app(config_for(url, work)).test_client()
    login = client.get("/login").text
    token = login.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "bench", "password": "bench-pw", "csrf_token": token})
    start = (datetime(2026, 12, 1) - timedelta(days=60)).date().isoformat()
    figures = {
        "grid, default (last 60 days)": server_ms(client, f"/?from={start}", runs),
        "grid, filtered (press, word, -word)": server_ms(
            client, GRID_QUERY.format(start=start), runs
        ),
        "api/jobs, all years, q=catalog": server_ms(client, "/api/jobs?q=catalog", runs),
        "grid, Cyrillic word, other case": server_ms(
            client, f"/?q=%D0%9A%D0%90%D0%A2%D0%90%D0%9B%D0%9E%D0%93&from={start}", runs
        ),
        "grid rows (polled), default": server_ms(client, f"/rows?from={start}", runs),
        "reports page, year 2026": server_ms(client, REPORT_PAGES[0], runs),
        "api/report, year 2026": server_ms(client, REPORT_PAGES[1], runs),
        "reports page, date range 2025-2026": server_ms(
            client, "/reports?from=2025-01-01&to=2026-12-31", runs
        ),
    }
    for name, ms in figures.items():
        target = REPORT_TARGET if "report" in name else GRID_TARGET
        verdict = "ok" if ms < target else "OVER"
        print(f"  {name:<38} {ms:7.1f} ms  (target < {target} ms: {verdict})")
    engine_for(url).dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prepress-bench-web-") as folder:
        work = Path(folder)
        measure("SQLite", f"sqlite:///{work / 'bench.db'}", work, args.jobs, args.runs)
        if not args.no_pg:
            measure_postgres(args.pg_admin, work, args.jobs, args.runs)


def measure_postgres(admin_url: str, work: Path, count: int, runs: int) -> None:
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"prepress_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as exc:
        print(f"PostgreSQL: skipped ({str(exc).splitlines()[0]})")
        return
    try:
        measure("PostgreSQL", admin_url.rsplit("/", 1)[0] + f"/{name}", work, count, runs)
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
