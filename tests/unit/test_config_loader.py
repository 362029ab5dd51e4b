"""One loader: environment overrides in one function, defaults in settings.py only, and a
secret only the process that uses it needs."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import main
from pipeline.config import load_config, with_environment
from pipeline.config.settings import ENV_OVERRIDES
from pipeline.errors import ConfigError

#: The project's root folder.
ROOT = Path(__file__).resolve().parents[2]
#: A shop with a dashboard user whose password comes from the environment.
SHOP = """
[paths]
work_dir = "work"
[presses.Speedmaster]
plate_mm = [1030, 770]
gripper_mm = 10
[outputters.Leonov]
[web.users.vera]
role = "viewer"
password_env = "PREPRESS_TEST_VERA_PASSWORD"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prepress.toml"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def test_only_the_dashboard_needs_its_users_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a dashboard user whose password variable is not set in this process
    monkeypatch.delenv("PREPRESS_TEST_VERA_PASSWORD", raising=False)
    path = write(tmp_path, SHOP)
    # When other commands run, then they work
    listed = CliRunner().invoke(main, ["--config", str(path), "jobs"])
    assert listed.exit_code == 0, listed.output
    assert "no jobs" in listed.output
    assert load_config(path).web.users["vera"].password == ""
    # And the dashboard refuses to start, naming the key and the fix
    served = CliRunner().invoke(main, ["--config", str(path), "web"])
    assert served.exit_code == 2
    assert "web.users.vera.password_env" in served.output
    assert "PREPRESS_TEST_VERA_PASSWORD" in served.output and "hash-password" in served.output


def test_a_set_password_variable_is_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREPRESS_TEST_VERA_PASSWORD", "vera-secret")
    user = load_config(write(tmp_path, SHOP)).web.users["vera"]
    assert user.password == "vera-secret" and user.password_env == "PREPRESS_TEST_VERA_PASSWORD"


def test_environment_overrides_replace_keys_and_their_env_form() -> None:
    # Given a file with a broker, a Flower password by variable, and retry waits
    raw = {
        "celery": {"broker_url": "redis://file/0"},
        "flower": {"user": "ops", "password_env": "FLOWER_PW"},
    }
    environ = {
        "PREPRESS_BROKER_URL": "redis://env/1",
        "PREPRESS_FLOWER_PASSWORD": "from-env",
        "PREPRESS_MAX_BACKOFF": "3",
    }
    # When the environment is applied
    merged = with_environment(raw, environ)
    # Then each override replaced its key, numbers are numbers, the file's tables are intact
    assert merged["celery"] == {"broker_url": "redis://env/1"}
    assert merged["flower"] == {"user": "ops", "password": "from-env"}
    assert merged["retry"] == {"max_backoff": 3.0}
    assert raw["flower"] == {"user": "ops", "password_env": "FLOWER_PW"}


def test_a_bad_number_in_the_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"\$PREPRESS_BACKUP_RETRIES: must be a number"):
        with_environment({}, {"PREPRESS_BACKUP_RETRIES": "many"})


def test_the_loader_applies_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREPRESS_BROKER_URL", "redis://127.0.0.1:6399/3")
    monkeypatch.setenv("PREPRESS_BACKUP_RETRIES", "2")
    monkeypatch.setenv("PREPRESS_TEST_VERA_PASSWORD", "x")
    config = load_config(write(tmp_path, SHOP))
    assert config.broker_url == config.result_backend == "redis://127.0.0.1:6399/3"
    assert config.backup.retries == 2


def test_no_module_reads_an_override_variable_itself() -> None:
    # Given every module of the project but the settings that list the overrides
    readers = []
    for folder in ("pipeline", "commands", "tasks", "models", "watcher", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "pipeline" / "config" / "settings.py":
                continue
            text = path.read_text(encoding="utf-8")
            readers += [f"{path.relative_to(ROOT)}: {n}" for n in ENV_OVERRIDES if f'"{n}"' in text]
    # Then none names one: the loader's with_environment reads them all
    assert readers == []


def test_the_readers_write_no_default_of_their_own() -> None:
    # Given the modules that read prepress.toml's tables
    literals = []
    for name in ("reader.py", "services.py", "people.py"):
        path = ROOT / "pipeline" / "config" / name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"text", "number", "boolean"}
                and len(node.args) == 3
                and isinstance(node.args[2], ast.Constant)
            ):
                literals.append(f"{name}:{node.lineno} {ast.unparse(node)}")
    # Then every default they pass comes from settings.py
    assert literals == []


@pytest.mark.parametrize(
    ("flower", "key"),
    [
        ('user = "a:b"\npassword = "p"', "flower.user"),
        ('user = "a"\npassword = "p,q"', "flower.password"),
        ('[flower.oauth]\nclient = "x"', "flower.oauth.client"),
    ],
)
def test_flower_settings_are_checked_when_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flower: str, key: str
) -> None:
    monkeypatch.setenv("PREPRESS_TEST_VERA_PASSWORD", "x")
    path = write(tmp_path, f"{SHOP}\n[flower]\n{flower}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value) and key in str(error.value)
