"""The steps reuse what validate read: the file is parsed once per job."""

from __future__ import annotations

from pathlib import Path

from models import store
from models.db import migrate
from pipeline import files
from pipeline.config import Config
from pipeline.pdf import analysis
from pipeline.preview.geometry import sheet_geometries
from tasks import stages
from testkit.samples import signa_sheet, write_signa_pdf


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
