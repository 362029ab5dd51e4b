"""The configuration: ``settings`` holds its types, every default and the environment
overrides; ``reader`` finds, reads and checks prepress.toml (``services`` and ``people`` its
tables; ``checking`` the typed reader); ``hosts`` is the one loader (a host's file plus the
shop's pushed settings), ``shared`` the settings every host agrees on. Import from here:
``from pipeline.config import Config, load_config``.

May import pipeline.errors only.
"""

from pipeline.config.hosts import load_config, load_host_config
from pipeline.config.reader import (
    check_placeholders,
    config_from_dict,
    database_url_from,
    find_config_path,
    read_toml,
    warn_if_world_readable,
    with_environment,
)
from pipeline.config.services import flower_credentials, require_web_passwords
from pipeline.config.settings import (
    ALERT_KINDS,
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
    AlertSettings,
    BackupSettings,
    Config,
    FlowerSettings,
    Limits,
    Outputter,
    Paths,
    Press,
    RetrySettings,
    SmsSettings,
    StaffMember,
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
    "flower_credentials",
    "load_config",
    "load_host_config",
    "read_toml",
    "require_web_passwords",
    "warn_if_world_readable",
    "with_environment",
]
