"""``prepress config push|show|diff``: the shop's settings every host reads from the database.

``push`` stores the shop sections of this host's prepress.toml (presses, outputters, marks,
analysis, the shop keys of sms) as a new version, passwords in URLs removed; ``show`` prints
the current version; ``diff`` compares this host's file with it (exit 1 when they differ).
"""

from __future__ import annotations

import json
from typing import NoReturn

import click

from pipeline.errors import ConfigError


@click.group()
def config() -> None:
    """The shop's settings shared by every host: push, show, diff."""


@config.command()
@click.pass_context
def push(ctx: click.Context) -> None:
    """Make the shop sections of this prepress.toml the settings every host uses."""
    from models.db import migrate
    from pipeline.config import config_from_dict, with_environment
    from pipeline.config.hosts import without_io_secrets
    from pipeline.config.shared import shop_settings as shop_of
    from tasks import actions

    source, raw = _read_or_exit(ctx)
    settings = shop_of(raw)
    if "presses" not in settings.sections:
        _fail(
            ctx,
            f"{source}: presses: none here; push from the host whose prepress.toml "
            "holds the shop's presses and bureaus",
        )
    try:
        checked = with_environment(without_io_secrets(raw))  # the file's settings, this host's URLs
        config_obj = config_from_dict(checked, source)  # checked before stored
        migrate(config_obj.database_url)
        pushed, new = actions.push_settings(config_obj, settings, source, actions.Actor.cli())
    except ConfigError as exc:
        _fail(ctx, str(exc))
    if not new:
        click.echo(f"unchanged: this file's shop settings are already {pushed.label()}")
        return
    click.echo(f"pushed the shop's settings as {pushed.label()}")
    for key in settings.stripped:
        click.echo(
            f"  {key}: its password was left out (passwords are never pushed); io hosts "
            "need it through password_env",
            err=True,
        )


@config.command()
@click.option("--json", "as_json", is_flag=True, help="The stored document as JSON.")
@click.option("--history", is_flag=True, help="List every pushed version instead.")
@click.pass_context
def show(ctx: click.Context, as_json: bool, history: bool) -> None:
    """Print the shop's current settings (exit 1 when none were pushed)."""
    from models import shop_settings
    from pipeline.config.shared import to_toml

    url = _database_url_or_exit(ctx)
    if history:
        for version in shop_settings.history(url):
            click.echo(
                f"{version.version:>4}  {version.settings.short}  {version.pushed_at}  "
                f"{version.pushed_by}  {version.source}"
            )
        return
    current = _current_or_exit(ctx, url)
    if as_json:
        document = {
            "version": current.version,
            "sha256": current.settings.sha256,
            "pushed_by": current.pushed_by,
            "pushed_at": current.pushed_at,
            "source": current.source,
            **current.settings.document(),
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    click.echo(f"# shop settings {current.label()}, from {current.source or '?'}")
    click.echo(to_toml(current.settings), nl=False)


@config.command()
@click.pass_context
def diff(ctx: click.Context) -> None:
    """Compare this host's prepress.toml with the pushed settings (exit 1 when they differ)."""
    from pipeline.config.shared import SHOP_SECTIONS
    from pipeline.config.shared import diff as diff_lines
    from pipeline.config.shared import shop_settings as shop_of

    source, raw = _read_or_exit(ctx)
    current = _current_or_exit(ctx, _database_url_or_exit(ctx))
    local = shop_of(raw)
    names = SHOP_SECTIONS if "presses" in local.sections else tuple(local.sections)
    differing = local.differing(current.settings, names)
    if not differing:
        click.echo(f"{source} agrees with the shop's settings, {current.label()}")
        return
    labels = (f"shop settings {current.label()}", str(source))
    click.echo("".join(diff_lines(current.settings, local, tuple(differing), labels)), nl=False)
    ctx.exit(1)


def _read_or_exit(ctx: click.Context):
    from pipeline.config import read_toml

    try:
        return read_toml((ctx.find_root().obj or {}).get("config_path"))
    except ConfigError as exc:
        _fail(ctx, str(exc))


def _database_url_or_exit(ctx: click.Context) -> str:
    from pipeline.config import database_url_from, with_environment

    source, raw = _read_or_exit(ctx)
    try:
        return database_url_from(with_environment(raw), source)
    except ConfigError as exc:
        _fail(ctx, str(exc))


def _current_or_exit(ctx: click.Context, url: str):
    from models import shop_settings

    try:
        current = shop_settings.current(url)
    except ConfigError as exc:
        _fail(ctx, str(exc))
    if current is None:
        click.echo(
            "no shop settings were pushed; every host uses its own prepress.toml. "
            "`prepress config push` on the main host shares them.",
            err=True,
        )
        ctx.exit(1)
    return current


def _fail(ctx: click.Context, message: str) -> NoReturn:
    click.echo(f"configuration error: {message}", err=True)
    ctx.exit(2)
