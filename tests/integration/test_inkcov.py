"""Ink coverage read by the real Ghostscript (skipped without gs, failed under CI)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.config.preflight import PreflightSettings
from pipeline.errors import RejectedFile
from pipeline.pdf.analysis import validate
from pipeline.preflight.findings import Finding
from pipeline.preflight.ink import ink_findings
from pipeline.preview.geometry import SheetGeometry
from pipeline.preview.inkcov import ink_coverage, read_ink
from pipeline.preview.render import render_preview
from testkit.samples import Fill, Sheet, signa_sheet, write_signa_pdf
from tests import hostile, ink_sheets
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


# --- hostile files: Ghostscript interprets PDF only, and reaches only the one file ---------


@pytest.fixture
def attack(tmp_path: Path) -> dict[str, Path]:
    """A configuration with a database password under /tmp, and where the attack would write."""
    secret = tmp_path / "prepress.toml"
    secret.write_text('[database]\nurl = "postgresql://prepress:Db-S3cret-Pw@db/prepress"\n')
    return {
        "secret": secret,
        "written": tmp_path / "written.txt",
        "piped": tmp_path / "piped.txt",
    }


def _program(attack: dict[str, Path]) -> bytes:
    return hostile.postscript_attack(attack["secret"], attack["written"], attack["piped"])


def _nothing_happened(attack: dict[str, Path], *texts: object) -> None:
    assert not attack["written"].exists() and not attack["piped"].exists()
    for text in texts:
        assert "Db-S3cret-Pw" not in repr(text)


def test_plain_ghostscript_would_run_the_polyglot(gs: str, attack: dict[str, Path]) -> None:
    # Given the polyglot: a PostScript program, then a valid PDF within the first 1 KB
    poly = hostile.polyglot_pdf(attack["secret"].with_name("poly.pdf"), _program(attack))
    # When Ghostscript runs it as the ink step used to (file sniffed, SAFER only)
    done = subprocess.run(
        [gs, "-dSAFER", "-q", "-sDEVICE=ink_cov", "-o", "-", "-f", str(poly)],
        capture_output=True,
        check=False,
    )
    # Then it reads the configuration and writes a file: what the fix must prevent
    assert b"Db-S3cret-Pw" in done.stdout and attack["written"].exists()


def test_the_polyglot_is_rejected_before_any_step_runs(
    gs: str, attack: dict[str, Path], config: Config
) -> None:
    # Given the polyglot
    poly = hostile.polyglot_pdf(attack["secret"].with_name("poly.pdf"), _program(attack))
    # When it is validated
    with pytest.raises(RejectedFile) as raised:
        validate(poly, config)
    # Then it is rejected with a stable code naming the file, and nothing ran
    assert raised.value.code == "bytes_before_header"
    assert "poly.pdf" in raised.value.message and "PostScript" in raised.value.message
    _nothing_happened(attack, raised.value.message)


def test_ghostscript_is_never_given_a_file_with_bytes_before_the_header(
    gs: str, attack: dict[str, Path]
) -> None:
    # Given the polyglot handed straight to the ink step (validation bypassed)
    poly = hostile.polyglot_pdf(attack["secret"].with_name("poly.pdf"), _program(attack))
    # When the ink is measured
    reading = read_ink(poly)
    # Then Ghostscript did not run it: no coverage, nothing read, nothing written
    assert reading.coverage is None and "does not start with %PDF-" in (reading.problem or "")
    _nothing_happened(attack, reading)


def test_postscript_after_the_header_is_interpreted_as_pdf_only(
    gs: str, attack: dict[str, Path]
) -> None:
    # Given %PDF- at byte 0, then the PostScript program (read, write, %pipe%), then a PDF
    mixed = hostile.pdf_then_postscript(attack["secret"].with_name("mixed.pdf"), _program(attack))
    # When the ink is measured by the real Ghostscript
    reading = read_ink(mixed)
    # Then it was read as a (repaired) PDF: the page's cyan is measured, and nothing ran
    assert reading.coverage is not None and reading.coverage[1]["C"] > 0
    _nothing_happened(attack, reading)


def test_a_pdf_cannot_reach_other_files(gs: str, attack: dict[str, Path], tmp_path: Path) -> None:
    # Given a valid PDF whose name is a %pipe% device and which sits beside the configuration
    named = tmp_path / "%pipe%touch piped.txt.pdf"
    hostile.normal_pdf(named)
    # When the ink is measured from that folder
    reading = read_ink(named)
    # Then the file was measured as a file, and nothing else was touched
    assert reading.coverage is not None and reading.coverage[1]["C"] > 0
    _nothing_happened(attack, reading)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["prepress.toml", named.name])


def test_ghostscript_errors_reach_the_warning_masked_escaped_and_short(
    gs: str, tmp_path: Path
) -> None:
    # Given a file that starts like a PDF and is nothing but garbage with a password in it
    junk = tmp_path / "junk\x1b[31m.pdf"
    junk.write_bytes(b"%PDF-1.4\n" + b"(redis://:Pw-in-url@host/0) " * 2000 + b"\x1b[2J\n")
    # When the ink is measured
    reading = read_ink(junk, secrets=("Pw-in-url",))
    # Then the problem, if any, is one short line with no secret and no control character
    problem = reading.problem or ""
    assert "Pw-in-url" not in problem and "\x1b" not in problem and "\n" not in problem
    assert len(problem) < 500


# --- total ink: where a sheet is too heavy, from the same rendering -----------------------


def _sheet_with_patch(path: Path, total: float) -> Path:
    """A plate with Signa's marks in All around a light paper (80 %) and a 60 x 40 mm patch
    of ``total`` percent at x 300, y 200 mm."""
    return ink_sheets.write_sheet(
        path, [ink_sheets.paper(), ink_sheets.patch(300, 200, 60, 40, total)], marks=True
    )


def _ink_limits(pdf: Path, settings: PreflightSettings | None = None) -> list[Finding]:
    """``ink_limit`` of the sheet as the ink pass measures it and preflight judges it."""
    reading = read_ink(pdf)
    assert reading.profiles is not None, reading.problem
    return ink_findings(reading.measure, settings or PreflightSettings())


def test_signas_marks_in_all_are_not_an_ink_limit(gs: str, tmp_path: Path) -> None:
    # Given a sheet of Signa's marks in All (400 % on every plate): a 5 mm colour bar of solid
    # All and 300 % patches along the paper, register marks with filled discs, crop marks,
    # text marks; once on white, once around a light product
    for areas in ([], [ink_sheets.paper()]):
        pdf = ink_sheets.write_sheet(tmp_path / "marks.pdf", areas, marks=True)
        # When the ink pass measures it
        reading = read_ink(pdf)
        # Then the marks are there, no 15 mm square averages anywhere near 320 %, and preflight
        # says nothing about ink (any one square over the limit would count)
        assert reading.profiles is not None and 100 < reading.profiles[1]["peak"] < 260
        assert ink_findings(reading.measure, PreflightSettings(tac_min_area_mm2=0)) == []


def test_a_heavy_patch_on_a_light_sheet_is_found_where_it_is(
    gs: str, tmp_path: Path, config: Config
) -> None:
    # Given a light sheet (80 % on average) with Signa's marks and one 60 x 40 mm patch of 390 %
    from models.job import Job
    from pipeline.preview.budgeted import preview_within_budget
    from pipeline.preview.render import PreviewResult
    from tasks.hold import preflight

    pdf = _sheet_with_patch(tmp_path / "0540_Heavy_Leonov.pdf", 390)
    # When the preview's ink pass measures it and the hold judges what the job stored
    result = preview_within_budget(pdf, None, tmp_path / "out", "1_heavy", limits=config.limits)
    stored = json.loads(json.dumps(result.as_dict()))
    assert PreviewResult.from_dict(stored).ink_profiles == result.ink_profiles
    job = Job(id=1, name=pdf.name, preview=stored)
    found = preflight(pdf, job, config, config.preflight_for(None, None))
    # Then the average is low, and one ink_limit names the patch, its ink and its place (the
    # 15 mm squares blur its edges), not the marks
    assert result.ink_coverage is not None and sum(result.ink_coverage[1].values()) < 100
    assert result.ink_profiles is not None and result.ink_profiles[1]["window_mm"] == 15
    ink = [f for f in found if f.code == "ink_limit"]
    assert len(ink) == 1 and ink[0].value == pytest.approx(390, abs=2)
    x, y, w, h = ink[0].position_mm  # type: ignore[misc]
    assert (x, y, x + w, y + h) == pytest.approx((300, 200, 360, 240), abs=8)
    assert "averaged over 15 mm squares" in ink[0].message


def test_a_patch_under_the_limit_is_not_a_finding(gs: str, tmp_path: Path) -> None:
    # Given the same sheet with a 290 % patch
    from pipeline.preflight import run_preflight

    pdf = _sheet_with_patch(tmp_path / "0541_Rich_Leonov.pdf", 290)
    # When its ink is measured and judged with the default 320 % limit, and with 280 %
    reading = read_ink(pdf)
    assert reading.profiles is not None and reading.profiles[1]["peak"] == pytest.approx(290, abs=2)

    def judged(limit: float) -> list[str]:
        report = run_preflight(
            pdf,
            PreflightSettings(max_tac=limit),
            ink=reading.measure,
        )
        return [f.code for f in report.findings if f.code == "ink_limit"]

    # Then only the lower limit finds it
    assert judged(320) == [] and judged(280) == ["ink_limit"]


def test_far_apart_dots_do_not_add_up(gs: str, tmp_path: Path) -> None:
    # Given ten 3 x 3 mm dots of 400 %, 80 mm apart, on a light sheet
    pdf = ink_sheets.write_sheet(
        tmp_path / "dots.pdf", [ink_sheets.paper(), *ink_sheets.dots(10, 3, 400)]
    )
    # Then they are not an ink limit, even when any one square over it would count
    assert _ink_limits(pdf, PreflightSettings(tac_min_area_mm2=0)) == []


def test_a_square_the_windows_size_counts_a_smaller_heavier_one_does_not(
    gs: str, tmp_path: Path
) -> None:
    # Given a 15 x 15 mm square of 340 %, and a 10 x 10 mm one of 400 %, on a light sheet
    def sheet(name: str, side: float, total: float) -> Path:
        areas = [ink_sheets.paper(), ink_sheets.patch(300, 200, side, side, total)]
        return ink_sheets.write_sheet(tmp_path / name, areas)

    one_window, smaller = sheet("15.pdf", 15, 340), sheet("10.pdf", 10, 400)
    # When any one 15 mm square over 320 % counts (GWG R0026 to the letter)
    any_square = PreflightSettings(tac_min_area_mm2=0)
    found = _ink_limits(one_window, any_square)
    # Then the first is found, at its place, and the second is not
    assert [f.value for f in found] == [pytest.approx(340, abs=3)]
    x, y, w, h = found[0].position_mm  # type: ignore[misc]
    assert (x, y, x + w, y + h) == pytest.approx((300, 200, 315, 215), abs=8)
    assert _ink_limits(smaller, any_square) == []
    # and with the default 1 mm² of square positions the 15 mm square is found too
    assert len(_ink_limits(one_window)) == 1


def test_the_pages_strips_measure_like_one_strip(
    gs: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the marks sheet with its patch across a strip's edge (rows 1,502 to 1,615)
    pdf = _sheet_with_patch(tmp_path / "strips.pdf", 390)
    # When its rows are read 256 at a time, and all at once
    strips = read_ink(pdf)
    monkeypatch.setattr("pipeline.preview.inkcov.STRIP_ROWS", 10_000)
    whole = read_ink(pdf)
    # Then the profiles are the same
    assert strips.profiles is not None and strips.profiles == whole.profiles


def test_ink_averages_agree_with_ghostscripts_ink_cov_device(gs: str, tmp_path: Path) -> None:
    # Given a busy sample sheet
    pdf = write_signa_pdf(tmp_path / "busy.pdf", [signa_sheet(vector_objects=2000)] * 2)
    # When the raster pass and ink_cov measure it
    reading = read_ink(pdf)
    done = subprocess.run(
        [gs, "-dSAFER", "-dBATCH", "-dNOPAUSE", "-q", "-r72", "-sDEVICE=ink_cov"]
        + ["-sOutputFile=-", str(pdf)],
        capture_output=True,
        check=True,
    )
    # Then every ink of every page is the same to a hundredth of a percent
    lines = [line.split()[:4] for line in done.stdout.decode().splitlines() if "CMYK" in line]
    assert reading.coverage is not None and len(lines) == len(reading.coverage) == 2
    for page, values in enumerate(lines, start=1):
        for ink, value in zip("CMYK", values, strict=True):
            assert reading.coverage[page][ink] == pytest.approx(float(value), abs=0.01)
