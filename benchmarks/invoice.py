"""A bureau's invoice of 5,000 lines imported and checked against 100,000 jobs.

The jobs span 2026 over the shop's presses and bureaus (most to Leonov), done in normal mode
with their plate upload recorded (the remote name the bureau bills). The invoice is Leonov's
for November, saved as Excel does (cp1251, ``;``): lines for most of the month's jobs, some
with other plate counts or prices, some billed twice, some for files never sent. Measured:
``import_invoice`` whole (read, the jobs query, matching, the stored check in one transaction)
and its parts, median of ``--runs`` (each run imports a fresh copy: the same file twice is
refused). Target < 5 s. SQLite in a temporary folder, then PostgreSQL in a scratch database
created and dropped (``--no-pg`` skips it).

Run: ``.venv/bin/python benchmarks/invoice.py [--jobs 100000] [--lines 5000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlalchemy  # noqa: E402

from models.db import engine_for, migrate  # noqa: E402
from models.invoices import import_invoice, sent_jobs  # noqa: E402
from models.job import Delivery, Job, search_key  # noqa: E402
from pipeline.config import config_from_dict  # noqa: E402
from pipeline.invoice.lines import read_invoice  # noqa: E402
from pipeline.invoice.matching import match_lines  # noqa: E402

#: PostgreSQL server with trust auth; a scratch database is made on it and dropped.
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: The issue's target, in seconds.
TARGET = 5.0
#: (press, bureau) pairs and their weights.
PAIRS = [("Speedmaster", "Leonov"), ("Planeta", "Leonov"), ("Planeta", "Korol")]
WEIGHTS = [50, 25, 25]
#: Leonov's invoice columns.
COLUMNS = {"date": "Дата", "file": "Файл", "format": "Формат", "plates": "Кількість"}
COLUMNS["price"] = "Ціна"


def config_for(url: str, work: Path) -> Any:
    presses = {
        "Speedmaster": {"plate_mm": [1030, 770], "gripper_mm": 10, "plate_cost": 95.0},
        "Planeta": {"plate_mm": [1010, 820], "gripper_mm": 10, "plate_cost": 88.0},
    }
    prices = [
        {"plate_mm": [1030, 770], "price": 90.0},
        {"plate_mm": [1030, 770], "price": 95.0, "from": "2026-11-15"},
    ]
    raw = {
        "paths": {"work_dir": str(work)},
        "database": {"url": url},
        "presses": presses,
        "outputters": {"Leonov": {"invoice": COLUMNS, "prices": prices}, "Korol": {}},
    }
    return config_from_dict(raw, source=work / "prepress.toml")


def job_rows(count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``count`` done jobs over 2026 and the plate upload of each."""
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 12, 1, tzinfo=UTC) - start).total_seconds()
    jobs, deliveries = [], []
    for index in range(1, count + 1):
        when = start + timedelta(seconds=span * index / count)
        press, bureau = rng.choices(PAIRS, WEIGHTS)[0]
        order = f"{index:06d}"
        name = f"{order}_Flier_{bureau}.pdf"
        jobs.append(
            {
                **{"id": index, "name": name, "sha256": "", "size": 1000, "mode": "normal"},
                **{"received_at": when, "job_date": when, "finished_at": when},
                **{"status": "done", "step": "persist", "spool_path": "", "archive_path": ""},
                **{"error_code": "", "error": "", "creator": "", "signa": True, "pages": 2},
                **{"order": order, "job_name": "Flier", "press": press, "outputter": bureau},
                **{"press_source": "mark", "outputter_source": "mark", "remake": False},
                **{"plates": rng.choice([4, 6, 8, 10]), "separations": {}, "sheets": []},
                **{"preview": {}, "warnings": [], "findings": [], "decision": ""},
                **{"decided_by": "", "decision_reason": "", "remake_reason_code": ""},
                **{"remake_plates": [], "remake_note": "", "press_pages": {}},
                "search_key": search_key(name, order, "Flier"),
            }
        )
        deliveries.append(
            {
                **{"job_id": index, "kind": "plate", "target": "ftp://ctp.example.com:21/in"},
                **{"remote_path": f"/in/_1030x770/{name}", "bytes": 1000, "seconds": 0.1},
                **{"speed_mbps": 1.0, "done_at": when},
            }
        )
    return jobs, deliveries


def fill(url: str, count: int) -> float:
    started = time.monotonic()
    migrate(url)
    jobs, deliveries = job_rows(count)
    with engine_for(url).begin() as connection:
        for chunk in range(0, count, 5000):
            connection.execute(sqlalchemy.insert(Job.__table__), jobs[chunk : chunk + 5000])  # type: ignore[attr-defined]
            connection.execute(
                sqlalchemy.insert(Delivery.__table__),  # type: ignore[attr-defined]
                deliveries[chunk : chunk + 5000],
            )
    if url.startswith("postgresql"):
        with engine_for(url).connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sqlalchemy.text("ANALYZE"))
    return time.monotonic() - started


def invoice_bytes(config: Any, lines: int, run: int) -> bytes:
    """Leonov's November invoice: most of the month's jobs, some wrong, some never sent."""
    rng = random.Random(run)
    ours = sent_jobs(config, "Leonov", date(2026, 11, 1), date(2026, 11, 30), 7)
    ours = [job for job in ours if job.day.month == 11]
    rows = [f"Рахунок № {run} за листопад 2026", "Дата;Файл;Формат;Кількість;Ціна"]
    for number in range(lines):
        job = ours[number % len(ours)]
        plates, price = job.plates or 1, job.price or 95.0
        if rng.random() < 0.05:
            plates += 1
        if rng.random() < 0.05:
            price += 5
        name = job.names[0] if rng.random() > 0.02 else f"9{number:05d}_Ghost_Leonov.pdf"
        shown = f"{price:.2f}".replace(".", ",")  # the decimal comma of a Ukrainian Excel
        rows.append(f"{job.day:%d.%m.%Y};{name};1030x770;{plates};{shown}")
    return "\r\n".join(rows).encode("cp1251")


def measure(label: str, url: str, work: Path, jobs: int, lines: int, runs: int) -> float:
    config = config_for(url, work)
    print(f"{label}: {jobs:,} jobs inserted in {fill(url, jobs):.1f} s")
    whole, parts = [], {"read": [], "jobs query": [], "match": []}
    for run in range(runs):
        data = invoice_bytes(config, lines, run)
        started = time.monotonic()
        checked = import_invoice(config, "Leonov", data, f"leonov-{run}.csv")
        whole.append(time.monotonic() - started)
        started = time.monotonic()
        invoice = read_invoice(data, config.outputters["Leonov"].invoice)
        parts["read"].append(time.monotonic() - started)
        started = time.monotonic()
        found = sent_jobs(config, "Leonov", *invoice.period, 7)
        parts["jobs query"].append(time.monotonic() - started)
        started = time.monotonic()
        match_lines(invoice.lines, found, 7, invoice.period)
        parts["match"].append(time.monotonic() - started)
    counts = checked.outcome.counts()
    print(f"  {lines:,} lines against {len(found):,} jobs of the bureau around the period")
    print(f"  statuses: {', '.join(f'{k} {v}' for k, v in counts.items())}")
    for name, values in parts.items():
        print(f"  {name}: {statistics.median(values) * 1000:.0f} ms")
    median = statistics.median(whole)
    print(f"  import_invoice: {median:.2f} s (target < {TARGET:.0f} s)")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'prepress.db'}"
        measure("SQLite", url, work, args.jobs, args.lines, args.runs)
        if not args.no_pg:
            measure_postgres(work, args.jobs, args.lines, args.runs)


def measure_postgres(work: Path, jobs: int, lines: int, runs: int) -> None:
    admin = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"prepress_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError:
        print("PostgreSQL: not reachable, skipped")
        return
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        measure("PostgreSQL", url, work, jobs, lines, runs)
    finally:
        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
