"""Every real-world PDF of the shared corpus gets a result or a rejection code, quickly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.pdf.analysis import analyze
from tests.services import require

#: The stable rejection codes; anything else is a bug.
CODES = {
    "empty_file",
    "not_pdf",
    "damaged_pdf",
    "encrypted",
    "unknown_press",
    "press_undetected",
    "outputter_undetected",
}
#: Seconds one corpus file may take (the largest takes well under 0.1 s).
SECONDS_PER_FILE = 5.0
#: Preflight budget per corpus file: a long document stops there with preflight_timeout.
PREFLIGHT_BUDGET = 3.0


def corpus_dir() -> Path | None:
    """../shared/corpus beside the repository (/work/shared next to /work/main, or a clone)."""
    repo = Path(__file__).resolve().parents[2]
    for candidate in (repo.parent / "shared" / "corpus", repo / ".." / "shared" / "corpus"):
        if candidate.is_dir():
            return candidate.resolve()
    return None


def corpus_files() -> list[Path]:
    folder = corpus_dir()
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder else []


def test_corpus_is_present():
    require(bool(corpus_files()), "../shared/corpus (py-pdf-sample-files) not found")


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_file_gets_a_result_or_a_code(path: Path, config):
    # When a real-world file is analysed
    started = time.perf_counter()
    result = analyze(path, config)
    elapsed = time.perf_counter() - started
    # Then it finishes in time with a known outcome
    assert elapsed < SECONDS_PER_FILE
    assert result.ok or set(result.error_codes) <= CODES
    assert result.ok or result.errors, "a rejection must say why"
    if path.suffix.lower() != ".pdf":
        assert result.error_codes == ["not_pdf"]


def test_password_sample_is_encrypted(config):
    # The corpus holds a LibreOffice file with an open password
    [path] = [p for p in corpus_files() if "password" in p.name] or [None]
    require(path is not None, "corpus password sample not found")
    assert analyze(path, config).error_codes == ["encrypted"]


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_file_goes_through_preflight_without_a_crash(path: Path, config):
    # When a real-world file is preflighted with the shop's settings and a short budget
    from pipeline.config.preflight import merge
    from pipeline.errors import PREFLIGHT_CODES
    from pipeline.preflight import preflight

    settings = merge(config.preflight, {"budget_seconds": PREFLIGHT_BUDGET})
    started = time.perf_counter()
    found = preflight(path, settings)
    elapsed = time.perf_counter() - started
    # Then it answers findings with known codes, in time, never an exception
    assert elapsed < SECONDS_PER_FILE
    assert all(f.code in PREFLIGHT_CODES and f.message for f in found)
    if path.suffix.lower() != ".pdf":
        assert [f.code for f in found] == ["preflight_unreadable"]
