"""The Celery application: celeryconfig.py, then prepress.toml and the environment on top.

Workers find the configuration like the CLI does ($PREPRESS_CONFIG, else ./prepress.toml).
Without a configuration the app still imports (for ``celery inspect`` and tests) with the
defaults of celeryconfig.py.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from celery import Celery

from pipeline.config import Config, find_config_path, load_config

#: The URL that selects the embedded broker (no Redis needed): kombu's filesystem transport.
EMBEDDED = "embedded"

app = Celery("prepress", include=["tasks.stages", "tasks.ops", "tasks.housekeeping"])
app.config_from_object("celeryconfig")


@functools.cache
def get_config() -> Config:
    """The prepress configuration of this process (loaded once)."""
    return load_config()


def configure(config: Config) -> None:
    """Apply prepress.toml to the Celery app: URLs, timeouts, schedule."""
    options = {"visibility_timeout": config.visibility_timeout}
    if config.broker_url == EMBEDDED:
        app.conf.update(embedded_settings(config.paths.var))
    else:
        app.conf.update(broker_url=config.broker_url, result_backend=config.result_backend,
                        broker_transport_options=options,
                        result_backend_transport_options=options)
    app.conf.timezone = local_timezone()
    _forget_connections()
    app.conf.beat_schedule = beat_schedule(config)
    app.conf.beat_schedule_filename = str(config.paths.var / "celerybeat-schedule")


def _forget_connections() -> None:
    """Drop connection pools made for earlier URLs (configure() may run twice in a process)."""
    app._pool = None  # not closed: kombu's producer pools may still lend its connections
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


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
        "broker_transport_options": {"data_folder_in": str(queue / "out"),
                                     "data_folder_out": str(queue / "out"),
                                     "processed_folder": str(queue / "processed"),
                                     "control_folder": str(queue / "control"),
                                     "store_processed": False,
                                     "polling_interval": 0.05},
        "result_backend": f"tasks.embedded:ResultBackend+sqlite:///{var / 'results.db'}",
    }


def beat_schedule(config: Config) -> dict[str, dict[str, object]]:
    """Archive retention every night; the database backup when a backup host is configured."""
    from celery.schedules import crontab

    from pipeline.backup import beat_schedule as backup_schedule

    schedule: dict[str, dict[str, object]] = {
        "clean-archive": {"task": "tasks.clean_archive", "schedule": crontab(hour=3, minute=15)},
    }
    schedule.update(backup_schedule(config))
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


if os.environ.get("PREPRESS_CONFIG") or find_config_path().exists():
    configure(get_config())
