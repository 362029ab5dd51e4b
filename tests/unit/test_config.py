"""prepress.toml: defaults, and errors that name the file and the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import main
from pipeline.config import config_from_dict, load_config
from pipeline.errors import ConfigError, mask_secrets
from tests.fixtures import BASE_CONFIG


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prepress.toml"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def test_example_config_loads() -> None:
    config = load_config(Path(__file__).parents[2] / "prepress.example.toml")
    assert config.presses["Speedmaster"].plate_mm == (1030, 770)
    assert config.outputters["Leonov"].dir_by_press["Dominant"] == "_ADAST"
    assert config.outputters["Admin"].notify is False


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[presses.S]\ngripper_mm = 1\n[outputters.L]\n", "presses.S.plate_mm"),
        ("[presses.S]\nplate_mm = [1, 2]\n[outputters.L]\n", "presses.S.gripper_mm"),
        (
            "[presses.S]\nplate_mm = [1, 2]\ngripper_mm = 'x'\n[outputters.L]\n",
            "presses.S.gripper_mm",
        ),
        ("[presses.S]\nplate_mm = [1, 2]\ngripper_mm = 1\n", "outputters"),
        (
            "[presses.S]\nplate_mm = [1, 2]\ngripper_mm = 1\ngriper = 2\n[outputters.L]\n",
            "presses.S.griper",
        ),
        (
            "[presses.S]\nplate_mm = [1, 2]\ngripper_mm = 1\n[outputters.L]\nfilename = '{nope}'\n",
            "outputters.L.filename",
        ),
        (
            "[presses.S]\nplate_mm = [1, 2]\ngripper_mm = 1\n[outputters.L]\n"
            "[sms]\ntemplate = '{x}'\n",
            "sms.template",
        ),
        (
            "[presses.S]\nplate_mm = [1, 2]\ngripper_mm = 1\n[outputters.L]\n"
            "dir_by_press = { Nope = 'x' }\n",
            "outputters.L.dir_by_press.Nope",
        ),
    ],
)
def test_wrong_or_missing_key_is_named(tmp_path: Path, toml: str, key: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert key in str(error.value)


def test_cli_exits_2_on_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[presses]\n")
    result = CliRunner().invoke(main, ["--config", str(path), "mode"])
    assert result.exit_code == 2
    assert "presses" in result.output


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="prepress.example.toml"):
        load_config(tmp_path / "nope.toml")


def test_password_from_environment_goes_into_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEONOV_PW", "s3cr/et")
    raw = dict(
        BASE_CONFIG,
        outputters={
            "Leonov": {"url": "ftp://leonov@ctp.example:21/in", "password_env": "LEONOV_PW"}
        },
    )
    config = config_from_dict(raw)
    url = config.outputters["Leonov"].url
    assert url == "ftp://leonov:s3cr%2Fet@ctp.example:21/in"
    assert "s3cr/et" in config.secrets()
    assert (
        mask_secrets(f"failed {url}", config.secrets())
        == "failed ftp://leonov:***@ctp.example:21/in"
    )


def test_readable_config_with_password_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(
        tmp_path,
        "[presses.S]\nplate_mm = [1, 2]\ngripper_mm = 1\n[outputters.L]\nurl = 'ftp://u:pw@h/'\n",
    )
    os.chmod(path, 0o644)
    load_config(path)
    assert "chmod 600" in caplog.text
    assert "pw@" not in caplog.text


@pytest.mark.parametrize(
    "secret",
    [
        "[database]\nurl = 'postgresql://prepress:db-pw-1@127.0.0.1/prepress'\n",
        "[celery]\nbroker_url = 'redis://:redis-pw-2@127.0.0.1:6379/0'\n",
        "[celery]\nresult_backend = 'redis://:redis-pw-3@127.0.0.1:6379/1'\n",
        "[web.users.vera]\nrole = 'viewer'\npassword_hash = 'scrypt:32768:8:1$salt$abc'\n",
    ],
)
def test_readable_config_warns_of_url_passwords_and_hashes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    # Given a configuration readable by others whose only secret is a URL password or a hash
    monkeypatch.delenv("_PREPRESS_WARNED_READABLE", raising=False)
    for name in ("PREPRESS_BROKER_URL", "PREPRESS_RESULT_BACKEND", "PREPRESS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    base = "[presses.S]\nplate_mm = [1, 2]\ngripper_mm = 1\n[outputters.L]\n"
    path = write(tmp_path, base + secret)
    os.chmod(path, 0o644)
    # When it is loaded, then the warning says to chmod it, without the secret
    load_config(path)
    assert "chmod 600" in caplog.text
    assert "-pw-" not in caplog.text and "$salt$" not in caplog.text


def test_custom_mark_pattern_extends_the_table() -> None:
    raw = dict(BASE_CONFIG, marks={"Press2": {"pattern": r":\s*(?P<press>\S+)"}})
    config = config_from_dict(raw)
    assert "Press2" in config.marks and "Machine" in config.marks
    with pytest.raises(ConfigError, match="marks.Bad.pattern"):
        config_from_dict(dict(BASE_CONFIG, marks={"Bad": {"pattern": "(no groups"}}))
