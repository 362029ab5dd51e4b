"""The steps reuse what validate read: the file is parsed once per job."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from models import store
from models.db import migrate
from pipeline import files
from pipeline.config import Config, Limits
from pipeline.pdf import analysis
from pipeline.preview.geometry import sheet_geometries
from tasks import stages
from tasks.base import Skip
from testkit.samples import signa_sheet, write_signa_pdf
from tests import hostile


def validated_job(config: Config, tmp_path: Path, sheets: list) -> tuple[int, Path]:
    """A job taken into spool/ and validated, as the chain's first step leaves it."""
    config.paths.create()
    migrate(config.database_url)
    pdf = write_signa_pdf(tmp_path / "0537_Flier_Leonov.pdf", sheets)
    job = store.create_job(config.database_url, pdf.name)
    assert job.id is not None
    spooled = files.take_into_spool(pdf, config.paths.spool, job.id)
    assert spooled is not None
    store.update_job(
        config.database_url, job.id, spool_path=str(spooled.relative_to(config.paths.work_dir))
    )
    stages._validate(store.get_job(config.database_url, job.id), config)
    return job.id, spooled


def test_detections_decide_from_the_sheets_validate_stored(config: Config, tmp_path: Path) -> None:
    # Given a validated two-page job
    job_id, spooled = validated_job(
        config, tmp_path, [signa_sheet(), signa_sheet(press="Planeta", plate_mm=(1010, 820))]
    )
    # When its file can no longer be parsed at all
    spooled.write_bytes(b"%PDF-1.7 not a PDF any more")
    for detect in (stages._detect_press, stages._count_plates, stages._detect_outputter):
        detect(store.get_job(config.database_url, job_id), config)
    # Then the three detections still decided, from what validate stored
    job = store.get_job(config.database_url, job_id)
    assert (job.press, job.plates, job.outputter) == ("Speedmaster", 8, "Leonov")
    assert job.press_pages == {"2": "Planeta"}
    assert len(job.sheets) == 2


def test_preview_geometry_follows_the_stored_press_decision(config: Config, tmp_path: Path) -> None:
    # Given sheets whose plate would fit the Speedmaster (gripper 10 mm)
    pdf = write_signa_pdf(tmp_path / "a.pdf", [signa_sheet(press=None)])
    sheets = analysis.read_sheets(pdf, config)
    # When the press decided for page 1 is the Dominant (gripper 8 mm)
    geometries = sheet_geometries(sheets, config, "a.pdf", {1: "Dominant"})
    # Then the crop uses the decided press, not a decision of its own
    assert geometries[0] is not None and geometries[0].gripper_mm == 8
    assert sheet_geometries(sheets, config, "a.pdf")[0].gripper_mm == 10  # type: ignore[union-attr]


def test_a_preview_over_budget_is_a_warning_and_the_job_goes_on(
    config: Config, tmp_path: Path
) -> None:
    # Given a validated job whose spooled file is then the crafted 150,000-path page
    job_id, spooled = validated_job(config, tmp_path, [signa_sheet()])
    hostile.many_paths_pdf(spooled)
    tight = replace(config, limits=Limits(wall_seconds=3, cpu_seconds=3))
    started = time.monotonic()
    # When its preview step runs within a 3 s budget
    with pytest.raises(Skip) as skipped:
        stages._render_preview(store.get_job(config.database_url, job_id), tight)
    # Then the step is skipped within the budget, and the job says why and has no preview
    assert time.monotonic() - started < 3 + 3
    assert "limits.wall_seconds = 3 s" in str(skipped.value)
    job = store.get_job(config.database_url, job_id)
    assert job.preview == {} and job.status != "rejected"
    assert any("no preview for this job" in warning for warning in job.warnings)
