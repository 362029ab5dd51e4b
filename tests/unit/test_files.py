"""File moves: one file, one job; nothing overwritten; retention by archive day."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline import files

HOSTILE = "0602_Каталог (весна) $(touch x); `id` & 'q'_Leonov.pdf"


def test_take_into_spool_moves_the_file_once(tmp_path: Path) -> None:
    # Given a file in the hotfolder with a hostile name
    source = tmp_path / "hotfolder" / HOSTILE
    source.parent.mkdir()
    source.write_bytes(b"%PDF-1.4 data")
    # When two takers race for it
    first = files.take_into_spool(source, tmp_path / "spool", 1)
    second = files.take_into_spool(source, tmp_path / "spool", 2)
    # Then only the first gets it, with its name intact, and the loser leaves no folder
    assert first == tmp_path / "spool" / "1" / HOSTILE
    assert first.read_bytes() == b"%PDF-1.4 data"
    assert second is None
    assert not (tmp_path / "spool" / "2").exists()
    assert not (tmp_path / "x").exists()


def test_archive_done_files_by_day_and_never_overwrites(tmp_path: Path) -> None:
    spooled = tmp_path / "spool" / "7" / "a.pdf"
    spooled.parent.mkdir(parents=True)
    spooled.write_bytes(b"one")
    target = files.archive_done(spooled, tmp_path / "done", 7, datetime(2026, 11, 25))
    assert target == tmp_path / "done" / "2026" / "11" / "25" / "7_a.pdf"
    assert not spooled.parent.exists()
    # a second run of persist (redelivery) finds the archive and keeps it
    assert files.archive_done(spooled, tmp_path / "done", 7, datetime(2026, 11, 25)) == target
    # a different file may not replace an archived one
    spooled.parent.mkdir()
    spooled.write_bytes(b"two")
    with pytest.raises(FileExistsError):
        files.archive_done(spooled, tmp_path / "done", 7, datetime(2026, 11, 25))
    assert target.read_bytes() == b"one"


def test_error_txt_escapes_control_and_bidi_characters(tmp_path: Path) -> None:
    # Given a reason quoting colorant names with an escape sequence, a NUL, a carriage return
    # and a right-to-left override, over two lines
    spooled = tmp_path / "spool" / "4" / "x.pdf"
    spooled.parent.mkdir(parents=True)
    spooled.write_bytes(b"%PDF-1.7")
    reason = "plate_missing: PANTONE\x1b[31m 185\x00 C\r\nFindings:\n- spot \u202eC 581 ENOTNAP"
    # When the file is moved to failed/
    target = files.move_failed(spooled, tmp_path / "failed", 4, reason)
    # Then error.txt keeps its lines and shows every such character escaped
    text = (target.parent / f"{target.name}.error.txt").read_text(encoding="utf-8")
    assert text.splitlines() == [
        "plate_missing: PANTONE\\x1b[31m 185\\x00 C\\r",
        "Findings:",
        "- spot \\u202eC 581 ENOTNAP",
    ]
    assert not any(c in text for c in "\x1b\x00\r\u202e")


def test_move_failed_leaves_the_reason_beside_the_file(tmp_path: Path) -> None:
    spooled = tmp_path / "spool" / "3" / HOSTILE
    spooled.parent.mkdir(parents=True)
    spooled.write_bytes(b"x")
    target = files.move_failed(spooled, tmp_path / "failed", 3, "damaged_pdf: truncated")
    assert target.read_bytes() == b"x"
    note = target.with_name(target.name + ".error.txt")
    assert note.read_text(encoding="utf-8") == "damaged_pdf: truncated\n"


def test_clean_done_removes_only_days_past_retention(tmp_path: Path) -> None:
    done = tmp_path / "done"
    for day in ("2026/08/01", "2026/11/01", "2026/11/25"):
        (done / day).mkdir(parents=True)
        (done / day / "1_a.pdf").write_bytes(b"x")
    removed = files.clean_done(done, retention_days=30, today=date(2026, 11, 25))
    assert removed == [done / "2026" / "08" / "01"]
    assert not (done / "2026" / "08").exists()
    assert (done / "2026" / "11" / "01" / "1_a.pdf").exists()


def test_sha256_of_matches_hashlib(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "f"
    path.write_bytes(b"abc" * 1_000_000)
    assert files.sha256_of(path) == hashlib.sha256(b"abc" * 1_000_000).hexdigest()


def test_a_name_of_250_bytes_is_archived_and_failed_under_a_stable_short_name(
    tmp_path: Path,
) -> None:
    # Given two spooled files whose names fill 250 bytes (the hotfolder allows 255)
    names = ["Я" * 120 + "_1.pdf", "Я" * 120 + "_2.pdf"]
    spooled = []
    for job_id, name in enumerate(names, start=1):
        folder = tmp_path / "spool" / str(job_id)
        folder.mkdir(parents=True)
        (folder / name).write_bytes(b"%PDF-1.4 x")
        spooled.append(folder / name)
    # When one is archived and the other failed (each adds "<job>_" and more)
    done = files.archive_done(spooled[0], tmp_path / "done", 1, datetime(2026, 12, 3))
    failed = files.move_failed(spooled[1], tmp_path / "failed", 2, "not_pdf: x")
    # Then both are there under names that fit, keep .pdf and stay distinct and stable
    assert done.is_file() and failed.is_file()
    assert (tmp_path / "failed" / f"{failed.name}.error.txt").is_file()
    for path in (done, failed):
        assert len(path.name.encode()) <= files.ARCHIVE_NAME_BYTES and path.suffix == ".pdf"
    assert files.archive_name(1, names[0]) == done.name != files.archive_name(1, names[1])


def test_a_take_across_disks_claims_a_255_byte_name(tmp_path: Path) -> None:
    # Given a file on the share whose name is 255 bytes (no room for the claim prefix)
    share, spool = tmp_path / "share", tmp_path / "spool"
    share.mkdir()
    name = "Я" * 125 + "a.pdf"
    assert len(name.encode()) == 255
    (share / name).write_bytes(b"%PDF-1.4 x")
    # When it is taken the way a share on another disk is (claim, copy, remove)
    (spool / "7").mkdir(parents=True)
    taken = files._take_across(share / name, spool / "7" / name, 7)
    # Then it is in spool/ under its own name and nothing is left on the share
    assert taken == spool / "7" / name and taken.read_bytes() == b"%PDF-1.4 x"
    assert list(share.iterdir()) == []
