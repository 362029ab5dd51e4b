"""``prepress analyze``: human and JSON output, exit statuses, --config in both places."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import main
from pipeline.demo.samples import signa_sheet, write_signa_pdf

#: The smallest configuration the command accepts.
CONFIG_TOML = """
[presses.Speedmaster]
plate_mm = [1030, 770]
gripper_mm = 10
[presses.Dominant]
plate_mm = [650, 550]
gripper_mm = 8
[outputters.Leonov]
[outputters.Korol]
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "prepress.toml"
    path.write_text(CONFIG_TOML, encoding="utf-8")
    return path


@pytest.fixture
def good_pdf(tmp_path: Path) -> Path:
    return write_signa_pdf(tmp_path / "0537_Technoyug_Flier_Leonov.pdf", [signa_sheet()] * 2)


@pytest.fixture
def broken_pdf(tmp_path: Path, good_pdf: Path) -> Path:
    path = tmp_path / "0538_Каталог $(id);`x`_Leonov.pdf"
    path.write_bytes(good_pdf.read_bytes()[:-300])
    return path


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def test_json_for_one_file_is_one_object(config_file, good_pdf):
    # When one good file is analysed with --json
    status, output = run("analyze", "--config", config_file, "--json", good_pdf)
    # Then one object, ok, exit 0
    document = json.loads(output)
    assert status == 0
    assert document["ok"] and document["plates"] == 8 and document["press"] == "Speedmaster"


def test_json_for_several_files_is_an_array_and_exit_1_when_any_rejected(
    config_file, good_pdf, broken_pdf
):
    # When a good and a half-copied file are analysed
    status, output = run("analyze", "--config", config_file, "--json", good_pdf, broken_pdf)
    # Then an array in order, the second with damaged_pdf, exit status 1
    documents = json.loads(output)
    assert status == 1
    assert [d["ok"] for d in documents] == [True, False]
    assert documents[1]["errors"][0]["code"] == "damaged_pdf"
    assert documents[1]["file"] == broken_pdf.name


def test_human_output_names_the_facts(config_file, good_pdf):
    status, output = run("analyze", "--config", config_file, good_pdf)
    assert status == 0
    assert "0537_Technoyug_Flier_Leonov.pdf: ok" in output
    assert "press Speedmaster (from mark), outputter Leonov (from mark), plates 8" in output
    assert "page 2: plate 1030x770 mm, paper 900x640 mm, Cyan, Magenta, Yellow, Black" in output


def test_human_output_shows_rejections(config_file, broken_pdf):
    status, output = run("analyze", "--config", config_file, broken_pdf)
    assert status == 1
    assert "REJECTED" in output and "error damaged_pdf" in output


def test_config_on_the_group_is_accepted(config_file, good_pdf):
    status, _ = run("--config", config_file, "analyze", good_pdf)
    assert status == 0


def test_missing_config_exits_2_naming_the_file(tmp_path, good_pdf):
    missing = tmp_path / "nowhere.toml"
    status, output = run("analyze", "--config", missing, good_pdf)
    assert status == 2 and "nowhere.toml" in output


def test_wrong_config_key_exits_2_naming_the_key(tmp_path, good_pdf):
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG_TOML.replace("gripper_mm = 8", "gripper = 8"), encoding="utf-8")
    status, output = run("analyze", "--config", bad, good_pdf)
    assert status == 2 and "presses.Dominant.gripper" in output
