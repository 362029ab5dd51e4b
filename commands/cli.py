"""The ``prepress`` command: one entry point, one module per family of subcommands.

Subcommands are imported only when called, so ``prepress analyze`` does not pay for Celery (nor,
on a shop file, for the database: :func:`pushed_settings`) and ``prepress --help`` stays fast.
Each maps to ``module:function`` under ``commands``.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from pipeline.config.hosts import PushedSettings

#: Subcommand name -> "module:attribute" of its click command.
COMMANDS = {
    "analyze": "commands.analyze:analyze",
    "preflight": "commands.preflight:preflight_command",
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
    "retry": "commands.jobs:retry_command",
    "reprocess": "commands.jobs:reprocess",
    "remake": "commands.remake:remake",
    "held": "commands.held:held",
    "approve": "commands.held:approve",
    "reject": "commands.held:reject",
    "mode": "commands.jobs:mode",
    "flower": "commands.ops:flower",
    "backup": "commands.ops:backup",
    "restore": "commands.ops:restore",
    "report": "commands.dashboard:report",
    "invoice": "commands.invoice:invoice",
    "status": "commands.dashboard:status",
    "web": "commands.dashboard:web",
    "config": "commands.config:config",
}


#: Subcommands that run as services: their console is their log (systemd's journal, compose).
SERVICES = frozenset({"up", "worker", "watch", "beat", "flower", "web", "watchdog"})
#: Options every command takes, before or after the subcommand's name.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
#: Log line format, on the console and in the log file.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Console line format of a one-shot command: only warnings and errors reach it.
CONSOLE_FORMAT = "prepress: %(levelname)s: %(message)s"
#: Help of ``--config``.
CONFIG_HELP = "prepress.toml to use (default: $PREPRESS_CONFIG, else ./prepress.toml)."


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use and take the global options."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        add_global_options(command)
        return command


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_root().ensure_object(dict)["config_path"] = value


def _remember_verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().ensure_object(dict)["verbose"] = True
        set_console_level(logging.DEBUG)


def _global_options() -> list[click.Option]:
    return [
        click.Option(
            ["--config", "config_path"],
            type=click.Path(dir_okay=False),
            expose_value=False,
            callback=_remember_config,
            help=CONFIG_HELP,
        ),
        click.Option(
            ["-v", "--verbose"],
            is_flag=True,
            expose_value=False,
            callback=_remember_verbose,
            help="Log debug messages on the console too.",
        ),
    ]


def add_global_options(command: click.Command) -> None:
    """Let ``command`` (and a group's subcommands) take ``--config`` and ``-v`` as well."""
    if getattr(command, "_prepress_globals", False):
        return
    command.params.extend(_global_options())
    command._prepress_globals = True  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        add_global_options(sub)


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="prepress", prog_name="prepress")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages on the console too.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """prepress: Signa PDFs from the hotfolder to the CTP bureau, the press and the books.

    Options go before or after the command: `prepress jobs --config X` works like
    `prepress --config X jobs`. Shell completion: see the README.
    """
    obj = ctx.ensure_object(dict)
    obj.setdefault("config_path", config_path)
    obj["verbose"] = obj.get("verbose") or verbose
    service = ctx.invoked_subcommand in SERVICES
    setup_logging(logging.DEBUG if verbose else logging.INFO if service else logging.WARNING)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _Console:
    """The console log handler of this process (set up once by :func:`setup_logging`)."""

    handler: logging.Handler | None = None


def setup_logging(console_level: int) -> None:
    """Warnings on the console (everything with -v, INFO for services); INFO to the log file.

    Alembic reports every migration step at INFO: those lines show only with -v. Every record
    is one line: control characters in file names are shown escaped.
    """
    from pipeline.text import one_line_log_records

    one_line_log_records()
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if console_level <= logging.DEBUG else logging.INFO)
    if _Console.handler is None:
        _Console.handler = _StderrHandler()
        root.addHandler(_Console.handler)
    set_console_level(console_level)


def set_console_level(level: int) -> None:
    """Change what reaches the console; -v after the subcommand's name calls this."""
    if _Console.handler is not None:
        _Console.handler.setLevel(level)
        _Console.handler.setFormatter(
            logging.Formatter(LOG_FORMAT if level < logging.WARNING else CONSOLE_FORMAT)
        )
    if level <= logging.DEBUG:
        logging.getLogger().setLevel(logging.DEBUG)
    logging.getLogger("alembic").setLevel(
        logging.DEBUG if level <= logging.DEBUG else logging.WARNING
    )


def log_to_file(folder) -> None:  # a Path
    """Also write INFO and above to ``folder/prepress.log`` when that folder exists."""
    path = folder / "prepress.log"
    root = logging.getLogger()
    if not folder.is_dir() or any(
        getattr(h, "baseFilename", None) == str(path) for h in root.handlers
    ):
        return
    try:
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)


def wants_json(ctx: click.Context) -> bool:
    """True when the command (or a parent) was given ``--json``."""
    node: click.Context | None = ctx
    while node is not None:
        if node.params.get("as_json"):
            return True
        node = node.parent
    return False


def fail(ctx: click.Context, message: str, code: int = 1, **details: object) -> NoReturn:
    """End the command: ``message`` on stderr, or ``{"error": ...}`` on stdout under --json."""
    if wants_json(ctx):
        click.echo(
            json.dumps({"error": message, "exit_status": code, **details}, ensure_ascii=False)
        )
    else:
        click.echo(message, err=True)
    ctx.exit(code)


def load_config_or_exit(ctx: click.Context, explicit: str | None = None):
    """The configuration for a subcommand (the shop's settings from the database when this
    host's file has none); a ConfigError ends the command with status 2."""
    from pipeline.config.hosts import load_host_config
    from pipeline.errors import ConfigError

    path = explicit or (ctx.find_root().obj or {}).get("config_path")
    try:
        config = load_host_config(path, pushed_settings).config
    except ConfigError as exc:
        fail(ctx, f"configuration error: {exc}", 2)
    if ctx.find_root().invoked_subcommand not in SERVICES:
        log_to_file(config.paths.var)
    return config


def pushed_settings(database_url: str) -> PushedSettings | None:
    """The shop's settings pushed into the database (models/shop_settings.py), imported only
    when the loader asks for them (for a host file): a command on a shop file that needs no
    database, such as ``analyze``, loads no database code."""
    from models.shop_settings import current

    return current(database_url)
