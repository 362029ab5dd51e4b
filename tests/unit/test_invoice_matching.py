"""Invoice lines against the jobs we sent: every status, remakes, prices that change by date."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.config import config_from_dict
from pipeline.invoice.lines import InvoiceLine
from pipeline.invoice.matching import (
    BILLED_TWICE,
    MATCHED,
    NOT_BILLED,
    NOT_SENT,
    PRICE_DIFFERS,
    QUANTITY_DIFFERS,
    SentJob,
    file_key,
    match_lines,
    order_key,
    our_price,
)
from tests.fixtures import BASE_CONFIG

DAY = date(2026, 12, 3)


def line(
    number: int, file: str = "", plates: int = 4, price: float | None = 95.0, **kw
) -> InvoiceLine:
    return InvoiceLine(
        line=number,
        day=kw.get("day", DAY),
        file=file,
        order=kw.get("order", ""),
        format="1030x770",
        plates=plates,
        price=price,
    )


def job(job_id: int, name: str, plates: int | None = 4, **kw) -> SentJob:
    return SentJob(
        id=job_id,
        day=kw.get("day", DAY),
        order=kw.get("order", ""),
        names=(name,),
        plates=plates,
        price=kw.get("price", 95.0),
        remake_number=kw.get("remake_number"),
    )


def statuses(outcome) -> list[tuple[int | None, str, int | None]]:
    return [
        (m.line.line if m.line else None, m.status, m.job.id if m.job else None)
        for m in outcome.matches
    ]


def test_one_line_of_each_status() -> None:
    # Given five jobs we sent and an invoice billing them in every way a bureau gets it wrong
    jobs = [
        job(1, "0537_Flier_Leonov.pdf"),
        job(2, "0538_Catalog_Leonov.pdf", plates=8),
        job(3, "0539_Box_Leonov.pdf", plates=4),
        job(4, "0540_Card_Leonov.pdf"),
        job(5, "0541_Poster_Leonov.pdf", day=date(2026, 12, 2)),
    ]
    lines = [
        line(2, "0537_Flier_Leonov.pdf"),
        line(3, "0538_Catalog_Leonov.pdf", plates=10),
        line(4, "0539_Box_Leonov.pdf", price=99.0),
        line(5, "0540_Card_Leonov.pdf"),
        line(6, "0540_Card_Leonov.pdf"),
        line(7, "0999_Never_Leonov.pdf"),
    ]
    # When they are matched
    outcome = match_lines(lines, jobs, window_days=7)
    # Then each line has its status and the unbilled job is found
    assert statuses(outcome) == [
        (2, MATCHED, 1),
        (3, QUANTITY_DIFFERS, 2),
        (4, PRICE_DIFFERS, 3),
        (5, MATCHED, 4),
        (6, BILLED_TWICE, 4),
        (7, NOT_SENT, None),
        (None, NOT_BILLED, 5),
    ]
    assert outcome.counts() == {
        MATCHED: 2,
        QUANTITY_DIFFERS: 1,
        PRICE_DIFFERS: 1,
        BILLED_TWICE: 1,
        NOT_SENT: 1,
        NOT_BILLED: 1,
    }


def test_totals_count_a_job_billed_twice_once_on_our_side() -> None:
    jobs = [job(1, "a.pdf", plates=2, price=100.0)]
    outcome = match_lines([line(2, "a.pdf", 2, 100.0), line(3, "a.pdf", 2, 100.0)], jobs, 7)
    totals = outcome.totals()
    assert (totals["billed"], totals["ours"], totals["difference"]) == (400.0, 200.0, 200.0)
    assert totals["plates"] == {"billed": 4, "ours": 2, "difference": 2}


def test_a_job_outside_the_date_window_is_not_billed_by_the_line() -> None:
    # Given a job of 20 November and a line of 3 December, 7 days allowed
    jobs = [job(1, "a.pdf", day=date(2026, 11, 20))]
    outcome = match_lines([line(2, "a.pdf")], jobs, window_days=7)
    assert statuses(outcome) == [(2, NOT_SENT, None)]
    # When the window is wide enough, it matches
    assert statuses(match_lines([line(2, "a.pdf")], jobs, window_days=14)) == [(2, MATCHED, 1)]


def test_remote_names_of_remakes_match_their_own_jobs() -> None:
    # Given the first plates (4) and a remake of one plate under _R1
    jobs = [
        job(1, "0537_Flier_Leonov.pdf", plates=4),
        job(2, "0537_Flier_Leonov_R1.pdf", plates=1, remake_number=1),
    ]
    lines = [line(2, "0537_Flier_Leonov_R1.PDF", plates=1), line(3, "0537_Flier_Leonov", 4)]
    assert statuses(match_lines(lines, jobs, 7)) == [(2, MATCHED, 2), (3, MATCHED, 1)]


def test_a_partial_remake_billed_as_the_whole_file_differs_in_quantity() -> None:
    jobs = [job(2, "0537_Flier_Leonov_R1.pdf", plates=1, remake_number=1)]
    outcome = match_lines([line(2, "0537_Flier_Leonov_R1.pdf", plates=4)], jobs, 7)
    assert statuses(outcome) == [(2, QUANTITY_DIFFERS, 2)]


def test_order_numbers_match_first_plates_and_remakes_by_their_plates() -> None:
    # Given order 0537: first plates 4, remake R1 of 1 plate; Excel dropped the leading zero
    jobs = [
        job(1, "0537_Flier_Leonov.pdf", plates=4, order="0537"),
        job(2, "0537_Flier_Leonov_R1.pdf", plates=1, order="0537", remake_number=1),
    ]
    # When the remake is billed first, under the plain order number
    lines = [line(2, order="537", plates=1), line(3, order="0537", plates=4)]
    # Then each line takes the job with its plates, whatever the lines' order
    assert statuses(match_lines(lines, jobs, 7)) == [(2, MATCHED, 2), (3, MATCHED, 1)]
    # And an order with the remake's number bills only that remake
    only = match_lines([line(2, order="0537_R1", plates=1)], jobs, 7)
    assert statuses(only) == [(2, MATCHED, 2), (None, NOT_BILLED, 1)]


def test_a_third_line_for_an_order_of_two_jobs_is_billed_twice() -> None:
    jobs = [job(1, "x.pdf", order="0537"), job(2, "y.pdf", order="0537", plates=1)]
    lines = [line(2, order="0537"), line(3, order="0537", plates=1), line(4, order="0537")]
    assert [s for _, s, _ in statuses(match_lines(lines, jobs, 7))] == [
        MATCHED,
        MATCHED,
        BILLED_TWICE,
    ]


def test_not_billed_covers_the_months_of_the_lines_or_the_days_given() -> None:
    # Given jobs of 30 November, 5 and 31 December, and lines of 1 and 10 December
    days = (date(2026, 11, 30), date(2026, 12, 5), date(2026, 12, 31))
    jobs = [job(n, f"{n}.pdf", day=day) for n, day in enumerate(days, start=1)]
    lines = [line(2, "c.pdf", day=date(2026, 12, 1)), line(3, "d.pdf", day=date(2026, 12, 10))]
    # Then December's jobs are not billed, November's is not this invoice's
    outcome = match_lines(lines, jobs, 0)
    assert (outcome.first, outcome.last) == (date(2026, 12, 1), date(2026, 12, 31))
    assert [j for _, s, j in statuses(outcome) if s == NOT_BILLED] == [2, 3]
    # And days given take the place of the months
    given = match_lines(lines, jobs, 0, (date(2026, 11, 28), date(2026, 12, 27)))
    assert [j for _, s, j in statuses(given) if s == NOT_BILLED] == [1, 2]


def test_unknown_prices_are_not_compared_and_leave_money_unknown() -> None:
    outcome = match_lines([line(2, "a.pdf", price=None)], [job(1, "a.pdf", price=None)], 7)
    assert statuses(outcome) == [(2, MATCHED, 1)]
    assert outcome.totals()["billed"] is None and outcome.totals()["difference"] is None


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("_1030x770/0537_Flier_Leonov.pdf", "0537_flier_leonov"),
        ("C:\\jobs\\0537_Flier_Leonov.PDF ", "0537_flier_leonov"),
        ("Каталог_R2.pdf", "каталог_r2"),
        (".pdf", ".pdf"),
    ],
)
def test_file_keys_ignore_folders_case_and_the_extension(name: str, key: str) -> None:
    assert file_key(name) == key


@pytest.mark.parametrize(
    ("order", "key"),
    [
        ("0537", ("537", None)),
        ("537", ("537", None)),
        ("0537_R1", ("537", 1)),
        ("0537-r2", ("537", 2)),
        ("0537R3", ("537", 3)),
        ("abr12", ("abr12", None)),
        ("000", ("0", None)),
    ],
)
def test_order_keys(order: str, key: tuple[str, int | None]) -> None:
    assert order_key(order) == key


def test_our_price_follows_the_bureaus_price_by_date_then_the_press(tmp_path) -> None:
    # Given Leonov's 1030x770 plate at 90, and at 95 from 2026-12-01; Planeta's plate_cost 70
    raw = {
        "presses": {
            **BASE_CONFIG["presses"],
            "Planeta": {"plate_mm": [1010, 820], "gripper_mm": 10, "plate_cost": 70.0},
        },
        "outputters": {
            **BASE_CONFIG["outputters"],
            "Leonov": {
                "prices": [
                    {"plate_mm": [1030, 770], "price": 90.0},
                    {"plate_mm": [770, 1030], "price": 95.0, "from": "2026-12-01"},
                ]
            },
        },
        "paths": {"work_dir": str(tmp_path)},
    }
    config = config_from_dict(raw)
    # Then the price is the one valid on the job's day, and the press's without a bureau price
    assert our_price(config, "Leonov", "Speedmaster", date(2026, 11, 30)) == 90.0
    assert our_price(config, "Leonov", "Speedmaster", date(2026, 12, 1)) == 95.0
    assert our_price(config, "Leonov", "Planeta", date(2026, 12, 1)) == 70.0
    assert our_price(config, "Leonov", "Dominant", date(2026, 12, 1)) is None
    assert our_price(config, "Leonov", "Gone", date(2026, 12, 1)) is None


def test_a_line_billed_at_the_old_price_after_a_change_differs() -> None:
    # Given a job of 2 December whose price that day is 95 (it was 90 in November)
    jobs = [job(1, "a.pdf", day=date(2026, 12, 2), price=95.0)]
    outcome = match_lines([line(2, "a.pdf", price=90.0, day=date(2026, 12, 2))], jobs, 7)
    assert statuses(outcome) == [(2, PRICE_DIFFERS, 1)]
