"""Plate accounting at the hold: held, rejected and duplicate jobs never count; an approved
duplicate is a remake, counted as its own job and shown apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from models.report import PlateRow
from pipeline.accounting import counted_jobs, summarize
from pipeline.config import config_from_dict
from tests.fixtures import BASE_CONFIG

#: A December day in the shop.
DEC = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def presses() -> dict:
    raw = json.loads(json.dumps(BASE_CONFIG))
    raw["presses"]["Speedmaster"]["plate_cost"] = 95.0
    return dict(config_from_dict(raw).presses)


def row(
    id: int,
    plates: int | None = 3,
    *,
    status: str = "done",
    mode: str = "normal",
    duplicate_of: int | None = None,
    remake: bool = False,
) -> PlateRow:
    return PlateRow(
        id, status, mode, DEC, "Speedmaster", "Korol", plates, None,
        duplicate_of=duplicate_of, remake=remake,
    )  # fmt: skip


def test_held_and_rejected_at_hold_jobs_never_count() -> None:
    # Given a counted job, a held one and one rejected at the hold
    rows = [row(1), row(2, status="held"), row(3, status="rejected")]
    # Then only the first counts
    assert [r.id for r in counted_jobs(rows)] == [1]


def test_a_duplicate_is_counted_once_not_twice() -> None:
    # Given the same file dropped twice (the second a duplicate nobody approved), even done
    # (import mode records duplicates without holding them)
    rows = [row(1), row(2, duplicate_of=1, mode="import")]
    # When the plates are counted
    report = summarize(rows, presses(), by=("outputter",)).as_dict()
    # Then the plates of the file count once
    assert report["totals"]["jobs"] == 1 and report["totals"]["plates"] == 3
    assert report["remakes"]["totals"]["jobs"] == 0


def test_an_approved_duplicate_is_a_remake_counted_twice_and_shown_apart() -> None:
    # Given the original and its duplicate approved as a remake
    rows = [row(1), row(2, duplicate_of=1, remake=True)]
    # When the plates are counted
    report = summarize(rows, presses(), by=("outputter",))
    data = report.as_dict()
    # Then both count, and the remake's jobs, plates and money are shown apart
    assert data["totals"] == {"jobs": 2, "plates": 6, "area_m2": 4.759, "cost": 570.0}
    assert data["remakes"]["totals"] == {"jobs": 1, "plates": 3, "area_m2": 2.379, "cost": 285.0}
    assert data["remakes"]["rows"][0]["outputter"] == "Korol"
    # and in the CSV
    assert report.as_csv().splitlines() == [
        "\ufeffoutputter;jobs;plates;area_m2;cost;remake_jobs;remake_plates;remake_cost",
        "Korol;2;6;4,759;570;1;3;285",
    ]


def test_a_remake_in_dry_run_never_counts() -> None:
    rows = [row(1, mode="dry-run", duplicate_of=7, remake=True)]
    assert counted_jobs(rows) == []


def test_rollup_keeps_the_remakes_apart() -> None:
    rows = [row(1), row(2, duplicate_of=1, remake=True)]
    both = summarize(rows, presses(), by=("press", "outputter"))
    by_press = both.rollup(("press",)).as_dict()
    assert by_press["remakes"]["rows"] == [
        {"press": "Speedmaster", "jobs": 1, "plates": 3, "area_m2": 2.379, "cost": 285.0}
    ]


def test_a_finding_is_marked_where_it_is_on_the_proof() -> None:
    from pipeline.hold import marker

    # Given a proof showing the paper 100..300 x 50..250 pt of the sheet
    crop = (100.0, 50.0, 300.0, 250.0)
    # Then a finding at its centre (200 pt = 70.556 mm, 150 pt = 52.917 mm) is in the middle
    assert marker((200 * 25.4 / 72, 150 * 25.4 / 72), crop) == (50.0, 50.0)
    # And one off the paper, or without a position or crop, is not marked
    assert marker((1.0, 1.0), crop) is None
    assert marker(None, crop) is None and marker((80.0, 60.0), None) is None
