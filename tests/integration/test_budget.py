"""The per-file budget: real child processes, real rlimits, real crafted PDFs."""

from __future__ import annotations

import functools
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.budget import last_run, run_within_budget
from pipeline.config import Limits
from pipeline.errors import OverBudget, RejectedFile
from pipeline.preview.budgeted import preview_within_budget
from tests import hostile

#: A small budget, so that crafted files are cut off quickly.
TIGHT = Limits(wall_seconds=4, cpu_seconds=4, memory_mb=600)


def add(a: int, b: int) -> int:
    return a + b


def reject(name: str) -> None:
    raise RejectedFile("damaged_pdf", f"{name}: damaged", name)


def sleep_with_a_child(marker: str, seconds: float) -> None:
    """Start a grandchild that would write ``marker`` after ``seconds``, then wait."""
    subprocess.Popen(["sh", "-c", f'sleep {seconds}; echo late > "$1"', "sh", marker])
    time.sleep(seconds * 2)


def spin() -> None:
    while True:
        pass


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def own_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_the_call_runs_in_a_child_and_returns_its_value() -> None:
    # Given a plain function / When it runs within the budget / Then its value comes back
    assert run_within_budget(add, 2, b=3, limits=Limits()) == 5
    assert last_run.peak_rss_mb > 0


def test_a_rejection_in_the_child_is_raised_as_it_was() -> None:
    with pytest.raises(RejectedFile) as raised:
        run_within_budget(reject, "x.pdf", limits=Limits())
    assert raised.value.code == "damaged_pdf" and raised.value.file == "x.pdf"


def test_wall_time_kills_the_child_and_what_it_started(tmp_path: Path) -> None:
    # Given work that would take 6 s and start a process writing a marker after 3 s
    marker = tmp_path / "marker"
    started = time.monotonic()
    # When the budget is 1 s of wall time
    with pytest.raises(OverBudget) as raised:
        run_within_budget(
            sleep_with_a_child, str(marker), 3, limits=Limits(wall_seconds=1), what="the nap"
        )
    # Then it stops after about 1 s, says why, and the grandchild is gone too
    assert time.monotonic() - started < 3
    assert raised.value.resource == "wall" and raised.value.code == "over_budget"
    assert "the nap took longer than limits.wall_seconds = 1 s" in raised.value.message
    time.sleep(3.5)
    assert not marker.exists()


def test_cpu_time_stops_a_busy_loop() -> None:
    with pytest.raises(OverBudget) as raised:
        run_within_budget(spin, limits=Limits(wall_seconds=30, cpu_seconds=1))
    assert raised.value.resource == "cpu"


def test_memory_over_the_budget_is_refused_and_the_caller_stays_small() -> None:
    # Given a caller of modest size
    before = own_rss_mb()
    # When the child asks for 2 GB with a 400 MB budget
    with pytest.raises(OverBudget) as raised:
        run_within_budget(allocate, 2048, limits=Limits(memory_mb=400))
    # Then it is refused as memory, and the caller did not grow
    assert raised.value.resource == "memory"
    assert own_rss_mb() < before + 50
    assert run_within_budget(allocate, 100, limits=Limits(memory_mb=400)) == 100 * 1024 * 1024


@pytest.mark.parametrize(
    "crafted",
    [hostile.many_paths_pdf, functools.partial(hostile.many_pages_pdf, pages=8000)],
    ids=["150000-paths", "8000-pages"],
)
def test_crafted_files_are_cut_off_at_the_budget(crafted: object, tmp_path: Path) -> None:
    # Given a crafted file that takes far longer than the budget to render (150,000 paths:
    # minutes; 8,000 small pages: 13 s on an idle machine, where 2,000 took 3.7 s, too
    # close to the 4 s budget to be sure to cross it)
    pdf = crafted(tmp_path / "crafted.pdf")  # type: ignore[operator]
    out = tmp_path / "previews"
    started = time.monotonic()
    # When its preview is made within a tight budget
    with pytest.raises(OverBudget) as raised:
        preview_within_budget(pdf, None, out, "1_crafted", limits=TIGHT, ink=False)
    # Then it stops within the budget (plus the child's start), leaving no half file
    assert time.monotonic() - started < TIGHT.wall_seconds + 3
    assert raised.value.resource in ("wall", "cpu")
    assert raised.value.file == "crafted.pdf"
    assert not [p for p in out.rglob("*") if p.is_file()]


def test_a_huge_image_stays_within_the_memory_budget(tmp_path: Path) -> None:
    # Given a 30000 x 30000 px image, 900 MB decoded (1 GB resident without a budget)
    pdf = hostile.huge_image_pdf(tmp_path / "image.pdf")
    # When its preview is made with 600 MB of address space
    try:
        result = preview_within_budget(pdf, None, tmp_path / "out", "1_image", limits=TIGHT)
    except OverBudget as exc:  # refused outright: fine too
        assert exc.resource in ("memory", "crash", "wall", "cpu")
        return
    # Then whatever PDFium did without the memory, the child stayed under the budget
    assert last_run.peak_rss_mb < TIGHT.memory_mb
    assert result.proof.is_file()


def test_a_normal_file_gets_its_preview_and_ink_within_the_budget(tmp_path: Path) -> None:
    # Given a normal file
    pdf = hostile.normal_pdf(tmp_path / "normal.pdf")
    # When its preview is made within the default budget
    result = preview_within_budget(pdf, None, tmp_path / "out", "1_normal", limits=Limits())
    # Then every artefact is there
    assert result.proof.is_file() and result.thumbnail.is_file() and result.preview_pdf.is_file()
    if result.ink_coverage is not None:  # with Ghostscript installed
        assert result.ink_coverage[1]["C"] > 0


def test_the_worker_process_is_unchanged_after_a_file_over_budget(tmp_path: Path) -> None:
    # Given the crafted file of 150,000 wide paths
    pdf = hostile.many_paths_pdf(tmp_path / "paths.pdf")
    before = own_rss_mb()
    # When it is stopped at the budget
    with pytest.raises(OverBudget):
        preview_within_budget(pdf, None, tmp_path / "out", "k", limits=TIGHT, ink=False)
    # Then this process neither grew nor lost its limits, and can go on with the next file
    assert own_rss_mb() < before + 50
    normal = hostile.normal_pdf(tmp_path / "normal.pdf")
    assert preview_within_budget(normal, None, tmp_path / "out", "n", limits=TIGHT, ink=False)


def test_preflight_in_its_budget_finds_what_it_finds_in_process(tmp_path: Path) -> None:
    # Given a normal file and the default checks
    from pipeline.preflight import PreflightSettings, preflight, preflight_within_budget

    pdf = hostile.normal_pdf(tmp_path / "normal.pdf")
    settings = PreflightSettings()
    # When it is preflighted in a child process within the default budget
    found = preflight_within_budget(pdf, settings, limits=Limits())
    # Then the findings are the ones the checks give in this process
    assert [f.as_dict() for f in found] == [f.as_dict() for f in preflight(pdf, settings)]


def test_preflight_of_a_crafted_file_is_stopped_at_the_budget_as_a_finding(
    tmp_path: Path,
) -> None:
    # Given a crafted file of 1,500,000 paths (many seconds of preflight walking), 1 s budget
    from pipeline.preflight import PreflightSettings, preflight_within_budget

    pdf = hostile.many_paths_pdf(tmp_path / "paths.pdf", paths=1_500_000)
    before = own_rss_mb()
    started = time.monotonic()
    # When the hold step's preflight runs it
    found = preflight_within_budget(
        pdf, PreflightSettings(), limits=Limits(wall_seconds=1, cpu_seconds=1, memory_mb=600)
    )
    # Then it stops at the budget with one finding that says the sheet is unchecked and why
    assert time.monotonic() - started < 4
    assert [f.code for f in found] == ["preflight_timeout"]
    assert found[0].severity == "warning"
    assert "the preflight of paths.pdf" in found[0].message
    assert "not checked" in found[0].message
    # and this process is as it was
    assert own_rss_mb() < before + 50
