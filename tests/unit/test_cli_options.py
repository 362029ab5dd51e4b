"""What a new admin meets first: options in both places, --version, -h, clean config errors,
quiet output, JSON on every command that prints a result, errors as JSON under --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import COMMANDS, main
from tests.fixtures import CLI_TOML, prepress

#: A shop with one press and one bureau, the work folder beside the file.


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "prepress.toml"
    path.write_text(CLI_TOML, encoding="utf-8")
    path.chmod(0o600)
    return path


def run(*args: str | Path, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], input=input)
    return result.exit_code, result.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_takes_config_and_h_after_its_name(name: str) -> None:
    # When any command's help is asked for with -h
    status, output = run(name, "-h")
    # Then it shows help listing --config
    assert status == 0, output
    assert "--config" in output and "-v, --verbose" in output


def test_config_after_the_subcommand_is_used(config_file: Path) -> None:
    # When the mode is asked with --config after the subcommand and in a group's subcommand
    status, output = run("mode", "--config", config_file)
    listed = run("backup", "list", "--config", config_file)
    # Then the file is read: the mode is printed; backup says what is (not) configured
    assert (status, output.strip()) == (0, "normal")
    assert "No such option" not in listed[1]


def test_version_and_short_help() -> None:
    assert run("--version") == (0, "prepress, version 0.1.0\n")
    status, output = run("-h")
    assert status == 0 and "Commands:" in output


def test_missing_config_from_environment_is_the_same_clean_error(tmp_path: Path) -> None:
    # Given a path to a file that does not exist
    missing = tmp_path / "nope.toml"
    # When it comes through $PREPRESS_CONFIG and through --config
    by_env = prepress("jobs", env={"PREPRESS_CONFIG": str(missing)})
    by_option = prepress("jobs", "--config", missing)
    # Then both say the same in one line and exit 2
    assert by_env.returncode == by_option.returncode == 2
    assert by_env.stderr == by_option.stderr
    assert by_env.stderr.count("\n") == 1 and "configuration file not found" in by_env.stderr


def test_commands_print_only_their_result(tmp_path: Path, config_file: Path) -> None:
    # Given a configuration with a password, readable by others
    config_file.write_text(CLI_TOML + 'url = "ftp://u:secret@127.0.0.1/"\n', encoding="utf-8")
    config_file.chmod(0o644)
    # When a command opens a new database
    listed = prepress("jobs", "--config", config_file)
    # Then it prints its result; no alembic lines; the warning once
    assert listed.returncode == 0 and listed.stdout == "no jobs\n"
    assert "alembic" not in listed.stderr
    assert listed.stderr.count("readable by group or others") == 1
    # And with -v the log lines show on the console
    verbose = prepress("jobs", "-v", "--config", config_file)
    assert "alembic" in verbose.stderr


def test_mode_and_errors_under_json(config_file: Path) -> None:
    # When the mode is set with --json, and a job that does not exist is shown with --json
    status, output = run("mode", "dry-run", "--json", "--config", config_file)
    missing_status, missing = run("show", "999", "--json", "--config", config_file)
    # Then both are JSON: the result, and the error with its exit status
    assert (status, json.loads(output)) == (0, {"mode": "dry-run"})
    error = json.loads(missing)
    assert missing_status == 1 and error["exit_status"] == 1 and "999" in error["error"]


def test_configuration_error_under_json_is_json(tmp_path: Path) -> None:
    status, output = run("jobs", "--json", "--config", tmp_path / "nope.toml")
    assert status == 2 and "configuration file not found" in json.loads(output)["error"]
