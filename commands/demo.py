"""``prepress demo``: the whole pipeline on bundled samples, watched live.

A throwaway work folder and configuration, two local FTP servers (the CTP bureau and the
press), a local SMS sink that prints what it receives, Redis when reachable (else the embedded
broker), the real workers, watcher and beat, and the generated sample PDFs dropped into the
hotfolder, one of them broken on purpose.

``--serve`` keeps the local FTP and SMS servers running after the samples are done, so the
kept folder's prepress.toml can be tried for real with ``prepress up`` in another terminal;
without it, a kept prepress.toml says at its top that its targets are gone.
The servers come from testkit/, installed with the ``demo`` extra.
"""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from pipeline.text import shown
from testkit.shop import local_shop, write_config

#: Redis database the demo owns (flushed at start so no earlier run's messages linger).
DEMO_REDIS = "redis://127.0.0.1:6379/14"
#: What the demo expects of the bundled samples.
EXPECTED = {"done": 3, "rejected": 1}
#: What ``--serve`` prints once the samples are done and the servers keep running.
SERVING = "the demo's FTP and SMS servers keep running"
#: The top of a kept prepress.toml whose local servers stopped with the demo.
SINKS_GONE = """\
# Written by `prepress demo`. Its FTP and SMS targets below were local servers on 127.0.0.1
# that stopped when the demo ended: uploads and SMS to them now fail. To try this folder
# with `prepress up`, run `prepress demo --serve` (the servers keep running until Ctrl-C)
# or point the targets at real servers.
"""
#: Seconds between looks at the SMS server while serving.
SERVE_POLL = 0.5


def run_demo(
    folder: Path | None,
    timeout: float,
    broker: str = "auto",
    keep: bool = False,
    serve: bool = False,
) -> int:
    """Run the demo; return 0 when every sample ended as expected.

    ``serve`` keeps the folder and its local servers until Ctrl-C (implies ``keep``).
    """
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    with demo_folder(folder, keep or serve) as base:
        return _serve(base, timeout, broker, serve)


@contextmanager
def demo_folder(folder: Path | None, keep: bool) -> Iterator[Path]:
    """The demo's folder: ``folder`` (kept), else a temporary one, removed unless ``keep``."""
    base = Path(folder or tempfile.mkdtemp(prefix="prepress-demo-")).resolve()
    click.secho(f"prepress demo in {base}", bold=True)
    try:
        yield base
    finally:
        if folder is None and not keep:
            shutil.rmtree(base, ignore_errors=True)
            click.echo(f"removed {base}; `prepress demo --keep` keeps it (samples, uploads, logs)")
        else:
            click.echo(
                f"the demo's files are kept in {base} (samples/ has PDFs to try); try: "
                f"prepress --config {base / 'prepress.toml'} jobs (its FTP and SMS targets "
                "stop with the demo unless --serve)"
            )


def _serve(base: Path, timeout: float, broker: str, serve: bool) -> int:
    try:
        from testkit.sinks import FtpSink, SmsSink
    except ImportError as exc:
        raise click.ClickException(
            f"the demo's local FTP servers are not installed ({exc}); install them with "
            "pip install 'prepress[demo]' (bash scripts/dev.sh demo does it for you)."
        ) from None
    with (
        FtpSink(base / "ftp-ctp", "ctp", "ctp-demo-pw") as ctp,
        FtpSink(base / "ftp-press", "press", "press-demo-pw") as press,
        SmsSink("demo", "sms-demo-pw") as sms,
    ):
        config_path = _write_config(base, ctp, press, sms, broker)
        code = _run(base, config_path, sms, timeout)
        if serve:
            _keep_serving(config_path, (ctp, press), sms)
    _say_sinks_are_gone(config_path)
    return code


def _keep_serving(config_path: Path, ftp: tuple[Any, ...], sms: Any) -> None:
    """Keep the servers up until Ctrl-C, printing each SMS they receive."""
    click.secho(f"\n{SERVING} until Ctrl-C:", bold=True)
    for sink in ftp:
        click.echo(f"  FTP  127.0.0.1:{sink.port}  files in {sink.root}")
    click.echo(f"  SMS  {sms.url}")
    click.echo(
        f"try the folder for real in another terminal:\n"
        f"  prepress --config {config_path} up\n"
        f"and drop PDFs (samples/ has some) into {config_path.parent / 'work' / 'hotfolder'}",
        nl=True,
    )
    printed = len(sms.messages)
    try:
        while True:
            for message in sms.messages[printed:]:
                click.secho(f"SMS to {message.phones}: {message.mes}", fg="cyan")
            printed = len(sms.messages)
            time.sleep(SERVE_POLL)
    except KeyboardInterrupt:
        click.echo("servers stopped")


def _say_sinks_are_gone(config_path: Path) -> None:
    """Mark a kept prepress.toml: its local servers stopped with the demo."""
    if config_path.is_file():
        config_path.write_text(SINKS_GONE + config_path.read_text(encoding="utf-8"), "utf-8")


def _run(base: Path, config_path: Path, sms: Any, timeout: float) -> int:
    from commands.supervisor import Supervisor, export_config
    from models.db import migrate
    from models.shop_settings import host_config
    from testkit.samples import write_demo_samples

    config = host_config(config_path).config
    export_config(config_path)
    config.paths.create()
    migrate(config.database_url)
    supervisor = Supervisor.for_up(config_path, log_dir=base / "logs")
    supervisor.start()
    try:
        click.echo(f"workers, watcher and beat started (logs in {base / 'logs'})")
        samples = write_demo_samples(base / "samples")
        for sample in samples:
            shutil.copyfile(sample, config.paths.hotfolder / sample.name)
            click.echo(f"dropped {sample.name} into the hotfolder")
        statuses = _follow(config, sms, len(samples), timeout)
    finally:
        supervisor.stop()
    _summary(base, config, sms)
    ok = all(statuses.count(s) == n for s, n in EXPECTED.items())
    click.secho(
        "demo finished as expected" if ok else f"demo ended with {statuses}",
        fg="green" if ok else "red",
        bold=True,
    )
    return 0 if ok else 1


def _follow(config: Any, sms: Any, count: int, timeout: float) -> list[str]:
    """Print step changes of every job and each SMS as it arrives, until all are final."""
    from models import store

    url, printed_sms = config.database_url, 0
    seen: dict[tuple[int, str], str] = {}
    deadline = time.monotonic() + timeout
    jobs: list[Any] = []
    while time.monotonic() < deadline:
        jobs = store.list_jobs(url)
        for job in reversed(jobs):
            for step in store.steps_of(url, job.id or 0):
                key = (job.id or 0, step.name)
                if step.state != "pending" and seen.get(key) != step.state:
                    seen[key] = step.state
                    detail = (step.note or step.error).replace("\n", " ")[:110]
                    click.echo(
                        f"job {job.id} {job.name[:34]:<34} {step.name:<16} {step.state:<7} {detail}"
                    )
        for message in sms.messages[printed_sms:]:
            click.secho(f"SMS to {message.phones}: {message.mes}", fg="cyan")
        printed_sms = len(sms.messages)
        if len(jobs) >= count and all(j.status in ("done", "rejected", "failed") for j in jobs):
            return [j.status for j in jobs]
        time.sleep(0.3)
    click.secho(f"timed out after {timeout:.0f} s", fg="red")
    return [j.status for j in jobs]


def _summary(base: Path, config: Any, sms: Any) -> None:
    from models import store

    click.secho("\njobs", bold=True)
    for job in reversed(store.list_jobs(config.database_url)):
        click.echo(f"  {job.id}  {job.status:<8} {shown(job.name)}  {job_facts(job)}")
    for title, root in (
        ("CTP bureau FTP", base / "ftp-ctp"),
        ("press FTP", base / "ftp-press"),
        ("failed/", config.paths.failed),
    ):
        click.secho(title, bold=True)
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            click.echo(f"  {path.relative_to(root)}  ({path.stat().st_size} bytes)")
    click.secho(f"SMS received by the sink: {len(sms.messages)}", bold=True)


def job_facts(job: Any) -> str:
    """``Speedmaster / Leonov / 8 plates``; what is not known says so (a rejected file)."""
    plates = "unknown plates" if job.plates is None else f"{job.plates} plates"
    facts = f"{job.press or '-'} / {job.outputter or '-'} / {plates}"
    return f"{facts}  {shown(job.error[:120])}".rstrip()


def _write_config(base: Path, ctp: Any, press: Any, sms: Any, choice: str) -> Path:
    broker = "embedded"
    if choice == "embedded":
        click.echo("broker: embedded, as asked (files under work/var/broker)")
    elif _redis_reachable():
        import redis

        redis.Redis.from_url(DEMO_REDIS).flushdb()
        broker = DEMO_REDIS
        click.echo(f"broker: Redis at {DEMO_REDIS} (the demo's own database, flushed)")
    else:
        click.echo(
            "broker: Redis not reachable at 127.0.0.1:6379; using the embedded broker "
            "(files under work/var/broker)"
        )
    shop = local_shop(base / "work", broker, ctp, press, sms, ticket="jdf")
    return write_config(base / "prepress.toml", shop)


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False
