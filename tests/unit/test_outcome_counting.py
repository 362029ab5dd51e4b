"""The fault tests' count of uploads (tests/reliability/outcome.py): a cut transfer is not one."""

from __future__ import annotations

from tests.reliability.outcome import _uploaded

PART = "leonov/_1030x770/.0005_Job5_Leonov.pdf.a08ba33d.part"


def test_a_transfer_cut_by_a_killed_worker_and_the_one_after_it_are_one_upload() -> None:
    assert _uploaded([(PART, 0), (PART, 3335)]) == {"0005_Job5_Leonov.pdf": 1}
    assert _uploaded([(PART, 1200), (PART, 3335)]) == {"0005_Job5_Leonov.pdf": 1}


def test_the_whole_file_sent_twice_is_two_uploads() -> None:
    assert _uploaded([(PART, 3335), (PART, 3335)]) == {"0005_Job5_Leonov.pdf": 2}
    direct = "speedmaster/0005_Job5_Leonov_preview.pdf"
    assert _uploaded([(direct, 10), (direct, 10)]) == {"0005_Job5_Leonov_preview.pdf": 2}
