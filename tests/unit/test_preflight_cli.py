"""``prepress preflight``: findings per file, JSON, exit 1 on an error finding."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from commands.cli import main
from pipeline.config.shared import toml_text
from testkit.samples import signa_sheet, write_signa_pdf
from tests.fixtures import SMALL_SHOP
from tests.preflight_sheets import SheetWriter, clean_sheet, separation

CONFIG_TOML = toml_text(
    {**SMALL_SHOP, "outputters.Korol.preflight.severity": {"plate_missing": "warning"}}
)


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def spot_sheet(path: Path) -> Path:
    writer = SheetWriter()
    clean_sheet(
        writer,
        "/CS1 cs 1 scn 10 10 50 50 re f",
        f"/ColorSpace << /CS1 {separation('Gold')} >>",
    )
    return writer.write(path)


def test_clean_file_exits_0_and_a_missing_plate_exits_1(tmp_path):
    config = tmp_path / "prepress.toml"
    config.write_text(CONFIG_TOML, encoding="utf-8")
    good = write_signa_pdf(tmp_path / "0537_Flier_Leonov.pdf", [signa_sheet()])
    bad = spot_sheet(tmp_path / "0538_Gold_Leonov.pdf")
    status, output = run("preflight", "--config", config, good)
    assert status == 0 and output.startswith("0537_Flier_Leonov.pdf: ok")
    status, output = run("preflight", "--config", config, "--json", good, bad)
    documents = json.loads(output)
    assert status == 1
    assert [d["ok"] for d in documents] == [True, False]
    assert [f["code"] for f in documents[1]["findings"]] == ["plate_missing"]
    assert documents[1]["findings"][0]["object"] == "Gold"


def test_a_bureau_override_applies_to_its_files(tmp_path):
    # Given a bureau whose settings make plate_missing a warning
    config = tmp_path / "prepress.toml"
    config.write_text(CONFIG_TOML, encoding="utf-8")
    bad = spot_sheet(tmp_path / "0538_Gold_Korol.pdf")
    # When its file is checked from a folder
    status, output = run("preflight", "--config", config, tmp_path)
    # Then the finding is a warning and the exit status 0
    assert status == 0 and "warning plate_missing" in output
    assert bad.name in output


def test_ink_option_measures_coverage_with_ghostscript(tmp_path):
    import shutil

    from tests.services import require

    require(shutil.which("gs") is not None, "Ghostscript (gs) is not installed")
    # Given a sheet whose paper is filled with 400 % ink and a 100 % limit for the test
    config = tmp_path / "prepress.toml"
    config.write_text(CONFIG_TOML + "[preflight]\nmax_tac = 100\n", encoding="utf-8")
    writer = SheetWriter()
    writer.page("1 1 1 1 k 0 0 2920 2183 re f")
    sheet = writer.write(tmp_path / "0539_Heavy_Leonov.pdf")
    # When it is checked with and without --ink
    _, plain = run("preflight", "--config", config, sheet)
    _, measured = run("preflight", "--config", config, "--ink", sheet)
    # Then only the measured run reports the ink
    assert "ink_limit" not in plain
    assert "warning ink_limit" in measured and "400 %" in measured
