"""The dashboard over HTTP (Flask's test client, a real SQLite database): logins, roles, CSRF,
filters, escaping, the report's JSON, and that no secret ever reaches a page or an answer."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from commands.cli import main
from models import steps, store
from models.db import migrate
from pipeline.config import Config, load_config
from testkit.shop import write_config
from tests.fixtures import BASE_CONFIG

#: Users of the dashboard in these tests, and their passwords (given by environment variable).
VIEWER, OPERATOR = ("vera", "viewer-pw-3141"), ("oleg", "operator-pw-2718")
#: Secrets configured besides the users': none may show up anywhere.
FTP_SECRET, SMS_SECRET, KEY_SECRET = (
    "ftp-pw-Leonov-77",
    "sms-pw-5150",
    "cookie-key-0451-kept-out-of-every-page-and-log",
)
#: A file name an unescaped page would turn into markup.
NASTY_NAME = '0601_<b id="x">Каталог</b> "A&B"_Leonov.pdf'
#: A day in the last 60 days, so the grid shows its jobs by default.
RECENT = datetime.now(UTC) - timedelta(days=2)


def web_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broker_url: str) -> Config:
    """The shop with two dashboard users, a bureau with an FTP password, an SMS password."""
    monkeypatch.setenv("WEB_VERA", VIEWER[1])
    monkeypatch.setenv("WEB_OLEG", OPERATOR[1])
    monkeypatch.setenv("WEB_KEY", KEY_SECRET)
    sections: dict[str, dict[str, Any]] = {
        "paths": {"work_dir": str(tmp_path / "work")},
        "database": {"url": f"sqlite:///{tmp_path / 'prepress.db'}"},
        "celery": {"broker_url": broker_url},
        "sms": {"login": "shop", "password": SMS_SECRET},
        "web": {"secret_key_env": "WEB_KEY"},
        "web.users.vera": {"role": "viewer", "password_env": "WEB_VERA"},
        "web.users.oleg": {"role": "operator", "password_env": "WEB_OLEG"},
    }
    for name, press in BASE_CONFIG["presses"].items():
        sections[f"presses.{name}"] = dict(press)
    sections["presses.Speedmaster"]["plate_cost"] = 95.0
    for name, outputter in BASE_CONFIG["outputters"].items():
        sections[f"outputters.{name}"] = dict(outputter)
    sections["outputters.Leonov"]["url"] = f"ftp://leonov:{FTP_SECRET}@127.0.0.1:2121/in"
    config = load_config(write_config(tmp_path / "prepress.toml", sections))
    config.paths.create()
    migrate(config.database_url)
    return config


def add_job(
    config: Config, name: str, *, status: str = "done", when: datetime = RECENT, **facts: Any
) -> int:
    """A job row as the pipeline leaves it."""
    url = config.database_url
    job = store.create_job(url, name, mode=facts.pop("mode", "normal"), job_date=when)
    assert job.id is not None
    note = facts.pop("plate_note", "")
    if note:
        steps.finish_step(url, job.id, "upload_plate", "done", note=note)
    store.update_job(url, job.id, status=status, **facts)
    return job.id


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str) -> Config:
    """A configured shop with a few jobs of every kind (on the test run's broker: a process
    uses one broker for its life)."""
    config = web_config(tmp_path, monkeypatch, redis_broker)
    flier = dict(press="Speedmaster", outputter="Leonov", plates=8, order="0537")
    add_job(config, "0537_Technoyug_Flier_Leonov.pdf", job_name="Technoyug_Flier", **flier)
    add_job(config, "0538_Flier_Korol.pdf", press="Planeta", outputter="Korol", plates=4)
    add_job(
        config,
        "0539_Catalog_Leonov.pdf",
        press="Speedmaster",
        outputter="Leonov",
        plates=12,
        mode="dry-run",
    )
    add_job(
        config,
        "0540_Broken_Leonov.pdf",
        status="failed",
        step="upload_plate",
        error="upload_plate failed: the FTP server is down",
        press="Speedmaster",
    )
    add_job(config, NASTY_NAME, press="Dominant", outputter="Leonov", plates=2)
    add_job(
        config,
        "0400_Old_Leonov.pdf",
        press="Speedmaster",
        outputter="Leonov",
        plates=6,
        when=RECENT - timedelta(days=200),
    )
    return config


@pytest.fixture
def client(shop: Config) -> Iterator[Any]:
    """A test client of the dashboard; the process's task configuration is let go after."""
    from tasks.app import use_config
    from web.app import create_app

    yield create_app(shop).test_client()
    use_config(None)


def login(client: Any, user: tuple[str, str]) -> Any:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/login", data={"username": user[0], "password": user[1], "csrf_token": token}
    )


def csrf_of(client: Any, path: str = "/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_healthz_answers_without_login(client: Any) -> None:
    assert client.get("/healthz").json == {"ok": True}


def test_pages_ask_for_a_login_and_the_form_has_its_fields(client: Any) -> None:
    # When an anonymous browser opens the grid
    answer = client.get("/?press=Speedmaster")

    # Then it is sent to the login form, which has the contract's fields
    assert answer.status_code == 302 and answer.location.startswith("/login?next=")
    form = client.get("/login").text
    assert 'name="username"' in form and 'name="password"' in form
    assert re.search(r'type="hidden" name="csrf_token" value="[^"]{20,}"', form)
    # And a wrong password is refused
    assert login(client, ("vera", "wrong")).status_code == 401
    assert client.get("/").status_code == 302


def test_api_needs_basic_auth_and_the_operator_role_for_changes(client: Any, shop: Config) -> None:
    # Without credentials, or with wrong ones: 401 with a Basic challenge
    anonymous = client.get("/api/jobs")
    assert anonymous.status_code == 401 and "Basic" in anonymous.headers["WWW-Authenticate"]
    assert client.get("/api/jobs", auth=("vera", "nope")).status_code == 401
    # A viewer reads but may not switch the mode
    assert client.get("/api/jobs", auth=VIEWER).status_code == 200
    refused = client.post("/api/mode", json={"mode": "dry-run"}, auth=VIEWER)
    assert refused.status_code == 403 and store.get_mode(shop.database_url) == "normal"
    # An operator may
    switched = client.post("/api/mode", json={"mode": "dry-run"}, auth=OPERATOR)
    assert switched.json == {"mode": "dry-run"}
    assert store.get_mode(shop.database_url) == "dry-run"


def test_a_form_without_the_csrf_token_is_refused(client: Any, shop: Config) -> None:
    # Given a logged-in operator
    assert login(client, OPERATOR).status_code == 302

    # When the mode form is posted without the token, then with a wrong one
    assert client.post("/mode", data={"mode": "import"}).status_code == 400
    assert client.post("/mode", data={"mode": "import", "csrf_token": "x"}).status_code == 400
    assert store.get_mode(shop.database_url) == "normal"

    # Then with the page's token it works, and every page shows the banner
    token = csrf_of(client)
    assert client.post("/mode", data={"mode": "import", "csrf_token": token}).status_code == 302
    assert store.get_mode(shop.database_url) == "import"
    for path in ("/", "/problems", "/reports", "/jobs/1"):
        assert 'id="mode-banner"' in client.get(path).text, path


def test_a_viewer_cannot_post_operator_forms(client: Any, shop: Config) -> None:
    login(client, VIEWER)
    token = csrf_of(client)
    assert client.post("/mode", data={"mode": "import", "csrf_token": token}).status_code == 403
    assert client.post("/jobs/4/retry", data={"csrf_token": token}).status_code == 403
    assert 'id="mode-select"' not in client.get("/").text
    assert store.get_mode(shop.database_url) == "normal"


def test_file_names_are_escaped_everywhere(client: Any) -> None:
    login(client, VIEWER)
    escaped = "0601_&lt;b id=&#34;x&#34;&gt;Каталог&lt;/b&gt; &#34;A&amp;B&#34;_Leonov.pdf"
    for path in ("/", "/jobs/5", "/print", "/?q=Каталог"):
        text = client.get(path).text
        assert escaped in text, path
        assert '<b id="x">' not in text and "A&B" not in text, path
    assert client.get("/api/jobs/5", auth=VIEWER).json["name"] == NASTY_NAME


def test_filters_match_words_exclude_minus_words_and_count_all(client: Any) -> None:
    def names(query: str) -> tuple[list[str], int]:
        answer = client.get(f"/api/jobs?{query}", auth=VIEWER).json
        return [job["name"] for job in answer["jobs"]], answer["total"]

    assert names("q=flier")[0] == ["0538_Flier_Korol.pdf", "0537_Technoyug_Flier_Leonov.pdf"]
    assert names("q=flier+-korol")[0] == ["0537_Technoyug_Flier_Leonov.pdf"]
    assert names("q=0537")[1] == 1 and names("q=Technoyug_Flier")[1] == 1  # order, job name
    assert names("press=Speedmaster")[1] == 4
    assert names("status=failed")[0] == ["0540_Broken_Leonov.pdf"]
    assert names("mode=dry-run")[0] == ["0539_Catalog_Leonov.pdf"]
    first_page, total = names("limit=2")
    assert len(first_page) == 2 and total == 6
    assert names("limit=2&offset=5") == (["0400_Old_Leonov.pdf"], 6)
    recent = (RECENT - timedelta(days=10)).date().isoformat()
    assert names(f"from={recent}")[1] == 5
    assert client.get("/api/jobs?from=yesterday", auth=VIEWER).status_code == 400


def test_the_grid_shows_the_last_60_days_with_counted_totals(client: Any) -> None:
    login(client, VIEWER)
    page = client.get("/").text
    assert "0537_Technoyug_Flier_Leonov.pdf" in page and "0400_Old_Leonov.pdf" not in page
    assert '<b id="total">5</b>' in page
    totals = page[page.index('id="totals"') :]
    # counted: 8 Speedmaster + 4 Planeta + 2 Dominant; the dry run and the failed job are not
    assert re.search(r"<th>Total</th><th class=\"num\">3</th><th class=\"num\">14</th>", totals)
    filtered = client.get("/?press=Speedmaster").text
    assert "0538_Flier_Korol.pdf" not in filtered and "0540_Broken_Leonov.pdf" in filtered


def test_api_report_is_the_cli_report(client: Any, shop: Config) -> None:
    # When the report is asked for over HTTP and on the command line
    over_http = client.get("/api/report?from=2000-01-01", auth=VIEWER).json
    result = CliRunner().invoke(
        main, ["--config", str(shop.source), "report", "--json"], env=_env(shop)
    )

    # Then both are the same, and they count done normal jobs once
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == over_http
    assert over_http["totals"]["plates"] == 8 + 4 + 2 + 6
    speedmaster = [r for r in over_http["rows"] if r["press"] == "Speedmaster"]
    assert sum(r["cost"] for r in speedmaster) == (8 + 6) * 95.0


def _env(config: Config) -> dict[str, str]:
    return {"PREPRESS_DATABASE_URL": config.database_url}


def test_report_cli_prints_csv_and_a_table_with_totals(shop: Config) -> None:
    args = ["--config", str(shop.source), "report", "--by", "press"]
    as_csv = CliRunner().invoke(main, [*args, "--csv"], env=_env(shop))
    table = CliRunner().invoke(main, args, env=_env(shop))
    header = "\ufeffpress;jobs;plates;area_m2;cost;remake_jobs;remake_plates;remake_cost"
    assert as_csv.output.splitlines()[0] == header
    assert "Speedmaster;2;14;11,103;1330;0;0;" in as_csv.output.splitlines()
    assert table.exit_code == 0 and re.search(r"total\s+4\s+20\s+", table.output)


def test_retry_of_a_done_job_is_409_with_the_reason(client: Any) -> None:
    answer = client.post("/api/jobs/1/retry", auth=OPERATOR)
    assert answer.status_code == 409 and "prepress reprocess 1" in answer.json["error"]
    assert client.post("/api/jobs/1/retry", auth=VIEWER).status_code == 403


def test_page_retry_of_a_job_retrying_by_itself_is_refused_with_the_clis_message(
    client: Any, shop: Config
) -> None:
    # Given a running job whose upload waits for its next automatic attempt
    url = shop.database_url
    job_id = add_job(shop, "0541_Waiting_Leonov.pdf", status="running", step="upload_plate")
    moment = datetime(2026, 12, 2, 23, 1, 2, tzinfo=UTC)
    steps.wait_step(
        url, job_id, "upload_plate", since=moment, error="ftp down", next_attempt=moment
    )
    # When the operator retries it from the page, the API and the CLI
    login(client, OPERATOR)
    token = csrf_of(client, f"/jobs/{job_id}")
    page = client.post(f"/jobs/{job_id}/retry", data={"csrf_token": token}, follow_redirects=True)
    answer = client.post(f"/api/jobs/{job_id}/retry", auth=OPERATOR)
    args = ["--config", str(shop.source), "retry", str(job_id)]
    cli = CliRunner().invoke(main, args, env=_env(shop))
    # Then all three refuse with the same message, and the page offers "retry now"
    said = f"job {job_id} is retrying by itself: upload_plate waiting since 23:01:02"
    assert cli.exit_code == 1 and said in cli.output, cli.output
    assert answer.status_code == 409 and said in answer.json["error"]
    assert said in page.text and 'id="retry-now"' in page.text
    assert "onsubmit" not in page.text and "try its waiting step now" in page.text  # confirm.js
    assert store.get_job(url, job_id).status == "running"


def test_retry_now_from_the_page_queues_the_waiting_step_at_once(client: Any, shop: Config) -> None:
    # Given a running job whose upload waits for its next automatic attempt
    job_id = add_job(shop, "0543_Now_Leonov.pdf", status="running", step="upload_plate")
    moment = datetime(2026, 12, 2, 23, 1, 2, tzinfo=UTC)
    steps.wait_step(
        shop.database_url, job_id, "upload_plate", since=moment, error="x", next_attempt=moment
    )
    # When the operator presses "Retry now"
    login(client, OPERATOR)
    token = csrf_of(client, f"/jobs/{job_id}")
    page = client.post(
        f"/jobs/{job_id}/retry-now", data={"csrf_token": token}, follow_redirects=True
    )
    # Then the step is queued now, as `prepress retry --now` says
    assert f"job {job_id}: upload_plate queued now (was upload_plate waiting since" in page.text


def test_show_json_and_the_api_give_the_same_job_record(client: Any, shop: Config) -> None:
    # Given a job with a delivered plate file
    job_id = add_job(shop, "0542_Record_Leonov.pdf", plate_note="sent", press="Planeta")
    # When it is asked for by ``prepress show --json`` and by the API
    args = ["--config", str(shop.source), "show", str(job_id), "--json"]
    shown = json.loads(CliRunner().invoke(main, args, env=_env(shop)).output)
    answer = client.get(f"/api/jobs/{job_id}", auth=VIEWER).json
    # Then both carry the same keys, for the job and for each step, and the same facts
    assert sorted(shown) == sorted(answer)
    assert [sorted(step) for step in shown["steps"]] == [sorted(step) for step in answer["steps"]]
    assert (shown["press"], answer["press"]) == ("Planeta", "Planeta")
    assert shown["steps"][0]["label"] == answer["steps"][0]["label"] == "check file"
    assert "spool_path" not in shown and "archive_path" not in answer


def test_previews_are_served_only_to_logged_in_users(client: Any, shop: Config) -> None:
    # Given a job with a thumbnail under previews/ and one pointing outside it
    thumb = Path(shop.paths.previews) / "1_thumb.png"
    thumb.write_bytes(b"\x89PNG fake")
    store.update_job(shop.database_url, 1, preview={"thumbnail": "previews/1_thumb.png"})
    store.update_job(shop.database_url, 2, preview={"thumbnail": "../prepress.toml"})

    # Then anonymous browsers are sent to log in, users get the file, nothing else is served
    assert client.get("/previews/1/thumbnail").status_code == 302
    login(client, VIEWER)
    with client.get("/previews/1/thumbnail") as served:
        assert served.data == b"\x89PNG fake"
    assert client.get("/previews/2/thumbnail").status_code == 404
    assert client.get("/previews/1/spool").status_code == 404
    assert 'src="/previews/1/thumbnail"' in client.get("/").text


def test_no_secret_reaches_a_page_or_an_answer(client: Any, shop: Config) -> None:
    # Given a delivery recorded with its target masked, as the pipeline records it
    store.record_delivery(
        shop.database_url,
        1,
        "plate",
        {
            "target": "ftp://leonov:***@127.0.0.1:2121/in",
            "remote_path": "in/a.pdf",
            "bytes": 10,
            "seconds": 0.1,
            "speed_mbps": 0.1,
        },
    )
    login(client, OPERATOR)
    pages = [
        "/",
        "/jobs/1",
        "/jobs/4",
        "/problems",
        "/reports",
        "/print",
        "/jobs.csv",
        "/reports.csv",
        "/login",
    ]
    answers = [client.get(path).get_data(as_text=True) for path in pages]
    answers += [
        client.get(p, auth=OPERATOR).get_data(as_text=True)
        for p in ("/api/jobs", "/api/jobs/1", "/api/report")
    ]
    for secret in (FTP_SECRET, SMS_SECRET, KEY_SECRET, VIEWER[1], OPERATOR[1]):
        assert not any(secret in text for text in answers), secret
    assert "ftp://leonov:***@" in answers[1]


def test_web_refuses_to_start_without_users_unless_local_and_insecure(tmp_path: Path) -> None:
    toml = tmp_path / "prepress.toml"
    toml.write_text(
        "[presses.Speedmaster]\nplate_mm = [1030, 770]\ngripper_mm = 10\n[outputters.Leonov]\n",
        encoding="utf-8",
    )
    for extra, said in (
        ([], "[web.users.NAME]"),
        (["--address", "0.0.0.0", "--insecure-local"], "use a loopback address"),
        (["--address", "192.168.1.5", "--insecure-local"], "use a loopback address"),
    ):
        result = CliRunner().invoke(main, ["--config", str(toml), "web", *extra])
        assert result.exit_code == 2 and said in result.output


def test_hash_password_makes_a_hash_that_logs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str
) -> None:
    # Given a hash made by `prepress web hash-password`
    made = CliRunner().invoke(main, ["web", "hash-password", "--password", "s3cret!"])
    assert made.exit_code == 0
    digest = made.output.strip().splitlines()[-1]
    # When a user is configured with it
    config = web_config(tmp_path, monkeypatch, redis_broker)
    users = dict(config.web.users)
    from dataclasses import replace

    from pipeline.config.settings import WebUser
    from web.app import create_app

    users["nina"] = WebUser("nina", "viewer", password_hash=digest)
    client = create_app(replace(config, web=replace(config.web, users=users))).test_client()
    # Then the password logs in over the API and the hash itself does not
    assert client.get("/api/jobs", auth=("nina", "s3cret!")).status_code == 200
    assert client.get("/api/jobs", auth=("nina", digest)).status_code == 401


def test_a_generated_secret_key_is_kept_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_broker: str
) -> None:
    from dataclasses import replace

    from web.app import SECRET_KEY_FILE, secret_key

    config = web_config(tmp_path, monkeypatch, redis_broker)
    config = replace(config, web=replace(config.web, secret_key=""))
    first = secret_key(config)
    path = Path(config.paths.var) / SECRET_KEY_FILE
    assert len(first) > 40 and secret_key(config) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_database_sums_agree_with_the_counting_rules(shop: Config) -> None:
    # Given a same-file reprocess of job 1, a remake of job 2 and a job without a plate count
    from models.report import JobFilter, plate_report, plate_rows
    from pipeline import accounting

    same = "leonov/_1030x770/a.pdf: already on the server with the same size, not sent again"
    add_job(
        shop,
        "0537_Technoyug_Flier_Leonov.pdf",
        press="Speedmaster",
        outputter="Leonov",
        plates=8,
        reprocess_of=1,
        plate_note=same,
    )
    add_job(
        shop,
        "0538_Flier_Korol.pdf",
        press="Planeta",
        outputter="Korol",
        plates=4,
        reprocess_of=2,
        plate_note="korol/b.pdf: 5000 bytes at 1.0 MB/s",
    )
    add_job(shop, "0700_Other_Leonov.pdf", press="Speedmaster", outputter="Leonov")

    # When the report is summed by the database and by the pure rules over the rows
    summed = plate_report(shop, JobFilter()).as_dict()
    rows, replaced = plate_rows(
        shop.database_url,
        JobFilter(),
        statuses=("done",),
        modes=accounting.COUNTED_MODES,
        same_file_note=accounting.SAME_FILE_NOTE,
    )
    by_rules = accounting.summarize(rows, shop.presses, replaced=replaced).as_dict()

    # Then both agree: job 1 is replaced, the remake counts, the unknown job is reported
    assert summed == by_rules
    assert summed["totals"]["jobs"] == 4 + 1 + 1 and summed["unknown_plates_jobs"] == 1
    assert summed["totals"]["plates"] == 8 + 4 + 2 + 6 + 4
