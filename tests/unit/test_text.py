"""File names and outside text shown safely: terminal, logs, SMS and Telegram texts."""

from __future__ import annotations

import logging

import pytest

from pipeline.alerts import file_list
from pipeline.delivery.naming import sms_text
from pipeline.text import OneLineRecord, outside_text, shown


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a\nb.pdf", "a\\nb.pdf"),
        ("\x1b[2Jx.pdf", "\\x1b[2Jx.pdf"),
        ("a\x7fb\x00c\r.pdf", "a\\x7fb\\x00c\\r.pdf"),
        ("x\u2028y\x85.pdf", "x\\u2028y\\x85.pdf"),
        ("0537_\udcdf.pdf", "0537_\\xdf.pdf"),
        ("Каталог (весна) $(id) 'x'.pdf", "Каталог (весна) $(id) 'x'.pdf"),
        ("0537_\u202efdp.exe", "0537_\\u202efdp.exe"),
        (
            "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
            "\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c",
        ),
        ("שלום مرحبا\u200d.pdf", "שלום مرحبا\u200d.pdf"),  # RTL text and joiners stay
    ],
)
def test_control_characters_are_shown_escaped(name: str, expected: str) -> None:
    assert shown(name) == expected


def test_a_log_line_cannot_be_forged_by_a_name(caplog: pytest.LogCaptureFixture) -> None:
    # Given records made as every prepress process makes them
    previous = logging.getLogRecordFactory()
    logging.setLogRecordFactory(OneLineRecord)
    try:
        # When a name with a newline and a fake log line is logged
        with caplog.at_level(logging.INFO):
            logging.getLogger("t").info("took %s", "x.pdf\n2026-01-01 ERROR forged")
    finally:
        logging.setLogRecordFactory(previous)
    # Then it stays on one line
    assert caplog.messages == ["took x.pdf\\n2026-01-01 ERROR forged"]


def test_sms_and_alert_texts_escape_names() -> None:
    text = sms_text("{order} {job}", {"order": "0537", "job": "Flier\n\x1b[31mFAKE"})
    assert text == "0537 Flier\\n\\x1b[31mFAKE"
    listed = file_list(["a\nb.pdf (job 1): not_pdf: x"])
    assert listed == "- a\\nb.pdf (job 1): not_pdf: x"


def test_outside_text_is_masked_escaped_and_cut() -> None:
    noisy = b"start " + b"x" * 1000 + b"\nredis://u:Pw1@h/0 token-ABC \x1b[2J end"
    text = outside_text(noisy, secrets=("token-ABC",), limit=60)
    assert text.startswith("...") and len(text) == 63 and text.endswith("end")
    assert "Pw1" not in text and "token-ABC" not in text and "\x1b" not in text
