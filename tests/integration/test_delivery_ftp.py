"""Uploads to real FTP and FTPS servers on loopback (pyftpdlib), including faults."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from pipeline.delivery import UploadResult, part_name, upload
from pipeline.errors import ConfigError, DeliveryRefused, DeliveryUnavailable
from testkit.sinks import READ_ONLY_PERMISSIONS, FtpSink, SilentServer
from tests.servers import CUT_AFTER
from tests.services import free_port

#: A file name as operators write them: Cyrillic, spaces, shell metacharacters.
HOSTILE_NAME = "0537_Техноюг $(rm -rf) Flier's `x`_Leonov.pdf"


@pytest.fixture
def plate_file(tmp_path: Path) -> Path:
    """A 1.5 MB file with non-repeating content (a shifted byte would be noticed)."""
    path = tmp_path / "out" / HOSTILE_NAME
    path.parent.mkdir()
    path.write_bytes(os.urandom(1_500_000))
    return path


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*.part"))


def test_upload_creates_folder_and_lands_under_final_name(ftp_server: FtpSink, plate_file):
    # Given an FTP target whose folder does not exist yet
    url = ftp_server.url("incoming")
    # When the plate file is uploaded into the press sub-folder under another name
    result = upload(plate_file, url, "_1030x770", "0537_Flier.pdf", timeout=5)
    # Then the bytes arrive complete under the final name, and no .part is left
    landed = ftp_server.root / "incoming" / "_1030x770" / "0537_Flier.pdf"
    assert landed.read_bytes() == plate_file.read_bytes()
    assert leftovers(ftp_server.root) == []
    assert result.remote_path == "/incoming/_1030x770/0537_Flier.pdf"
    assert result.bytes == plate_file.stat().st_size and not result.skipped
    assert result.speed_mbps > 0 and result.seconds > 0


def test_result_masks_the_password_and_round_trips(ftp_server: FtpSink, plate_file):
    result = upload(plate_file, ftp_server.url(), timeout=5)
    assert ftp_server.password not in result.target and ":***@" in result.target
    assert UploadResult.from_dict(result.as_dict()) == result


def test_hostile_name_is_kept_byte_for_byte(ftp_server: FtpSink, plate_file):
    upload(plate_file, ftp_server.url("in"), timeout=5)
    assert (ftp_server.root / "in" / HOSTILE_NAME).read_bytes() == plate_file.read_bytes()


def test_second_upload_of_the_same_file_is_skipped(ftp_server: FtpSink, plate_file):
    # Given a file already delivered
    upload(plate_file, ftp_server.url("in"), timeout=5)
    landed = ftp_server.root / "in" / HOSTILE_NAME
    mtime = landed.stat().st_mtime_ns
    time.sleep(0.01)
    # When the task is retried and uploads again
    result = upload(plate_file, ftp_server.url("in"), timeout=5)
    # Then nothing is sent and the file is untouched
    assert result.skipped
    assert landed.stat().st_mtime_ns == mtime


def test_a_changed_file_replaces_the_old_one(ftp_server: FtpSink, plate_file):
    upload(plate_file, ftp_server.url(), timeout=5)
    plate_file.write_bytes(b"remade job")
    result = upload(plate_file, ftp_server.url(), timeout=5)
    assert not result.skipped
    assert (ftp_server.root / HOSTILE_NAME).read_bytes() == b"remade job"


def test_active_mode(ftp_server: FtpSink, plate_file):
    upload(plate_file, ftp_server.url(), active=True, timeout=5)
    assert (ftp_server.root / HOSTILE_NAME).read_bytes() == plate_file.read_bytes()


def test_progress_is_reported_and_logged(ftp_server: FtpSink, plate_file, caplog):
    seen: list[tuple[int, int]] = []
    with caplog.at_level(logging.INFO, logger="pipeline.delivery"):
        upload(
            plate_file,
            ftp_server.url(),
            timeout=5,
            progress=lambda done, total: seen.append((done, total)),
        )
    total = plate_file.stat().st_size
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    logged = " ".join(r.getMessage() for r in caplog.records)
    progress = [r.getMessage() for r in caplog.records if "% (" in r.getMessage()]
    # one line per block at most: the highest step it reached; the block that ends the file
    # gives no percentage (the "uploaded" line says it is complete)
    assert progress and len(progress) <= 4
    assert f"of {total} bytes" in progress[-1] and f"({total} of" not in " ".join(progress)
    assert any(f"uploaded {plate_file.name}" in r.getMessage() for r in caplog.records)
    assert ftp_server.password not in logged


def test_ftps_explicit_tls(ftps_server: FtpSink, plate_file):
    # Given a server that requires AUTH TLS on control and data channels
    url = ftps_server.url("secure")
    assert url.startswith("ftps://")
    # When the file is uploaded over ftps://
    result = upload(plate_file, url, timeout=5)
    # Then it lands complete
    assert (ftps_server.root / "secure" / HOSTILE_NAME).read_bytes() == plate_file.read_bytes()
    assert not result.skipped and leftovers(ftps_server.root) == []


def test_cut_connection_is_resumed_to_the_right_bytes(
    cutting_ftp_server: FtpSink, plate_file, caplog
):
    # Given a server that drops the connection after CUT_AFTER bytes of the first upload
    assert CUT_AFTER < plate_file.stat().st_size
    # When the file is uploaded
    with caplog.at_level(logging.WARNING, logger="pipeline.delivery"):
        result = upload(plate_file, cutting_ftp_server.url("in"), timeout=5)
    # Then the transfer resumed and the server holds exactly the file
    landed = cutting_ftp_server.root / "in" / HOSTILE_NAME
    assert landed.read_bytes() == plate_file.read_bytes()
    assert leftovers(cutting_ftp_server.root) == []
    assert cutting_ftp_server.cuts_left == 0
    assert "resuming" in caplog.text
    assert not result.skipped


def test_a_line_that_keeps_dropping_ends_in_a_transient_error(tmp_path: Path, plate_file):
    # Given a server that drops every connection after 100 kB
    with FtpSink(tmp_path / "flaky", cut_after=100_000, cuts=1000) as flaky:
        # When uploading, Then after a few resumes the call gives up with a retryable error
        with pytest.raises(DeliveryUnavailable, match="retry later may help"):
            upload(plate_file, flaky.url("in"), timeout=5)
        # And nothing carries the final name; the .part waits for the task's retry
        assert not (flaky.root / "in" / HOSTILE_NAME).exists()
        assert leftovers(flaky.root) == [part_name(HOSTILE_NAME, plate_file)]


def test_bad_url_is_a_config_error(plate_file):
    with pytest.raises(ConfigError, match="not an ftp://, ftps:// or sftp:// URL"):
        upload(plate_file, "http://user:pw@example.com/in")


def test_a_leftover_part_file_is_resumed_by_the_next_call(ftp_server: FtpSink, plate_file):
    # Given a .part left by a worker that died after sending the first 400 kB
    folder = ftp_server.root / "in"
    folder.mkdir()
    data = plate_file.read_bytes()
    (folder / part_name(HOSTILE_NAME, plate_file)).write_bytes(data[:400_000])
    sent: list[int] = []
    # When the task runs again
    upload(
        plate_file, ftp_server.url("in"), timeout=5, progress=lambda done, total: sent.append(done)
    )
    # Then only the rest was sent and the file is whole
    assert sent[0] > 400_000
    assert (folder / HOSTILE_NAME).read_bytes() == data
    assert leftovers(ftp_server.root) == []


def test_a_whole_part_file_is_renamed_without_sending_it_again(tmp_path: Path, plate_file):
    from tests.pipeline_harness import CountingFtpSink

    # Given the whole .part of a worker killed between its last byte and the rename
    sink = CountingFtpSink(tmp_path / "bureau", "ctp", "ctp-pw").start()
    try:
        data = plate_file.read_bytes()
        (sink.root / part_name(HOSTILE_NAME, plate_file)).write_bytes(data)
        # When the task runs again
        upload(plate_file, sink.url(), timeout=5)
        # Then nothing is stored again (no empty resume), and the plate is there, whole, once
        assert sink.received == []
        assert (sink.root / HOSTILE_NAME).read_bytes() == data
        assert leftovers(sink.root) == []
    finally:
        sink.stop()


def test_a_part_file_of_an_older_version_is_not_resumed(
    ftp_server: FtpSink, plate_file, tmp_path: Path
):
    # Given a .part left by a broken upload of an older version of the job (same size)
    older = tmp_path / "older" / HOSTILE_NAME
    older.parent.mkdir()
    older.write_bytes(os.urandom(plate_file.stat().st_size))
    (ftp_server.root / part_name(HOSTILE_NAME, older)).write_bytes(older.read_bytes()[:700_000])
    # When the remade job is uploaded
    upload(plate_file, ftp_server.url(), timeout=5)
    # Then the plate file is the new version only, never a splice of both
    assert (ftp_server.root / HOSTILE_NAME).read_bytes() == plate_file.read_bytes()


def test_a_part_file_longer_than_the_file_is_restarted(ftp_server: FtpSink, plate_file):
    (ftp_server.root / part_name(HOSTILE_NAME, plate_file)).write_bytes(b"x" * 2_000_000)
    upload(plate_file, ftp_server.url(), timeout=5)
    assert (ftp_server.root / HOSTILE_NAME).read_bytes() == plate_file.read_bytes()


def test_wrong_password_is_refused_and_masked(ftp_server: FtpSink, plate_file):
    # Given a URL with a wrong password
    url = ftp_server.url("in", password="wrong-pass")
    # When uploading, Then the error is permanent, names target and file, hides the password
    with pytest.raises(DeliveryRefused) as caught:
        upload(plate_file, url, timeout=5)
    message = str(caught.value)
    assert "530" in message and "login refused" in message
    assert HOSTILE_NAME in message and "127.0.0.1" in message
    assert "wrong-pass" not in message and "***" in message
    assert "will not help" in message
    assert not (ftp_server.root / "in").exists()


def test_refused_connection_is_transient(plate_file):
    url = f"ftp://u:secret-pw@127.0.0.1:{free_port()}/in"
    started = time.monotonic()
    with pytest.raises(DeliveryUnavailable, match="connection refused") as caught:
        upload(plate_file, url, timeout=5)
    assert "secret-pw" not in str(caught.value) and "retry later may help" in str(caught.value)
    assert time.monotonic() - started < 2


def test_unknown_host_says_so(plate_file):
    with pytest.raises(DeliveryUnavailable, match="host name not found"):
        upload(plate_file, "ftp://u:p@no-such-bureau.invalid/in", timeout=2)


def test_hanging_server_times_out(plate_file):
    # Given a server that accepts connections and never says a word
    with SilentServer() as silent:
        started = time.monotonic()
        # When uploading with a 1 s timeout
        with pytest.raises(DeliveryUnavailable, match="timeout"):
            upload(plate_file, f"ftp://u:p@{silent.host}:{silent.port}/", timeout=1)
    # Then the call gives up promptly
    assert time.monotonic() - started < 4


def test_full_disk_is_refused(tmp_path: Path, plate_file):
    with FtpSink(tmp_path / "full", full_disk=True) as full:
        with pytest.raises(DeliveryRefused, match="552") as caught:
            upload(plate_file, full.url("in"), timeout=5)
        assert "disk or quota is full" in str(caught.value)
        assert not (full.root / "in" / HOSTILE_NAME).exists()


def test_permission_denied_is_refused(tmp_path: Path, plate_file):
    # Given an account that may read but not write
    root = tmp_path / "ro"
    (root / "in").mkdir(parents=True)
    with FtpSink(root, permissions=READ_ONLY_PERMISSIONS) as readonly:
        # When uploading, Then the refusal is permanent and says why
        with pytest.raises(DeliveryRefused, match="550.*|permission denied"):
            upload(plate_file, readonly.url("in"), timeout=5)
    assert list((root / "in").iterdir()) == []


def test_missing_local_file(ftp_server: FtpSink, tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        upload(tmp_path / "gone.pdf", ftp_server.url(), timeout=5)


def test_uploads_racing_to_create_the_same_folder_all_land(ftp_server: FtpSink, tmp_path: Path):
    # Given six jobs whose files go to the same folder that does not exist yet
    from concurrent.futures import ThreadPoolExecutor

    files = []
    for number in range(6):
        path = tmp_path / f"job{number}.pdf"
        path.write_bytes(os.urandom(20_000))
        files.append(path)
    # When they are uploaded at the same moment
    with ThreadPoolExecutor(len(files)) as pool:
        results = list(
            pool.map(lambda p: upload(p, ftp_server.url("press"), "_1030x770", timeout=10), files)
        )
    # Then every upload succeeds (a folder made by another upload is not an error)
    assert len(results) == 6
    for path in files:
        assert (
            ftp_server.root / "press" / "_1030x770" / path.name
        ).read_bytes() == path.read_bytes()
