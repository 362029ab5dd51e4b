"""A bureau's invoice end to end: one line of each status on the CLI, the API and the page;
refusals that store nothing; the migration against the models on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from commands.cli import main
from models import store
from models.db import migrate
from pipeline.config import Config, config_from_dict, load_config
from pipeline.invoice.matching import STATUSES
from testkit.shop import write_config
from tests.fixtures import BASE_CONFIG

#: Dashboard users of these tests and their passwords (given by environment variable).
VIEWER, OPERATOR = ("vera", "viewer-pw-3141"), ("oleg", "operator-pw-2718")
#: Leonov's invoice columns, as in prepress.example.toml.
INVOICE_COLUMNS = {
    "date": "Дата",
    "file": "Файл",
    "format": "Формат",
    "plates": "Кількість",
    "price": "Ціна",
}
#: Leonov's price of a 1030x770 plate: 90, and 95 from 15 November.
PRICES = """
[[outputters.Leonov.prices]]
plate_mm = [1030, 770]
price = 90.0

[[outputters.Leonov.prices]]
plate_mm = [1030, 770]
price = 95.0
from = "2026-11-15"
"""
#: A bureau file name an unescaped page would run, and one a spreadsheet would evaluate.
SCRIPT_NAME = "<script>alert(1)</script>_Leonov.pdf"
FORMULA_NAME = "=cmd|' /C calc'!A0"


def day(n: int) -> datetime:
    """Noon of ``n`` November 2026 (UTC), a job's date."""
    return datetime(2026, 11, n, 12, 0, tzinfo=UTC)


def add_sent(config: Config, name: str, plates: int, when: datetime, **facts: Any) -> int:
    """A done job to Leonov whose plate file was delivered (``remote``: its remote name)."""
    url = config.database_url
    job = store.create_job(url, name, mode=facts.pop("mode", "normal"), job_date=when)
    assert job.id is not None
    remote = facts.pop("remote", name)
    facts = {"press": "Speedmaster", "outputter": "Leonov", **facts}
    store.update_job(url, job.id, status=facts.pop("status", "done"), plates=plates, **facts)
    if facts.get("mode", "normal") != "dry-run":
        store.record_delivery(
            url,
            job.id,
            "plate",
            {
                "target": "ftp://127.0.0.1:2121/in",
                "remote_path": f"/in/_1030x770/{remote}",
                "bytes": 1000,
                "seconds": 0.1,
                "speed_mbps": 1.0,
            },
        )
    return job.id


def sent_jobs(config: Config) -> dict[str, int]:
    """The jobs of November: one for each status an invoice line can get, a remake of one
    plate that no line bills, and jobs that never count (dry-run, failed, another bureau)."""
    flier = add_sent(config, "0601_Flier_Leonov.pdf", 4, day(16), order="0601")
    jobs = {
        "flier": flier,
        "catalog": add_sent(config, "0602_Catalog_Leonov.pdf", 8, day(17), order="0602"),
        "box": add_sent(config, "0603_Box_Leonov.pdf", 4, day(18), order="0603"),
        "remake": add_sent(
            config,
            "0601_Flier_Leonov.pdf",
            1,
            day(20),
            order="0601",
            remote="0601_Flier_Leonov_R1.pdf",
            remake=True,
            remake_of=flier,
            remake_number=1,
            remake_plates=[{"page": 1, "separation": "Cyan"}],
        ),
    }
    add_sent(config, "0604_Dry_Leonov.pdf", 4, day(19), mode="dry-run")
    add_sent(config, "0605_Failed_Leonov.pdf", 4, day(19), status="failed")
    add_sent(config, "0606_Korol.pdf", 4, day(19), outputter="Korol")
    return jobs


#: The invoice: matched, quantity_differs, price_differs, billed_twice, not_sent; the remake
#: (``_R1``) is billed by no line: not_billed.
INVOICE_ROWS = [
    ["Рахунок № 17 за листопад 2026", "", "", "", ""],
    ["Дата", "Файл", "Формат", "Кількість", "Ціна"],
    ["16.11.2026", "0601_Flier_Leonov.pdf", "1030x770", "4", "95,00"],
    ["17.11.2026", "0602_Catalog_Leonov.pdf", "1030x770", "10", "95,00"],
    ["18.11.2026", "0603_Box_Leonov.pdf", "1030x770", "4", "99,00"],
    ["19.11.2026", "0601_Flier_Leonov.pdf", "1030x770", "4", "95,00"],
    ["21.11.2026", "0999_Ghost_Leonov.pdf", "1030x770", "2", "95,00"],
    ["Разом", "", "", "24", "2288,00"],
]


def invoice_file(tmp_path: Path, rows: list[list[str]] = INVOICE_ROWS, name: str = "") -> Path:
    """The invoice as the bureau's Excel saves it: cp1251, ``;``, CRLF."""
    path = tmp_path / (name or "leonov-2026-11.csv")
    path.write_bytes("\r\n".join(";".join(row) for row in rows).encode("cp1251") + b"\r\n")
    return path


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str) -> Config:
    """The shop with Leonov's invoice columns and prices, two dashboard users, November's
    jobs (on the test run's broker: the dashboard configures its task sender)."""
    monkeypatch.setenv("WEB_VERA", VIEWER[1])
    monkeypatch.setenv("WEB_OLEG", OPERATOR[1])
    sections: dict[str, dict[str, Any]] = {
        "paths": {"work_dir": str(tmp_path / "work")},
        "database": {"url": f"sqlite:///{tmp_path / 'prepress.db'}"},
        "celery": {"broker_url": redis_broker},
        "web.users.vera": {"role": "viewer", "password_env": "WEB_VERA"},
        "web.users.oleg": {"role": "operator", "password_env": "WEB_OLEG"},
    }
    for name, press in BASE_CONFIG["presses"].items():
        sections[f"presses.{name}"] = dict(press)
    for name, outputter in BASE_CONFIG["outputters"].items():
        sections[f"outputters.{name}"] = dict(outputter)
    sections["outputters.Leonov.invoice"] = dict(INVOICE_COLUMNS)
    path = write_config(tmp_path / "prepress.toml", sections)
    path.write_text(path.read_text(encoding="utf-8") + PRICES, encoding="utf-8")
    config = load_config(path)
    config.paths.create()
    migrate(config.database_url)
    return config


def cli(config: Config, *args: str) -> Any:
    return CliRunner().invoke(main, ["--config", str(config.source), "invoice", *args])


def imported(config: Config, path: Path) -> dict[str, Any]:
    result = cli(config, "import", str(path), "--bureau", "Leonov", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_cli_gives_one_line_of_each_status(shop: Config, tmp_path: Path) -> None:
    # Given November's jobs and the bureau's invoice for November
    jobs = sent_jobs(shop)
    # When it is imported
    answer = imported(shop, invoice_file(tmp_path))
    # Then every status is there exactly once, each line with its job
    assert Counter(line["status"] for line in answer["lines"]) == Counter(STATUSES)
    by_status = {line["status"]: line for line in answer["lines"]}
    assert by_status["matched"]["job"] == by_status["billed_twice"]["job"] == jobs["flier"]
    assert by_status["quantity_differs"]["job"] == jobs["catalog"]
    assert by_status["price_differs"]["job"] == jobs["box"]
    assert by_status["not_sent"]["job"] is None and by_status["not_sent"]["line"] == 7
    assert by_status["not_billed"]["job"] == jobs["remake"]
    assert by_status["not_billed"]["ours"]["plates"] == 1
    assert answer["bureau"] == "Leonov"
    assert answer["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    # billed 4+10+4+4+2 plates; ours 4 + 8 + 4 + the remake's 1, at 95 each
    assert answer["totals"]["billed"] == 95 * 20 + 99 * 4
    assert answer["totals"]["ours"] == 95 * 17
    assert answer["totals"]["difference"] == 95 * 20 + 99 * 4 - 95 * 17
    # And the text form lists the differences first
    text = cli(shop, "show", str(answer["id"])).output
    rows = [row for row in text.splitlines() if re.match(r"\s*(\d+|-)\s+[a-z_]+\s", row)]
    assert [row.split()[1] for row in rows] == [*STATUSES[1:], "matched"]


def test_the_same_file_twice_is_refused(shop: Config, tmp_path: Path) -> None:
    sent_jobs(shop)
    path = invoice_file(tmp_path)
    first = imported(shop, path)
    again = cli(shop, "import", str(path), "--bureau", "Leonov", "--json")
    assert again.exit_code == 1
    assert f"imported already as invoice {first['id']}" in json.loads(again.output)["error"]
    assert json.loads(cli(shop, "list", "--json").output)["total"] == 1


def test_a_malformed_invoice_is_refused_whole(shop: Config, tmp_path: Path) -> None:
    # Given an invoice whose fifth line bills "4 шт" plates
    rows = [row[:] for row in INVOICE_ROWS]
    rows[4][3] = "4 шт."
    rows[5][3] = "x"
    result = cli(shop, "import", str(invoice_file(tmp_path, rows)), "--bureau", "Leonov")
    # Then the first bad line and column are named and nothing is stored
    assert result.exit_code == 1
    assert "line 6, column 'Кількість' (D)" in result.output
    assert "nothing was imported" in result.output
    assert json.loads(cli(shop, "list", "--json").output)["total"] == 0


def test_a_bureau_without_invoice_columns_is_a_configuration_error(
    shop: Config, tmp_path: Path
) -> None:
    result = cli(shop, "import", str(invoice_file(tmp_path)), "--bureau", "Korol")
    assert result.exit_code == 2
    assert "outputters.Korol.invoice" in result.output


@pytest.fixture
def client(shop: Config) -> Iterator[Any]:
    from tasks.app import use_config
    from web.app import create_app

    yield create_app(shop).test_client()
    use_config(None)


def login(client: Any, user: tuple[str, str]) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": user[0], "password": user[1], "csrf_token": token})


def test_api_and_page_give_the_same_statuses(client: Any, shop: Config, tmp_path: Path) -> None:
    sent_jobs(shop)
    answer = imported(shop, invoice_file(tmp_path))
    # The API, for a viewer
    auth = {"Authorization": "Basic " + _basic(VIEWER)}
    assert client.get("/api/invoices").status_code == 401
    listed = client.get("/api/invoices", headers=auth).get_json()
    assert listed["total"] == 1 and listed["invoices"][0]["counts"]["not_billed"] == 1
    one = client.get(f"/api/invoices/{answer['id']}", headers=auth).get_json()
    assert Counter(line["status"] for line in one["lines"]) == Counter(STATUSES)
    assert one["lines"] == answer["lines"] and one["totals"] == answer["totals"]
    assert client.get("/api/invoices/999", headers=auth).status_code == 404
    # The page, for a viewer
    login(client, VIEWER)
    page = client.get(f"/reports/invoices/{answer['id']}").text
    shown = re.findall(r'<tr class="invoice-line[^"]*" data-status="([a-z_]+)"', page)
    assert Counter(shown) == Counter(STATUSES)
    assert shown[-1] == "matched"
    listing = client.get("/reports/invoices").text
    assert "leonov-2026-11.csv" in listing and "not_sent 1" in listing
    assert 'id="invoices-link"' in client.get("/reports").text


def _basic(user: tuple[str, str]) -> str:
    import base64

    return base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


def test_hostile_cells_are_escaped_on_the_page_and_safe_in_the_csv(
    client: Any, shop: Config, tmp_path: Path
) -> None:
    # Given an invoice billing files named like markup and like a formula
    rows = [
        *INVOICE_ROWS[:2],
        ["16.11.2026", SCRIPT_NAME, "", "1", "95"],
        ["16.11.2026", FORMULA_NAME, "", "1", "95"],
    ]
    answer = imported(shop, invoice_file(tmp_path, rows, "<b>bold.csv"))
    login(client, VIEWER)
    page = client.get(f"/reports/invoices/{answer['id']}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>bold" not in client.get("/reports/invoices").text
    # And the CSV quotes the formula so a spreadsheet shows it as text
    exported = client.get(f"/reports/invoices/{answer['id']}.csv")
    assert exported.status_code == 200
    text = exported.data.decode("utf-8-sig")
    assert "'=cmd" in text and "\n=cmd" not in text and f"{';'}=cmd" not in text
    shown = cli(shop, "show", str(answer["id"]), "--csv").output.lstrip("\ufeff")
    assert shown == text.replace("\r\n", "\n")  # the runner gives lines with LF


def test_an_invoice_page_shows_a_bounded_page_of_lines(
    client: Any, shop: Config, tmp_path: Path
) -> None:
    # Given an invoice of 450 lines none of which we sent
    rows = [*INVOICE_ROWS[:2]]
    rows += [["16.11.2026", f"{n:04d}_X_Leonov.pdf", "", "1", "95"] for n in range(450)]
    answer = imported(shop, invoice_file(tmp_path, rows))
    login(client, VIEWER)
    # Then a page shows 200 of them and links the next
    page = client.get(f"/reports/invoices/{answer['id']}").text
    assert page.count('class="invoice-line') == 200 and 'id="next-page"' in page
    last = client.get(f"/reports/invoices/{answer['id']}?page=3").text
    assert last.count('class="invoice-line') == 50
    assert client.get(f"/reports/invoices/{answer['id']}?page=x").status_code == 400


def test_import_and_store_on_sqlite_and_postgresql(database_url: str, tmp_path: Path) -> None:
    from models.invoices import all_entries, import_invoice

    # Given the shop on this database, with November's jobs
    raw = dict(BASE_CONFIG, paths={"work_dir": str(tmp_path / "work")})
    raw["database"] = {"url": database_url}
    prices = [
        {"plate_mm": [1030, 770], "price": 90.0},
        {"plate_mm": [1030, 770], "price": 95.0, "from": "2026-11-15"},
    ]
    leonov = {"invoice": INVOICE_COLUMNS, "prices": prices}
    raw["outputters"] = {**BASE_CONFIG["outputters"], "Leonov": leonov}
    config = config_from_dict(raw, source=tmp_path / "prepress.toml")
    sent_jobs(config)
    data = invoice_file(tmp_path).read_bytes()
    # When the invoice is imported
    checked = import_invoice(config, "Leonov", data, "leonov.csv", "test")
    # Then every status is stored, the differences first
    stored = [entry.status for entry in all_entries(database_url, checked.id)]
    assert Counter(stored) == Counter(STATUSES) and stored[-1] == "matched"


def test_the_migration_makes_the_models_tables(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import models.invoice  # noqa: F401  (registers the tables)
    from models.db import engine_for

    with engine_for(database_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in differences if "invoice" in repr(d)] == []
