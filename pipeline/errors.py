"""The errors prepress raises, as one tree.

::

    PrepressError                   anything prepress itself decided was wrong
    ├── RejectedFile                bad input: never retried, the file goes to failed/
    │   │                           (``code`` is stable, see REJECTION_CODES)
    │   └── OverBudget              a step took more time, CPU or memory than [limits] allow
    ├── TransientError              network down, server busy, database locked: retry later
    │   ├── DeliveryUnavailable     an FTP/SFTP target cannot be reached right now
    │   ├── SmsUnavailable          the SMS provider is busy or unreachable
    │   │   └── SmsOutcomeUnknown   a send's answer was lost: ask the provider before resending
    │   ├── BackupHostUnavailable   the backup host cannot be reached right now
    │   ├── DatabaseUnavailable     the database is locked, restarting or unreachable
    │   ├── DiskFull                the work folder's disk is full: wait for space
    │   └── AlertUnavailable        Telegram (or another alert channel) cannot be reached
    ├── PermanentError              a peer refused for good (bad password, no balance, 552)
    │   ├── DeliveryRefused
    │   ├── SmsRefused
    │   ├── BackupFailed            the backup host refused, or a dump or check failed
    │   └── AlertRefused            Telegram refused (bad token, unknown chat)
    ├── ConfigError                 prepress.toml is wrong: fix the named key and restart
    ├── InvalidInvoice              a bureau's invoice cannot be read: the line and column named
    ├── JobNotFound                 no job with that id (also a LookupError)
    └── CannotRetry                 the job is not in a state a retry or reprocess can help
        ├── AlreadyRetrying         the job is running or waiting to retry by itself
        ├── CannotDecide            approve/reject of a job that is not held, or no reason
        └── CannotRemake            a remake refused: job not done, unknown plate or reason

A failed job's ``error_code`` is one of these stable codes: a rejection code for a rejected
job, otherwise ``error_code(exc)`` of what stopped it (FAILURE_CODES).

Every message says what was wrong, with which file, key or target, and what to do.
Messages never contain secrets: use :func:`mask_secrets` on anything a peer echoes back.
"""

from __future__ import annotations

import re

#: Pattern of ``scheme://user:password@`` in a URL; the password part is masked.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)(?P<secret>[^@\s/]+)(?=@)")


#: Rejection codes: bad input, the file goes to failed/ with the reason beside it.
REJECTION_CODES = (
    "empty_file",  # the file has no bytes
    "not_pdf",  # it does not start with %PDF-
    "bytes_before_header",  # bytes (a PostScript program?) come before %PDF-
    "file_too_large",  # larger than [limits] max_file_mb
    "not_regular_file",  # a device, pipe or folder given to `prepress process`
    "bad_filename",  # the name is not valid UTF-8 or cannot be stored
    "over_budget",  # a required step took more time, CPU or memory than [limits] allow
    "damaged_pdf",  # pypdf cannot read its structure
    "encrypted",  # it needs a password
    "unknown_press",  # the press read from the file is not in [presses]
    "press_undetected",  # no press could be read from the file or its name
    "outputter_undetected",  # no CTP bureau could be read from the file or its name
    "file_missing",  # the spooled original disappeared before a step could read it
    "rejected_at_hold",  # a person rejected the held job (findings and reason in error.txt)
)
#: Codes of a job failed after its retries (``error_code`` of a failed job).
FAILURE_CODES = (
    "delivery_unavailable",  # an FTP/SFTP target stayed unreachable
    "delivery_refused",  # an FTP/SFTP target refused (login, permission, disk full)
    "sms_unavailable",  # the SMS provider stayed busy or unreachable
    "sms_refused",  # the SMS provider refused (login, balance, number, text)
    "config_error",  # the configuration does not allow the step (a missing key)
    "database_unavailable",  # the database stayed locked or unreachable
    "disk_full",  # a disk prepress writes to stayed full
    "transient_error",  # another fault that may go away by itself
    "permanent_error",  # another refusal that needs a person
    "internal_error",  # a bug: the message and the worker's log say where
)

#: Preflight finding codes and their default severity (``error`` holds the job, ``warning`` is
#: shown, ``off`` is not checked); ``[preflight.severity]`` changes them per shop, press, bureau.
#: Findings are data (``pipeline.preflight.Finding``), not exceptions: a file is never rejected
#: by preflight, a person approves or rejects the held job.
PREFLIGHT_CODES: dict[str, str] = {
    "plate_missing": "error",  # the sheet prints a colour its colorant list has no plate for
    "plate_empty": "warning",  # a listed colorant that nothing but marks prints: a wasted plate
    "rgb_content": "error",  # RGB, Lab or RGB-ICC images or vector fills outside the marks
    "font_not_embedded": "error",  # a font the sheet uses is not in the file
    "low_resolution": "error",  # an image under min_ppi_error (warning under min_ppi_warning)
    "ink_limit": "warning",  # total area coverage over max_tac
    "white_overprint": "warning",  # a white fill or text set to overprint: it vanishes
    "paper_too_large": "error",  # the paper is larger than the press takes or off the plate
    "preflight_unreadable": "warning",  # a part of the sheet could not be checked
    "preflight_timeout": "warning",  # the checks ran over budget_seconds and stopped
    "plate_list_missing": "warning",  # no Signa colorant list: the plates cannot be checked
    "plates_over_limit": "error",  # a sheet side lists more separations than max_plates
    "colorant_unreadable": "error",  # a colorant list entry that is not a name
    "spot_duplicate": "error",  # one ink under two names: two plates bought for one ink
    "registration_content": "error",  # Signa's registration colour All outside the marks
    "small_text": "warning",  # white or multi-ink text under min_text_pt (GWG R0016-R0017)
    "thin_line": "warning",  # white or multi-ink lines under min_line_pt (GWG R0018-R0019)
    "black_text_knockout": "warning",  # small black text that knocks out (GWG R0009/R0011)
    "duplicate": "error",  # the same bytes as a job received in the last duplicate_days
    "new_version": "warning",  # another file with the same order and job name
}
#: Preflight severities; ``off`` checks are not run.
PREFLIGHT_SEVERITIES = ("error", "warning", "off")


class PrepressError(Exception):
    """Base of every error prepress raises on purpose."""

    #: The stable code of this kind of error (see FAILURE_CODES).
    code = "internal_error"


class RejectedFile(PrepressError):
    """The input file cannot be processed as it is; retrying will not help.

    ``code`` is one of the stable rejection codes listed in the module docstring.
    """

    def __init__(self, code: str, message: str, file: str | None = None) -> None:
        # all three in args, so the error survives Celery's result serialization intact
        super().__init__(code, message, file)
        self.code = code
        self.message = message
        self.file = file

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class OverBudget(RejectedFile):
    """One file's step ran past its ``[limits]`` budget (``resource``: wall, cpu, memory or
    crash) and was stopped. A step whose artefact is optional catches it and warns; uncaught,
    the file is rejected with ``over_budget``."""

    def __init__(self, message: str, file: str | None = None, resource: str = "wall") -> None:
        super().__init__("over_budget", message, file)
        self.args = (message, file, resource)  # survives pickling and Celery's serialization
        self.resource = resource


class TransientError(PrepressError):
    """A fault that may go away by itself: the task retries with backoff."""

    code = "transient_error"


class PermanentError(PrepressError):
    """A peer refused the request for good; an operator must act before a retry."""

    code = "permanent_error"


class DeliveryUnavailable(TransientError):
    """An FTP or SFTP target could not be reached or dropped the connection."""

    code = "delivery_unavailable"


class DeliveryRefused(PermanentError):
    """An FTP or SFTP target refused: bad login, permission denied, disk full."""

    code = "delivery_refused"


class SmsUnavailable(TransientError):
    """The SMS provider is busy, slow or unreachable."""

    code = "sms_unavailable"


class SmsOutcomeUnknown(SmsUnavailable):
    """The send reached the provider but its answer was lost: it may or may not have gone.

    Never resend on this alone: ask the provider (status.php) first.
    """


class SmsRefused(PermanentError):
    """The SMS provider refused: bad login, no balance, bad number, text refused."""

    code = "sms_refused"


class DatabaseUnavailable(TransientError):
    """The database is locked (a long backup), restarting or unreachable: steps wait."""

    code = "database_unavailable"


class DiskFull(TransientError):
    """A disk prepress writes to is full (or over quota): the step waits for space."""

    code = "disk_full"


class BackupHostUnavailable(TransientError):
    """The backup host could not be reached or dropped the connection; a retry may help."""

    code = "backup_unavailable"


class BackupFailed(PermanentError):
    """The backup could not be made or stored: refused by the host, a dump or a check failed."""

    code = "backup_failed"


class AlertUnavailable(TransientError):
    """An alert channel (the Telegram Bot API) is busy or unreachable; a retry may help."""

    code = "alert_unavailable"


class AlertRefused(PermanentError):
    """An alert channel refused: bad bot token, a chat the bot may not write to."""

    code = "alert_refused"


class ConfigError(PrepressError):
    """The configuration is wrong; the message names the file and the key."""

    code = "config_error"


class InvalidInvoice(PrepressError):
    """A bureau's invoice cannot be read or checked; nothing of it is stored. The message
    names the line and the column where one is at fault."""

    code = "invalid_invoice"


class JobNotFound(PrepressError, LookupError):
    """No job with that id; the message says how to list the jobs."""

    code = "job_not_found"


class CannotRetry(PrepressError):
    """The job is not in a state a retry can help; the message says why and what to do."""

    code = "cannot_retry"


class AlreadyRetrying(CannotRetry):
    """The job is still running or retrying by itself; the message says where and until when."""

    code = "already_retrying"


class CannotDecide(CannotRetry):
    """Approve or reject refused: the job is not held (any more), or a needed reason is missing."""

    code = "cannot_decide"


class CannotRemake(CannotRetry):
    """A remake refused: the message says why; nothing was recorded or sent."""

    code = "cannot_remake"


def error_code(exc: BaseException) -> str:
    """The stable code for what stopped a step: a prepress error's own, a few known faults."""
    if isinstance(exc, PrepressError):
        return exc.code
    if type(exc).__name__ == "OperationalError":  # sqlalchemy's: locked or unreachable
        return "database_unavailable"
    if isinstance(exc, OSError | TimeoutError):
        return "transient_error"
    return "internal_error"


def mask_secrets(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Return ``text`` with URL passwords and the given secret values replaced by ``***``."""
    masked = _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, "***")
    return masked
