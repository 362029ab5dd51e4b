"""Upload progress in the log: steps on the way, never "80%" for a file already complete."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pipeline.delivery.transfer import Target, Transfer


def transfer(tmp_path: Path, total: int) -> Transfer:
    local = tmp_path / "plate.pdf"
    local.write_bytes(b"x" * total)
    return Transfer(Target.parse("ftp://u:pw@127.0.0.1/in"), local, "/in/plate.pdf", total, None)


def test_a_file_sent_in_one_block_logs_no_partial_percentage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a small file that goes in one block
    upload = transfer(tmp_path, 1000)
    caplog.set_level(logging.INFO, logger="pipeline.delivery.transfer")
    # When the block is sent and the upload ends
    upload.restart_at(0)
    upload.advance(1000)
    upload.result()
    # Then no percentage line claims it is partly sent; the completion is logged
    assert not [r for r in caplog.messages if "%" in r and "bytes in" not in r]
    assert any("uploaded plate.pdf" in message for message in caplog.messages)


def test_a_large_file_logs_each_step_on_the_way(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    upload = transfer(tmp_path, 1000)
    caplog.set_level(logging.INFO, logger="pipeline.delivery.transfer")
    upload.restart_at(0)
    for _ in range(10):
        upload.advance(100)
    steps = [m.split(": ")[-1].split("%")[0] for m in caplog.messages if "%" in m]
    assert steps == ["20", "40", "60", "80"]
