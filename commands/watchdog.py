"""``prepress watchdog``: tell staff when a person is needed (see tasks/watchdog.py)."""

from __future__ import annotations

import click

from commands.cli import load_config_or_exit


@click.command()
@click.option("--once", is_flag=True, help="Run the checks once and exit (cron, a test).")
@click.pass_context
def watchdog(ctx: click.Context, once: bool) -> None:
    """Watch broker, workers, targets, jobs, backup and disk; alert staff once per incident."""
    from models.db import migrate
    from tasks.app import configure
    from tasks.watchdog import Watchdog

    config = load_config_or_exit(ctx)
    config.paths.create()
    migrate(config.database_url)
    configure(config)
    dog = Watchdog(config)
    people = sum(1 for member in config.staff.values() if member.notify)
    click.echo(
        f"watchdog: checking every {config.alerts.check_seconds:g} s; "
        f"{people} staff member(s), telegram {'on' if config.alerts.telegram_token else 'off'}"
    )
    if once:
        dog.check()
        return
    dog.run_forever()
