"""The watcher's intake: a stable file becomes one queued job; stranded jobs are sent again."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from models import store
from models.db import migrate
from models.job import utcnow
from pipeline.config import Config
from tasks.app import configure
from testkit.polling import wait_until
from testkit.samples import signa_sheet, write_signa_pdf
from watcher.hotfolder import Hotfolder
from watcher.intake import requeue_stranded, take


def queued_messages(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return int(client.llen("cpu"))
    finally:
        client.close()


def pipeline_config(config: Config, redis_broker: str) -> Config:
    from dataclasses import replace

    config = replace(config, broker_url=redis_broker, result_backend=redis_broker)
    config.paths.create()
    migrate(config.database_url)
    configure(config)
    return config


def test_take_records_the_job_then_queues_its_first_step(config: Config, redis_broker: str) -> None:
    # Given a stable Signa file in the hotfolder
    config = pipeline_config(config, redis_broker)
    dropped = write_signa_pdf(config.paths.hotfolder / "0537_Flier_Leonov.pdf", [signa_sheet()])
    # When the watcher takes it
    job_id = take(dropped, config)
    # Then the file sits in spool/<job>/, the job row has its hash, and validate is queued
    assert job_id is not None
    job = store.get_job(config.database_url, job_id)
    assert job.status == "queued" and len(job.sha256) == 64 and job.size > 0
    assert (config.paths.work_dir / job.spool_path).is_file()
    assert not dropped.exists()
    assert queued_messages(redis_broker) == 1
    # and a second event for the same file finds nothing to take
    assert take(dropped, config) is None
    assert len(store.list_jobs(config.database_url)) == 1


def test_stranded_job_is_queued_again(config: Config, redis_broker: str) -> None:
    # Given a job recorded and spooled long ago whose chain never reached the broker
    config = pipeline_config(config, redis_broker)
    job = store.create_job(config.database_url, "a.pdf")
    store.update_job(
        config.database_url,
        job.id,
        spool_path="spool/1/a.pdf",
        received_at=utcnow() - timedelta(minutes=10),
    )
    fresh = store.create_job(config.database_url, "b.pdf")
    store.update_job(config.database_url, fresh.id, spool_path="spool/2/b.pdf")
    # When the watcher starts
    requeued = requeue_stranded(config)
    # Then only the old one is sent again
    assert requeued == [job.id]
    assert queued_messages(redis_broker) == 1


def test_hostile_name_is_taken_as_data(config: Config, redis_broker: str, tmp_path: Path) -> None:
    config = pipeline_config(config, redis_broker)
    name = "0602_Каталог $(touch pwned); `id` & 'x'_Leonov.pdf"
    dropped = write_signa_pdf(config.paths.hotfolder / name, [signa_sheet()])
    job_id = take(dropped, config)
    assert job_id is not None
    assert store.get_job(config.database_url, job_id).name == name
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def _taken_and_decided(config: Config) -> list[Any]:
    """The jobs once each is decided and its file moved (its archive path recorded), else []."""
    jobs = store.list_jobs(config.database_url)
    if not jobs or any(j.status == "queued" or not j.archive_path for j in jobs):
        return []
    return jobs


def test_a_name_that_is_not_utf8_is_rejected_once_with_bad_filename(
    config: Config, redis_broker: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a watched hotfolder and a PDF whose name holds a byte that is not UTF-8 (cp1251 "Я")
    config = pipeline_config(config, redis_broker)
    pdf = write_signa_pdf(config.paths.work_dir / "source.pdf", [signa_sheet()])
    raw_name = b"0537_\xdf_Leonov.pdf"
    os.rename(bytes(pdf), os.path.join(bytes(config.paths.hotfolder), raw_name))
    hotfolder = Hotfolder(
        config.paths.hotfolder, lambda path: take(path, config), stable_seconds=0.2
    )
    # When the watcher runs
    hotfolder.start()
    try:
        # (the job is recorded queued first, then rejected, then its file moved to failed/)
        jobs = wait_until(lambda: _taken_and_decided(config), timeout=15)
    finally:
        hotfolder.stop()
    # Then it became one rejected job with the name shown escaped, and nothing was retried
    assert jobs, store.list_jobs(config.database_url)
    [job] = jobs
    assert job.name == "0537_\\xdf_Leonov.pdf"
    assert job.status == "rejected" and job.error_code == "bad_filename"
    assert "not valid UTF-8" in (job.error or "")
    assert os.listdir(bytes(config.paths.hotfolder)) == []
    failed = sorted(p.name for p in config.paths.failed.iterdir())
    assert failed == [
        f"{job.id}_0537_\\xdf_Leonov.pdf",
        f"{job.id}_0537_\\xdf_Leonov.pdf.error.txt",
    ]
    assert queued_messages(redis_broker) == 0
    assert "Traceback" not in caplog.text and "failed (attempt" not in caplog.text
