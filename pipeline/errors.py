"""The errors prepress raises, as one tree.

::

    PrepressError                 anything prepress itself decided was wrong
    ├── RejectedFile              bad input: never retried, the file goes to failed/
    │                             (``code`` is stable: empty_file, not_pdf, damaged_pdf,
    │                             encrypted, unknown_press, press_undetected,
    │                             outputter_undetected)
    ├── TransientError            network down, server busy, database locked: retry later
    │   ├── DeliveryUnavailable   an FTP/SFTP target cannot be reached right now
    │   └── SmsUnavailable        the SMS provider is busy or unreachable
    ├── PermanentError            a peer refused for good (bad password, no balance, 552)
    │   ├── DeliveryRefused
    │   └── SmsRefused
    └── ConfigError               prepress.toml is wrong: fix the named key and restart

Every message says what was wrong, with which file, key or target, and what to do.
Messages never contain secrets: use :func:`mask_secrets` on anything a peer echoes back.
"""

from __future__ import annotations

import re

#: Pattern of ``scheme://user:password@`` in a URL; the password part is masked.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]+:)(?P<secret>[^@\s/]+)(?=@)")


class PrepressError(Exception):
    """Base of every error prepress raises on purpose."""


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


class TransientError(PrepressError):
    """A fault that may go away by itself: the task retries with backoff."""


class PermanentError(PrepressError):
    """A peer refused the request for good; an operator must act before a retry."""


class DeliveryUnavailable(TransientError):
    """An FTP or SFTP target could not be reached or dropped the connection."""


class DeliveryRefused(PermanentError):
    """An FTP or SFTP target refused: bad login, permission denied, disk full."""


class SmsUnavailable(TransientError):
    """The SMS provider is busy, slow or unreachable."""


class SmsRefused(PermanentError):
    """The SMS provider refused: bad login, no balance, bad number, text refused."""


class ConfigError(PrepressError):
    """The configuration is wrong; the message names the file and the key."""


def mask_secrets(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Return ``text`` with URL passwords and the given secret values replaced by ``***``."""
    masked = _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, "***")
    return masked
