"""Uploads to a real OpenSSH sshd on loopback (fixture ``sshd`` from tests/sshd.py)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from pipeline.delivery import part_name, upload
from pipeline.errors import DeliveryRefused, DeliveryUnavailable
from testkit.sinks import CuttingProxy, SilentServer
from tests.services import free_port
from tests.sshd import SshServer, make_ed25519_key

#: A file name as operators write them: Cyrillic, spaces, shell metacharacters.
HOSTILE_NAME = "0601_Флаер $(id); `x` 'q'_Korol.pdf"


@pytest.fixture
def plate_file(tmp_path: Path) -> Path:
    path = tmp_path / "out" / HOSTILE_NAME
    path.parent.mkdir()
    path.write_bytes(os.urandom(1_200_000))
    return path


def sftp_url(
    server: SshServer, folder: Path | str, port: int | None = None, password: str = ""
) -> str:
    secret = f":{password}" if password else ""
    return f"sftp://{server.user}{secret}@{server.host}:{port or server.port}{folder}"


def send(server: SshServer, plate_file: Path, url: str | None = None, **kwargs):
    options = dict(key_file=server.key_file, known_hosts=server.known_hosts, timeout=5)
    return upload(plate_file, url or sftp_url(server, server.root / "in"), **(options | kwargs))


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*.part"))


def test_upload_with_key_creates_folders(sshd: SshServer, plate_file: Path):
    # Given an sshd whose host key is in known_hosts and a missing target folder
    # When the file is uploaded into a press sub-folder under a template name
    result = send(
        sshd, plate_file, remote_dir="_1030x770", remote_name="0601_Flier_1030_10Plates.pdf"
    )
    # Then it lands complete under the final name, no .part left
    landed = sshd.root / "in" / "_1030x770" / "0601_Flier_1030_10Plates.pdf"
    assert landed.read_bytes() == plate_file.read_bytes()
    assert leftovers(sshd.root) == []
    assert result.remote_path == str(landed) and not result.skipped
    assert result.target.startswith("sftp://")


def test_hostile_name_and_idempotent_redelivery(sshd: SshServer, plate_file: Path):
    send(sshd, plate_file)
    landed = sshd.root / "in" / HOSTILE_NAME
    assert landed.read_bytes() == plate_file.read_bytes()
    mtime = landed.stat().st_mtime_ns
    # When the same file is delivered again (task retried)
    again = send(sshd, plate_file)
    # Then it is skipped and left alone
    assert again.skipped and landed.stat().st_mtime_ns == mtime


def test_changed_file_replaces_the_old(sshd: SshServer, plate_file: Path):
    send(sshd, plate_file)
    plate_file.write_bytes(b"remade")
    assert not send(sshd, plate_file).skipped
    assert (sshd.root / "in" / HOSTILE_NAME).read_bytes() == b"remade"


def test_leftover_part_is_resumed(sshd: SshServer, plate_file: Path):
    # Given a .part left by a worker that died after 500 kB
    folder = sshd.root / "in"
    folder.mkdir()
    data = plate_file.read_bytes()
    (folder / part_name(HOSTILE_NAME, plate_file)).write_bytes(data[:500_000])
    sent: list[int] = []
    # When the task runs again
    send(sshd, plate_file, progress=lambda done, total: sent.append(done))
    # Then only the rest is sent and the result is exact
    assert sent[0] > 500_000
    assert (folder / HOSTILE_NAME).read_bytes() == data
    assert leftovers(sshd.root) == []


def test_connection_cut_mid_file_resumes(sshd: SshServer, plate_file: Path, tmp_path: Path, caplog):
    # Given a line to sshd that drops after 600 kB from the client, once
    with CuttingProxy((sshd.host, sshd.port), cut_after=600_000) as proxy:
        known = tmp_path / "known_hosts_proxy"
        key_type, key = sshd.host_key_line.split()[1:3]
        known.write_text(f"[{proxy.host}]:{proxy.port} {key_type} {key}\n")
        url = sftp_url(sshd, sshd.root / "in", port=proxy.port)
        # When the file is uploaded through it
        with caplog.at_level(logging.WARNING, logger="pipeline.delivery"):
            send(sshd, plate_file, url, known_hosts=known)
    # Then the upload resumed and the bytes on the server are exact
    assert (sshd.root / "in" / HOSTILE_NAME).read_bytes() == plate_file.read_bytes()
    assert leftovers(sshd.root) == []
    assert proxy.cuts_left == 0 and "resuming" in caplog.text


def test_unknown_host_key_is_refused(sshd: SshServer, plate_file: Path, tmp_path: Path):
    # Given a known_hosts file that does not list this server
    other = tmp_path / "known_hosts_other"
    other.write_text("")
    # When uploading, Then the key is not silently accepted
    with pytest.raises(DeliveryRefused, match="not in known_hosts"):
        send(sshd, plate_file, known_hosts=other)
    assert not (sshd.root / "in").exists()


def test_changed_host_key_is_refused(sshd: SshServer, plate_file: Path, tmp_path: Path):
    # Given known_hosts holding another key for this host and port
    fake_public = make_ed25519_key(tmp_path / "impostor").split()
    forged = tmp_path / "known_hosts_forged"
    forged.write_text(f"[{sshd.host}]:{sshd.port} {fake_public[0]} {fake_public[1]}\n")
    with pytest.raises(DeliveryRefused, match="host key differs"):
        send(sshd, plate_file, known_hosts=forged)


def test_missing_known_hosts_file_is_refused(sshd: SshServer, plate_file: Path, tmp_path: Path):
    with pytest.raises(DeliveryRefused, match="ssh-keyscan"):
        send(sshd, plate_file, known_hosts=tmp_path / "nowhere")


def test_wrong_key_is_refused(sshd: SshServer, plate_file: Path, tmp_path: Path):
    make_ed25519_key(tmp_path / "stranger")
    with pytest.raises(DeliveryRefused, match="login refused"):
        send(sshd, plate_file, key_file=tmp_path / "stranger")


def test_wrong_password_is_refused_and_masked(sshd: SshServer, plate_file: Path):
    url = sftp_url(sshd, sshd.root / "in", password="bad-secret")
    with pytest.raises(DeliveryRefused, match="login refused") as caught:
        send(sshd, plate_file, url, key_file=None)
    assert "bad-secret" not in str(caught.value) and "***" in str(caught.value)


def test_refused_connection_is_transient(sshd: SshServer, plate_file: Path):
    url = sftp_url(sshd, "/in", port=free_port())
    with pytest.raises(DeliveryUnavailable, match="retry later may help"):
        send(sshd, plate_file, url)


def test_hanging_server_times_out(sshd: SshServer, plate_file: Path):
    with SilentServer() as silent:
        started = time.monotonic()
        with pytest.raises(DeliveryUnavailable):
            send(sshd, plate_file, sftp_url(sshd, "/in", port=silent.port), timeout=1)
    assert time.monotonic() - started < 5


def test_permission_denied_is_refused(sshd: SshServer, plate_file: Path):
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions; run the suite as a normal user")
    locked = sshd.root / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(DeliveryRefused, match="permission denied"):
        send(sshd, plate_file, sftp_url(sshd, locked))


def test_uploads_racing_to_create_the_same_folder_all_land(sshd: SshServer, tmp_path: Path):
    # Given four files bound for the same folder that does not exist yet
    from concurrent.futures import ThreadPoolExecutor

    files = []
    for number in range(4):
        path = tmp_path / f"job{number}.pdf"
        path.write_bytes(os.urandom(20_000))
        files.append(path)
    url = sftp_url(sshd, sshd.root / "race")
    # When they are uploaded at the same moment
    with ThreadPoolExecutor(len(files)) as pool:
        list(pool.map(lambda p: send(sshd, p, url, remote_dir="_ADAST"), files))
    # Then all of them land (a folder made by another upload is not an error)
    for path in files:
        assert (sshd.root / "race" / "_ADAST" / path.name).read_bytes() == path.read_bytes()
