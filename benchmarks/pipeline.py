"""Pipeline speed: a burst of small Signa files through a running ``prepress up``, per broker.

    .venv/bin/python benchmarks/pipeline.py [--files 200] [--stable 2] [--broker both]
        [--embedded-files 50] [--idle-runs 5] [--keep]

For each broker (a redis-server of the benchmark's own on a free port; or the embedded one:
kombu's filesystem transport and a SQLite result backend) a fresh work folder gets a config
with local FTP servers (CTP bureau, press) and a local SMS sink, and the real processes of
``prepress up`` are started (cpu worker, io worker, watcher; no beat). Once both workers
answer ``ping``, one warm-up file goes through, then:

- idle: single files dropped one at a time into the idle pipeline, drop-to-done latency each;
- burst: all files dropped at once (each written as ``.name.part``, then renamed, so it
  appears whole), then files per minute, p50/p95 drop-to-done latency and the orchestration
  overhead per file.

Overhead is read from the job records: ``wall`` = ``finished_at`` minus the first step's
``started_at``; *overhead (issue)* = wall minus the sum of the step durations; *overhead
(path)* = wall minus the critical path of the steps (the three detections run side by side,
so only the longest counts). Under a burst both include the time a job waits in the queues
behind the other jobs; the idle runs show the machinery alone.

Each broker runs in a child process of its own (a Celery app binds to one broker). Every
process started here is stopped and every temporary folder removed at the end, on error too.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import chain  # noqa: E402

#: Targets from the issue: overhead per file (s) by broker; idle p95 is stable_seconds + this.
OVERHEAD_TARGET = {"redis": 0.050, "embedded": 1.0}
IDLE_MARGIN = 3.0
#: Job statuses that end a job.
FINAL = chain.FINAL_STATUSES
#: Steps that run side by side (counted once, by the longest, on the critical path).
GROUP = next(stage for stage in chain.STAGES if len(stage) > 1)
#: Steps of the cpu queue (prefork pool, one process per core).
CPU_STEPS = tuple(step.name for step in chain.STEP_DEFS if step.queue == chain.CPU)
#: Seconds between two looks at the job table while waiting.
POLL = 0.1
#: Environment variables that would override the benchmark's config in the children.
OVERRIDES = ("PREPRESS_BROKER_URL", "PREPRESS_RESULT_BACKEND", "PREPRESS_DATABASE_URL")


@dataclass
class Timing:
    """One job's figures, in seconds."""

    name: str
    status: str
    latency: float  # drop -> finished_at
    wall: float  # first step start -> finished_at
    in_steps: float  # sum of step durations
    critical: float  # step durations with the group counted by its longest step
    steps: dict[str, float]  # duration of each step

    @property
    def overhead(self) -> float:
        return self.wall - self.in_steps

    @property
    def path_overhead(self) -> float:
        return self.wall - self.critical


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="files in the Redis burst")
    parser.add_argument(
        "--embedded-files",
        type=int,
        default=50,
        help="files in the embedded-broker burst (it is slower)",
    )
    parser.add_argument("--stable", type=float, default=2.0, help="watcher.stable_seconds")
    parser.add_argument("--broker", choices=["redis", "embedded", "both"], default="both")
    parser.add_argument("--idle-runs", type=int, default=5, help="single files, one at a time")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per burst")
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    parser.add_argument("--scenario", choices=["redis", "embedded"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    _exit_on_sigterm()
    if args.scenario:
        result = scenario(args.scenario, args)
        args.out.write_text(json.dumps(result), encoding="utf-8")
        return
    brokers = ["redis", "embedded"] if args.broker == "both" else [args.broker]
    results = {broker: run_child(broker, args) for broker in brokers}
    report(results, args.stable)


def run_child(broker: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one broker's scenario in its own interpreter, in a folder of its own."""
    files = args.files if broker == "redis" else args.embedded_files
    with tempfile.TemporaryDirectory(prefix=f"bench-pipeline-{broker}-") as tmp:
        out = Path(tmp) / "result.json"
        base = (
            Path(tempfile.mkdtemp(prefix=f"bench-pipeline-{broker}-")) if args.keep else Path(tmp)
        )
        argv = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--scenario",
            broker,
            "--files",
            str(files),
            "--stable",
            str(args.stable),
            "--idle-runs",
            str(args.idle_runs),
            "--timeout",
            str(args.timeout),
            "--out",
            str(out),
        ]
        print(
            f"\n=== {broker} broker: {files} files, stable_seconds {args.stable:g}, "
            f"work folder {base} ===",
            flush=True,
        )
        # The embedded transport keeps its exchange table in ./control: cwd is the work folder.
        child = subprocess.Popen(argv, cwd=base)
        try:
            code = child.wait()
        finally:  # interrupted: let the child stop its processes before its folder goes
            if child.poll() is None:
                child.terminate()
                child.wait()
        if code != 0 or not out.exists():
            raise SystemExit(f"{broker} scenario failed (exit status {code}); see above")
        return json.loads(out.read_text(encoding="utf-8"))


# --- one broker, in the child process ----------------------------------------------------


def scenario(broker: str, args: argparse.Namespace) -> dict[str, Any]:
    from testkit.sinks import FtpSink, SmsSink

    for name in OVERRIDES:
        os.environ.pop(name, None)
    base = Path.cwd()
    with ExitStack() as stack:
        ctp = stack.enter_context(FtpSink(base / "ftp-ctp", "ctp", "ctp-bench-pw"))
        press = stack.enter_context(FtpSink(base / "ftp-press", "press", "press-bench-pw"))
        sms = stack.enter_context(SmsSink("bench", "sms-bench-pw"))
        url = "embedded"
        if broker == "redis":
            url = stack.enter_context(_own_redis(base / "redis"))
        config_path = write_config(base, url, args.stable, ctp, press, sms)
        result = measure(base, config_path, args, stack)
        result["sms"] = len(sms.messages)
        result["plates_on_ftp"] = sum(1 for p in (base / "ftp-ctp").rglob("*") if p.is_file())
        return result


def measure(
    base: Path, config_path: Path, args: argparse.Namespace, stack: ExitStack
) -> dict[str, Any]:
    from commands.supervisor import Supervisor, export_config
    from models.db import migrate
    from pipeline.config import load_config

    config = load_config(config_path)
    export_config(config_path)
    config.paths.create()
    migrate(config.database_url)
    supervisor = Supervisor.for_up(config_path, beat=False, log_dir=base / "logs")
    stack.callback(stop_all, supervisor)
    started = time.monotonic()
    supervisor.start()
    try:
        wait_for_workers(config)
        print(f"workers answer ping after {time.monotonic() - started:.1f} s", flush=True)
        warm = drop_and_wait(config, supervisor, ["0000_Warmup_Leonov.pdf"], args.timeout)
        print(f"warm-up file done in {warm[0].latency:.2f} s (cold start)", flush=True)
        idle = []
        for run in range(args.idle_runs):
            time.sleep(1.0)  # the pipeline is idle again
            idle += drop_and_wait(
                config, supervisor, [f"{9000 + run}_Idle_Leonov.pdf"], args.timeout
            )
            print(
                f"idle file {run + 1}: {idle[-1].latency:.2f} s drop-to-done, overhead "
                f"{idle[-1].overhead * 1000:.0f} ms (path {idle[-1].path_overhead * 1000:.0f}"
                " ms)",
                flush=True,
            )
        names = [f"{1000 + i}_Bench_Leonov.pdf" for i in range(args.files)]
        load_before = os.getloadavg()[0]
        burst = drop_and_wait(config, supervisor, names, args.timeout)
        load_after = os.getloadavg()[0]
    except BaseException:
        print_log_tails(base / "logs")
        raise
    return {
        "broker": config.broker_url,
        "files": args.files,
        "stable": args.stable,
        "warmup": asdict(warm[0]),
        "idle": [asdict(t) for t in idle],
        "burst": [asdict(t) for t in burst],
        "load": [load_before, load_after],
    }


def write_config(base: Path, broker: str, stable: float, ctp: Any, press: Any, sms: Any) -> Path:
    """The demo's shop (Speedmaster with preview FTP and SMS, Leonov bureau) on loopback."""
    sections: dict[str, dict[str, Any]] = {
        "paths": {"work_dir": str(base / "work")},
        "celery": {"broker_url": broker},
        "watcher": {"stable_seconds": stable},
        "presses.Speedmaster": {
            "plate_mm": [1030, 770],
            "gripper_mm": 10,
            "preview_url": press.url("speedmaster"),
            "sms": ["+380501112233"],
        },
        "outputters.Leonov": {
            "url": ctp.url("leonov"),
            "dir_by_press": {"Speedmaster": "_1030x770"},
        },
        "sms": {
            "api_url": sms.url,
            "login": "bench",
            "password": "sms-bench-pw",
            "sender": "Typography",
            "recipients": ["+380670000000"],
        },
    }
    from testkit.shop import write_config as write_toml

    return write_toml(base / "prepress.toml", sections)


def wait_for_workers(config: Any, timeout: float = 120.0) -> None:
    """Until both the cpu and the io worker answer a broadcast ping."""
    from tasks.app import app, configure

    configure(config)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        names = {name.split("@", 1)[0] for reply in replies for name in reply}
        if {"cpu", "io"} <= names:
            return
    raise TimeoutError(f"workers did not answer ping within {timeout:.0f} s")


def drop_and_wait(config: Any, supervisor: Any, names: list[str], timeout: float) -> list[Timing]:
    """Drop the files into the hotfolder at once, wait until every job is final, time them."""
    from testkit.samples import signa_sheet, write_signa_pdf

    hotfolder = config.paths.hotfolder
    for name in names:  # written first, hidden: the watcher ignores ``.*`` and ``*.part``
        write_signa_pdf(hotfolder / f".{name}.part", [signa_sheet()])
    dropped = {}
    for name in names:
        os.rename(hotfolder / f".{name}.part", hotfolder / name)
        dropped[name] = datetime.now(UTC)
    jobs = wait_final(config.database_url, supervisor, set(names), timeout)
    return [timing(config.database_url, job, dropped[job.name]) for job in jobs]


def wait_final(url: str, supervisor: Any, names: set[str], timeout: float) -> list[Any]:
    from models import store

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [c.name for c in supervisor.children if c.process and c.process.poll() is not None]
        if dead:  # its messages may be lost: waiting longer would only hide that
            raise RuntimeError(f"{', '.join(dead)} exited during the run; see its log below")
        jobs = [j for j in store.list_jobs(url, limit=len(names) + 50) if j.name in names]
        if len(jobs) == len(names) and all(j.status in FINAL for j in jobs):
            return jobs
        time.sleep(POLL)
    states = [j.status for j in jobs]
    raise TimeoutError(
        f"after {timeout:.0f} s: {len(jobs)} of {len(names)} jobs recorded, "
        f"{sum(s in FINAL for s in states)} final"
    )


def timing(url: str, job: Any, dropped: datetime) -> Timing:
    from models import store

    steps = store.steps_of(url, job.id)
    durations = {s.name: s.duration or 0.0 for s in steps}
    first = min(_utc(s.started_at) for s in steps if s.started_at is not None)
    finished = _utc(job.finished_at)
    critical = sum(v for k, v in durations.items() if k not in GROUP)
    critical += max((durations.get(k, 0.0) for k in GROUP), default=0.0)
    return Timing(
        name=job.name,
        status=job.status,
        latency=(finished - dropped).total_seconds(),
        wall=(finished - first).total_seconds(),
        in_steps=sum(durations.values()),
        critical=critical,
        steps=durations,
    )


def _utc(moment: datetime) -> datetime:
    """SQLite gives datetimes back without a zone; prepress writes them in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stop_all(supervisor: Any) -> None:
    """Stop the children politely, then make sure nothing of theirs is left (prefork pools)."""
    supervisor.stop()
    for child in supervisor.children:
        if child.process is None:
            continue
        try:  # each child leads its own process group (start_new_session)
            os.killpg(child.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def print_log_tails(logs: Path, lines: int = 15) -> None:
    for log in sorted(logs.glob("*.log")):
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"--- last lines of {log.name} ---", *tail, sep="\n", file=sys.stderr)


@contextmanager
def _own_redis(folder: Path) -> Iterator[str]:
    """A redis-server of the benchmark's own on a free port (the shared one is not touched)."""
    folder.mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _exit_on_sigterm() -> None:
    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


# --- the report -----------------------------------------------------------------------------


def report(results: dict[str, dict[str, Any]], stable: float) -> None:
    print(
        f"\n=== results ({os.cpu_count()} cores, {socket.gethostname()}, "
        f"stable_seconds {stable:g}) ==="
    )
    for broker, result in results.items():
        burst = [Timing(**t) for t in result["burst"]]
        idle = [Timing(**t) for t in result["idle"]]
        not_done = [t.name for t in burst + idle if t.status != "done"]
        span = max(t.latency for t in burst)  # from the first drop (all within ms) to the last
        overheads = [t.overhead for t in burst]
        idle_latency = [t.latency for t in idle]
        target = OVERHEAD_TARGET[broker]
        idle_overhead = [t.overhead for t in idle]
        print(f"\n{broker} broker ({len(burst)} files burst, {len(idle)} idle runs)")
        _row(
            "files per minute (burst)", f"{len(burst) / span * 60:.0f}", f"all done in {span:.1f} s"
        )
        _row(
            "drop-to-done p50 / p95 (burst)",
            f"{_pct(_lat(burst), 50):.1f} s / {_pct(_lat(burst), 95):.1f} s",
        )
        _row(
            "overhead/file mean / p95 (burst, issue)",
            f"{statistics.mean(overheads) * 1000:.0f} / {_pct(overheads, 95) * 1000:.0f} ms",
            "includes queue wait behind other jobs",
        )
        _row(
            "overhead/file mean (burst, path)",
            f"{statistics.mean(t.path_overhead for t in burst) * 1000:.0f} ms",
        )
        _row(
            "cpu-worker time outside steps per file (burst)",
            f"{_cpu_slot_overhead(burst) * 1000:.0f} ms",
            f"{os.cpu_count()} pool processes x busy span - cpu step time",
        )
        _row(
            "time in steps per file, mean",
            f"{statistics.mean(t.in_steps for t in burst) * 1000:.0f} ms",
        )
        _row(
            "idle drop-to-done median / max",
            f"{statistics.median(idle_latency):.2f} / {max(idle_latency):.2f} s",
            _verdict(max(idle_latency) < stable + IDLE_MARGIN, f"< {stable + IDLE_MARGIN:g} s"),
        )
        _row(
            "idle overhead/file mean / max (issue)",
            f"{statistics.mean(idle_overhead) * 1000:.0f} / {max(idle_overhead) * 1000:.0f} ms",
            _verdict(statistics.mean(idle_overhead) < target, f"< {target * 1000:.0f} ms"),
        )
        _row(
            "idle overhead/file mean (path)",
            f"{statistics.mean(t.path_overhead for t in idle) * 1000:.0f} ms",
        )
        print(f"  step means, burst (ms): {_step_means(burst)}")
        print(f"  step means, idle (ms):  {_step_means(idle)}")
        _row("load average 1 min before / after burst", "{:.1f} / {:.1f}".format(*result["load"]))
        _row("warm-up (cold) drop-to-done", f"{result['warmup']['latency']:.2f} s")
        _row("SMS received / plate files on FTP", f"{result['sms']} / {result['plates_on_ftp']}")
        if not_done:
            print(f"  NOT DONE: {len(not_done)} job(s), e.g. {not_done[:3]}")


def _row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<42} {value:>20}  {note}")


def _cpu_slot_overhead(burst: list[Timing]) -> float:
    """Under a burst the cpu pool is never short of work: its time not spent in steps is cost."""
    first_start = min(t.latency - t.wall for t in burst)  # seconds after the drop
    span = max(t.latency for t in burst) - first_start
    in_cpu_steps = sum(t.steps.get(name, 0.0) for t in burst for name in CPU_STEPS)
    return ((os.cpu_count() or 1) * span - in_cpu_steps) / len(burst)


def _step_means(timings: list[Timing]) -> str:
    names = list(timings[0].steps)
    return ", ".join(
        f"{n} {statistics.mean(t.steps.get(n, 0.0) for t in timings) * 1000:.0f}" for n in names
    )


def _lat(timings: list[Timing]) -> list[float]:
    return [t.latency for t in timings]


def _pct(values: list[float], percent: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(percent / 100 * len(ordered)) - 1))]


def _verdict(ok: bool, target: str) -> str:
    return f"target {target}: {'yes' if ok else 'NO'}"


if __name__ == "__main__":
    main()
