"""The upload algorithm, written once for every protocol: temporary name, resume, size check,
rename. What differs between FTP and SFTP is behind :class:`Transport` (ftp.py, sftp.py).

Why a temporary name: the bureau's RIP exposes whatever appears in its folder, so the file
carries its final name only once it is complete and its remote size checked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from pipeline.delivery.transfer import Transfer, UploadResult, part_name
from pipeline.errors import DeliveryUnavailable

log = logging.getLogger(__name__)

#: Called with the temporary path once its size is right, before the rename; raises to stop
#: it (the backup compares checksums there).
Verify = Callable[[str], None]


class Transport(Protocol):
    """One open session on a target, as the upload algorithm needs it.

    Paths are those :meth:`enter` leads to: ``join(enter(folder), name)``. Library exceptions
    are raised as they are; :func:`pipeline.delivery.mapping.map_exceptions` translates them.
    """

    def enter(self, folder: str) -> str:
        """Create ``folder`` when missing; return the prefix of the paths inside it."""
        ...

    def size(self, path: str) -> int | None:
        """The remote size, None when there is no such file (or the server cannot tell)."""
        ...

    def store(self, path: str, offset: int, transfer: Transfer) -> None:
        """Write ``transfer.local`` into ``path`` from ``offset`` on (or from 0 when the
        server cannot resume), calling ``transfer.restart_at`` and ``transfer.advance``."""
        ...

    def rename(self, source: str, final: str) -> None:
        """Give ``source`` the name ``final``, replacing a file already there."""
        ...

    def remove(self, path: str) -> None: ...

    def listing(self, folder: str) -> set[str] | None:
        """The names of the files in ``folder`` (as :meth:`enter` takes it; nothing is
        created), None when there is no such folder. The plate files the bureau's RIP has not
        taken yet (pipeline/taken.py)."""
        ...


def join(prefix: str, name: str) -> str:
    """``name`` inside the folder whose prefix :meth:`Transport.enter` returned."""
    return f"{prefix.rstrip('/')}/{name}" if prefix else name


def send(
    transport: Transport,
    transfer: Transfer,
    folder: str,
    name: str,
    *,
    part: str | None = None,
    verify: Verify | None = None,
) -> UploadResult:
    """Upload ``transfer.local`` to ``folder``/``name`` through ``part`` (default: the
    fingerprinted :func:`part_name`), resuming a ``part`` already there.

    A final file of the same size is not sent again unless ``transfer.replace``; a whole
    ``part`` (a run killed before its rename) is only renamed.
    """
    prefix = transport.enter(folder)
    final = join(prefix, name)
    if not transfer.replace and transport.size(final) == transfer.total:
        log.info(
            "%s already at %s %s with the same size; not sent again",
            transfer.local.name,
            transfer.target.masked,
            transfer.remote_path,
        )
        return transfer.result(skipped=True)
    temporary = join(prefix, part or part_name(name, transfer.local))
    offset = transport.size(temporary) or 0
    if offset > transfer.total:
        transport.remove(temporary)
        offset = 0
    if offset < transfer.total or transfer.total == 0:
        transport.store(temporary, offset, transfer)
    else:  # a run killed between its last byte and the rename: nothing left to send
        transfer.restart_at(offset)
        log.info("%s: the whole file is already in %s; renaming it", transfer.local.name, temporary)
    _check_size(transport, transfer, temporary)
    if verify is not None:
        verify(temporary)
    transport.rename(temporary, final)
    return transfer.result()


def _check_size(transport: Transport, transfer: Transfer, temporary: str) -> None:
    remote_size = transport.size(temporary)
    if remote_size is not None and remote_size != transfer.total:
        raise transfer.failure(
            DeliveryUnavailable,
            "the uploaded size does not match",
            f"{remote_size} bytes instead of {transfer.total}",
        )
