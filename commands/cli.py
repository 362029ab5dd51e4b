"""The ``prepress`` command: one entry point, one module per family of subcommands.

Subcommands are imported only when called, so ``prepress analyze`` does not pay for Celery and
``prepress --help`` stays fast. Each maps to ``module:function`` under ``commands``.
"""

from __future__ import annotations

import importlib
import logging

import click

#: Subcommand name -> "module:attribute" of its click command.
COMMANDS = {
    "analyze": "commands.analyze:analyze",
    "preview": "commands.preview:preview",
    "up": "commands.run:up",
    "worker": "commands.run:worker",
    "watch": "commands.run:watch",
    "beat": "commands.run:beat",
    "watchdog": "commands.watchdog:watchdog",
    "demo": "commands.run:demo",
    "process": "commands.jobs:process",
    "jobs": "commands.jobs:jobs",
    "show": "commands.jobs:show",
    "retry": "commands.jobs:retry",
    "reprocess": "commands.jobs:reprocess",
    "mode": "commands.jobs:mode",
    "flower": "commands.ops:flower",
    "backup": "commands.ops:backup",
    "restore": "commands.ops:restore",
    "report": "commands.dashboard:report",
    "status": "commands.dashboard:status",
    "web": "commands.dashboard:web",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=LazyGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="prepress.toml to use (default: $PREPRESS_CONFIG, else ./prepress.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """prepress: Signa PDFs from the hotfolder to the CTP bureau, the press and the books."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


def load_config_or_exit(ctx: click.Context, explicit: str | None = None):  # noqa: ANN201
    """The configuration for a subcommand; a ConfigError ends the command with status 2."""
    from pipeline.config import load_config
    from pipeline.errors import ConfigError

    path = explicit or (ctx.find_root().obj or {}).get("config_path")
    try:
        return load_config(path)
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        ctx.exit(2)
