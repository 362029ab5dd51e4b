"""The dashboard against hostile clients, over real HTTP to a real server (waitress, as
``prepress web`` serves it): login throttling, sessions that end on the server, cross-site
changes, foreign host names, security headers, spreadsheet-safe CSV, ids past 64 bits."""

from __future__ import annotations

import csv
import io
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests

from commands.dashboard import server_options
from models import store
from pipeline.config import Config
from pipeline.errors import ConfigError
from tests.integration.test_web import (  # noqa: F401  (shop is a fixture)
    OPERATOR,
    VIEWER,
    add_job,
    shop,
)
from tests.services import free_port

#: A page of another site, as a browser names it in Origin.
EVIL = "http://evil.example"
#: Ids and offsets past what a 64-bit column holds.
HUGE = "99999999999999999999"


class Dashboard:
    """A dashboard served by waitress on a free loopback port in this process."""

    def __init__(self, config: Config, open_local: bool = False) -> None:
        import waitress

        from web.app import create_app

        self.app = create_app(config, open_local=open_local)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        options = server_options(config)
        self.server = waitress.create_server(self.app, host="127.0.0.1", port=self.port, **options)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Close every socket from the server's own loop (its trigger runs code there)."""
        channels = self.server._map  # noqa: SLF001

        def close_all() -> None:
            for channel in list(channels.values()):
                channel.close()

        self.server.trigger.pull_trigger(close_all)
        self.thread.join(10)
        self.server.task_dispatcher.shutdown()


@pytest.fixture
def serve(shop: Config) -> Iterator[Callable[..., Dashboard]]:  # noqa: F811
    """Start dashboards over ``shop`` (changed by the keyword arguments of ``[web]``)."""
    from tasks.app import use_config

    started: list[Dashboard] = []

    def start(open_local: bool = False, **web: Any) -> Dashboard:
        config = replace(shop, web=replace(shop.web, **web))
        started.append(Dashboard(config, open_local=open_local))
        return started[-1]

    yield start
    for dashboard in started:
        dashboard.close()
    use_config(None)


def token_of(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]


def form_login(browser: requests.Session, url: str, user: tuple[str, str]) -> requests.Response:
    token = token_of(browser.get(f"{url}/login").text)
    form = {"username": user[0], "password": user[1], "csrf_token": token}
    return browser.post(f"{url}/login", data=form, allow_redirects=False)


# --- throttling ------------------------------------------------------------------------------


def test_wrong_form_logins_are_slowed_then_refused_with_429(
    serve: Callable[..., Dashboard], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a dashboard
    url = serve().url
    browser = requests.Session()

    # When 8 wrong passwords are sent for one user
    started = time.monotonic()
    codes = [form_login(browser, url, ("oleg", f"guess-{n}")).status_code for n in range(8)]
    took = time.monotonic() - started

    # Then the first 5 are answered 401, slower and slower, the others 429 with Retry-After
    assert codes == [401] * 5 + [429] * 3
    assert took >= 0.2 + 0.4 + 0.8 + 1.6 + 2.0 - 0.1
    refused = form_login(browser, url, OPERATOR)  # the right password too, while locked
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 60
    # And the failures are logged with the name, never with the password
    assert "login failed for 'oleg' from 127.0.0.1 (5 failure(s))" in caplog.text
    assert "guess-" not in caplog.text and OPERATOR[1] not in caplog.text


def test_basic_auth_is_throttled_per_user_and_per_address(
    serve: Callable[..., Dashboard],
) -> None:
    # Given a dashboard behind one proxy (so the client address comes from X-Forwarded-For)
    url = serve(behind_proxy=1).url

    def api(user: tuple[str, str], address: str) -> requests.Response:
        headers = {"X-Forwarded-For": address}
        return requests.get(f"{url}/api/jobs", auth=user, headers=headers, timeout=10)

    # When one user's password is guessed from 6 addresses
    per_user = [api(("vera", f"x{n}"), f"10.0.0.{n}").status_code for n in range(6)]
    # And 6 user names are tried from one address
    per_address = [api((f"user{n}", "x"), "10.0.1.1").status_code for n in range(6)]

    # Then the sixth attempt is refused with 429 either way, as JSON
    assert per_user == [401] * 5 + [429] and per_address == [401] * 5 + [429]
    locked = api(VIEWER, "10.0.2.2")
    assert locked.status_code == 429 and "too many failed logins" in locked.json()["error"]
    # And another user from another address still gets in
    assert api(OPERATOR, "10.0.3.3").status_code == 200


def test_an_unknown_user_costs_as_long_as_a_known_one(
    serve: Callable[..., Dashboard],
    shop: Config,  # noqa: F811
) -> None:
    # Given users with a password hash and one with a password from a variable
    from werkzeug.security import generate_password_hash

    from pipeline.config.settings import WebUser

    users = dict(shop.web.users)
    for name in ("nina", "petro"):
        users[name] = WebUser(name, "viewer", password_hash=generate_password_hash(name * 3))
    url = serve(users=users, behind_proxy=1).url

    def seconds(name: str, address: str) -> float:
        started = time.perf_counter()
        answer = requests.get(
            f"{url}/api/jobs",
            auth=(name, "wrong"),
            headers={"X-Forwarded-For": address},
            timeout=10,
        )
        assert answer.status_code == 401
        return time.perf_counter() - started

    # When a wrong password is sent once for each, and for unknown names (each from its own
    # address, so every answer is a first failure)
    known = [seconds(n, f"10.1.0.{i}") for i, n in enumerate(("nina", "petro", "vera"))]
    unknown = [seconds(n, f"10.2.0.{i}") for i, n in enumerate(("nobody", "root", "admin"))]

    # Then both take as long: the difference is well below one hash check (unknown names
    # skipped the check before, and were answered faster by its whole cost)
    from werkzeug.security import check_password_hash

    started = time.perf_counter()
    check_password_hash(users["nina"].password_hash, "wrong")
    one_check = time.perf_counter() - started
    difference = abs(statistics.median(known) - statistics.median(unknown))
    assert difference < one_check / 2, (known, unknown, one_check)
    assert min(known + unknown) > 0.2


# --- sessions --------------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(serve: Callable[..., Dashboard]) -> None:
    # Given a logged-in browser whose cookie an attacker copied
    url = serve().url
    browser = requests.Session()
    before = token_of(browser.get(f"{url}/login").text)
    assert form_login(browser, url, VIEWER).status_code == 302
    saved = browser.cookies.get("prepress_session")
    assert browser.get(f"{url}/", allow_redirects=False).status_code == 200
    # And the CSRF token changed at login
    assert token_of(browser.get(f"{url}/").text) != before

    # When the user logs out
    token = token_of(browser.get(f"{url}/").text)
    browser.post(f"{url}/logout", data={"csrf_token": token}, allow_redirects=False)

    # Then the saved cookie no longer opens a page
    replay = requests.get(f"{url}/", cookies={"prepress_session": saved}, allow_redirects=False)
    assert replay.status_code == 302 and "/login" in replay.headers["Location"]


def test_a_session_ends_after_idle_time_and_after_its_lifetime(
    serve: Callable[..., Dashboard],
) -> None:
    # Given a dashboard whose logins end after 1.2 s idle, and one whose logins last 2.5 s
    idle = serve(idle_minutes=0.02).url
    short = serve(session_hours=2.5 / 3600).url

    # When a browser waits longer than the idle time
    browser = requests.Session()
    form_login(browser, idle, VIEWER)
    assert browser.get(f"{idle}/", allow_redirects=False).status_code == 200
    time.sleep(1.5)
    # Then it must log in again
    assert browser.get(f"{idle}/", allow_redirects=False).status_code == 302

    # When a browser keeps asking past the lifetime, it must log in again all the same
    browser = requests.Session()
    form_login(browser, short, VIEWER)
    codes = []
    for _ in range(8):
        codes.append(browser.get(f"{short}/rows", allow_redirects=False).status_code)
        time.sleep(0.5)
    assert codes[0] == 200 and codes[-1] == 302


def test_htmx_polling_after_the_end_of_a_session_loads_the_login_page(
    serve: Callable[..., Dashboard],
) -> None:
    url = serve().url
    answer = requests.get(f"{url}/rows", headers={"HX-Request": "true"}, allow_redirects=False)
    assert answer.status_code == 204 and answer.headers["HX-Redirect"] == "/login"


def test_a_short_secret_key_is_refused(shop: Config) -> None:  # noqa: F811
    from web.app import create_app

    weak = replace(shop, web=replace(shop.web, secret_key="short-key-0451"))
    with pytest.raises(ConfigError, match="shorter than 32 bytes.*token_urlsafe"):
        create_app(weak)


# --- cross-site requests and host names ------------------------------------------------------


def test_api_changes_from_another_site_are_refused(
    serve: Callable[..., Dashboard],
    shop: Config,  # noqa: F811
) -> None:
    url = serve().url

    def switch(**headers: str) -> requests.Response:
        return requests.post(
            f"{url}/api/mode", json={"mode": "import"}, auth=OPERATOR, headers=headers, timeout=10
        )

    # When a page of another site sends the change with the operator's credentials
    assert switch(Origin=EVIL).status_code == 403
    assert switch(Origin="null").status_code == 403
    assert switch(Referer=f"{EVIL}/page").status_code == 403
    reprocess = requests.post(
        f"{url}/api/jobs/1/reprocess", auth=OPERATOR, headers={"Origin": EVIL}, timeout=10
    )
    # Then nothing changed
    assert reprocess.status_code == 403 and "another site" in reprocess.json()["error"]
    assert store.get_mode(shop.database_url) == "normal"
    # And the dashboard's own pages and scripts without a browser still may
    assert switch(Origin=url).json() == {"mode": "import"}
    assert switch().json() == {"mode": "import"}


def test_a_form_from_another_site_is_refused_even_with_the_token(
    serve: Callable[..., Dashboard],
    shop: Config,  # noqa: F811
) -> None:
    url = serve().url
    browser = requests.Session()
    form_login(browser, url, OPERATOR)
    token = token_of(browser.get(f"{url}/").text)
    form = {"mode": "import", "csrf_token": token}
    forged = browser.post(f"{url}/mode", data=form, headers={"Origin": EVIL})
    assert forged.status_code == 403 and store.get_mode(shop.database_url) == "normal"
    own = browser.post(f"{url}/mode", data=form, headers={"Origin": url}, allow_redirects=False)
    assert own.status_code == 302 and store.get_mode(shop.database_url) == "import"


def test_without_users_only_this_machine_and_only_its_pages_may_change_things(
    serve: Callable[..., Dashboard],
    shop: Config,  # noqa: F811
) -> None:
    # Given the dashboard started with --insecure-local (no users)
    url = serve(open_local=True).url
    # When a page of another site posts a reprocess (each one sent an SMS again)
    forged = requests.post(f"{url}/api/jobs/1/reprocess", headers={"Origin": EVIL}, timeout=10)
    # Then it is refused and no job was added
    assert forged.status_code == 403
    assert requests.get(f"{url}/api/jobs", timeout=10).json()["total"] == 6
    assert requests.post(f"{url}/api/mode", json={"mode": "import"}, timeout=10).status_code == 200


def test_foreign_host_names_are_refused(serve: Callable[..., Dashboard]) -> None:
    # Given a dashboard that also answers to prepress.shop
    dashboard = serve(allowed_hosts=("prepress.shop",))

    def status(host: str) -> int:
        answer = requests.get(f"{dashboard.url}/login", headers={"Host": host}, timeout=10)
        return answer.status_code

    # Then a name pointed at this machine by another site's DNS is refused
    assert status("evil.example") == 400 and status(f"evil.example:{dashboard.port}") == 400
    # And IP addresses, localhost, this machine's name and the configured names are served
    import socket

    for host in ("127.0.0.1", f"localhost:{dashboard.port}", "prepress.shop", socket.gethostname()):
        assert status(host) == 200, host


# --- headers and cookies ---------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(serve: Callable[..., Dashboard]) -> None:
    url = serve().url
    browser = requests.Session()
    form_login(browser, url, OPERATOR)
    for path in ("/", "/jobs/1", "/problems", "/reports", "/print", "/static/style.css", "/nope"):
        answer = browser.get(f"{url}{path}")
        csp = answer.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", path
        assert answer.headers.get("Referrer-Policy") == "same-origin", path
        if answer.headers["Content-Type"].startswith("text/html"):
            assert not re.search(r"<script(?![^>]*\bsrc=)", answer.text), path
            assert not re.search(r"\son[a-z]+\s*=", answer.text), path
    api = requests.get(f"{url}/api/jobs", auth=VIEWER, timeout=10)
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_the_cookie_is_secure_behind_a_tls_proxy(serve: Callable[..., Dashboard]) -> None:
    # Given a dashboard behind one reverse proxy
    dashboard = serve(behind_proxy=1)

    def login_cookie(proto: str) -> str:
        headers = {"X-Forwarded-Proto": proto, "Origin": f"{proto}://127.0.0.1:{dashboard.port}"}
        page = requests.get(f"{dashboard.url}/login", headers=headers, timeout=10)
        form = {"username": VIEWER[0], "password": VIEWER[1], "csrf_token": token_of(page.text)}
        answer = requests.post(
            f"{dashboard.url}/login",
            data=form,
            headers=headers,
            cookies={"prepress_session": page.cookies["prepress_session"]},
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text
        return answer.headers["Set-Cookie"]

    # Then the cookie is Secure when the proxy says the browser came over TLS
    assert "Secure" in login_cookie("https")
    assert "Secure" not in login_cookie("http")


# --- CSV, ids, error answers -----------------------------------------------------------------


def test_csv_cells_never_start_a_formula(serve: Callable[..., Dashboard], shop: Config) -> None:  # noqa: F811
    # Given jobs whose name, press, bureau and error look like spreadsheet formulas
    formula = '=HYPERLINK("http://evil.example","click")'
    add_job(
        shop,
        formula,
        press="+Speedmaster",
        outputter="@Leonov",
        plates=3,
        status="failed",
        error="-2+3 cmd|' /C calc'!A0",
    )
    add_job(shop, "\tTab.pdf", press="=1+1", outputter="\rKorol", plates=5)
    url = serve().url
    browser = requests.Session()
    form_login(browser, url, VIEWER)

    # When the grid and the report are exported
    def excel(path: str) -> io.StringIO:  # the shop's CSV: BOM, ";" (pipeline/spreadsheet.py)
        return io.StringIO(browser.get(f"{url}{path}").content.decode("utf-8-sig"), newline="")

    grid = list(csv.DictReader(excel("/jobs.csv"), dialect="excel", delimiter=";"))
    year = time.localtime().tm_year
    report = list(csv.reader(excel(f"/reports.csv?year={year}"), "excel", delimiter=";"))

    # Then every such cell starts with a quote, and numbers stay numbers
    row = next(r for r in grid if r["name"].endswith('click")'))
    assert row["name"] == "'" + formula and row["press"] == "'+Speedmaster"
    assert row["outputter"] == "'@Leonov" and row["error"].startswith("'-2+3")
    assert row["plates"] == "3"
    tabbed = next(r for r in grid if r["name"].endswith("Tab.pdf"))
    assert tabbed["name"] == "'\tTab.pdf" and tabbed["outputter"] == "'\rKorol"
    cells = [cell for line in report for cell in line]
    assert "'=1+1" in cells and "'\rKorol" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_ids_and_offsets_past_64_bits_are_404_or_400(
    serve: Callable[..., Dashboard],
    shop: Config,  # noqa: F811
) -> None:
    url = serve().url
    browser = requests.Session()
    form_login(browser, url, OPERATOR)
    token = token_of(browser.get(f"{url}/").text)
    answers = {
        "page": browser.get(f"{url}/jobs/{HUGE}"),
        "preview": browser.get(f"{url}/previews/{HUGE}/thumbnail"),
        "form": browser.post(f"{url}/jobs/{HUGE}/retry", data={"csrf_token": token}),
        "api": requests.get(f"{url}/api/jobs/{HUGE}", auth=VIEWER, timeout=10),
        "api retry": requests.post(f"{url}/api/jobs/{HUGE}/retry", auth=OPERATOR, timeout=10),
        "offset": requests.get(f"{url}/api/jobs?offset={HUGE}", auth=VIEWER, timeout=10),
        "grid offset": browser.get(f"{url}/?offset={HUGE}&limit={HUGE}"),
        "far day": browser.get(f"{url}/?from=0001-01-01&to=9999-12-31"),
    }
    codes = {name: answer.status_code for name, answer in answers.items()}
    assert codes == {
        "page": 404,
        "preview": 404,
        "form": 404,
        "api": 404,
        "api retry": 404,
        "offset": 400,
        "grid offset": 400,
        "far day": 400,
    }
    assert answers["api"].json()["error"]
    for answer in answers.values():
        assert "Traceback" not in answer.text and str(shop.paths.work_dir) not in answer.text


def test_refusals_name_no_server_path(
    serve: Callable[..., Dashboard],
    shop: Config,  # noqa: F811
) -> None:
    # Given a job whose original was archived outside the work folder and is gone
    gone = Path("/srv/archive/prepress/2026/0537_Gone_Leonov.pdf")
    job = add_job(shop, gone.name, status="done", archive_path=str(gone))
    url = serve().url
    # When it is reprocessed over the API
    answer = requests.post(f"{url}/api/jobs/{job}/reprocess", auth=OPERATOR, timeout=10)
    # Then the reason names the file, not where it was kept
    assert answer.status_code == 409 and "0537_Gone_Leonov.pdf" in answer.json()["error"]
    assert "/srv/archive" not in answer.text


def test_odd_input_never_gives_a_500(serve: Callable[..., Dashboard]) -> None:
    # Given a logged-in operator and a script with credentials
    url = serve().url
    browser = requests.Session()
    form_login(browser, url, OPERATOR)
    token = token_of(browser.get(f"{url}/").text)
    long = "я" * 5000
    pages = [
        "/?q=%00&press=%00x",
        f"/?q={long}",
        "/?limit=-1&offset=-9",
        "/?limit=1e9",
        "/?from=2026-02-30",
        "/reports?year=-1",
        f"/reports?year={HUGE}",
        "/reports.csv?by=,,,",
        "/jobs.csv?to=9999-12-31",
        "/previews/1/%2e%2e",
        "/jobs/-1",
        "/jobs/1.5",
    ]
    apis = ["/api/jobs?q=%00", "/api/report?by=nope", "/api/jobs?limit=x", "/api/jobs/-1"]

    # When odd values are sent everywhere
    answers = [browser.get(f"{url}{path}") for path in pages]
    answers += [requests.get(f"{url}{path}", auth=VIEWER, timeout=10) for path in apis]
    answers += [
        requests.post(f"{url}/api/mode", data=b"\xff\xfe", auth=OPERATOR, timeout=10),
        requests.post(f"{url}/api/mode", json=["dry-run"], auth=OPERATOR, timeout=10),
        requests.put(f"{url}/api/mode", json={"mode": "x"}, auth=OPERATOR, timeout=10),
        browser.post(f"{url}/mode", data={"mode": long, "csrf_token": token}),
        browser.post(f"{url}/mode", data={"csrf_token": token, "x": "y" * (2 * 1024 * 1024)}),
    ]

    # Then every answer is a 2xx, 3xx or 4xx without a traceback
    for answer in answers:
        assert answer.status_code < 500, (answer.request.url[:80], answer.status_code)
        assert "Traceback" not in answer.text
