"""Operations: ``prepress flower``, ``prepress backup now|list``, ``prepress restore NAME``."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from commands.cli import fail, load_config_or_exit
from commands.output import echo_json, show_time
from pipeline.errors import ConfigError, PrepressError


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
        )
    except ConfigError as exc:
        fail(ctx, f"configuration error: {exc}", 2)
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
@click.option("--json", "as_json", is_flag=True, help="Print the backup as JSON.")
@click.pass_context
def backup_now(ctx: click.Context, as_json: bool) -> None:
    """Take a backup now, upload it, verify it and prune old ones."""
    from pipeline.backup import run_backup

    config = load_config_or_exit(ctx)
    try:
        info = run_backup(config)
    except PrepressError as exc:
        _record_backup(config, ok=False, message=str(exc))
        fail(ctx, f"backup failed: {exc}", 1)
    if as_json:
        echo_json(_backup_dict(info))
    else:
        click.echo(f"{info.name}  {info.size} bytes  sha256 {info.sha256}")
    _record_backup(config, ok=True, when=info.taken_at, name=info.name, size=info.size)


def _record_backup(config: Any, ok: bool, message: str = "", **facts: Any) -> None:
    """Record the outcome where ``prepress status``, the dashboard and the watchdog read it
    (the nightly task records its own the same way, tasks/ops.py)."""
    from models import incidents
    from pipeline.errors import mask_secrets

    try:
        incidents.record_backup(
            config.database_url, ok, mask_secrets(message, config.secrets())[:500], **facts
        )
    except Exception as exc:  # the backup itself is what the operator asked for
        click.echo(f"prepress: the backup's outcome was not recorded: {exc}", err=True)


@backup.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the backups as JSON.")
@click.pass_context
def backup_list(ctx: click.Context, as_json: bool) -> None:
    """List the backups on the backup host, newest first."""
    from pipeline.backup import list_backups

    config = load_config_or_exit(ctx)
    try:
        backups = list_backups(config)
    except PrepressError as exc:
        fail(ctx, f"cannot list backups: {exc}", 1)
    if as_json:
        echo_json([_backup_dict(info) for info in backups])
        return
    if not backups:
        click.echo(f"no backups in {config.backup.host}:{config.backup.remote_dir}")
    for info in backups:
        click.echo(f"{info.name}  {info.size:>12} bytes  {show_time(info.taken_at)}")


def _backup_dict(info: object) -> dict[str, object]:
    return {key: getattr(info, key) for key in ("name", "size", "taken_at", "kind", "sha256")}


@click.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_context
def restore(ctx: click.Context, name: str, yes: bool, as_json: bool) -> None:
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
                err=True,
            )

    try:
        restore_backup(config, name, before_load=confirm)
    except PrepressError as exc:
        fail(ctx, f"restore failed: {exc}", 1)
    if as_json:
        echo_json({"restored": name})
    else:
        click.echo(f"restored {name}")
