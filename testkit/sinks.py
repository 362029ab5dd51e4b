"""Local servers that stand in for the bureau's FTP and the SMS provider (demo and tests).

- :class:`FtpSink`: a pyftpdlib FTP (or explicit FTPS) server in a background thread, rooted in
  a local folder; it can refuse uploads with ``552`` (full disk) or cut the connection after N
  bytes of a file, to rehearse faults.
- :class:`SmsSink` (in sms_sink.py): an HTTP server speaking smsc's ``send.php`` and
  ``status.php`` (``fmt=3`` JSON); it records every message and can be told to answer an error
  code, HTTP 500, slowly, or to lose its answer after accepting.
- :class:`SilentServer`: accepts TCP connections and never says a word (a hung server).
- :class:`CuttingProxy`: a TCP relay that drops the line after N bytes (SFTP faults).

Every sink listens on 127.0.0.1 on a free port, is a context manager, and stops cleanly.
"""

from __future__ import annotations

import datetime
import logging
import socket
import threading
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

from testkit.sms_sink import SMS_ERRORS, SmsRecord, SmsSink

__all__ = ["SMS_ERRORS", "CuttingProxy", "FtpSink", "SilentServer", "SmsRecord", "SmsSink"]

with warnings.catch_warnings():
    # pyftpdlib is built on asyncore/asynchat, deprecated since Python 3.11 (not removed).
    warnings.filterwarnings(
        "ignore", category=DeprecationWarning, message=".*(asyncore|asynchat).*"
    )
    from pyftpdlib.authorizers import DummyAuthorizer  # type: ignore[import-untyped]
    from pyftpdlib.handlers import DTPHandler, FTPHandler  # type: ignore[import-untyped]
    from pyftpdlib.ioloop import IOLoop  # type: ignore[import-untyped]
    from pyftpdlib.servers import FTPServer  # type: ignore[import-untyped]

# Without a handler of its own, pyftpdlib configures the root logger on first use.
logging.getLogger("pyftpdlib").addHandler(logging.NullHandler())

#: Address every sink listens on.
LOOPBACK = "127.0.0.1"
#: Full permissions of an FTP user (list, read, write, rename, delete, mkdir, ...).
FULL_PERMISSIONS = "elradfmwMT"
#: Permissions of a user who may look but not write.
READ_ONLY_PERMISSIONS = "elr"
#: Bytes the FTP data channel reads at a time (pyftpdlib's 64 KiB caps it below the link).
RECEIVE_BLOCK = 1024 * 1024
#: Seconds between checks of the stop flag in the FTP thread.
_POLL = 0.05


class FtpSink:
    """An FTP server on loopback whose files land in ``root`` (a folder).

    ``tls_cert``: PEM with certificate and key: explicit FTPS (``AUTH TLS``), TLS required.
    ``full_disk``: every STOR is answered ``552``. ``cut_after``: the first ``cuts`` data
    connections are cut (control connection too) after that many bytes.
    """

    def __init__(
        self,
        root: str | Path,
        user: str = "prepress",
        password: str = "secret",
        *,
        permissions: str = FULL_PERMISSIONS,
        tls_cert: str | Path | None = None,
        full_disk: bool = False,
        cut_after: int | None = None,
        cuts: int = 1,
    ) -> None:
        self.root = Path(root)
        self.user = user
        self.password = password
        self.permissions = permissions
        self.tls_cert = tls_cert
        self.full_disk = full_disk
        self.cut_after = cut_after
        self.cuts_left = cuts if cut_after is not None else 0
        self.host = LOOPBACK
        self.port = 0
        self._server: FTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def url(self, path: str = "", *, password: str | None = None) -> str:
        """``ftp[s]://user:password@127.0.0.1:port/path`` (another password to test refusal)."""
        scheme = "ftps" if self.tls_cert else "ftp"
        secret = quote(self.password if password is None else password, safe="")
        return (
            f"{scheme}://{quote(self.user, safe='')}:{secret}@{self.host}:{self.port}/"
            f"{path.lstrip('/')}"
        )

    def start(self) -> FtpSink:
        self.root.mkdir(parents=True, exist_ok=True)
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.user, self.password, str(self.root), perm=self.permissions)
        handler = self._handler_class()
        handler.authorizer = authorizer
        self._server = FTPServer((LOOPBACK, 0), handler, ioloop=IOLoop())
        self.port = self._server.address[1]
        self._thread = threading.Thread(
            target=self._serve, name=f"ftp-sink-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> FtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        assert self._server is not None
        try:
            while not self._stop.is_set():
                # One poll at a time (serve_forever would log a start line on every call).
                self._server.ioloop.loop(timeout=_POLL, blocking=False)
        finally:
            self._server.close_all()

    def _handler_class(self) -> type[FTPHandler]:
        sink = self
        base: type[FTPHandler] = FTPHandler
        if self.tls_cert:
            from pyftpdlib.handlers import TLS_FTPHandler

            base = TLS_FTPHandler

        class Handler(base):  # type: ignore[valid-type,misc]
            banner = "prepress FTP sink ready."
            auth_failed_timeout = 0.1  # real servers wait ~3 s; tests need not
            dtp_handler = _data_channel(sink, base.dtp_handler)

            def ftp_STOR(self, file: str, mode: str = "w") -> str | None:
                if sink.full_disk:
                    self.respond("552 Requested file action aborted: disk full.")
                    return None
                return super().ftp_STOR(file, mode)

        if self.tls_cert:
            Handler.certfile = str(self.tls_cert)
            Handler.tls_control_required = True
            Handler.tls_data_required = True
        return Handler


def _data_channel(sink: FtpSink, base: type[DTPHandler]) -> type[DTPHandler]:
    """pyftpdlib's data channel reading 1 MiB at a time; it drops the whole session after
    ``sink.cut_after`` bytes while ``sink.cuts_left`` > 0.
    """

    class DataChannel(base):  # type: ignore[valid-type,misc]
        ac_in_buffer_size = RECEIVE_BLOCK

        def handle_read(self) -> None:
            super().handle_read()
            if sink.cuts_left > 0 and self.tot_bytes_received >= (sink.cut_after or 0):
                sink.cuts_left -= 1
                self.cmd_channel.close()

    if sink.cut_after is not None and not sink.tls_cert:  # cutting is for plain FTP only
        DataChannel.handle_read_event = DataChannel.handle_read
    return DataChannel


class SilentServer:
    """Accepts TCP connections (the kernel does) and never answers: a hung server."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind((LOOPBACK, 0))
        self._socket.listen(8)
        self.host = LOOPBACK
        self.port = self._socket.getsockname()[1]

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CuttingProxy:
    """A TCP relay to ``upstream`` that cuts the first ``cuts`` connections after ``cut_after``
    bytes from the client: a network that drops mid-file, for any protocol (SFTP).
    """

    def __init__(self, upstream: tuple[str, int], cut_after: int, cuts: int = 1) -> None:
        self.upstream = upstream
        self.cut_after = cut_after
        self.cuts_left = cuts
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(_POLL)
        self.host = LOOPBACK
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> CuttingProxy:
        self._spawn(self._accept)
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            for sock in self._sockets:
                _close_quietly(sock)
        for thread in self._threads:
            thread.join(timeout=10)
        self._listener.close()

    def __enter__(self) -> CuttingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, server]
                limit = self.cut_after if self.cuts_left > 0 else None
                self.cuts_left -= 1 if limit is not None else 0
            self._spawn(self._pump, client, server, limit)
            self._spawn(self._pump, server, client, None)

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        passed = 0
        try:
            while data := source.recv(65536):
                if limit is not None and passed + len(data) >= limit:
                    sink.sendall(data[: max(limit - passed, 0)])
                    break
                sink.sendall(data)
                passed += len(data)
        except OSError:
            pass
        finally:
            # Either side closing ends the whole relay, like a dropped line.
            _close_quietly(source)
            _close_quietly(sink)


def _close_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def self_signed_cert(folder: str | Path, host: str = LOOPBACK) -> Path:
    """Write a PEM (certificate and private key) for ``host`` into ``folder``; return its path."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    path = Path(folder) / "ftp-sink.pem"
    path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path
