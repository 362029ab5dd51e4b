"""The Celery application: celeryconfig.py, then prepress.toml and the environment on top.

Importing this module configures nothing and connects nowhere. The process that starts
(``prepress worker``, ``up``, ``process``...) loads its configuration once and calls
:func:`configure`; a process that never does (``celery -A tasks.app inspect``) gets the
configuration the CLI would find ($PREPRESS_CONFIG, else ./prepress.toml) when Celery first
reads its settings. The broker and backend URLs of a process are fixed once it has used them:
configuring other URLs afterwards is refused (start a new process), so no pool made for one
broker is ever reused for another.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import crontab

from pipeline.backup import backup_time
from pipeline.config import CONFIG_ENV, Config, find_config_path

#: The URL that selects the embedded broker (no Redis needed): kombu's filesystem transport.
EMBEDDED = "embedded"

app = Celery(
    "prepress",
    include=[
        "tasks.stages",
        "tasks.hold",
        "tasks.ops",
        "tasks.housekeeping",
        "tasks.reload",
        "tasks.taken",
    ],
)
app.config_from_object("celeryconfig")


#: Socket options of every Redis connection (broker and result backend): a publish or a read
#: on a connection whose peer is gone ends in an error after this many seconds instead of
#: blocking the step for ever (kombu's default is no timeout at all).
BROKER_SOCKET_OPTIONS: dict[str, object] = {
    "socket_timeout": 10.0,
    "socket_connect_timeout": 5.0,
    "socket_keepalive": True,
    "health_check_interval": 10,
}


class _Process:
    """The configuration of this process and the Celery URLs it has applied."""

    config: Config | None = None
    urls: tuple[str, str] | None = None


def get_config() -> Config:
    """The prepress configuration of this process: the one configure() was given, else the
    one found like the CLI finds it (loaded once)."""
    if _Process.config is None:
        configure(_found_config())
    assert _Process.config is not None
    return _Process.config


def _found_config() -> Config:
    """The configuration the CLI would find, with the shop's pushed settings on a worker host."""
    from models.shop_settings import host_config

    return host_config().config


def use_config(config: Config | None) -> None:
    """Make ``config`` the prepress configuration the tasks of this process read (a reloaded
    prepress.toml, a test); the Celery app is left as it is. None forgets it."""
    _Process.config = config


def configure(config: Config) -> None:
    """Make ``config`` this process's configuration and apply it to the Celery app.

    The same Celery URLs may be applied again (a reloaded prepress.toml); other URLs are
    refused once some have been applied, because connections already made would be kept.
    """
    urls = (config.broker_url, config.result_backend)
    if _Process.urls is not None and _Process.urls != urls:
        raise RuntimeError(
            "this process already uses another broker or result backend; "
            "start a new process for the new one"
        )
    use_config(config)
    app.conf.update(celery_settings(config))
    _Process.urls = urls


def celery_settings(config: Config) -> dict[str, object]:
    """The Celery settings prepress.toml decides: URLs, timeouts, zone, beat schedule."""
    options = {"visibility_timeout": config.visibility_timeout, **BROKER_SOCKET_OPTIONS}
    settings: dict[str, object] = {
        "timezone": local_timezone(),
        "beat_schedule": beat_schedule(config),
        "beat_schedule_filename": str(config.paths.var / "celerybeat-schedule"),
    }
    if config.broker_url == EMBEDDED:
        settings.update(embedded_settings(config.paths.var))
    else:
        settings.update(
            broker_url=config.broker_url,
            result_backend=config.result_backend,
            broker_transport_options=options,
            result_backend_transport_options=options,
        )
    return settings


@app.on_after_configure.connect
def _find_configuration(sender: Celery, source: Any, **_: object) -> None:
    """A process that never called configure(): use the configuration the CLI would find."""
    if _Process.config is None and (os.environ.get(CONFIG_ENV) or find_config_path().exists()):
        config = _found_config()
        _Process.config, _Process.urls = config, (config.broker_url, config.result_backend)
        source.update(celery_settings(config))


def embedded_settings(var: Path) -> dict[str, object]:
    """Broker and result backend in files under var/: for the demo and a one-host shop.

    Slower than Redis (workers poll the folder) and a message a worker had taken is lost if
    that worker is killed; use Redis in production.
    """
    queue = var / "broker"
    for folder in (queue / "out", queue / "processed", queue / "control"):
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "broker_url": "filesystem://",
        "broker_transport": "tasks.embedded:Transport",
        "broker_transport_options": {
            "data_folder_in": str(queue / "out"),
            "data_folder_out": str(queue / "out"),
            "processed_folder": str(queue / "processed"),
            "control_folder": str(queue / "control"),
            "store_processed": False,
            "polling_interval": 0.05,
        },
        "result_backend": f"tasks.embedded:ResultBackend+sqlite:///{var / 'results.db'}",
    }


#: Name of the beat entry of the nightly database backup.
BACKUP_ENTRY = "nightly-database-backup"
#: Prefix of the beat entry of each bureau's taken round (``taken-Leonov``).
TAKEN_ENTRY = "taken-"


def beat_schedule(config: Config) -> dict[str, dict[str, object]]:
    """Archive retention every night; the database backup when a backup host is configured;
    a taken round (tasks/taken.py) every ``taken_poll_minutes`` of each bureau that sets it.

    The crontabs run in the app's timezone: the host's local zone.
    """
    schedule: dict[str, dict[str, object]] = {
        "clean-archive": {"task": "tasks.clean_archive", "schedule": crontab(hour=3, minute=15)},
    }
    if config.backup.enabled:
        hour, minute = backup_time(config.backup)
        schedule[BACKUP_ENTRY] = {
            "task": "tasks.backup_database",
            "schedule": crontab(hour=hour, minute=minute),
            "options": {"expires": 6 * 3600},
        }
    for name, outputter in sorted(config.outputters.items()):
        if outputter.url and outputter.taken_poll_minutes:
            every = outputter.taken_poll_minutes * 60
            schedule[TAKEN_ENTRY + name] = {
                "task": "tasks.poll_taken",
                "schedule": every,
                "args": (name,),
                "options": {"expires": every},  # a round left in the queue: the next one does it
            }
    return schedule


def local_timezone() -> str:
    """The host's zone name (the backup runs at 02:30 local time), UTC when unknown."""
    if os.environ.get("TZ"):
        return os.environ["TZ"]
    try:
        target = os.readlink("/etc/localtime")
        return target.split("zoneinfo/", 1)[1]
    except (OSError, IndexError):
        return "UTC"


def run_celery(celery_app: Celery, argv: list[str]) -> int:
    """Run Celery's command line (``worker``, ``beat``) on ``celery_app``; its exit status.

    Not ``app.start``/``app.worker_main``: with click 8 they drop the status Celery's command
    returns (click returns it from ``main`` in non-standalone mode, and they discard it), so a
    worker that stopped on an unrecoverable error would exit 0 and its supervisor would leave
    it down.
    """
    from celery.bin.celery import celery as celery_command

    celery_command.params[0].default = celery_app  # as app.start does: --app is this app
    try:
        # not standalone: the command's ctx.exit(status) comes back as the return value
        status = celery_command.main(args=argv, standalone_mode=False)
    finally:
        celery_command.params[0].default = None
    return status if isinstance(status, int) else 0
