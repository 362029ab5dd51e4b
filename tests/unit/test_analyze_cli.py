"""``prepress analyze``: human and JSON output, exit statuses, --config in both places."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import main
from pipeline.config.shared import toml_text
from testkit.samples import signa_sheet, write_signa_pdf
from tests.fixtures import DOMINANT, SMALL_SHOP

#: The smallest configuration the command accepts.
CONFIG_TOML = toml_text({**SMALL_SHOP, **DOMINANT, "outputters.Korol": {}})


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


def test_a_missing_file_is_a_usage_error(config_file, tmp_path):
    status, output = run("analyze", tmp_path / "nope.pdf", "--config", config_file)
    assert status == 2 and "does not exist" in output


def test_a_folder_stands_for_the_pdfs_in_it(config_file, tmp_path, good_pdf):
    # Given a folder with a PDF (upper-case extension too) and a text file
    folder = tmp_path / "jobs"
    folder.mkdir()
    (folder / "a.PDF").write_bytes(good_pdf.read_bytes())
    (folder / "b.pdf").write_bytes(good_pdf.read_bytes())
    (folder / "notes.txt").write_text("not a job")
    # When the folder is analysed
    status, output = run("analyze", folder, "--json", "--config", config_file)
    # Then its two PDFs are
    assert status == 0 and [d["file"] for d in json.loads(output)] == ["a.PDF", "b.pdf"]


def test_not_pdf_shows_the_first_bytes_as_text(config_file, tmp_path):
    # Given an HTML page saved with a .pdf name
    page = tmp_path / "order_Leonov.pdf"
    page.write_bytes(b"<!DOCTYPE html>\n<html>" + b"x" * 2000)
    # When it is analysed
    status, output = run("analyze", page, "--config", config_file)
    # Then the message quotes its beginning as text, not a Python bytes literal
    assert status == 1
    assert '"<!DOCTYPE html>."' in output and "b'" not in output
