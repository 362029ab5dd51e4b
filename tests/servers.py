"""Server fixtures: FTP, FTPS, a connection-cutting FTP, and the SMS provider, on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.sinks import FtpSink, SmsSink, self_signed_cert

__all__ = ["ftp_server", "ftps_server", "cutting_ftp_server", "sms_server"]

#: Bytes after which the cutting FTP server drops the first upload.
CUT_AFTER = 300_000


@pytest.fixture
def ftp_server(tmp_path: Path) -> Iterator[FtpSink]:
    """A plain FTP server; uploads land in ``ftp_server.root``; ``.url(path)`` to reach it."""
    with FtpSink(tmp_path / "ftp-root") as sink:
        yield sink


@pytest.fixture
def ftps_server(tmp_path: Path) -> Iterator[FtpSink]:
    """An explicit-TLS FTP server (AUTH TLS required) with a self-signed certificate."""
    pytest.importorskip("OpenSSL", reason="pyftpdlib needs pyopenssl for FTPS")
    cert = self_signed_cert(tmp_path)
    with FtpSink(tmp_path / "ftps-root", tls_cert=cert) as sink:
        yield sink


@pytest.fixture
def cutting_ftp_server(tmp_path: Path) -> Iterator[FtpSink]:
    """An FTP server that drops the first upload after ``CUT_AFTER`` bytes."""
    with FtpSink(tmp_path / "cut-root", cut_after=CUT_AFTER, cuts=1) as sink:
        yield sink


@pytest.fixture
def sms_server() -> Iterator[SmsSink]:
    """An smsc ``send.php`` look-alike; ``.messages`` lists what it accepted."""
    with SmsSink() as sink:
        yield sink
