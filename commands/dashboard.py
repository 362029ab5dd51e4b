"""The accountant's and the admin's commands: ``report``, ``status`` and ``web``."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click

from commands.cli import load_config_or_exit
from commands.output import checked_range, show_time

#: Address for which --insecure-local may start the dashboard without users.
LOCAL_ADDRESS = "127.0.0.1"
#: Threads of the dashboard's server (waitress).
WEB_THREADS = 8


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    from commands.output import checked_day

    return checked_day(value, param.opts[0]) if value else None


@click.command()
@click.option("--from", "first", callback=_day, help="First day, YYYY-MM-DD (local time).")
@click.option("--to", "last", callback=_day, help="Last day, YYYY-MM-DD, included.")
@click.option(
    "--by",
    default="month,press,outputter",
    show_default=True,
    help="Group by any of month, press, outputter.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header.")
@click.pass_context
def report(
    ctx: click.Context, first: date | None, last: date | None, by: str, as_json: bool, as_csv: bool
) -> None:
    """Plates, m2 and cost of counted jobs per month, press and CTP bureau."""
    from models.db import migrate
    from models.report import JobFilter, plate_report, remake_ledger
    from pipeline.accounting import parse_by, period

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    try:
        dimensions = parse_by(by)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--by") from None
    checked_range(first, last)
    config = load_config_or_exit(ctx)
    migrate(config.database_url)
    start, end = period(first, last)
    result = plate_report(config, JobFilter(start=start, end=end), dimensions)
    if as_csv:
        from pipeline.spreadsheet import CsvFormat

        click.echo(result.as_csv(CsvFormat.of(config)), nl=False)
    elif as_json:
        data = result.as_dict()
        data["currency"] = config.currency
        data["remake_ledger"] = remake_ledger(config, JobFilter(start=start, end=end))
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        click.echo(report_table(result.as_dict(), dimensions))
        ledger = remake_ledger(config, JobFilter(start=start, end=end))
        if ledger["totals"]["jobs"]:
            click.echo("\n" + ledger_table(ledger))
        if config.currency:
            click.echo(f"money in {config.currency}")


def report_table(data: dict[str, Any], by: tuple[str, ...]) -> str:
    """The report as an aligned text table with a totals line."""
    header = [*by, "jobs", "plates", "m2", "cost"]
    lines = [[*(str(row[key]) for key in by), *_figures(row)] for row in data["rows"]]
    lines.append(["total", *([""] * (len(by) - 1)), *_figures(data["totals"])])
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    numeric = set(range(len(by), len(header)))

    def render(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [render(header), render(["-" * w for w in widths])]
    out += [render(cells) for cells in lines[:-1]]
    out += [render(["-" * w for w in widths]), render(lines[-1])]
    if data["unknown_plates_jobs"]:
        out.append(
            f"{data['unknown_plates_jobs']} job(s) with an unknown plate count "
            "(not Signa files) are counted as jobs, not as plates"
        )
    remade = data.get("remakes", {}).get("totals", {})
    if remade.get("jobs"):
        cost = "" if remade["cost"] is None else f", cost {remade['cost']:.2f}"
        out.append(
            f"of these, remakes (plates made again, paid twice): {remade['jobs']} "
            f"job(s), {remade['plates']} plates{cost}"
        )
    return "\n".join(out)


def ledger_table(ledger: dict[str, Any]) -> str:
    """The remake ledger as text: per reason, press and bureau, jobs, plates, money and the
    rate of remade plates against first plates."""
    out = [f"remakes (first plates: {ledger['first_plates']})"]
    for name in ("reason", "press", "outputter"):
        for row in ledger[f"by_{name}"]:
            out.append(f"  {name:<9} {row[name]:<20} {_ledger_figures(row)}")
    out.append(f"  {'total':<30} {_ledger_figures(ledger['totals'])}")
    return "\n".join(out)


def _ledger_figures(row: dict[str, Any]) -> str:
    cost = "-" if row["cost"] is None else f"{row['cost']:.2f}"
    rate = "-" if row["rate"] is None else f"{row['rate'] * 100:.1f} %"
    return f"{row['jobs']:>5} jobs {row['plates']:>6} plates {cost:>10} {rate:>8}"


def _figures(row: dict[str, Any]) -> list[str]:
    area, cost = row["area_m2"], row["cost"]
    return [
        str(row["jobs"]),
        str(row["plates"]),
        "-" if area is None else f"{area:.3f}",
        "-" if cost is None else f"{cost:.2f}",
    ]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Is everything up? Broker, database, workers per queue, folders, disk, last backup.

    Exits 0 when healthy, 1 when not; answers within seconds even when peers are down.
    """
    from tasks.app import configure
    from tasks.health import collect

    config = load_config_or_exit(ctx)
    configure(config)
    health = collect(config)
    if as_json:
        click.echo(json.dumps(health.as_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(status_text(health))
    ctx.exit(0 if health.healthy else 1)


def status_text(health: Any) -> str:
    """The health as a few lines for people."""
    broker, database = health.broker, health.database
    lines = [
        f"broker     {broker['url']}: {'reachable' if broker['reachable'] else 'NOT reachable'}",
        f"database   {database['url']}: "
        + (
            "NOT reachable"
            if not database["reachable"]
            else "migrated"
            if database["migrated"]
            else "NOT migrated"
        ),
    ]
    for queue, facts in health.queues.items():
        lines.append(
            f"queue      {queue}: {facts.get('waiting', '?')} waiting, "
            f"{facts.get('workers', 0)} worker(s)"
        )
    for worker in health.workers:
        lines.append(f"worker     {worker['hostname']}: {', '.join(worker['queues'])}")
    hotfolder = health.hotfolder
    lines.append(f"hotfolder  {hotfolder['path']}: {hotfolder['waiting']} file(s) waiting")
    lines.append(f"spool      {health.spool_files} file(s) in process")
    if health.jobs_24h:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(health.jobs_24h.items()))
        lines.append(f"last 24 h  {counts}")
    lines.append(f"mode       {health.mode or 'unknown'}")
    if health.disk:
        lines.append(
            f"disk       {health.disk['free_gb']} GB free ({health.disk['free_percent']}%)"
        )
    backup = health.last_backup
    if backup:
        lines.append(f"backup     {backup['name']} at {backup['taken_at']}")
    else:
        configured = health.backup_configured
        lines.append(f"backup     {'none recorded' if configured else 'no backup host configured'}")
    if health.broker.get("url", "").startswith("embedded"):
        lines.append(f"running    {running_text(health)}")
    lines += [f"target     {target_text(target)}" for target in health.targets]
    lines += [f"PROBLEM    {problem}" for problem in health.problems]
    lines.append("healthy" if health.healthy else "NOT healthy")
    return "\n".join(lines)


def running_text(health: Any) -> str:
    """What runs on an embedded broker's work folder."""
    parts = [f"prepress {role}" for role in health.running]
    parts += [f"worker {w['hostname']}" for w in health.workers]
    return ", ".join(parts) if parts else "nothing is running (start `prepress up`)"


def target_text(target: dict[str, Any]) -> str:
    """One target's line: ``Leonov FTP (ftp://host:21): FAILING since ...``."""
    head = f"{target['label']} ({target['where']}): "
    if target["state"] == "unknown":
        return head + "unknown (not used yet)"
    if target["state"] == "ok":
        return head + f"ok (last success {_when(target['last_ok_at'])})"
    text = head + f"FAILING since {_when(target['failing_since'])}"
    if target.get("last_tried_at"):  # a probe or a job's attempt: how fresh the state is
        text += f", last tried {_when(target['last_tried_at'])}"
    if target["jobs_waiting"]:
        text += f", {target['jobs_waiting']} job(s) waiting"
    if target["next_attempt_at"]:
        text += f", next attempt {_when(target['next_attempt_at'])}"
    return text + (f": {target['last_error']}" if target["last_error"] else "")


def _when(stamp: str | None) -> str:
    from datetime import datetime

    return show_time(datetime.fromisoformat(stamp) if stamp else None)


@click.group(invoke_without_command=True)
@click.option("--address", default=None, help="Address to listen on (default: [web] address).")
@click.option("--port", type=int, default=None, help="Port (default: [web] port, 8080).")
@click.option(
    "--insecure-local",
    is_flag=True,
    help="Allow starting without [web.users]; binds to 127.0.0.1 (loopback only).",
)
@click.pass_context
def web(ctx: click.Context, address: str | None, port: int | None, insecure_local: bool) -> None:
    """Serve the dashboard: job grid, job pages, problems, reports, the mode switch."""
    if ctx.invoked_subcommand is not None:
        return
    from pipeline.config import require_web_passwords
    from pipeline.errors import ConfigError

    config = load_config_or_exit(ctx)
    if insecure_local:
        address = address or LOCAL_ADDRESS
        if not _loopback(address):
            raise click.BadParameter(
                f"{address!r}: --insecure-local serves only this machine; use a loopback "
                f"address such as {LOCAL_ADDRESS}",
                param_hint="--address",
            )
    try:
        require_web_passwords(config.web, config.source)  # only the dashboard needs them
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        ctx.exit(2)
    address = address or config.web.address
    port = config.web.port if port is None else port
    if not config.web.users and not (insecure_local and _loopback(address)):
        click.echo(
            f"configuration error: {config.source}: the dashboard needs users: add "
            "[web.users.NAME] with role and password_env or password_hash (see "
            "`prepress web hash-password`); without them it only starts on "
            f"{LOCAL_ADDRESS} with --insecure-local.",
            err=True,
        )
        ctx.exit(2)
    serve(config, address, port, open_local=not config.web.users)


def serve(config: Any, address: str, port: int, open_local: bool) -> None:
    """Migrate, build the app and serve it with waitress until stopped."""
    import waitress

    from models.db import migrate
    from pipeline.errors import ConfigError
    from web.app import create_app

    config.paths.create()
    migrate(config.database_url)
    try:
        app = create_app(config, open_local=open_local)
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(
        f"prepress web: http://{address}:{port}/"
        + (" (no users: open to this machine only)" if open_local else "")
    )
    try:
        server = waitress.create_server(app, host=address, port=port, **server_options(config))
    except OSError as exc:  # the port is taken, or the address is not this host's
        click.echo(
            f"prepress web: cannot listen on {address}:{port}: {exc.strerror or exc}; "
            "stop what uses it or set [web] port / --port",
            err=True,
        )
        raise SystemExit(1) from None
    server.run()


def server_options(config: Any) -> dict[str, Any]:
    """waitress's options: behind a proxy it passes X-Forwarded-* on to the app (ProxyFix
    there trusts as many proxies as ``[web] behind_proxy`` says), else it drops them."""
    return {
        "threads": WEB_THREADS,
        "ident": "prepress",
        "clear_untrusted_proxy_headers": not config.web.behind_proxy,
    }


def _loopback(address: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


@web.command("hash-password")
@click.password_option("--password", prompt="Password", help="Prompted when not given.")
def hash_password(password: str) -> None:
    """Print a password_hash for a [web.users.NAME] table."""
    from werkzeug.security import generate_password_hash

    click.echo(generate_password_hash(password))
