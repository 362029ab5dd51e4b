"""ops/ansible: the playbook parses and lints, and what its templates produce actually works."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from pipeline.config import load_config
from tests.services import require

yaml = pytest.importorskip("yaml", reason="PyYAML comes with ansible-core (the test extra)")
jinja2 = pytest.importorskip("jinja2", reason="Jinja2 comes with ansible-core (the test extra)")
importlib.import_module("jinja2.nativetypes")

ANSIBLE = Path(__file__).resolve().parents[2] / "ops" / "ansible"
ROLE = ANSIBLE / "roles" / "prepress"
VENV_BIN = Path(sys.executable).parent
TRICKY_PASSWORD = 'p@ss/wo:rd "$(x)" `y` \\z'


def _tool(name: str) -> str:
    path = VENV_BIN / name
    require(
        path.exists(), f"{name} is missing: pip install -e '.[test]' (ansible-core, ansible-lint)"
    )
    return str(path)


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ANSIBLE / "ansible.cfg"),
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        ANSIBLE_LOCAL_TEMP=str(Path(os.environ.get("TMPDIR", "/tmp")) / "ansible-local"),
    )
    return subprocess.run(
        argv, cwd=ANSIBLE, env=env, capture_output=True, text=True, check=False, timeout=240
    )


def test_playbook_syntax_check_passes() -> None:
    result = _run([_tool("ansible-playbook"), "--syntax-check", "site.yml"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_lint_passes() -> None:
    result = _run([_tool("ansible-lint"), "--offline", "--nocolor"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_inventory_has_the_four_groups() -> None:
    result = _run([_tool("ansible-inventory"), "--list"])
    assert result.returncode == 0, result.stderr
    groups = json.loads(result.stdout)["all"]["children"]
    assert {"production", "staging", "backup", "workers"} <= set(groups)


def test_worker_hosts_get_the_nfs_mount_and_the_cpu_worker_only() -> None:
    # Given the playbook's plays; when the one for the workers group is read
    plays = yaml.safe_load((ANSIBLE / "site.yml").read_text(encoding="utf-8"))
    workers = next(play for play in plays if play["hosts"] == "workers")
    exports = next(play for play in plays if "nfs_server" in play["roles"])
    services = role_vars("workers")["prepress_services"]
    # Then it mounts the work folder and runs only the cpu worker; the main host exports it
    assert workers["roles"] == ["nfs_client", "prepress"]
    assert exports["hosts"] == "production"
    assert [s["args"] for s in services] == [["worker", "--queues", "cpu"]]


# --- rendering the role's templates as Ansible would ------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROLE / "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
    )  # as Ansible's template module
    # The Ansible filters the templates use.
    env.filters["to_json"] = json.dumps
    env.filters["bool"] = lambda value: str(value).lower() in {"1", "true", "yes", "on"}
    return env


def role_vars(group: str, **overrides: Any) -> dict[str, Any]:
    """The prepress role's variables for a host of ``group``, vault from the example file."""
    raw: dict[str, Any] = {}
    raw.update(_load(ROLE / "defaults" / "main.yml"))
    raw.update(_load(ANSIBLE / "inventory" / "group_vars" / "all" / "main.yml"))
    raw.update(_load(ANSIBLE / "inventory" / "group_vars" / "all" / "vault.example.yml"))
    raw.update(_load(ANSIBLE / "inventory" / "group_vars" / group / "main.yml"))
    raw.update(
        ansible_managed="Ansible managed", inventory_hostname=f"{group}.example.lan", **overrides
    )
    env = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
    for _ in range(5):  # resolve "{{ other_var }}" references, as Ansible does lazily
        raw = {
            key: env.from_string(value).render(raw)
            if isinstance(value, str) and "{{" in value
            else value
            for key, value in raw.items()
        }
    return raw


def render(template: str, variables: dict[str, Any]) -> str:
    return _environment().get_template(template).render(variables)


def test_generated_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # Given the five units rendered for production, with the virtualenv's prepress present
    systemd_analyze = shutil.which("systemd-analyze")
    if systemd_analyze is None:  # optional tooling: absent outside systemd hosts, even in CI
        pytest.skip("systemd-analyze is not installed")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "prepress").write_text("#!/bin/sh\n", encoding="ascii")
    (venv / "bin" / "prepress").chmod(0o755)
    variables = role_vars("production", prepress_venv=str(venv))
    units = []
    for service in variables["prepress_services"]:
        unit = tmp_path / f"prepress-{service['name']}.service"
        unit.write_text(
            render("prepress.service.j2", dict(variables, item=service)), encoding="utf-8"
        )
        units.append(unit)
    # When systemd verifies them
    result = subprocess.run(
        [systemd_analyze, "verify", *map(str, units)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    # Then it finds nothing wrong, and each unit runs its prepress subcommand
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    assert [u.name for u in units] == [
        "prepress-worker-cpu.service",
        "prepress-worker-io.service",
        "prepress-watcher.service",
        "prepress-beat.service",
        "prepress-flower.service",
    ]
    assert f"ExecStart={venv}/bin/prepress worker --queues cpu\n" in units[0].read_text()


def test_rendered_config_is_valid_and_secret_free(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given production's variables with a backup host and a tricky database password
    variables = role_vars(
        "production",
        vault_postgres_password=TRICKY_PASSWORD,
        prepress_backup_known_hosts="backup ssh-ed25519 AAAA",
    )
    # When prepress.toml and prepress.env are rendered and read the way systemd passes them
    toml = render("prepress.toml.j2", variables)
    env_file = render("prepress.env.j2", variables)
    environment = _parse_environment_file(env_file)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "prepress.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "prepress.toml").chmod(0o600)
    config = load_config(tmp_path / "prepress.toml")  # the one loader, as the services do
    # Then prepress accepts the configuration, the passwords come only from the environment
    assert TRICKY_PASSWORD not in toml and "change-me" not in toml
    assert set(config.presses) == {"Speedmaster", "Planeta", "Dominant"}
    assert config.outputters["Leonov"].dir_by_press["Dominant"] == "_ADAST"
    assert config.backup.enabled and config.backup.key_file == "/etc/prepress/backup_key"
    assert config.flower.password == "change-me" and config.flower.address == "0.0.0.0"
    assert unquote(urlsplit(config.database_url).password or "") == TRICKY_PASSWORD


def _parse_environment_file(text: str) -> dict[str, str]:
    """KEY="value" lines with \\" and \\\\ escapes, as systemd's EnvironmentFile= reads them."""
    found = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, quoted = line.partition("=")
        assert quoted.startswith('"') and quoted.endswith('"'), line
        found[name] = re.sub(r"\\(.)", r"\1", quoted[1:-1])
    return found


def test_staging_does_not_back_up_to_the_production_folder() -> None:
    toml = render("prepress.toml.j2", role_vars("staging"))
    import tomllib

    assert "host" not in tomllib.loads(toml)["backup"]


def test_worker_host_config_takes_the_pushed_shop_and_holds_no_io_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the main host's prepress.toml pushed, and a worker host's files as rendered
    import tomllib

    from pipeline.config.hosts import PushedSettings, load_host_config
    from pipeline.config.shared import shop_settings

    main = tomllib.loads(render("prepress.toml.j2", role_vars("production")))
    pushed = PushedSettings(shop_settings(main), 1, "ansible@main", "now", "prepress.toml")
    variables = role_vars("workers", vault_redis_password=TRICKY_PASSWORD)
    worker_toml = tmp_path / "prepress.toml"
    worker_toml.write_text(render("prepress-host.toml.j2", variables), encoding="utf-8")
    environment = _parse_environment_file(render("prepress.env.j2", variables))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    # When a cpu worker there loads its configuration, checked against the pushed settings
    host = load_host_config(worker_toml, lambda url: pushed, queues=("cpu",), check=True)

    # Then it has the shop's presses, the main host's broker with the vault's password, and
    # no FTP, SMS or Flower secret was written to the worker host
    assert set(host.config.presses) == {"Speedmaster", "Planeta", "Dominant"}
    assert urlsplit(host.config.broker_url).hostname == "192.0.2.10"
    assert unquote(urlsplit(host.config.broker_url).password or "") == TRICKY_PASSWORD
    assert set(environment) == {"PREPRESS_DATABASE_URL", "PREPRESS_BROKER_URL"}


def test_redis_asks_for_the_vault_password_on_the_private_address() -> None:
    variables = role_vars("production")
    redis_defaults = _load(ANSIBLE / "roles" / "redis" / "defaults" / "main.yml")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    resolved = {k: env.from_string(str(v)).render(variables) for k, v in redis_defaults.items()}
    template = (ANSIBLE / "roles" / "redis" / "templates" / "prepress.conf.j2").read_text()
    conf = env.from_string(template).render(variables, **resolved)
    assert "bind 127.0.0.1 192.0.2.10\n" in conf
    assert "requirepass change-me\n" in conf
