"""``[preflight]``: defaults, per press and per bureau overrides, errors naming file and key,
and one table of codes that the README lists."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from pipeline import errors
from pipeline.config import config_from_dict, load_config
from pipeline.errors import ConfigError
from tests.fixtures import BASE_CONFIG

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE = Path(__file__).resolve().parents[2] / "prepress.example.toml"


def shop(**tables: object) -> dict:
    raw = copy.deepcopy(BASE_CONFIG)
    raw.update(tables)
    return raw


def test_defaults_are_those_of_the_issue():
    settings = config_from_dict(shop()).preflight
    assert (settings.min_ppi_error, settings.min_ppi_warning, settings.min_ppi_bitmap) == (
        150,
        225,
        550,
    )
    assert (settings.max_tac, settings.duplicate_days, settings.budget_seconds) == (320, 60, 60)
    assert settings.severity_of("plate_missing") == "error"
    assert settings.severity_of("plate_empty") == "warning"


def test_press_then_bureau_override_single_keys():
    # Given a shop limit, a press override and a bureau override of severities
    raw = shop(preflight={"max_tac": 300, "severity": {"plate_empty": "error"}})
    raw["presses"]["Dominant"]["preflight"] = {"max_paper_mm": [640, 450], "max_tac": 280}
    raw["outputters"]["Korol"]["preflight"] = {"severity": {"rgb_content": "off"}}
    config = config_from_dict(raw)
    # When the settings of a Dominant job for Korol are asked for
    settings = config.preflight_for("Dominant", "Korol")
    # Then each level changed only its keys
    assert settings.max_tac == 280 and settings.max_paper_mm == (640, 450)
    assert settings.severity_of("plate_empty") == "error"
    assert settings.severity_of("rgb_content") == "off"
    assert settings.severity_of("plate_missing") == "error"
    assert config.preflight_for("Speedmaster", "Leonov").max_tac == 300
    assert config.preflight_for(None, None) == config.preflight


@pytest.mark.parametrize(
    ("tables", "key"),
    [
        ({"preflight": {"min_ppi": 100}}, "preflight.min_ppi"),
        ({"preflight": {"max_tac": "lots"}}, "preflight.max_tac"),
        (
            {"preflight": {"severity": {"plate_missing": "fatal"}}},
            "preflight.severity.plate_missing",
        ),
        ({"preflight": {"severity": {"no_such_check": "off"}}}, "preflight.severity.no_such_check"),
        ({"preflight": {"max_paper_mm": [1000]}}, "preflight.max_paper_mm"),
    ],
)
def test_wrong_keys_name_the_file_and_the_key(tables, key):
    with pytest.raises(ConfigError, match=f"prepress.toml: {key}"):
        config_from_dict(shop(**tables), source=Path("prepress.toml"))


def test_wrong_press_override_names_its_key():
    raw = shop()
    raw["presses"]["Planeta"]["preflight"] = {"budget_seconds": -1}
    with pytest.raises(ConfigError, match="presses.Planeta.preflight.budget_seconds"):
        config_from_dict(raw)


def test_example_documents_every_key_and_loads():
    config = load_config(EXAMPLE)
    text = EXAMPLE.read_text(encoding="utf-8")
    assert config.preflight.severity_of("white_overprint") == "warning"
    for key in ("min_ppi_error", "min_ppi_warning", "min_ppi_bitmap", "max_tac", "budget_seconds"):
        assert key in text
    for code in errors.PREFLIGHT_CODES:
        assert f"{code} = " in text


@pytest.mark.parametrize("code", list(errors.PREFLIGHT_CODES))
def test_every_preflight_code_is_in_the_readme_with_its_severity(code):
    line = next(
        (
            line
            for line in README.read_text(encoding="utf-8").splitlines()
            if f"| `{code}` |" in line
        ),
        None,
    )
    assert line is not None, f"{code} is not in the README's preflight table"
    assert f"| {errors.PREFLIGHT_CODES[code]} |" in line


def test_preflight_settings_are_shop_settings_and_survive_the_push_text():
    # Given a shop with preflight limits and a press override
    import tomllib

    from pipeline.config.shared import SHOP_SECTIONS, shop_settings, to_toml

    raw = shop(preflight={"max_tac": 300, "severity": {"plate_empty": "error"}})
    raw["presses"]["Dominant"]["preflight"] = {"max_paper_mm": [640, 450]}
    # When the shop's settings are written as `prepress config push` shares them
    config = config_from_dict(tomllib.loads(to_toml(shop_settings(raw))))
    # Then every host reads the same preflight settings
    assert "preflight" in SHOP_SECTIONS
    assert config.preflight_for("Dominant") == config_from_dict(raw).preflight_for("Dominant")
    assert config.preflight_for("Dominant").max_paper_mm == (640, 450)
