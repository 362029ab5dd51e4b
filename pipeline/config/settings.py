"""The shape of prepress's configuration: every default (one ``#:`` line each, as rq's
``defaults.py``), the environment variables that override prepress.toml, and the checked,
typed settings.

pipeline/config/reader.py, services.py and people.py read prepress.toml into these and
write no default of their own; everything else imports them from pipeline.config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

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
#: Megabytes the work folder's disk must keep free; below it the watcher takes no file.
DEFAULT_MIN_FREE_MB = 500
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
#: Seconds a step may go without progress before it counts as hung and its job is continued
#: elsewhere; longer than any network call's own timeout (30 s uploads, 15 s SMS).
DEFAULT_HUNG_AFTER = 120
#: The shortest ``[retry] hung_after`` allowed: above the 30 s timeout of a network call, so
#: a step waiting for a slow peer is not taken for a hung one.
MIN_HUNG_AFTER = 40
#: Hours a dashboard login lasts at most.
DEFAULT_SESSION_HOURS = 12.0
#: Minutes without a request after which a dashboard login ends (an open page polls, so a
#: browser left on the grid stays logged in; a closed one is logged out within the hour).
DEFAULT_IDLE_MINUTES = 60.0
#: Reverse proxies in front of the dashboard whose X-Forwarded-* headers are trusted (none).
DEFAULT_BEHIND_PROXY = 0
#: Most reverse proxies ``web.behind_proxy`` may name.
MAX_BEHIND_PROXY = 5
#: Seconds of wall time one file's rendering (or ink coverage, or preflight) may take. The
#: slowest real sheet measured (benchmarks/README.md) renders in under 10 s; a crafted file
#: is cut off here, so it delays the next file by at most this.
DEFAULT_WALL_SECONDS = 90.0
#: Most seconds ``wall_seconds`` and ``cpu_seconds`` may be set to: below celeryconfig's
#: CPU_SOFT_LIMIT (600 s), which stays the outer backstop of a whole step.
MAX_BUDGET_SECONDS = 500
#: Seconds of CPU time for the same (one core: never more than the wall time).
DEFAULT_CPU_SECONDS = 90.0
#: Address space in MB of the child process that renders one file: a real 1030 x 770 mm sheet
#: with a 300 dpi photo peaks at about 250 MB resident; PDFium and Python map some more.
DEFAULT_MEMORY_MB = 1500
#: Largest file taken, in MB: a 16-sheet job of 300 dpi photos is well under 1 GB.
DEFAULT_MAX_FILE_MB = 2048
#: Pages of a PDF read at most (a hostile file with a million pages is refused).
DEFAULT_MAX_PAGES = 2000
#: Watch the hotfolder by polling instead of inotify (a Samba or NFS share needs polling).
DEFAULT_POLLING = False
#: The database file under var/ when ``[database] url`` is not set (SQLite).
DEFAULT_DATABASE_FILE = "prepress.db"
#: A bureau's plates are announced by SMS.
DEFAULT_NOTIFY = True
#: FTP passive mode; ``active = true`` for a bureau behind a firewall that needs it.
DEFAULT_FTP_ACTIVE = False
#: The plate order sent beside each plate file: ``jdf`` (a JDF 1.7 PlateMaking ticket) or none.
TICKET_KINDS = ("none", "jdf")
DEFAULT_TICKET = "none"
#: Hours from the upload to the plates' due time written in the ticket.
DEFAULT_LEAD_HOURS = 24.0
#: Minutes between two looks at a bureau's upload folders for the plate files its RIP took
#: (``[outputters.NAME] taken_poll_minutes``); 0: never looked at.
DEFAULT_TAKEN_POLL_MINUTES = 0.0
#: Hours a plate file may lie in the bureau's folder untaken before staff are told
#: (``taken_alert_hours``, when polling is on); 0: never told.
DEFAULT_TAKEN_ALERT_HOURS = 4.0
#: Why plates are made again (``[remakes] reasons``): the codes a remake must name.
DEFAULT_REMAKE_REASONS = (
    "damaged_on_press",
    "customer_change",
    "bureau_fault",
    "prepress_error",
    "planning",
)
#: The shop's currency (``[shop] currency``), shown beside money; empty: none named.
DEFAULT_CURRENCY = ""
#: Separator of every CSV file (``[shop] csv_separator``): Excel opens a CSV by double click
#: with the list separator of Windows' regional settings, ``;`` wherever the decimal mark is
#: a comma (Ukraine, most of Europe).
DEFAULT_CSV_SEPARATOR = ";"
#: The shop's locale (``[shop] locale``): its decimal mark in CSV files (pipeline/spreadsheet.py).
DEFAULT_LOCALE = "uk_UA"
#: Minutes a bureau or press target may stay unused before the watchdog probes it
#: (``[targets] probe_minutes``; connect and log in, nothing uploaded).
DEFAULT_PROBE_MINUTES = 5.0
#: Days an invoice line's date may lie from the job's date and still bill that job
#: (``[outputters.NAME.invoice] window_days``).
DEFAULT_INVOICE_WINDOW_DAYS = 7
#: The only SMS provider prepress speaks to.
DEFAULT_SMS_PROVIDER = "smsc"
#: Seconds to wait for the SMS provider's answer.
DEFAULT_SMS_TIMEOUT = 15.0
#: SSH port of the backup host.
DEFAULT_BACKUP_PORT = 22
#: Folder on the backup host (relative to the login folder).
DEFAULT_BACKUP_REMOTE_DIR = "prepress-backups"
#: Days whose newest backup is kept.
DEFAULT_KEEP_DAILY = 14
#: Months whose newest backup is kept.
DEFAULT_KEEP_MONTHLY = 12
#: Retries of an unreachable backup host (60 s doubling to 15 min: about 2.75 h).
DEFAULT_BACKUP_RETRIES = 14
#: Address and port Flower listens on.
DEFAULT_FLOWER_ADDRESS, DEFAULT_FLOWER_PORT = "127.0.0.1", 5555
#: Address and port the dashboard listens on.
DEFAULT_WEB_ADDRESS, DEFAULT_WEB_PORT = "127.0.0.1", 8080
#: OAuth options ``[flower.oauth]`` may pass on to Flower's environment.
FLOWER_OAUTH_OPTIONS = frozenset(
    {"auth", "auth_provider", "oauth2_key", "oauth2_secret", "oauth2_redirect_uri"}
)
#: Role of a dashboard user whose table names none.
DEFAULT_WEB_ROLE = "viewer"
#: Environment variable holding the dashboard's cookie key when ``web.secret_key_env`` is unset.
DEFAULT_WEB_SECRET_KEY_ENV = "PREPRESS_WEB_SECRET_KEY"

#: What a person can ask to be told about (``notify``).
ALERT_KINDS = (
    "rejected",
    "failed",
    "held",
    "untaken",
    "target",
    "broker",
    "workers",
    "backup",
    "disk",
)
#: The Telegram Bot API (``https://api.telegram.org/bot<token>/sendMessage``).
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
#: Minutes a target (bureau FTP, press FTP, SMS provider) may keep steps waiting before an alert.
DEFAULT_TARGET_MINUTES = 10.0
#: Minutes the broker may be unreachable before an alert.
DEFAULT_BROKER_MINUTES = 2.0
#: Minutes a queue may have no worker answering before an alert.
DEFAULT_WORKERS_MINUTES = 3.0
#: Free gigabytes of the work folder's disk under which an alert goes out.
DEFAULT_DISK_FREE_GB = 5.0
#: Hours without a successful backup (when a backup host is configured) before an alert.
DEFAULT_BACKUP_HOURS = 26.0
#: Hours a job may wait at the hold before staff are told a second time.
DEFAULT_HELD_AFTER = 2.0
#: Seconds between two rounds of the watchdog's checks.
DEFAULT_CHECK_SECONDS = 30.0
#: Seconds to wait for the Telegram API's answer.
DEFAULT_ALERT_TIMEOUT = 15.0

#: Environment variables that override a key of prepress.toml (a host's own broker, database
#: or Flower login; shorter waits in tests), applied by reader.with_environment only.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "PREPRESS_BROKER_URL": ("celery", "broker_url"),
    "PREPRESS_RESULT_BACKEND": ("celery", "result_backend"),
    "PREPRESS_DATABASE_URL": ("database", "url"),
    "PREPRESS_FLOWER_USER": ("flower", "user"),
    "PREPRESS_FLOWER_PASSWORD": ("flower", "password"),
    "PREPRESS_MAX_BACKOFF": ("retry", "max_backoff"),
    "PREPRESS_GIVE_UP_AFTER": ("retry", "give_up_after"),
    "PREPRESS_RECONCILE_EVERY": ("retry", "reconcile_every"),
    "PREPRESS_HUNG_AFTER": ("retry", "hung_after"),
    "PREPRESS_BACKUP_RETRIES": ("backup", "retries"),
}
#: Overrides that are numbers (the rest are text).
NUMERIC_OVERRIDES = frozenset(
    {
        "PREPRESS_MAX_BACKOFF",
        "PREPRESS_GIVE_UP_AFTER",
        "PREPRESS_RECONCILE_EVERY",
        "PREPRESS_HUNG_AFTER",
        "PREPRESS_BACKUP_RETRIES",
    }
)

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
class StaffMember:
    """A person: how to reach them and what they want to hear about."""

    name: str
    phone: str = ""
    telegram: str = ""
    notify: tuple[str, ...] = ALERT_KINDS


@dataclass(frozen=True)
class AlertSettings:
    """The watchdog's thresholds and the Telegram bot (token resolved, never logged)."""

    telegram_token: str = ""
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    target_minutes: float = DEFAULT_TARGET_MINUTES
    broker_minutes: float = DEFAULT_BROKER_MINUTES
    workers_minutes: float = DEFAULT_WORKERS_MINUTES
    disk_free_gb: float = DEFAULT_DISK_FREE_GB
    backup_hours: float = DEFAULT_BACKUP_HOURS
    held_after: float = DEFAULT_HELD_AFTER
    check_seconds: float = DEFAULT_CHECK_SECONDS
    timeout: float = DEFAULT_ALERT_TIMEOUT


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
class PlatePrice:
    """What a bureau charges for one plate of a format, from a day on (None: always)."""

    plate_mm: tuple[float, float]
    price: float
    valid_from: date | None = None


@dataclass(frozen=True)
class InvoiceColumns:
    """Where a bureau's invoice keeps each fact: the header text of its columns.

    ``file`` (the remote file name) or ``order`` (the order number) says which job a line
    bills; ``format`` and ``price`` (of one plate) are optional.
    """

    date: str
    plates: str
    file: str = ""
    order: str = ""
    format: str = ""
    price: str = ""
    window_days: int = DEFAULT_INVOICE_WINDOW_DAYS


@dataclass(frozen=True)
class Outputter:
    """A CTP bureau: where its plate files go and under which name."""

    name: str
    url: str | None = None
    dir_by_press: Mapping[str, str] = field(default_factory=dict)
    filename: str | None = None
    notify: bool = DEFAULT_NOTIFY
    active: bool = DEFAULT_FTP_ACTIVE  # FTP active mode instead of passive
    preflight: Mapping[str, Any] = field(default_factory=dict)  # [outputters.NAME.preflight]
    ticket: str = DEFAULT_TICKET  # the plate order uploaded beside each plate file
    lead_hours: float = DEFAULT_LEAD_HOURS  # the ticket's due time after the upload
    taken_poll_minutes: float = DEFAULT_TAKEN_POLL_MINUTES  # look for taken plate files; 0: off
    taken_alert_hours: float = DEFAULT_TAKEN_ALERT_HOURS  # untaken this long: staff told; 0: never
    prices: tuple[PlatePrice, ...] = ()  # [[outputters.NAME.prices]]
    invoice: InvoiceColumns | None = None  # [outputters.NAME.invoice]


@dataclass(frozen=True)
class SmsSettings:
    provider: str = DEFAULT_SMS_PROVIDER
    api_url: str = DEFAULT_SMS_API_URL
    login: str = ""
    password: str = ""
    sender: str = ""
    recipients: tuple[str, ...] = ()
    admin: tuple[str, ...] = ()
    template: str = DEFAULT_SMS_TEMPLATE
    timeout: float = DEFAULT_SMS_TIMEOUT

    @property
    def enabled(self) -> bool:
        return bool(self.login and self.api_url)


@dataclass(frozen=True)
class BackupSettings:
    host: str = ""
    port: int = DEFAULT_BACKUP_PORT
    user: str = ""
    key_file: str = ""
    known_hosts: str = ""
    remote_dir: str = DEFAULT_BACKUP_REMOTE_DIR
    keep_daily: int = DEFAULT_KEEP_DAILY
    keep_monthly: int = DEFAULT_KEEP_MONTHLY
    time: str = DEFAULT_BACKUP_TIME
    retries: int = DEFAULT_BACKUP_RETRIES

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.user)


@dataclass(frozen=True)
class RetrySettings:
    """How transient faults are waited out and lost chains found (``[retry]``)."""

    max_backoff: float = DEFAULT_MAX_BACKOFF
    give_up_after: float = DEFAULT_GIVE_UP_AFTER
    reconcile_every: float = DEFAULT_RECONCILE_EVERY
    hung_after: float = DEFAULT_HUNG_AFTER


@dataclass(frozen=True)
class Limits:
    """The budget of one file's expensive steps (``[limits]``): rendering, ink coverage and
    preflight each run in a child process held to these (``pipeline.budget``)."""

    wall_seconds: float = DEFAULT_WALL_SECONDS
    cpu_seconds: float = DEFAULT_CPU_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB
    max_file_mb: int = DEFAULT_MAX_FILE_MB


@dataclass(frozen=True)
class FlowerSettings:
    address: str = DEFAULT_FLOWER_ADDRESS
    port: int = DEFAULT_FLOWER_PORT
    user: str = ""
    password: str = ""
    oauth: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebUser:
    """A dashboard login: ``viewer`` reads, ``operator`` also switches mode, retries, reprocesses.

    Exactly one of ``password`` (resolved from ``password_env``) and ``password_hash`` is set,
    except when the variable ``password_env`` names is not set in this process: only the
    dashboard needs it (:func:`pipeline.config.require_web_passwords`).
    """

    name: str
    role: str
    password: str = ""
    password_hash: str = ""
    password_env: str = ""


@dataclass(frozen=True)
class WebSettings:
    address: str = DEFAULT_WEB_ADDRESS
    port: int = DEFAULT_WEB_PORT
    users: Mapping[str, WebUser] = field(default_factory=dict)
    secret_key: str = ""  # signs session cookies; empty: generated under var/
    secret_key_env: str = ""  # the variable it came from, for messages
    session_hours: float = DEFAULT_SESSION_HOURS
    idle_minutes: float = DEFAULT_IDLE_MINUTES
    #: Host names the dashboard answers to besides IP addresses, localhost and this machine's
    #: names (a foreign name in Host is DNS rebinding).
    allowed_hosts: tuple[str, ...] = ()
    #: Reverse proxies in front that set X-Forwarded-For/-Proto/-Host (0: none, trust none).
    behind_proxy: int = DEFAULT_BEHIND_PROXY


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
    #: Megabytes the work folder's disk keeps free: below, no file is taken (see watcher/).
    min_free_mb: int = DEFAULT_MIN_FREE_MB

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
    polling: bool = DEFAULT_POLLING
    retention_days: int = DEFAULT_RETENTION_DAYS
    max_pages: int = DEFAULT_MAX_PAGES
    sms: SmsSettings = field(default_factory=SmsSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    flower: FlowerSettings = field(default_factory=FlowerSettings)
    web: WebSettings = field(default_factory=WebSettings)

    staff: Mapping[str, StaffMember] = field(default_factory=dict)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    limits: Limits = field(default_factory=Limits)
    preflight: PreflightSettings = field(default_factory=PreflightSettings)
    currency: str = DEFAULT_CURRENCY
    csv_separator: str = DEFAULT_CSV_SEPARATOR
    locale: str = DEFAULT_LOCALE
    probe_minutes: float = DEFAULT_PROBE_MINUTES
    remake_reasons: tuple[str, ...] = DEFAULT_REMAKE_REASONS

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
