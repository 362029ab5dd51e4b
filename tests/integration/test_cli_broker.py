"""Commands that need the broker say clearly and quickly when it is down or nobody works, and
lose nothing: the job stays recorded with its file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pipeline.config.shared import toml_text
from testkit.samples import signa_sheet, write_signa_pdf
from tests.fixtures import SMALL_SHOP, prepress
from tests.redis_server import RedisServer
from tests.services import free_port


#: The shop's configuration; the broker URL is filled in.
def config_toml(broker: str) -> str:
    """The small shop with its broker at ``broker``."""
    return toml_text(
        {"paths": {"work_dir": "work"}, "celery": {"broker_url": broker}, **SMALL_SHOP}
    )


def shop(tmp_path: Path, broker: str) -> tuple[Path, Path]:
    config = tmp_path / "prepress.toml"
    config.write_text(config_toml(broker), encoding="utf-8")
    config.chmod(0o600)
    job = write_signa_pdf(tmp_path / "0537_Flier_Leonov.pdf", [signa_sheet()])
    return config, job


def test_an_unreachable_broker_is_one_clear_line_and_the_job_stays(tmp_path: Path) -> None:
    # Given a broker URL with a password where nothing listens
    port = free_port()
    config, pdf = shop(tmp_path, f"redis://:s3cret@127.0.0.1:{port}/0")
    # When a file is submitted
    started = time.monotonic()
    submitted = prepress("process", pdf, "--config", config)
    took = time.monotonic() - started
    # Then within 10 s one line names the masked broker, the problem and where it is set
    assert submitted.returncode == 1 and took < 10, submitted.stderr
    line = submitted.stderr
    assert line.count("\n") == 1, line
    assert f"redis://:***@127.0.0.1:{port}/0 is not reachable" in line and "s3cret" not in line
    assert "[celery] broker_url" in line and "PREPRESS_BROKER_URL" in line
    # And the job is recorded, queued, with its file in spool/
    (job,) = json.loads(prepress("jobs", "--json", "--config", config).stdout)
    assert job["status"] == "queued"
    (spooled,) = (tmp_path / "work" / "spool" / str(job["id"])).iterdir()
    assert spooled.read_bytes() == pdf.read_bytes()


@pytest.mark.timeout(60)
def test_wait_without_a_worker_says_so(tmp_path: Path, redis_server: RedisServer) -> None:
    # Given a reachable broker and no worker at all
    config, pdf = shop(tmp_path, redis_server.url(3))
    # When a file is submitted with --wait
    started = time.monotonic()
    waited = prepress("process", pdf, "--wait", "--config", config)
    # Then after a few seconds it says no worker answers, and the job stays queued
    assert waited.returncode == 1 and time.monotonic() - started < 20
    assert "no worker answers" in waited.stderr and "prepress up" in waited.stderr
