"""The shop's settings: what is shared, what stays on a host, and when a host refuses work."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from pipeline.config.hosts import (
    PushedSettings,
    is_local_broker,
    load_host_config,
    parse_queues,
)
from pipeline.config.shared import ShopSettings, local_part, shop_settings, to_toml
from pipeline.errors import ConfigError
from testkit.shop import write_config

#: A main host's prepress.toml: the shop, with secrets inline and by environment variable.
SHOP: dict[str, Any] = {
    "celery": {"broker_url": "redis://10.0.0.1:6379/0"},
    "database": {"url": "postgresql+psycopg://prepress@10.0.0.1/prepress"},
    "presses.Speedmaster": {
        "plate_mm": [1030, 770],
        "gripper_mm": 10,
        "preview_url": "ftp://press:press-secret@10.0.0.7/preview",
        "sms": ["olga"],
    },
    "staff.olga": {"phone": "+380501112233"},
    "outputters.Leonov": {
        "url": "ftp://leonov@ctp.example.com/in",
        "password_env": "LEONOV_FTP_PASSWORD",
        "dir_by_press": {"Speedmaster": "_1030x770"},
    },
    "outputters.Korol": {"url": "sftp://shop:korol-secret@korol.example.com/in"},
    "marks.Press2": {"pattern": r":\s*(?P<press>\S+)"},
    "sms": {"login": "shop", "password": "sms-secret", "timeout": 5, "template": "{order}"},
}
#: A worker host's own part: no shop section.
HOST: dict[str, Any] = {
    "paths": {"work_dir": "/srv/prepress/work"},
    "database": {"url": "postgresql+psycopg://prepress@10.0.0.1/prepress"},
    "celery": {"broker_url": "redis://10.0.0.1:6379/0"},
}


def _raw(sections: dict[str, Any], tmp_path: Path, name: str = "prepress.toml") -> Path:
    return write_config(tmp_path / name, sections)


def _pushed_from(path: Path) -> PushedSettings:
    settings = shop_settings(tomllib.loads(path.read_text()))
    return PushedSettings(settings, 1, "admin@main", "2026-12-01 23:00 UTC", str(path))


def test_pushed_settings_hold_no_secret_and_name_what_was_stripped(tmp_path: Path) -> None:
    # Given a shop file with passwords in two URLs and an inline SMS password
    raw = tomllib.loads(_raw(SHOP, tmp_path).read_text())

    # When its shop settings are taken out
    shop = shop_settings(raw)
    stored = to_toml(shop) + repr(shop.document())

    # Then no secret is in them, the stripped keys are named, users and hosts stay
    for secret in ("press-secret", "korol-secret", "sms-secret"):
        assert secret not in stored
    assert shop.stripped == ("presses.Speedmaster.preview_url", "outputters.Korol.url")
    assert shop.section("outputters")["Korol"]["url"] == "sftp://shop@korol.example.com/in"
    assert shop.section("sms") == {"login": "shop", "template": "{order}"}
    assert local_part(raw)["sms"] == {"password": "sms-secret", "timeout": 5}


def test_to_toml_reads_back_as_the_same_settings(tmp_path: Path) -> None:
    shop = shop_settings(tomllib.loads(_raw(SHOP, tmp_path).read_text()))
    assert ShopSettings(tomllib.loads(to_toml(shop))).sha256 == shop.sha256


def test_a_host_file_gets_the_pushed_settings_and_no_secret_it_does_not_need(
    tmp_path: Path,
) -> None:
    # Given settings pushed from the main host, and a worker host with only its own part
    pushed = _pushed_from(_raw(SHOP, tmp_path))
    host = _raw(HOST, tmp_path, "host.toml")

    # When a cpu worker loads its configuration (no LEONOV_FTP_PASSWORD on this host)
    loaded = load_host_config(host, lambda url: pushed, queues=("cpu",), check=True)

    # Then it has the shop's presses, bureaus and marks, and its own paths
    assert set(loaded.config.presses) == {"Speedmaster"}
    assert loaded.config.presses["Speedmaster"].sms == ("+380501112233",)  # [staff] travels
    assert loaded.config.outputters["Leonov"].dir_by_press == {"Speedmaster": "_1030x770"}
    assert "Press2" in loaded.config.marks
    assert loaded.config.paths.work_dir == Path("/srv/prepress/work")
    assert loaded.from_pushed and "version 1" in loaded.origin()


def test_an_io_worker_without_its_secrets_refuses_and_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pushed = _pushed_from(_raw(SHOP, tmp_path))
    host = _raw(HOST, tmp_path, "host.toml")
    monkeypatch.delenv("LEONOV_FTP_PASSWORD", raising=False)
    with pytest.raises(ConfigError) as refused:
        load_host_config(host, lambda url: pushed, queues=("io",), check=True)
    message = str(refused.value)
    assert "outputters.Leonov.password_env: environment variable 'LEONOV_FTP_PASSWORD'" in message
    assert "outputters.Korol.url: its password was written into the URL" in message
    assert "sms.password" in message and "--queues cpu" in message


def test_a_shop_file_that_differs_from_the_pushed_settings_refuses_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given pushed settings, and a host whose file has another gripper for the Speedmaster
    pushed = _pushed_from(_raw(SHOP, tmp_path))
    changed = {**SHOP, "presses.Speedmaster": {**SHOP["presses.Speedmaster"], "gripper_mm": 12}}
    stale = _raw(changed, tmp_path, "stale.toml")

    # When a worker starts with it, then it refuses, naming the section and the fixes
    with pytest.raises(ConfigError) as refused:
        load_host_config(stale, lambda url: pushed, queues=("cpu",), check=True)
    assert "[presses] differ from the shop's settings" in str(refused.value)
    assert "prepress config push" in str(refused.value)
    # And a command that takes no work still runs with it
    monkeypatch.setenv("LEONOV_FTP_PASSWORD", "x")
    assert (
        load_host_config(stale, lambda url: pushed).config.presses["Speedmaster"].gripper_mm == 12
    )


def test_a_single_host_needs_nothing_pushed(tmp_path: Path) -> None:
    single = {**SHOP, "celery": {"broker_url": "redis://127.0.0.1:6379/0"}}
    loaded = load_host_config(_raw(single, tmp_path), lambda url: None, queues=("cpu",), check=True)
    assert loaded.pushed is None and "nothing pushed" in loaded.origin()


def test_a_host_file_with_nothing_pushed_says_to_push(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run `prepress config push`"):
        load_host_config(_raw(HOST, tmp_path), lambda url: None, queues=("cpu",))


def test_sqlite_with_a_broker_on_another_host_is_refused(tmp_path: Path) -> None:
    shared = {**SHOP, "database": {"url": f"sqlite:///{tmp_path / 'p.db'}"}}
    with pytest.raises(ConfigError) as refused:
        load_host_config(_raw(shared, tmp_path), lambda url: None, queues=("cpu",), check=True)
    assert "[database] url is SQLite" in str(refused.value)
    assert "[celery] broker_url is on 10.0.0.1" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("redis://127.0.0.1:6379/0", True),
        ("redis://:pw@localhost/0", True),
        ("redis://[::1]:6379/0", True),
        ("embedded", True),
        ("redis://10.213.0.1:6379/0", False),
        ("redis://broker.example.lan/0", False),
    ],
)
def test_is_local_broker(url: str, local: bool) -> None:
    assert is_local_broker(url) is local


def test_parse_queues_knows_cpu_io_and_ops() -> None:
    assert parse_queues("io,ops") == ("io", "ops")
    with pytest.raises(ConfigError, match="unknown queue"):
        parse_queues("cpu,backup")
