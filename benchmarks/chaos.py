"""Chaos: a burst of Signa files through a real ``prepress up`` while faults keep coming.

    .venv/bin/python benchmarks/chaos.py [--files 300] [--every 25] [--outage 45] [--keep]

A fresh work folder gets the local shop's config (FTP sinks for the bureau and the press, an
SMS sink, SQLite) and a redis-server of its own on a free port with AOF (``appendfsync
everysec``, as deployed). ``prepress up`` is started, all files are dropped into the
hotfolder, and every ``--every`` seconds the next fault of this round is injected until the
burst is through:

1. Redis killed with SIGKILL and started again from its AOF,
2. the cpu worker's pool processes killed (kill -9),
3. ``prepress up`` killed with SIGKILL (all its processes) and started again,
4. the bureau's FTP down for ``--outage`` seconds,
5. Redis killed and started again *without* its data (the AOF deleted).

It prints per fault when it happened and, at the end: files, lost (no job), duplicated (a plate,
preview or SMS more than once), stuck (not done when the burst stopped making progress),
the time from the last fault to the last job done, and the total. Nothing here touches the
shared Redis; every process started is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.chain import FINAL_STATUSES  # noqa: E402
from testkit.shop import local_shop, write_config  # noqa: E402
from testkit.sinks import SmsSink  # noqa: E402
from tests.pipeline_harness import CountingFtpSink  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.reliability.outcome import burst, check_outcome  # noqa: E402
from tests.services import free_port  # noqa: E402

#: Job statuses that end a job.
FINAL = FINAL_STATUSES
#: Environment of ``prepress up``: the reconciler every 5 s, at most 10 s between attempts.
ENV = {"PREPRESS_RECONCILE_EVERY": "5", "PREPRESS_MAX_BACKOFF": "10"}
#: Seconds without a job finishing after the last fault before the rest counts as stuck.
STALL = 180.0


class Shop:
    """The work folder, its sinks, its Redis and its running ``prepress up``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.redis = RedisServer(folder / "redis", appendonly=True).start()
        self.bureau = CountingFtpSink(folder / "ftp-bureau", "ctp", "ctp-pw", free_port()).start()
        self.press = CountingFtpSink(folder / "ftp-press", "press", "press-pw").start()
        self.sms = SmsSink("shop", "sms-pw").start()
        sections = local_shop(
            folder / "work", self.redis.url(0), self.bureau, self.press, self.sms, 1.0
        )
        sections["celery"]["visibility_timeout"] = 4 * 3600
        self.config_path = write_config(folder / "prepress.toml", sections)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PREPRESS_")}
        self.env.update(ENV, PREPRESS_CONFIG=str(self.config_path), PYTHONUNBUFFERED="1")
        self.up: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"sqlite:///{self.folder / 'work' / 'var' / 'prepress.db'}"

    def start_up(self) -> None:
        self.starts += 1
        log = open(self.folder / f"up-{self.starts}.log", "ab")
        self.up = subprocess.Popen(
            [sys.executable, "-m", "commands", "up"],
            cwd=Path(__file__).resolve().parents[1],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def kill_up(self) -> None:
        if self.up is not None:
            os.killpg(self.up.pid, signal.SIGKILL)
            self.up.wait()

    def jobs(self) -> list[Any]:
        from models import store

        return store.list_jobs(self.url, limit=100000)

    def stop(self) -> None:
        if self.up is not None and self.up.poll() is None:
            self.up.send_signal(signal.SIGTERM)
            try:
                self.up.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.up.pid, signal.SIGKILL)
        for sink in (self.bureau, self.press, self.sms):
            sink.stop()
        self.redis.stop(kill=True)


def fault_round(shop: Shop, outage: float) -> list[tuple[str, Any]]:
    """The faults of one round, in order: (name, action)."""

    def redis_aof() -> None:
        shop.redis.restart(kill=True)

    def cpu_pool() -> None:
        pids = subprocess.run(
            ["pgrep", "-f", "-s", str(os.getsid(shop.up.pid)), "worker --queues cpu"],  # type: ignore[union-attr]
            capture_output=True,
            text=True,
        ).stdout.split()
        for pid in pids:
            for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
                os.kill(int(child), signal.SIGKILL)

    def up_killed() -> None:
        shop.kill_up()
        shop.start_up()

    def bureau_down() -> None:
        shop.bureau.stop()
        time.sleep(outage)
        shop.bureau.start()

    def redis_empty() -> None:
        shop.redis.stop(kill=True)
        shutil.rmtree(shop.redis.folder / "appendonlydir", ignore_errors=True)
        shop.redis.start()

    return [
        ("redis killed, AOF", redis_aof),
        ("cpu pool killed", cpu_pool),
        ("prepress up SIGKILLed", up_killed),
        (f"bureau FTP down {outage:.0f} s", bureau_down),
        ("redis killed, data lost", redis_empty),
    ]


def run(args: argparse.Namespace, folder: Path) -> None:
    shop = Shop(folder)
    try:
        pdfs = burst(folder / "samples", args.files)
        shop.start_up()
        time.sleep(8)  # workers up
        started = time.monotonic()
        hotfolder = folder / "work" / "hotfolder"
        for pdf in pdfs:
            hidden = hotfolder / f".{pdf.name}.part"
            shutil.copyfile(pdf, hidden)
            hidden.rename(hotfolder / pdf.name)
        last_fault = inject(shop, args, started, len(pdfs))
        finished = wait_done(shop, len(pdfs))
        report(shop, pdfs, started, last_fault, finished)
    finally:
        shop.stop()


def inject(shop: Shop, args: argparse.Namespace, started: float, count: int) -> float:
    """Inject the faults in turn until every job is final; the time the last one ended."""
    faults = fault_round(shop, args.outage)
    last = started
    index = 0
    while True:
        time.sleep(args.every)
        final = sum(j.status in FINAL for j in shop.jobs())
        if final >= count or index >= args.rounds * len(faults):
            return last
        name, action = faults[index % len(faults)]
        print(f"{time.monotonic() - started:7.1f} s  {final:4d}/{count} final  fault: {name}")
        action()
        last = time.monotonic()
        index += 1


def wait_done(shop: Shop, count: int) -> float:
    """Wait until all jobs are final or nothing finished for STALL seconds."""
    progress, seen = time.monotonic(), -1
    while time.monotonic() - progress < STALL:
        final = sum(j.status in FINAL for j in shop.jobs())
        if final != seen:
            progress, seen = time.monotonic(), final
        if final >= count:
            return time.monotonic()
        time.sleep(1)
    return progress


def report(shop: Shop, pdfs: list[Path], started: float, last: float, finished: float) -> None:
    outcome = check_outcome(shop, pdfs)
    print(f"files                      {len(pdfs)}")
    print(f"lost                       {outcome.lost}")
    print(f"duplicated                 {outcome.duplicated}")
    print(f"stuck                      {outcome.stuck}")
    print(f"recovered after last fault {finished - last:.1f} s")
    print(f"total                      {finished - started:.1f} s")
    for problem in outcome.problems[:20]:
        print(f"  problem: {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--every", type=float, default=25.0, help="seconds between faults")
    parser.add_argument("--outage", type=float, default=45.0, help="bureau FTP outage, s")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the five faults")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-chaos-"))
    try:
        run(args, folder)
    finally:
        if args.keep:
            print(f"work folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
