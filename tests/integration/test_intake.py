"""The watcher's intake: a stable file becomes one queued job; stranded jobs are sent again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import redis

from models import store
from models.db import migrate
from models.job import utcnow
from pipeline.config import Config
from tasks.app import configure
from testkit.samples import signa_sheet, write_signa_pdf
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
