"""Where a file lives while prepress has it: hotfolder -> spool/<job>/ -> done/ or failed/.

Files move, never vanish. A move within one file system is a rename (atomic), so a crash
leaves the file either where it was or where it went. The hotfolder, done/ and failed/ may be
on other disks than the work folder (a Samba share): there a move is a copy under a hidden
temporary name, fsync, a rename to the final name, then the removal of the source, so the
final name never shows a half file. Taking a file from a share on another disk first claims
it by a rename inside the share (one taker wins), then copies it.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import stat
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.errors import RejectedFile
from pipeline.text import fit_name, shown

log = logging.getLogger(__name__)

#: Read size for hashing.
_BLOCK = 1024 * 1024
#: Most bytes of an archived name (``<job>_<name>``): room for ``.error.txt`` beside it and
#: for the ``.<name>.part`` of a copy to another disk within the 255 of a file system.
ARCHIVE_NAME_BYTES = 240
#: Most bytes of a file name on the file systems prepress writes to.
NAME_MAX_BYTES = 255
#: Prefix of a file in the hotfolder claimed by a take that copies it to another disk.
CLAIM_PREFIX = ".prepress-taking-"


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file (the one file hash of the project)."""
    with open(path, "rb") as handle:
        return sha256_of_stream(handle)


def sha256_of_stream(handle: Any) -> str:
    """Hex sha256 of an open binary file (local, or remote such as an SFTP file)."""
    return hashlib.file_digest(handle, "sha256").hexdigest()


def check_takeable(path: Path, max_bytes: int) -> None:
    """Refuse what must never be copied into spool/: anything that is not a regular file
    (``/dev/zero`` never ends, a FIFO blocks) and files over ``[limits] max_file_mb``."""
    name = shown(path.name)
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise RejectedFile(
            "not_regular_file",
            f"{name}: not a regular file (a device, pipe, socket or folder); give the PDF "
            f"file itself.",
            name,
        )
    if info.st_size > max_bytes:
        raise RejectedFile(
            "file_too_large",
            f"{name}: {info.st_size // 2**20} MB, more than limits.max_file_mb = "
            f"{max_bytes // 2**20}; check the file, or raise the limit if such jobs are real.",
            name,
        )


def take_into_spool(path: Path, spool: Path, job_id: int, name: str | None = None) -> Path | None:
    """Rename ``path`` into ``spool/<job_id>/`` (as ``name``, default its own); None when the
    file is already gone.

    The rename is the lock: however many events arrive for one file, only one rename
    succeeds, so one file gives exactly one job.
    """
    folder = spool / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or path.name)
    try:
        _rename(path, target)
    except FileNotFoundError:
        folder.rmdir()
        return None
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            _remove_empty(folder)
            raise
        return _take_across(path, target, job_id)
    return target


def _take_across(path: Path, target: Path, job_id: int) -> Path | None:
    """Take ``path`` from a share on another disk: claim it by a rename, copy, then remove."""
    # A name near 255 bytes would not fit with the prefix: the claim holds it shortened (an
    # interrupted take then gives the file back under that shorter name, never loses it).
    claim = path.with_name(fit_name(f"{CLAIM_PREFIX}{job_id}-{path.name}", NAME_MAX_BYTES))
    try:
        os.rename(path, claim)
    except FileNotFoundError:
        _remove_empty(target.parent)
        return None  # another taker claimed it first
    try:
        _copy_durably(claim, target)
    except BaseException:
        os.rename(claim, path)  # give the file back to the share as it was
        _remove_empty(target.parent)
        raise
    claim.unlink()
    return target


def release_claims(hotfolder: Path) -> list[Path]:
    """Give back files a take had claimed when it was interrupted (run when the watcher starts)."""
    released = []
    for claim in hotfolder.glob(f"{CLAIM_PREFIX}*"):
        original = claim.with_name(claim.name[len(CLAIM_PREFIX) :].partition("-")[2])
        if original.name and not original.exists():
            os.rename(claim, original)
            released.append(original)
    return released


def archive_done(spool_path: Path, done: Path, job_id: int, when: datetime) -> Path:
    """Move the processed original to ``done/YYYY/MM/DD/<job>_<name>``, the shop's local date."""
    when = when.astimezone() if when.tzinfo else when
    folder = done / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / archive_name(job_id, spool_path.name)
    if spool_path.exists():
        _move(spool_path, target)
        _remove_empty(spool_path.parent)
    elif not target.exists():
        raise FileNotFoundError(
            f"{spool_path}: the spooled file is gone and {target} does not exist either"
        )
    return target


def archive_name(job_id: int, name: str) -> str:
    """``<job>_<name>``, shortened with a stable hash when a file system could not hold it
    (the job's record keeps the original name)."""
    return fit_name(f"{job_id}_{name}", ARCHIVE_NAME_BYTES)


def move_failed(spool_path: Path, failed: Path, job_id: int, reason: str) -> Path:
    """Move a rejected or abandoned file to ``failed/<job>_<name>`` with the reason beside it.

    The reason quotes what came from the file (colorant names, marks, the file's name): each
    of its lines is written with control and bidi characters escaped (pipeline/text.py), so
    the note cannot drive a terminal, turn a name around or forge a line of its own."""
    failed.mkdir(parents=True, exist_ok=True)
    target = failed / archive_name(job_id, spool_path.name)
    note = failed / f"{target.name}.error.txt"
    lines = reason.rstrip().split("\n")
    note.write_text("\n".join(shown(line) for line in lines) + "\n", encoding="utf-8")
    if spool_path.exists():
        _move(spool_path, target)
        _remove_empty(spool_path.parent)
    return target


def copy_for_reprocess(original: Path, spool: Path, job_id: int, name: str) -> Path:
    """Copy an archived original into ``spool/<job>/`` for a new job."""
    folder = spool / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    partial = folder / fit_name(f".{name}.copy", NAME_MAX_BYTES)
    shutil.copyfile(original, partial)
    os.replace(partial, target)
    return target


def clean_done(done: Path, retention_days: int, today: date | None = None) -> list[Path]:
    """Remove day folders ``done/YYYY/MM/DD`` older than ``retention_days``; return them.

    Age is the archive day in the folder name, not the file's mtime: an original loaded in
    import mode keeps its old mtime and must not vanish the day it is archived.
    """
    limit = (today or date.today()) - timedelta(days=retention_days)
    removed = []
    for day in sorted(done.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]")):
        try:
            archived = date(int(day.parent.parent.name), int(day.parent.name), int(day.name))
        except ValueError:
            continue
        if archived < limit:
            shutil.rmtree(day)
            removed.append(day)
            _remove_empty(day.parent)
            _remove_empty(day.parent.parent)
    return removed


def _rename(source: Path, target: Path) -> None:
    """Rename without replacing: an existing target means a bug, never a lost file."""
    if target.exists():
        raise FileExistsError(f"{target} already exists; refusing to overwrite it with {source}")
    os.rename(source, target)


def _move(source: Path, target: Path) -> None:
    """:func:`_rename`; across file systems a durable copy, then the source is removed."""
    try:
        _rename(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        _copy_durably(source, target)
        source.unlink()


def _copy_durably(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` so that ``target`` appears only complete and on disk."""
    partial = target.with_name(fit_name(f".{target.name}.part", NAME_MAX_BYTES))
    try:
        with open(source, "rb") as reader, open(partial, "xb") as writer:
            shutil.copyfileobj(reader, writer, _BLOCK)
            writer.flush()
            os.fsync(writer.fileno())
        shutil.copystat(source, partial)
        os.rename(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
