"""Delivery: upload a plate file or a preview to an FTP, FTPS or SFTP target, safely and resumably.

The bureau's RIP exposes whatever appears in its folder, so a file is written under a
temporary name (``.<name>.<fingerprint>.part``), its remote size is checked, and only then is
it renamed to the final name: a half-uploaded file never carries the final name. A broken
connection is resumed from the remote ``.part`` size (FTP ``REST``, SFTP offset) within the
call, and again by the next call when the task is retried. A final file already there with
the same size is not sent again, so a retried task does not upload twice.

Targets are URLs: ``ftp://user:pw@host:21/dir``, ``ftps://...`` (explicit TLS, ``AUTH TLS``)
and ``sftp://user[:pw]@host:22/dir``. An FTP path is relative to the login folder (as curl
reads it); an SFTP path is absolute, ``/~/dir`` is relative to the home folder.

Errors: :class:`DeliveryUnavailable` when a retry may help (refused, timeout, dropped, 4xx),
:class:`DeliveryRefused` when it will not (login, permission, disk full). Messages name the
target with its password masked, the file, what the server said and whether to retry.

What lives here: ``sending`` (the upload algorithm, once), ``ftp`` and ``sftp`` (the two
transports), ``mapping`` (one table from library exceptions to those errors), ``transfer``
(target URLs, progress, results), ``naming`` (remote file names). It may import the standard
library, paramiko, pipeline.errors, pipeline.config (naming reads an outputter) and
pipeline.text (names as data: escaped, fitted to the target's length); nothing
else of prepress (the backup, pipeline/backup.py, imports it, not the other way round).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path

from pipeline.delivery.ftp import ftp_session
from pipeline.delivery.mapping import map_exceptions
from pipeline.delivery.sending import Transport, send
from pipeline.delivery.sftp import sftp_session
from pipeline.delivery.transfer import (
    BLOCK_SIZE,
    DEFAULT_TIMEOUT,
    Listing,
    Login,
    Progress,
    Target,
    Transfer,
    UploadResult,
    part_name,
    with_resume,
)
from pipeline.errors import ConfigError

__all__ = ["BLOCK_SIZE", "Target", "UploadResult", "listings", "part_name", "probe", "upload"]

#: Seconds a probe of an idle target may take to connect and log in.
PROBE_TIMEOUT = 10.0
#: Seconds a listing of upload folders may wait for a connect or any answer.
LISTING_TIMEOUT = 20.0


def upload(
    local_path: str | Path,
    url: str,
    remote_dir: str = "",
    remote_name: str | None = None,
    *,
    active: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
    known_hosts: str | Path | None = None,
    key_file: str | Path | None = None,
    replace: bool = False,
) -> UploadResult:
    """Upload ``local_path`` to ``url``/``remote_dir``/``remote_name`` (default: its own name).

    The remote folder is created when missing. ``active`` selects FTP active mode (passive is
    the default). ``known_hosts`` (default ``~/.ssh/known_hosts``) and ``key_file`` are for
    SFTP; an SFTP host whose key is not in ``known_hosts`` is refused. ``replace`` sends the
    file even when one of the same name and size is there (``prepress reprocess --force-upload``).
    """
    local = Path(local_path)
    if not local.is_file():
        raise FileNotFoundError(f"{local}: file to upload does not exist (moved or deleted?).")
    target = Target.parse(url)
    name = remote_name or local.name
    if "/" in name or name in (".", ".."):
        raise ConfigError(
            f"remote name {name!r} for {local.name} is not a plain file name; "
            f"check the outputter's filename template."
        )
    folder = target.folder(remote_dir)
    transfer = Transfer(
        target, local, posixpath.join(folder or "/", name), local.stat().st_size, progress
    )
    transfer.replace = replace

    def session() -> AbstractContextManager[Transport]:
        if target.scheme == "sftp":
            return sftp_session(target, transfer.failure, timeout, known_hosts, key_file)
        return ftp_session(target, active, timeout)

    def attempt() -> UploadResult:
        with map_exceptions(transfer.failure), session() as transport:
            return send(transport, transfer, folder, name)

    return with_resume(transfer, attempt)


def probe(
    url: str,
    *,
    active: bool = False,
    timeout: float = PROBE_TIMEOUT,
    known_hosts: str | Path | None = None,
    key_file: str | Path | None = None,
) -> None:
    """Connect to ``url`` and log in, nothing uploaded: returns when the target would take a
    file, raises DeliveryUnavailable or DeliveryRefused as an upload would."""
    target = Target.parse(url)
    login = Login(target)
    with map_exceptions(login.failure):
        if target.scheme == "sftp":
            with sftp_session(target, login.failure, timeout, known_hosts, key_file):
                return
        with ftp_session(target, active, timeout):
            return


def listings(
    url: str,
    folders: Iterable[str],
    *,
    active: bool = False,
    timeout: float = LISTING_TIMEOUT,
    known_hosts: str | Path | None = None,
    key_file: str | Path | None = None,
) -> dict[str, set[str] | None]:
    """The names in each of ``folders`` on ``url``'s server (None: no such folder), over one
    connection. A folder is written as an upload's ``remote_path`` holds it (the folder of
    ``/incoming/_1030x770/0537_Flier.pdf``; ``/`` is the login folder). Nothing is created or
    changed; raises DeliveryUnavailable or DeliveryRefused as an upload would, naming the
    target, never its password."""
    target = Target.parse(url)
    listing = Listing(target)
    found: dict[str, set[str] | None] = {}
    with map_exceptions(listing.failure):
        session: AbstractContextManager[Transport] = (
            sftp_session(target, listing.failure, timeout, known_hosts, key_file)
            if target.scheme == "sftp"
            else ftp_session(target, active, timeout)
        )
        with session as transport:
            for folder in dict.fromkeys(folders):
                normal = posixpath.normpath(folder or "/")  # as Target.folder makes it
                found[folder] = transport.listing("" if normal in ("/", ".") else normal)
    return found
