"""CSV files as the shop's Excel opens them: a byte order mark, the shop's separator and decimal
mark, local times to the second; the grid's cost, remake and decision columns; read back with
Python's csv module in Excel's dialect and checked byte by byte."""

from __future__ import annotations

import csv
import io
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import main
from models import store
from models.db import migrate, session
from models.export import GRID_COLUMNS, grid_csv
from models.job import Job
from pipeline.config import config_from_dict
from pipeline.config.shop import decimal_comma
from pipeline.errors import ConfigError
from pipeline.spreadsheet import BOM, CsvFormat
from tests.fixtures import BASE_CONFIG

ROOT = Path(__file__).parents[2]
#: 18:36:04.123456 UTC is 20:36:04 in Kyiv (EET, winter).
MOMENT = datetime(2026, 11, 5, 18, 36, 4, 123456, tzinfo=UTC)


@pytest.fixture
def kyiv(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Kyiv")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def excel_rows(data: bytes, separator: str = ";") -> list[list[str]]:
    """The file as Excel's dialect reads it (a ``sep=`` line, if any, skipped)."""
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    text = data[3:].decode("utf-8")
    if text.startswith("sep="):
        text = text.split("\r\n", 1)[1]
    return list(csv.reader(io.StringIO(text, newline=""), "excel", delimiter=separator))


def shop(tmp_path: Path, **shop_keys: str) -> dict:
    presses = {**BASE_CONFIG["presses"]}
    presses["Speedmaster"] = {**presses["Speedmaster"], "plate_cost": 95.5}
    return dict(
        BASE_CONFIG,
        presses=presses,
        paths={"work_dir": str(tmp_path / "work")},
        shop=shop_keys,
        database={"url": f"sqlite:///{tmp_path / 'prepress.db'}"},
    )


def test_the_default_is_semicolons_and_a_decimal_comma_for_uk_ua(tmp_path: Path) -> None:
    config = config_from_dict(shop(tmp_path))
    assert (config.csv_separator, config.locale) == (";", "uk_UA")
    assert CsvFormat.of(config) == CsvFormat(";", True)
    us = config_from_dict(shop(tmp_path, csv_separator=",", locale="en_US"))
    assert CsvFormat.of(us) == CsvFormat(",", False)


@pytest.mark.parametrize(
    ("locale", "comma"),
    [("uk_UA", True), ("ru_UA.UTF-8", True), ("de_DE", True), ("de_CH", False),
     ("en_US", False), ("en", False), ("pl-PL", True), ("ja_JP", False)],
)  # fmt: skip
def test_the_locale_decides_the_decimal_mark(locale: str, comma: bool) -> None:
    assert decimal_comma(locale) is comma


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        ({"csv_separator": ",", "locale": "uk_UA"}, "shop.csv_separator"),
        ({"csv_separator": "::"}, "shop.csv_separator"),
        ({"locale": "Ukrainian please"}, "shop.locale"),
    ],
)
def test_a_separator_that_would_split_numbers_is_refused(tmp_path: Path, keys, said) -> None:
    with pytest.raises(ConfigError, match=said):
        config_from_dict(shop(tmp_path, **keys))


def test_targets_probe_minutes_is_a_setting(tmp_path: Path) -> None:
    raw = shop(tmp_path)
    assert config_from_dict(raw).probe_minutes == 5
    assert config_from_dict({**raw, "targets": {"probe_minutes": 2}}).probe_minutes == 2
    with pytest.raises(ConfigError, match="targets.probe_minutes"):
        config_from_dict({**raw, "targets": {"probe_minutes": 0}})
    with pytest.raises(ConfigError, match="targets.every"):
        config_from_dict({**raw, "targets": {"every": 2}})


def test_the_watchdog_probes_idle_targets_as_often_as_set(tmp_path, monkeypatch) -> None:
    from tasks import targets
    from tasks.watchdog import Watchdog

    asked: list[float] = []
    monkeypatch.setattr(targets, "probe_idle", lambda config, every: asked.append(every) or [])
    config = config_from_dict({**shop(tmp_path), "targets": {"probe_minutes": 2}})
    Watchdog(config).probe_idle_targets()
    assert asked == [120.0]


def test_the_example_config_names_the_new_keys() -> None:
    example = tomllib.loads((ROOT / "prepress.example.toml").read_text(encoding="utf-8"))
    assert {"csv_separator", "locale"} <= set(example["shop"])
    assert "probe_minutes" in example["targets"]


def test_the_grid_csv_has_cost_remake_and_decision_in_local_time(tmp_path, kyiv) -> None:
    # Given a done job on Speedmaster (95.5 a plate), an approved duplicate (a remake), and a
    # rejected one whose name would start a formula
    config = config_from_dict(shop(tmp_path))
    migrate(config.database_url)
    url = config.database_url
    ids = []
    for name, fields in (
        ("0537_Каталог_Leonov.pdf", {"status": "done"}),
        ("0537_Каталог_Leonov.pdf", {"status": "done", "duplicate_of": 1, "remake": True,
                                     "decision": "approved", "decided_by": "vera",
                                     "decided_at": MOMENT, "decision_reason": "plate; scratched"}),
        ("=cmd|x.pdf", {"status": "rejected", "error": "-1+2"}),
    ):  # fmt: skip
        job = store.create_job(url, name)
        assert job.id is not None
        ids.append(job.id)
        store.update_job(url, job.id, press="Speedmaster", outputter="Leonov", plates=8,
                         job_date=MOMENT, **fields)  # fmt: skip
    with session(url) as db:
        jobs = [db.get(Job, i) for i in ids]
        data = grid_csv(config, jobs).encode("utf-8")  # type: ignore[arg-type]

    # Then the bytes: a byte order mark, ";" between cells, CRLF ends, no microseconds
    assert data.startswith(BOM.encode("utf-8") + b"id;job_date;")
    assert b"\r\n" in data and b".123456" not in data and b"+00:00" not in data
    rows = excel_rows(data)
    assert rows[0] == list(GRID_COLUMNS)
    done, remake, rejected = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    # local time to the second, the cost with a decimal comma, the remake and its decision
    assert done["job_date"] == "2026-11-05 20:36:04" and done["cost"] == "764"
    assert remake["remake"] == "yes" and remake["cost"] == "764"
    assert remake["decision"] == "approved" and remake["decided_by"] == "vera"
    assert remake["decided_at"] == "2026-11-05 20:36:04"
    assert remake["decision_reason"] == "plate; scratched"  # quoted, one cell
    # a job that bought nothing has no cost; formula-like text stays text
    assert rejected["cost"] == "" and rejected["name"] == "'=cmd|x.pdf"
    assert rejected["error"] == "'-1+2" and done["name"] == "0537_Каталог_Leonov.pdf"


def test_numbers_carry_the_shops_decimal_mark() -> None:
    comma = CsvFormat().document(["a", "b"], [[1.5, -2.25], [3, None]])
    assert comma == "\ufeffa;b\r\n1,5;-2,25\r\n3;\r\n"
    point = CsvFormat(",", False).document(["a"], [[1.5]])
    assert point == "\ufeffa\r\n1.5\r\n"


def test_report_csv_on_the_command_line_writes_the_bom(tmp_path: Path) -> None:
    # Given a shop with one counted job
    config = config_from_dict(shop(tmp_path))
    path = tmp_path / "prepress.toml"
    path.write_text(
        '[paths]\nwork_dir = "work"\n[celery]\nbroker_url = "embedded"\n'
        '[database]\nurl = "' + config.database_url + '"\n'
        "[presses.Speedmaster]\nplate_mm = [1030, 770]\ngripper_mm = 10\nplate_cost = 95.5\n"
        "[outputters.Leonov]\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    migrate(config.database_url)
    job = store.create_job(config.database_url, "0537_Flier_Leonov.pdf")
    assert job.id is not None
    store.update_job(config.database_url, job.id, status="done", press="Speedmaster",
                     outputter="Leonov", plates=8)  # fmt: skip
    # When the report is written as CSV
    result = CliRunner().invoke(main, ["report", "--by", "press", "--csv", "--config", str(path)])
    # Then it is the shop's CSV, byte order mark included
    assert result.exit_code == 0, result.output
    rows = excel_rows(result.stdout_bytes)
    assert rows[0][:3] == ["press", "jobs", "plates"]
    assert rows[1][:5] == ["Speedmaster", "1", "8", "6,345", "764"]
