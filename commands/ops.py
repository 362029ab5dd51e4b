"""Operations: ``prepress flower``, ``prepress backup now|list``, ``prepress restore NAME``."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from commands.cli import load_config_or_exit
from pipeline.errors import ConfigError, PrepressError


def _celery_program() -> str:
    """The ``celery`` script beside this Python (the virtualenv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("celery")
    return str(beside) if beside.exists() else (shutil.which("celery") or "celery")


@click.command()
@click.option("--address", default=None, help="Address to listen on (default: [flower] address).")
@click.option("--port", type=int, default=None, help="Port (default: [flower] port, 5555).")
@click.option(
    "--insecure-local", is_flag=True, help="Allow starting without credentials, only on 127.0.0.1."
)
@click.pass_context
def flower(ctx: click.Context, address: str | None, port: int | None, insecure_local: bool) -> None:
    """Start Flower on the prepress Celery app, behind authentication."""
    from commands.flower import flower_launch

    config = load_config_or_exit(ctx)
    try:
        launch = flower_launch(
            config,
            address=address,
            port=port,
            insecure_local=insecure_local,
            celery=_celery_program(),
        )
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        ctx.exit(2)
    config.paths.var.mkdir(parents=True, exist_ok=True)
    environment = launch.environment()
    if config.source is not None:
        environment.setdefault("PREPRESS_CONFIG", str(config.source))
    sys.stdout.flush()
    os.execvpe(launch.argv[0], launch.argv, environment)  # Flower replaces this process


@click.group()
def backup() -> None:
    """Database backups on the backup host."""


@backup.command("now")
@click.pass_context
def backup_now(ctx: click.Context) -> None:
    """Take a backup now, upload it, verify it and prune old ones."""
    from pipeline.backup import run_backup

    config = load_config_or_exit(ctx)
    try:
        info = run_backup(config)
    except PrepressError as exc:
        click.echo(f"backup failed: {exc}", err=True)
        ctx.exit(1)
    click.echo(f"{info.name}  {info.size} bytes  sha256 {info.sha256}")


@backup.command("list")
@click.pass_context
def backup_list(ctx: click.Context) -> None:
    """List the backups on the backup host, newest first."""
    from pipeline.backup import list_backups

    config = load_config_or_exit(ctx)
    try:
        backups = list_backups(config)
    except PrepressError as exc:
        click.echo(f"cannot list backups: {exc}", err=True)
        ctx.exit(1)
    if not backups:
        click.echo(f"no backups in {config.backup.host}:{config.backup.remote_dir}")
    for info in backups:
        click.echo(f"{info.name}  {info.size:>12} bytes  {info.taken_at:%Y-%m-%d %H:%M} UTC")


@click.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def restore(ctx: click.Context, name: str, yes: bool) -> None:
    """Download backup NAME, verify it and load it into the configured database.

    Stop the workers, the watcher and beat first: the database is replaced.
    """
    from pipeline.backup import restore as restore_backup
    from pipeline.errors import mask_secrets

    config = load_config_or_exit(ctx)

    def confirm() -> None:
        if not yes:
            click.confirm(
                f"Replace the content of {mask_secrets(config.database_url)} with {name}?",
                abort=True,
            )

    try:
        restore_backup(config, name, before_load=confirm)
    except PrepressError as exc:
        click.echo(f"restore failed: {exc}", err=True)
        ctx.exit(1)
    click.echo(f"restored {name}")
