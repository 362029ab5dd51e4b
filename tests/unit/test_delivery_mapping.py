"""The one table from library exceptions to prepress errors (pipeline/delivery/mapping.py)."""

from __future__ import annotations

import errno
import ftplib
import socket

import paramiko
import pytest

from pipeline.delivery.mapping import map_exceptions
from pipeline.errors import DeliveryRefused, DeliveryUnavailable, PermanentError, TransientError


def failure(cls: type[TransientError | PermanentError], what: str, said: object):
    return cls(f"{what}; server said: {said}")


@pytest.mark.parametrize(
    ("raised", "error", "words"),
    [
        (ftplib.error_perm("530 Login incorrect."), DeliveryRefused, "login refused"),
        (ftplib.error_perm("552 Quota exceeded"), DeliveryRefused, "disk or quota is full"),
        (ftplib.error_perm("599 Odd"), DeliveryRefused, "refused the request"),
        (ftplib.error_temp("421 Too many users"), DeliveryUnavailable, "busy"),
        (paramiko.AuthenticationException("no"), DeliveryRefused, "login refused"),
        (paramiko.SSHException("Server not found in known_hosts"), DeliveryRefused, "known_hosts"),
        (paramiko.SSHException("Error reading SSH protocol banner"), DeliveryUnavailable, "SSH"),
        (socket.gaierror(-2, "Name or service not known"), DeliveryUnavailable, "host name"),
        (TimeoutError("timed out"), DeliveryUnavailable, "timeout"),
        (ConnectionRefusedError(111, "Connection refused"), DeliveryUnavailable, "refused"),
        (PermissionError(errno.EACCES, "Permission denied"), DeliveryRefused, "permission"),
        (OSError(errno.ENOSPC, "No space left"), DeliveryRefused, "disk or quota is full"),
        (EOFError(), DeliveryUnavailable, "connection broke"),
    ],
)
def test_each_library_error_becomes_the_prepress_error_of_its_row(raised, error, words):
    # Given a library exception raised inside the mapping
    # When it leaves the block
    with pytest.raises(error, match=words) as caught:
        with map_exceptions(failure):
            raise raised
    # Then it is the prepress error, with what the server said and no chained library error
    assert str(raised) in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_prepress_errors_and_unknown_exceptions_pass_unchanged():
    already = DeliveryRefused("already worded")
    with pytest.raises(DeliveryRefused) as caught, map_exceptions(failure):
        raise already
    assert caught.value is already
    with pytest.raises(KeyError), map_exceptions(failure):
        raise KeyError("a bug, not a network fault")
