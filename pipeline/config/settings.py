"""The shape of prepress's configuration: defaults and the checked, typed settings.

pipeline/config/reader.py reads prepress.toml into these; everything else imports them from
pipeline.config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pipeline.config.people import AlertSettings, StaffMember
from pipeline.config.preflight import PreflightSettings, merge

#: Environment variable naming the configuration file.
CONFIG_ENV = "PREPRESS_CONFIG"
#: Configuration file looked for in the current folder.
DEFAULT_CONFIG_NAME = "prepress.toml"
#: Work folder (hotfolder, spool, done, failed, previews, var) when none is configured.
DEFAULT_WORK_DIR = "work"
#: Redis database used as broker and result backend.
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
#: Seconds a file's size and mtime must stay still before the watcher takes it.
DEFAULT_STABLE_SECONDS = 2.0
#: Days an archived original stays in done/.
DEFAULT_RETENTION_DAYS = 90
#: Broker and result-backend visibility timeout; longer than the longest step.
DEFAULT_VISIBILITY_TIMEOUT = 4 * 3600
#: SMS text; placeholders as for outputter filenames.
DEFAULT_SMS_TEMPLATE = "{order} {job} {plates}->{press} {outputter}"
#: smsc.ua send endpoint.
DEFAULT_SMS_API_URL = "https://smsc.ua/sys/send.php"
#: Roles of dashboard users: a viewer reads, an operator also changes things.
WEB_ROLES = ("viewer", "operator")
#: Local time of the nightly database backup.
DEFAULT_BACKUP_TIME = "02:30"
#: Longest wait between two automatic attempts of a step after a transient fault, seconds.
DEFAULT_MAX_BACKOFF = 60
#: Seconds a step keeps retrying a transient fault before the job is failed (24 h).
DEFAULT_GIVE_UP_AFTER = 24 * 3600
#: Seconds between two passes of the reconciler that continues lost chains.
DEFAULT_RECONCILE_EVERY = 30

#: Placeholders allowed in ``filename`` and ``template``.
PLACEHOLDERS = frozenset(
    {
        "stem",
        "order",
        "job",
        "press",
        "outputter",
        "plates",
        "plate_w",
        "plate_h",
        "inks",
        "inks_suffix",
        "ext",
    }
)

#: A number in a mark: decimal comma or point.
_NUM = r"\d+(?:[.,]\d+)?"
#: Separator of a paper size: latin x, cyrillic х, multiplication sign, star.
_BY = r"\s*[xXхХ×*]\s*"
#: The marks the shop uses, by Signa CreationName: regexes with named groups ``press``,
#: ``outputter``, ``paper_w``, ``paper_h``. ``[marks.NAME] pattern = "..."`` adds or replaces.
DEFAULT_MARKS: dict[str, str] = {
    "Machine": r":\s*(?P<press>[^\s:]+)",
    "Outputter": r":\s*(?P<outputter>[^\s:]+)",
    "Paper": rf":\s*(?P<paper_w>{_NUM}){_BY}(?P<paper_h>{_NUM})",
    "tes_Outputter": (
        rf":\s*(?P<outputter>[^\s:]+)\s+(?P<press>[^\s:]+)\s+"
        rf"(?P<paper_w>{_NUM}){_BY}(?P<paper_h>{_NUM})"
    ),
}


@dataclass(frozen=True)
class Press:
    """A printing press: its plate, gripper margin, preview target and SMS recipients."""

    name: str
    plate_mm: tuple[float, float]
    gripper_mm: float
    preview_url: str | None = None
    sms: tuple[str, ...] = ()
    plate_cost: float | None = None  # price of one plate, for the plate report
    # [presses.NAME.preflight] overrides; left out of the hash so a Press stays hashable
    preflight: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Outputter:
    """A CTP bureau: where its plate files go and under which name."""

    name: str
    url: str | None = None
    dir_by_press: Mapping[str, str] = field(default_factory=dict)
    filename: str | None = None
    notify: bool = True
    active: bool = False  # FTP active mode instead of passive
    preflight: Mapping[str, Any] = field(default_factory=dict)  # [outputters.NAME.preflight]


@dataclass(frozen=True)
class SmsSettings:
    provider: str = "smsc"
    api_url: str = DEFAULT_SMS_API_URL
    login: str = ""
    password: str = ""
    sender: str = ""
    recipients: tuple[str, ...] = ()
    admin: tuple[str, ...] = ()
    template: str = DEFAULT_SMS_TEMPLATE
    timeout: float = 15.0

    @property
    def enabled(self) -> bool:
        return bool(self.login and self.api_url)


@dataclass(frozen=True)
class BackupSettings:
    host: str = ""
    port: int = 22
    user: str = ""
    key_file: str = ""
    known_hosts: str = ""
    remote_dir: str = "prepress-backups"
    keep_daily: int = 14
    keep_monthly: int = 12
    time: str = DEFAULT_BACKUP_TIME

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.user)


@dataclass(frozen=True)
class RetrySettings:
    """How transient faults are waited out and lost chains found (``[retry]``)."""

    max_backoff: float = DEFAULT_MAX_BACKOFF
    give_up_after: float = DEFAULT_GIVE_UP_AFTER
    reconcile_every: float = DEFAULT_RECONCILE_EVERY


@dataclass(frozen=True)
class FlowerSettings:
    address: str = "127.0.0.1"
    port: int = 5555
    user: str = ""
    password: str = ""
    oauth: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebUser:
    """A dashboard login: ``viewer`` reads, ``operator`` also switches mode, retries, reprocesses.

    Exactly one of ``password`` (resolved from ``password_env``) and ``password_hash`` is set.
    """

    name: str
    role: str
    password: str = ""
    password_hash: str = ""


@dataclass(frozen=True)
class WebSettings:
    address: str = "127.0.0.1"
    port: int = 8080
    users: Mapping[str, WebUser] = field(default_factory=dict)
    secret_key: str = ""  # signs session cookies; empty: generated under var/


@dataclass(frozen=True)
class Paths:
    """The work folder and the folders a file moves through.

    The hotfolder, done/ and failed/ are under the work folder unless ``[paths]`` names them
    (a Samba share on another disk, an archive disk); spool/, previews/ and var/ always are.
    """

    work_dir: Path
    hotfolder_dir: Path | None = None
    done_dir: Path | None = None
    failed_dir: Path | None = None

    @property
    def hotfolder(self) -> Path:
        return self.hotfolder_dir or self.work_dir / "hotfolder"

    @property
    def spool(self) -> Path:
        return self.work_dir / "spool"

    @property
    def done(self) -> Path:
        return self.done_dir or self.work_dir / "done"

    @property
    def failed(self) -> Path:
        return self.failed_dir or self.work_dir / "failed"

    @property
    def previews(self) -> Path:
        return self.work_dir / "previews"

    @property
    def var(self) -> Path:
        return self.work_dir / "var"

    def relative(self, path: Path) -> str:
        """``path`` as a job row stores it: relative to the work folder, else absolute."""
        try:
            return str(path.relative_to(self.work_dir))
        except ValueError:
            return str(path)

    def create(self) -> None:
        for folder in (self.hotfolder, self.spool, self.done, self.failed, self.previews, self.var):
            folder.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class Config:
    """Everything prepress.toml says, checked, with secrets resolved."""

    source: Path | None
    presses: Mapping[str, Press]
    outputters: Mapping[str, Outputter]
    marks: Mapping[str, str]
    paths: Paths
    database_url: str
    broker_url: str
    result_backend: str
    visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT
    stable_seconds: float = DEFAULT_STABLE_SECONDS
    polling: bool = False
    retention_days: int = DEFAULT_RETENTION_DAYS
    max_pages: int = 2000
    sms: SmsSettings = field(default_factory=SmsSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    flower: FlowerSettings = field(default_factory=FlowerSettings)
    web: WebSettings = field(default_factory=WebSettings)

    staff: Mapping[str, StaffMember] = field(default_factory=dict)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    preflight: PreflightSettings = field(default_factory=PreflightSettings)

    def preflight_for(
        self, press: str | None = None, outputter: str | None = None
    ) -> PreflightSettings:
        """The preflight settings of a job: the shop's, then the press's, then the bureau's
        overrides (a name that is not configured adds nothing)."""
        settings = self.preflight
        if press is not None and press in self.presses:
            settings = merge(settings, self.presses[press].preflight)
        if outputter is not None and outputter in self.outputters:
            settings = merge(settings, self.outputters[outputter].preflight)
        return settings

    def secrets(self) -> tuple[str, ...]:
        """Every secret value known to this configuration, for masking."""
        found = [self.sms.password, self.flower.password, self.web.secret_key]
        found += [self.alerts.telegram_token]
        found += [user.password for user in self.web.users.values()]
        for url in [o.url for o in self.outputters.values()] + [
            p.preview_url for p in self.presses.values()
        ]:
            if url:
                password = urlsplit(url).password
                if password:
                    found += [password, unquote(password)]
        return tuple(s for s in found if s)
