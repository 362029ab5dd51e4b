"""From request arguments to a job filter, and from job records to what pages and JSON show.

Nothing here decides anything about jobs; it reads query strings and shapes rows. Paths to
files on the server stay out of the answers: previews are offered as URLs of this app. JSON
answers write times and numbers as pipeline/json_values.py does (Flask would write RFC 822).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import url_for
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

from models import record
from models.job import Job, Step
from models.report import JobFilter
from pipeline.accounting import period
from pipeline.json_values import jsonable
from pipeline.text import shown

#: Days the grid shows when no date is given (the predecessor's default).
DEFAULT_DAYS = 60
#: Arguments of the grid and of ``/api/jobs`` that filter.
FILTER_KEYS = ("status", "press", "outputter", "mode", "q", "from", "to")


#: Command-line advice in stored messages, and what a page says instead (it has buttons).
PLAIN_WORDS = (
    (re.compile(r"\s*The file stays in spool/; fix the cause and run `prepress retry \d+`\.?"),
     " Fix the cause, then press Retry (done steps are not repeated)."),
    (re.compile(r"`prepress retry --now \d+` tries at once\.?"), "Retry tries at once."),
    (re.compile(r"`prepress retry(?: --now)? \d+`"), "Retry"),
    (re.compile(r"`prepress reprocess(?: \d+)?`"), "Reprocess"),
    (re.compile(r"`prepress jobs`"), "the job list"),
    (re.compile(r"/\S*/(?:spool|failed)/(?:\S*/)?([^/\s]+)"), r"\1"),
    (re.compile(r"(?<![\w/])spool/"), "the work folder"),
    (re.compile(r"(?<![\w/])failed/"), "the failed folder"),
    (re.compile(r"`([^`]*)`"), r"\1"),
)  # fmt: skip


def shown_on_page(value: Any) -> Any:
    """Every value a template writes, with control and bidi characters escaped as
    pipeline/text.py ``shown`` does (line breaks kept: pages lay them out); markup the
    templates made is left as it is."""
    if not isinstance(value, str) or isinstance(value, Markup):
        return value
    return "\n".join(shown(line) for line in value.split("\n"))


def plain_words(text: str | None) -> str:
    """A stored message as a web user reads it: no commands to type, no folder names."""
    plain = text or ""
    for pattern, words in PLAIN_WORDS:
        plain = pattern.sub(words, plain)
    return plain


def parse_day(text: str, key: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{key}={text!r}: use a date like 2026-12-01") from None


def filter_args(args: Mapping[str, str], default_days: int | None) -> dict[str, str]:
    """The filter arguments as given, with the default date range filled in."""
    # NUL is no character of a name and PostgreSQL refuses it in a query: drop it
    chosen = {key: (args.get(key) or "").replace("\x00", "").strip() for key in FILTER_KEYS}
    if default_days is not None and not chosen["from"] and not chosen["to"]:
        chosen["from"] = (date.today() - timedelta(days=default_days)).isoformat()
    return chosen


def date_presets(today: date) -> list[tuple[str, str, str]]:
    """(label, from, to) of the grid's date shortcuts, local days, both ends included."""
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    yesterday = today - timedelta(days=1)
    return [
        ("today", today.isoformat(), today.isoformat()),
        ("yesterday", yesterday.isoformat(), yesterday.isoformat()),
        ("this week", monday.isoformat(), today.isoformat()),
        ("this month", first.isoformat(), today.isoformat()),
        ("last month", last_month_end.replace(day=1).isoformat(), last_month_end.isoformat()),
    ]


def page_filter(
    chosen: dict[str, str], choices: Mapping[str, Sequence[str]]
) -> tuple[JobFilter, dict[str, str]]:
    """The grid's filter and what was wrong with its values ({key: message}).

    A page shows the form with a wrong value marked and filters by the other values, rather
    than answering 400 or an empty list: a mistyped date or a press that is not configured
    is the operator's to fix, and the rest of the filter still helps.
    """
    problems: dict[str, str] = {}
    usable = dict(chosen)
    for key in ("from", "to"):
        try:
            parse_day(chosen[key], key)
        except BadRequest:
            problems[key] = f"{chosen[key]!r} is not a date; use one like 2026-12-01"
            usable[key] = ""
    for key, allowed in choices.items():
        if chosen.get(key) and chosen[key] not in allowed:
            problems[key] = f"{chosen[key]!r} is not one of the {key} values; pick one"
            usable[key] = ""
    if usable["from"] and usable["to"] and usable["from"] > usable["to"]:
        problems["to"] = "the last day is before the first one"
        usable["to"] = ""
    return job_filter(usable), problems


def job_filter(chosen: Mapping[str, str]) -> JobFilter:
    try:
        start, end = period(parse_day(chosen["from"], "from"), parse_day(chosen["to"], "to"))
    except (OverflowError, ValueError):
        raise BadRequest("from and to are out of range; use dates like 2026-12-01") from None
    return JobFilter(
        status=chosen["status"],
        press=chosen["press"],
        outputter=chosen["outputter"],
        mode=chosen["mode"],
        q=chosen["q"],
        start=start,
        end=end,
    )


#: Largest limit or offset (the database's 64-bit integers).
MAX_NUMBER = 2**63 - 1


def paging(args: Mapping[str, str], default_limit: int = 50) -> tuple[int, int]:
    try:
        limit = int(args.get("limit") or default_limit)
        offset = int(args.get("offset") or 0)
    except ValueError:
        raise BadRequest("limit and offset must be whole numbers") from None
    if max(limit, offset) > MAX_NUMBER:
        raise BadRequest(f"limit and offset must be at most {MAX_NUMBER}")
    return max(0, limit), max(0, offset)


def preview_urls(job: Job) -> dict[str, str]:
    """URLs of the thumbnail and the proof, for jobs that have them."""
    preview = job.preview or {}
    return {
        kind: url_for("pages.preview", job_id=job.id, kind=kind)
        for kind in ("thumbnail", "proof")
        if preview.get(kind)
    }


#: Findings a page or an API answer lists per job (5,000 colorants make 5,000 findings); the
#: rest are counted ("and N more", ``findings_total``).
MAX_FINDINGS = 200


def job_dict(job: Job) -> dict[str, Any]:
    """A job as the API's list shows it: the record's job fields (models/record.py)."""
    return jsonable(capped(with_preview_urls(record.job_summary(job))))


def job_json(url: str, job_id: int) -> dict[str, Any]:
    """The job record as ``/api/jobs/<id>`` answers it (``prepress show --json``'s fields)."""
    return jsonable(capped(with_preview_urls(record.job_record(url, job_id))))


def capped(data: dict[str, Any]) -> dict[str, Any]:
    """The record with its first :data:`MAX_FINDINGS` findings (``findings_total`` counts
    them all)."""
    return {**data, "findings": (data.get("findings") or [])[:MAX_FINDINGS]}


def with_preview_urls(data: dict[str, Any]) -> dict[str, Any]:
    """The record with its preview kinds turned into URLs of this app."""
    kinds = data["previews"]
    urls = {k: url_for("pages.preview", job_id=data["id"], kind=k) for k in kinds}
    return {**data, "previews": urls}


def upload_state(steps: Mapping[str, Step], name: str) -> tuple[str, str]:
    """(state, detail) of an upload step for the grid; the detail is the tooltip."""
    step = steps.get(name)
    if step is None:
        return "", ""
    return step.state, step.error or step.note


def trouble(job: Job, steps: Mapping[str, Step]) -> str:
    """The row's colour class: which upload failed, or the job's own status."""
    if steps.get("upload_plate") is not None and steps["upload_plate"].state == "failed":
        return "bureau-failed"
    if steps.get("upload_preview") is not None and steps["upload_preview"].state == "failed":
        return "press-failed"
    return job.status


def separations_text(job: Job) -> str:
    """Separations (and ink coverage where known) per page, for the plates tooltip."""
    coverage = (job.preview or {}).get("ink_coverage") or {}
    lines = []
    for page, names in sorted((job.separations or {}).items(), key=lambda kv: int(kv[0])):
        line = f"p{page}: {', '.join(names)}"
        inks = coverage.get(str(page))
        if inks:
            line += " · " + " ".join(f"{ink} {value:.0f}%" for ink, value in inks.items())
        lines.append(line)
    return "\n".join(lines)


#: Upload cell of a job that never reaches the uploads (rejected, or not analysed).
NO_UPLOAD = ("none", "—")
#: Colour chip of each process ink; spot colours get a neutral chip with their name.
PROCESS_INKS = {"Cyan": "#00a0e0", "Magenta": "#e0007a", "Yellow": "#ffe600", "Black": "#1d1d1b"}


def inks(job: Job) -> list[dict[str, str]]:
    """The separations of page 1 (what the plates are) as chips: name and colour class."""
    pages = job.separations or {}
    first: list[Any] = pages.get("1") or next(iter(pages.values()), [])
    return [
        {"name": str(name), "kind": str(name).lower() if name in PROCESS_INKS else "spot"}
        for name in first
    ]


def grid_row(
    job: Job, steps: Mapping[str, Step], reprocessed_as: Sequence[int] = ()
) -> dict[str, Any]:
    """What one row of the grid shows (``reprocessed_as``: the jobs that redid this one)."""
    rejected = job.status == "rejected"
    return {
        "job": job,
        "trouble": trouble(job, steps),
        "bureau": NO_UPLOAD if rejected else upload_state(steps, "upload_plate"),
        "press_upload": NO_UPLOAD if rejected else upload_state(steps, "upload_preview"),
        "separations": separations_text(job),
        "previews": preview_urls(job),
        "inks": inks(job),
        "reprocessed_as": list(reprocessed_as),
    }


#: Actions the audit trail knows (the filter offers them before any was recorded).
AUDIT_ACTIONS = (
    "mode",
    "retry",
    "retry-all",
    "reprocess",
    "acknowledge",
    "approve",
    "reject",
    "config-push",
)


def audit_filter(args: Mapping[str, str]) -> tuple[dict[str, str], Any, dict[str, str]]:
    """The audit page's filter: what was asked, the query, and a message per bad field (the
    form shows them beside the fields instead of failing)."""
    from models.audit import AuditFilter
    from web.security import MAX_ID

    keys = ("action", "user", "job", "from", "to")
    chosen = {key: (args.get(key) or "").replace("\x00", "").strip() for key in keys}
    errors: dict[str, str] = {}
    job_id = None
    if chosen["job"]:
        # isdigit() is true for "²" and "٣", which int() refuses or reads as another number
        if chosen["job"].isascii() and chosen["job"].isdigit() and int(chosen["job"]) <= MAX_ID:
            job_id = int(chosen["job"])
        else:
            errors["job"] = "a job number, like 42"
    days = {}
    for key in ("from", "to"):
        try:
            days[key] = date.fromisoformat(chosen[key]) if chosen[key] else None
        except ValueError:
            errors[key] = "a date like 2026-12-01"
    start, end = None, None
    if not errors:
        try:
            start, end = period(days.get("from"), days.get("to"))
        except (OverflowError, ValueError):  # 0001-01-01 or 9999-12-31 in UTC
            errors["from" if days.get("from") else "to"] = "a date between 1900 and 9998"
    first, last = days.get("from"), days.get("to")
    if not errors and first is not None and last is not None and first > last:
        errors["to"] = "the last day is before the first one"
    where = AuditFilter(chosen["action"], chosen["user"], job_id, start, end)
    return chosen, where, errors


def shown_steps(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The record's steps with ``shown``, the state as the page says it: a rejected job's
    step where it stopped (the hold) is "rejected", the steps it never reached are "not run:
    rejected", not "pending" forever."""
    rejected = job["status"] == "rejected"
    shown = []
    for step in job["steps"]:
        state = step["state"]
        if rejected and state == "pending":
            state = "rejected" if step["name"] == job.get("step") else "not run: rejected"
        shown.append({**step, "shown": state})
    return shown


#: A queued or running job with no step activity for this long may have lost its chain: the
#: page offers Retry (right after an approval or a retry it does not: the job is moving).
QUIET_BEFORE_RETRY = timedelta(minutes=5)


def offers_retry(data: Mapping[str, Any], now: datetime) -> bool:
    """Whether the job page offers Retry: a failed job, or a queued/running one nothing has
    happened to for :data:`QUIET_BEFORE_RETRY` and that waits on no target."""
    from models.job import aware

    if data["status"] == "failed":
        return True
    if data["status"] not in ("queued", "running"):
        return False
    if any(step["state"] == "waiting" for step in data["steps"]):
        return False  # it retries by itself; Retry now is offered instead
    moments = [data.get("received_at"), data.get("decided_at")]
    moments += [step.get("started_at") for step in data["steps"]]
    moments += [a.get("ended_at") for a in data.get("attempts") or []]
    last = max((aware(m) for m in moments if m is not None), default=None)
    return last is None or now - last >= QUIET_BEFORE_RETRY
