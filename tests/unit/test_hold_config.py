"""The hold's keys are checked like every other: ``[preflight] enabled``, ``[alerts]
held_after``, and the ``held`` alert kind."""

from __future__ import annotations

import json

import pytest

from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from tests.fixtures import BASE_CONFIG


def shop(**sections: dict) -> dict:
    raw = json.loads(json.dumps(BASE_CONFIG))
    raw.update(sections)
    return raw


def test_defaults_hold_and_tell_again_after_two_hours() -> None:
    config = config_from_dict(shop())
    assert config.preflight.active and config.preflight.duplicate_days == 60
    assert config.alerts.held_after == 2.0


def test_the_hold_can_be_turned_off_for_one_bureau() -> None:
    raw = shop()
    raw["outputters"]["Admin"]["preflight"] = {"enabled": False}
    config = config_from_dict(raw)
    assert config.preflight_for("Speedmaster", "Leonov").active
    assert not config.preflight_for("Speedmaster", "Admin").active


@pytest.mark.parametrize(
    ("sections", "key"),
    [
        ({"preflight": {"enabled": "yes"}}, "preflight.enabled"),
        ({"alerts": {"held_after": "two"}}, "alerts.held_after"),
        ({"staff": {"olga": {"phone": "+380501112233", "notify": ["hled"]}}}, "staff.olga.notify"),
    ],
)
def test_a_wrong_value_names_the_key(sections: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        config_from_dict(shop(**sections))
