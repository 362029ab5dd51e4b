"""A step's failure that run_step did not record (a time limit) is recorded by on_failure."""

from __future__ import annotations

import pytest
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from models import store
from models.db import migrate
from models.job import FAILED
from pipeline.config import Config
from pipeline.errors import RejectedFile
from tasks import app as celery_app
from tasks.stages import render_preview


@pytest.fixture
def url(config: Config, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite database, and ``config`` as this process's configuration."""
    config.paths.var.mkdir(parents=True, exist_ok=True)
    migrate(config.database_url)
    monkeypatch.setattr(celery_app._Process, "config", config)
    return config.database_url


@pytest.mark.parametrize(
    "exc", [SoftTimeLimitExceeded("soft time limit (300s) exceeded"), TimeLimitExceeded(600.0)]
)
def test_a_time_limit_is_recorded_as_the_failure_of_its_step(url: str, exc: Exception) -> None:
    # Given a job being rendered
    job = store.create_job(url, "0537_Flier_Leonov.pdf")
    assert job.id is not None
    # When Celery reports that the step ran past its time limit
    render_preview.on_failure(exc, "task-id", (job.id,), {}, None)
    # Then the job is failed at that step, saying why
    failed = store.get_job(url, job.id)
    assert failed.status == FAILED
    assert failed.step == "render_preview"
    assert failed.error_code == "internal_error"
    assert failed.error is not None and failed.error.startswith("render_preview failed:")
    assert f"prepress retry {job.id}" in failed.error


def test_a_rejection_passes_through_as_run_step_recorded_it(url: str) -> None:
    # Given a job / When its step ends with a rejection (run_step records those itself)
    job = store.create_job(url, "0538_Broken_Leonov.pdf")
    assert job.id is not None
    rejected = RejectedFile("damaged_pdf", "0538_Broken_Leonov.pdf: damaged", job.name)
    render_preview.on_failure(rejected, "task-id", (job.id,), {}, None)
    # Then on_failure leaves the job as it was
    unchanged = store.get_job(url, job.id)
    assert unchanged.status == job.status and not unchanged.error and not unchanged.step
