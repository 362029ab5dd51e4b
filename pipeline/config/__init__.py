"""The configuration: ``settings`` holds its types and defaults, ``reader`` finds, reads and
checks prepress.toml. Import from here: ``from pipeline.config import Config, load_config``.

May import pipeline.errors only.
"""

from pipeline.config.people import ALERT_KINDS, AlertSettings, StaffMember
from pipeline.config.reader import (
    check_placeholders,
    config_from_dict,
    database_url_from,
    find_config_path,
    load_config,
    read_toml,
    warn_if_world_readable,
)
from pipeline.config.settings import (
    CONFIG_ENV,
    DEFAULT_BACKUP_TIME,
    DEFAULT_BROKER_URL,
    DEFAULT_CONFIG_NAME,
    DEFAULT_MARKS,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_SMS_API_URL,
    DEFAULT_SMS_TEMPLATE,
    DEFAULT_STABLE_SECONDS,
    DEFAULT_VISIBILITY_TIMEOUT,
    DEFAULT_WORK_DIR,
    PLACEHOLDERS,
    BackupSettings,
    Config,
    FlowerSettings,
    Limits,
    Outputter,
    Paths,
    Press,
    RetrySettings,
    SmsSettings,
)

__all__ = [
    "ALERT_KINDS",
    "AlertSettings",
    "StaffMember",
    "CONFIG_ENV",
    "DEFAULT_BACKUP_TIME",
    "DEFAULT_BROKER_URL",
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_MARKS",
    "DEFAULT_RETENTION_DAYS",
    "DEFAULT_SMS_API_URL",
    "DEFAULT_SMS_TEMPLATE",
    "DEFAULT_STABLE_SECONDS",
    "DEFAULT_VISIBILITY_TIMEOUT",
    "DEFAULT_WORK_DIR",
    "PLACEHOLDERS",
    "BackupSettings",
    "Config",
    "FlowerSettings",
    "Limits",
    "Outputter",
    "Paths",
    "Press",
    "RetrySettings",
    "SmsSettings",
    "check_placeholders",
    "config_from_dict",
    "database_url_from",
    "find_config_path",
    "load_config",
    "read_toml",
    "warn_if_world_readable",
]
