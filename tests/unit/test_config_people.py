"""[staff.NAME] and [alerts] in prepress.toml: checked, secrets from the environment only."""

from __future__ import annotations

import pytest

from pipeline.config import ALERT_KINDS, config_from_dict
from pipeline.errors import ConfigError

#: The smallest shop: one press, one bureau.
BASE = {
    "presses": {"Speedmaster": {"plate_mm": [1030, 770], "gripper_mm": 10}},
    "outputters": {"Leonov": {}},
}


def test_staff_defaults_to_every_kind_and_a_numeric_chat_id_is_read_as_text() -> None:
    config = config_from_dict({**BASE, "staff": {"olga": {"telegram": 123456789}}})
    assert config.staff["olga"].telegram == "123456789"
    assert config.staff["olga"].notify == ALERT_KINDS


def test_unknown_notify_kind_names_the_key_and_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"staff\.olga\.notify: unknown kind\(s\) \['fire'\]"):
        config_from_dict({**BASE, "staff": {"olga": {"phone": "+380", "notify": ["fire"]}}})


def test_a_person_needs_a_channel() -> None:
    with pytest.raises(ConfigError, match="needs a phone or a telegram chat id"):
        config_from_dict({**BASE, "staff": {"olga": {"notify": ["disk"]}}})


def test_telegram_token_comes_from_the_environment_and_is_a_secret(monkeypatch) -> None:
    raw = {**BASE, "alerts": {"telegram": {"token_env": "TEST_BOT_TOKEN"}}}
    monkeypatch.delenv("TEST_BOT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="alerts.telegram.token_env.*TEST_BOT_TOKEN"):
        config_from_dict(raw)
    monkeypatch.setenv("TEST_BOT_TOKEN", "42:abc")
    config = config_from_dict(raw)
    assert config.alerts.telegram_token == "42:abc" and "42:abc" in config.secrets()


def test_a_token_in_the_file_is_refused() -> None:
    with pytest.raises(ConfigError, match="alerts.telegram.token: unknown key"):
        config_from_dict({**BASE, "alerts": {"telegram": {"token": "42:abc"}}})


def test_sms_lists_may_name_staff() -> None:
    raw = {
        **BASE,
        "staff": {"olga": {"phone": "+380501112233"}},
        "sms": {"recipients": ["olga", "+380670000000"], "admin": ["olga"]},
    }
    config = config_from_dict(raw)
    assert config.sms.recipients == ("+380501112233", "+380670000000")
    assert config.sms.admin == ("+380501112233",)
