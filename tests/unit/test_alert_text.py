"""An alert names every job before any detail, fits its channel, and is never cut mid-word."""

from __future__ import annotations

import re

from pipeline.alerts import SMS_ALERT_LENGTH, Alert

#: A reason long enough to fill an SMS on its own.
LONG = "the ink PANTONE 185 C prints on page 2 but the colorant list has no plate for it " * 6


def test_every_job_is_named_before_a_long_detail() -> None:
    # Given two held jobs, the first with a reason longer than a whole SMS
    alert = Alert(
        "prepress: 2 job(s) held before the plate upload, waiting for a person:",
        ("0537 Technoyug_Flier (job 12)", "0538 Каталог_весна (job 13)"),
        (f"job 12: {LONG}", "job 13: duplicate: the same file as job 1"),
    )
    # When it is made to fit a 300-character SMS
    text = alert.text(300)
    # Then both jobs are named, the detail is cut between two words and says so
    assert len(text) <= 300
    assert "0537 Technoyug_Flier (job 12)" in text and "0538 Каталог_весна (job 13)" in text
    assert text.index("job 13)") < text.index("job 12:")
    last = text.splitlines()[-1]
    assert last.endswith("…") and LONG.startswith(last.removeprefix("job 12: ")[:-1] + " ")


def test_names_that_do_not_fit_are_counted_never_cut() -> None:
    # Given 40 rejected files with long names
    names = tuple(f"file_{n:03d}_with_a_rather_long_name.pdf (job {n})" for n in range(40))
    details = tuple(f"job {n}: not_pdf: it does not start with %PDF-" for n in range(40))
    alert = Alert("prepress: 40 file(s) rejected:", names, details)
    # When it is made to fit an SMS
    text = alert.text(SMS_ALERT_LENGTH)
    # Then it names whole names only, and counts the others exactly
    listed = [line for line in text.splitlines() if line.startswith("- ")]
    assert all(line[2:] in names for line in listed) and len(listed) >= 10
    more = re.search(r"^\.\.\. and (\d+) more$", text, re.M)
    assert more is not None and int(more.group(1)) == 40 - len(listed)
    assert len(text) <= SMS_ALERT_LENGTH
    # And the whole text (Telegram, the incident record) names them all
    assert all(name in str(alert) for name in names)


def test_a_queue_longer_than_listed_is_counted() -> None:
    alert = Alert("Leonov FTP failing — 60 jobs waiting:", ("a.pdf (job 1)",), (), unlisted=59)
    assert (
        alert.text(300) == "Leonov FTP failing — 60 jobs waiting:\n- a.pdf (job 1)\n... and 59 more"
    )


def test_names_are_escaped() -> None:
    text = Alert("prepress: 1 file(s) rejected:", ("a\nb\u202e.pdf (job 1)",)).text(300)
    assert text.splitlines()[1].startswith("- a\\nb")
