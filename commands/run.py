"""Long-running processes: up (all of them), worker, watch, beat; and the demo."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import click

log = logging.getLogger(__name__)

#: Threads of an io worker: uploads and SMS mostly wait on the network.
IO_THREADS = 8
#: Attempts at migrating when several processes start at once.
MIGRATE_ATTEMPTS = 5


def _prepare(ctx: click.Context, queues: tuple[str, ...] | None = None):
    """Migrate, load and check this host's configuration, export it for child processes,
    configure Celery. A process that takes work refuses settings that differ from the shop's
    (pipeline/config/hosts.py); ``queues`` are what a worker serves."""
    from commands.supervisor import export_config
    from models.shop_settings import host_config
    from pipeline.errors import ConfigError

    path = (ctx.find_root().obj or {}).get("config_path")
    try:
        host = host_config(path, queues=queues, check=True, prepare=_migrate)
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        ctx.exit(2)
    config = host.config
    log.info("shop settings: %s", host.origin())
    if config.source is not None:
        export_config(config.source)
    config.paths.create()
    from tasks.app import configure

    configure(config)
    return config


def _migrate(url: str) -> None:
    from models.db import migrate

    for attempt in range(MIGRATE_ATTEMPTS):
        try:
            migrate(url)
            return
        except Exception:  # another process migrating at the same moment
            if attempt == MIGRATE_ATTEMPTS - 1:
                raise
            time.sleep(1 + attempt)


@click.command()
@click.option("--no-beat", is_flag=True, help="Do not run beat here (it runs elsewhere).")
@click.option("--no-web", is_flag=True, help="Do not run the dashboard even if [web] has users.")
@click.pass_context
def up(ctx: click.Context, no_beat: bool, no_web: bool) -> None:
    """Run workers, watcher, beat and the dashboard (when [web] has users) in the foreground."""
    from commands.supervisor import Supervisor

    config = _prepare(ctx)
    assert config.source is not None
    _hold_folder(ctx, config, "up", also_free=("watch",) if no_beat else ("watch", "beat"))
    _continue_lost_jobs(config)
    click.echo(
        f"prepress up: hotfolder {config.paths.hotfolder}, broker "
        f"{_broker_label(config.broker_url)}, database {_db_label(config.database_url)}"
    )
    web = bool(config.web.users) and not no_web
    if web:
        click.echo(f"dashboard on http://{config.web.address}:{config.web.port}/")
    Supervisor.for_up(config.source, beat=not no_beat, web=web).run_forever()


@click.command()
@click.option(
    "--queues",
    default="cpu,io",
    show_default=True,
    help="Comma-separated: cpu (analysis, previews: no secrets needed), io (uploads, SMS, "
    "records: needs the FTP and SMS secrets), ops (the nightly backup: serve it only where "
    "beat and the backup key are).",
)
@click.option("--concurrency", type=int, help="Default: cores for cpu, 8 threads for io.")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]))
@click.pass_context
def worker(ctx: click.Context, queues: str, concurrency: int | None, pool: str | None) -> None:
    """Run a Celery worker for the cpu queue (prefork), the io and ops queues (threads)."""
    from pipeline.config.hosts import parse_queues
    from pipeline.errors import ConfigError

    try:
        served = parse_queues(queues)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--queues") from None
    config = _prepare(ctx, served)
    if "ops" in served and not config.backup.enabled:
        log.warning(
            "this worker serves the ops queue but [backup] has no host: a backup "
            "queued by beat fails here; serve ops where beat and the backup key are"
        )
    from tasks.app import app, run_celery

    pool = pool or ("prefork" if "cpu" in served else "threads")
    concurrency = concurrency or (IO_THREADS if pool == "threads" else os.cpu_count() or 1)
    # A worker whose consumer died ("Unrecoverable error", e.g. Redis restarted at the wrong
    # moment) must exit non-zero so systemd, compose or `prepress up` start it again instead
    # of seeing a clean stop: run_celery keeps Celery's exit status.
    status = run_celery(
        app,
        [
            "worker",
            "--queues",
            queues,
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{_node_name(served)}@%h",
            "--task-events",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
    )
    if status:
        ctx.exit(status)


@click.command()
@click.pass_context
def watch(ctx: click.Context) -> None:
    """Watch the hotfolder and turn every stable file into a job."""
    from watcher.hotfolder import Hotfolder
    from watcher.intake import release_claims, requeue_stranded, space_problem, take

    config = _prepare(ctx)
    _hold_folder(ctx, config, "watch")
    release_claims(config)
    requeue_stranded(config)
    click.echo(
        f"watching {config.paths.hotfolder} (stable after {config.stable_seconds:g} s"
        f"{', polling' if config.polling else ''})"
    )

    def on_stable(path: Path) -> None:
        take(path, config)

    Hotfolder(
        config.paths.hotfolder,
        on_stable,
        stable_seconds=config.stable_seconds,
        polling=config.polling,
        pause=lambda: space_problem(config),
    ).run_forever()


@click.command()
@click.pass_context
def beat(ctx: click.Context) -> None:
    """Run Celery beat: the reconciler, nightly backup and archive retention. Run exactly one."""
    config = _prepare(ctx)
    _hold_folder(ctx, config, "beat")
    from tasks.app import app, run_celery
    from tasks.reconcile import start_in_background

    start_in_background(config)

    status = run_celery(app, ["beat", "--loglevel", "INFO"])
    if status:
        ctx.exit(status)


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Work here instead of a temporary folder (kept afterwards).",
)
@click.option("--timeout", default=240.0, show_default=True)
@click.option(
    "--broker",
    type=click.Choice(["auto", "redis", "embedded"]),
    default="auto",
    show_default=True,
    help="auto: Redis when reachable, else embedded.",
)
@click.option("--keep", is_flag=True, help="Keep the temporary folder (sample PDFs to try).")
@click.option(
    "--serve",
    is_flag=True,
    help="Then keep the folder and its local FTP and SMS servers running until Ctrl-C, "
    "to try it with `prepress up`.",
)
def demo(folder: Path | None, timeout: float, broker: str, keep: bool, serve: bool) -> None:
    """Run the whole pipeline on bundled samples with local FTP and SMS sinks, and show it."""
    from commands.demo import run_demo

    raise SystemExit(run_demo(folder, timeout, broker, keep, serve))


def _node_name(queues: tuple[str, ...]) -> str:
    """The worker's node name before ``@host``: its queues, ops left out when it serves more
    (the main host's io worker stays ``io@host``)."""
    return "-".join(q for q in queues if q != "ops") or "ops"


def _hold_folder(ctx: click.Context, config, role: str, also_free: tuple[str, ...] = ()) -> None:
    """Take the work folder's lock for ``role`` (and check ``also_free`` are not taken), or
    end the command with status 1 saying which process holds it."""
    from commands.lock import FolderBusy, FolderLock, hold

    try:
        hold(config.paths.var, role)
        for other in also_free:
            FolderLock(config.paths.var, other).acquire().release()
    except FolderBusy as exc:
        click.echo(f"prepress {role}: {exc}", err=True)
        ctx.exit(1)


def _continue_lost_jobs(config) -> None:
    """Before the processes start: continue open jobs whose chain is in no queue."""
    from tasks.reconcile import reconcile_at_start

    try:
        continued = reconcile_at_start(config)
    except Exception as exc:  # the broker may be down; beat's reconciler catches up later
        log.warning("could not look for lost jobs at start (%s); the reconciler will", exc)
        return
    if continued:
        click.echo(f"continued {len(continued)} job(s) whose chain was lost: {continued}")


def _broker_label(url: str) -> str:
    from pipeline.errors import mask_secrets

    return "embedded (files under var/broker)" if url == "embedded" else mask_secrets(url)


def _db_label(url: str) -> str:
    from pipeline.errors import mask_secrets

    return mask_secrets(url)
