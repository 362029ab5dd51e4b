"""One table from library exceptions (ftplib, paramiko, sockets) to prepress errors.

Modelled on httpx's ``map_exceptions``: the protocols raise what their libraries raise, and
:func:`map_exceptions` turns it into :class:`DeliveryUnavailable` (a retry may help) or
:class:`DeliveryRefused` (it will not), worded by the caller's ``failure`` so a bureau upload
and the database backup say where and what in their own words. One table for every protocol:
a timeout or a full disk reads the same whether it came over FTP or SFTP.
"""

from __future__ import annotations

import errno
import ftplib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import paramiko  # type: ignore[import-untyped]

from pipeline.errors import DeliveryRefused, DeliveryUnavailable, PermanentError, TransientError

#: Builds the error to raise from (class, what went wrong, what the server said).
Failure = Callable[
    [type[TransientError | PermanentError], str, object], TransientError | PermanentError
]


@dataclass(frozen=True)
class Rule:
    """One row: exceptions of ``caught`` (for which ``when`` holds) mean ``error``/``what``."""

    caught: type[BaseException] | tuple[type[BaseException], ...]
    error: type[TransientError | PermanentError]
    what: str
    when: Callable[[BaseException], bool] | None = None

    def matches(self, exc: BaseException) -> bool:
        return isinstance(exc, self.caught) and (self.when is None or self.when(exc))


def _reply(code: str) -> Callable[[BaseException], bool]:
    """An FTP reply starting with ``code``."""
    return lambda exc: str(exc).startswith(code)


def _says(text: str) -> Callable[[BaseException], bool]:
    return lambda exc: text in str(exc)


def _errno(*codes: int) -> Callable[[BaseException], bool]:
    return lambda exc: getattr(exc, "errno", None) in codes


#: The table, first match wins: the specific rows come before the general ones.
RULES: tuple[Rule, ...] = (
    # FTP replies (a 5xx is final, a 4xx or an odd answer is worth a retry)
    Rule(
        ftplib.error_perm,
        DeliveryRefused,
        "login refused (check user and password in the target URL)",
        _reply("530"),
    ),
    Rule(
        ftplib.error_perm,
        DeliveryRefused,
        "permission denied or no such folder (check the folder and the account's rights)",
        _reply("550"),
    ),
    Rule(
        ftplib.error_perm,
        DeliveryRefused,
        "the server's disk or quota is full (the bureau must make room)",
        _reply("552"),
    ),
    Rule(
        ftplib.error_perm,
        DeliveryRefused,
        "file name not allowed by the server (check the filename template)",
        _reply("553"),
    ),
    Rule(ftplib.error_perm, DeliveryRefused, "the server refused the request"),
    Rule(
        (ftplib.error_temp, ftplib.error_reply, ftplib.error_proto),
        DeliveryUnavailable,
        "the server is busy or answered oddly",
    ),
    # SSH: host keys and logins are final, a broken negotiation is not
    Rule(
        paramiko.BadHostKeyException,
        DeliveryRefused,
        "the server's host key differs from known_hosts (a different machine answers: "
        "check before trusting it)",
    ),
    Rule(
        paramiko.AuthenticationException,
        DeliveryRefused,
        "login refused (check the user, key file or password)",
    ),
    Rule(
        paramiko.SSHException,
        DeliveryRefused,
        "the server's host key is not in known_hosts (add it after checking its fingerprint)",
        _says("known_hosts"),
    ),
    Rule(paramiko.SSHException, DeliveryUnavailable, "the SSH connection failed"),
    Rule(paramiko.ssh_exception.NoValidConnectionsError, DeliveryUnavailable, "connection refused"),
    # sockets and remote files, whatever the protocol
    Rule(
        socket.gaierror, DeliveryUnavailable, "host name not found (check the URL if this persists)"
    ),
    Rule(TimeoutError, DeliveryUnavailable, "no answer within the timeout"),
    Rule(ConnectionRefusedError, DeliveryUnavailable, "connection refused"),
    Rule(
        PermissionError,
        DeliveryRefused,
        "permission denied (check the folder and the account's rights)",
    ),
    Rule(
        OSError,
        DeliveryRefused,
        "the server's disk or quota is full (the bureau must make room)",
        _errno(errno.ENOSPC, errno.EDQUOT),
    ),
    Rule((OSError, EOFError), DeliveryUnavailable, "the connection broke or the server failed"),
)


def classify(exc: BaseException) -> Rule | None:
    """The first rule of :data:`RULES` that ``exc`` matches, None when it is not a transfer's."""
    return next((rule for rule in RULES if rule.matches(exc)), None)


@contextmanager
def map_exceptions(failure: Failure) -> Iterator[None]:
    """Raise library exceptions met inside the block as prepress errors built by ``failure``.

    Prepress errors pass unchanged, and so does anything the table does not know (a bug is
    not a network fault). The library exception is not chained: its text is in the message
    already, with the password masked by ``failure``, and a traceback must not carry it bare.
    """
    try:
        yield
    except (TransientError, PermanentError):
        raise
    except Exception as exc:
        rule = classify(exc)
        if rule is None:
            raise
        raise failure(rule.error, rule.what, exc) from None
