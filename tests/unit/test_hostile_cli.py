"""Unexpected command-line input gets a usage error or the configuration message, never a
traceback: ids past 64 bits, days out of range, devices as files, broken configuration files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import main
from pipeline.config.shared import toml_text
from tests import hostile
from tests.fixtures import SMALL_SHOP

#: A shop with a work folder of its own (SQLite under it).
CONFIG_TOML = toml_text({"paths": {"work_dir": "work"}, **SMALL_SHOP, "limits": {"max_file_mb": 1}})


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "prepress.toml"
    path.write_text(CONFIG_TOML, encoding="utf-8")
    return path


def run(*args: str | Path) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    exception = None if isinstance(result.exception, SystemExit) else result.exception
    return result.exit_code, result.output, exception


@pytest.mark.parametrize(
    "args",
    [
        ["show", "99999999999999999999999"],
        ["retry", "18446744073709551617"],
        ["jobs", "--limit", "99999999999999999999999"],
    ],
)
def test_ids_past_64_bits_are_usage_errors(config_file: Path, args: list[str]) -> None:
    status, output, exception = run("--config", config_file, *args)
    assert exception is None and status == 2
    assert "is not in the range" in output and "Traceback" not in output


def test_reprocess_of_an_id_past_64_bits_says_there_is_no_such_job(config_file: Path) -> None:
    status, output, exception = run(
        "--config", config_file, "reprocess", "--yes", "99999999999999999999999"
    )
    assert exception is None and status == 1 and "no job 99999999999999999999999" in output


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--from", "0001-01-01"],
        ["report", "--to", "0001-01-01", "--json"],
        ["jobs", "--since", "0001-01-01"],
        ["jobs", "--since", "99999999999999d"],
    ],
)
def test_days_out_of_range_get_a_clear_message(config_file: Path, args: list[str]) -> None:
    status, output, exception = run("--config", config_file, *args)
    assert exception is None and status == 2
    assert "1970-01-01" in output and "Traceback" not in output


def test_process_refuses_a_device(config_file: Path, tmp_path: Path) -> None:
    # Given /dev/zero, which never ends
    # When it is given to process
    status, output, exception = run("--config", config_file, "process", "/dev/zero", "--json")
    # Then it is refused at once, and nothing was copied into spool/
    assert exception is None and status == 1
    answer = json.loads(output)
    assert answer["rejection"] == "not_regular_file" and "not a regular file" in answer["error"]
    assert not [p for p in (tmp_path / "work" / "spool").rglob("*") if p.is_file()]


def test_process_refuses_a_file_over_max_file_mb(config_file: Path, tmp_path: Path) -> None:
    # Given a 2 MB PDF with max_file_mb = 1
    big = hostile.many_pages_pdf(tmp_path / "big.pdf", pages=5)
    big.write_bytes(big.read_bytes() + b"%" * 2 * 2**20)
    # When it is given to process
    status, output, exception = run("--config", config_file, "process", big)
    # Then it is refused, naming the key
    assert exception is None and status == 1
    assert "big.pdf" in output and "limits.max_file_mb = 1" in output


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize(
    "content",
    [b'[paths]\nwork_dir = "\xff\xfe"\n', ("a = " + "[" * 3000 + "]" * 3000 + "\n").encode()],
    ids=["not-utf8", "nested-too-deep"],
)
def test_a_broken_configuration_file_is_the_configuration_message(
    tmp_path: Path, content: bytes, as_json: bool
) -> None:
    # Given a prepress.toml that is not UTF-8, or nests arrays 3000 deep
    path = tmp_path / "prepress.toml"
    path.write_bytes(content)
    # When any command reads it
    status, output, exception = run("--config", path, "jobs", *(["--json"] if as_json else []))
    # Then it ends with exit 2 and the configuration message naming the file
    assert exception is None and status == 2
    assert "prepress.toml" in output and "configuration error" in output
    if as_json:
        assert json.loads(output)["exit_status"] == 2


def test_limits_are_checked_like_every_key(tmp_path: Path) -> None:
    path = tmp_path / "prepress.toml"
    path.write_text(CONFIG_TOML + "wall_seconds = 900\n", encoding="utf-8")
    status, output, _ = run("--config", path, "jobs")
    assert status == 2 and "limits.wall_seconds" in output
    path.write_text(CONFIG_TOML + "wal_seconds = 9\n", encoding="utf-8")
    status, output, _ = run("--config", path, "jobs")
    assert status == 2 and "wal_seconds" in output


def test_analyze_refuses_a_fifo_instead_of_blocking(config_file: Path, tmp_path: Path) -> None:
    # Given a named pipe called like a PDF (reading it would block forever)
    fifo = tmp_path / "job.pdf"
    os.mkfifo(fifo)
    # When it is analysed
    status, output, exception = run("--config", config_file, "analyze", fifo)
    # Then it is rejected at once with its own code
    assert exception is None and status == 1 and "not_regular_file" in output
