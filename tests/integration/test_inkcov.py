"""Ink coverage read by the real Ghostscript (skipped without gs, failed under CI)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.preview.geometry import SheetGeometry
from pipeline.preview.inkcov import ink_coverage, read_ink
from pipeline.preview.render import render_preview
from testkit.samples import Fill, Sheet, signa_sheet, write_signa_pdf
from tests.services import require


@pytest.fixture
def gs() -> str:
    """The Ghostscript executable."""
    found = shutil.which("gs")
    require(found is not None, "Ghostscript (gs) is not installed")
    assert found is not None
    return found


@pytest.fixture
def half_cyan_pdf(tmp_path: Path) -> Path:
    """Page 1: left half in 100 % cyan. Page 2: all in 100 % black. No marks."""
    return write_signa_pdf(
        tmp_path / "half.pdf",
        [
            Sheet(plate_mm=(200, 100), fills=[Fill(0, 0, 100, 100, (1, 0, 0, 0))]),
            Sheet(plate_mm=(200, 100), fills=[Fill(0, 0, 200, 100, (0, 0, 0, 1))]),
        ],
    )


def test_half_cyan_page_reads_half_cyan(gs: str, half_cyan_pdf: Path) -> None:
    # Given a page half covered in 100 % cyan and a page all black
    # When Ghostscript measures the ink
    coverage = ink_coverage(half_cyan_pdf)
    # Then page 1 reads about 50 % C and nothing else, page 2 100 % K
    assert coverage is not None and sorted(coverage) == [1, 2]
    assert coverage[1]["C"] == pytest.approx(50, abs=1)
    assert coverage[1]["M"] == coverage[1]["Y"] == coverage[1]["K"] == 0
    assert coverage[2]["K"] == pytest.approx(100, abs=1)


@pytest.mark.parametrize(
    "name",
    [
        "-dNOSAFER.pdf",
        "$(touch pwned).pdf",
        "`touch pwned`.pdf",
        "a;b&c |d.pdf",
        "Каталог (весна) 'x'.pdf",
        "%d %s.pdf",
    ],
)
def test_hostile_file_names_reach_ghostscript_as_files(
    gs: str, half_cyan_pdf: Path, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the file under a hostile name, from a clean working folder
    folder = tmp_path / "in"
    folder.mkdir()
    hostile = folder / name
    shutil.copy(half_cyan_pdf, hostile)
    monkeypatch.chdir(folder)
    # When the ink is measured by a relative path
    coverage = ink_coverage(Path(name))
    # Then Ghostscript read that file, and nothing was executed or created
    assert coverage is not None and coverage[1]["C"] == pytest.approx(50, abs=1)
    assert [p.name for p in folder.iterdir()] == [name]


def test_without_ghostscript_coverage_is_unavailable(
    half_cyan_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a PATH on which there is no gs
    monkeypatch.setenv("PATH", str(tmp_path))
    # When the ink is measured
    reading = read_ink(half_cyan_pdf)
    # Then there is no coverage, and the reason says so
    assert reading.coverage is None and "not installed" in (reading.problem or "")


def test_not_a_pdf_is_unavailable_not_an_error(gs: str, tmp_path: Path) -> None:
    # Given a file that is not a PDF at all
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"hello, not a pdf\n")
    # When the ink is measured
    reading = read_ink(junk)
    # Then there is no coverage, and the reason names the file
    assert reading.coverage is None and "junk.pdf" in (reading.problem or "")


def test_preview_records_ink_coverage_and_spots(gs: str, tmp_path: Path) -> None:
    # Given a Signa sheet with a spot colour
    source = write_signa_pdf(
        tmp_path / "0601_Flier_Korol.pdf",
        [signa_sheet(colorants=("Cyan", "Magenta", "PANTONE Reflex Blue C"))],
    )
    # When the preview is rendered with ink coverage
    result = render_preview(
        source,
        [SheetGeometry((1030, 770), (900, 640), 10)],
        tmp_path,
        "3_0601_Flier_Korol",
        spots=["Cyan", "Magenta", "PANTONE Reflex Blue C"],
    )
    # Then the coverage of page 1 is recorded (the sample's paper is inked in M above all)
    assert result.ink_coverage is not None
    assert result.ink_coverage[1]["M"] > result.ink_coverage[1]["K"] > 0
    assert result.spots == ["PANTONE Reflex Blue C"] and result.warnings == []
