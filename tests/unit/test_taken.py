"""Taken by the bureau: which plate files a round finds taken, which are told to the staff
(once), the settings and beat's rounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.config import ALERT_KINDS, config_from_dict
from pipeline.errors import ConfigError
from pipeline.taken import Sent, alert, decide, folders, reference
from tasks.app import TAKEN_ENTRY, beat_schedule
from tests.fixtures import BASE_CONFIG

#: The round's time.
NOW = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)
#: Leonov's Speedmaster folder as an upload's remote_path has it.
FOLDER = "/leonov/_1030x770"


def sent(job_id: int, name: str, hours_ago: float, alerted: bool = False) -> Sent:
    return Sent(
        job_id=job_id,
        remote_path=f"{FOLDER}/{name}",
        uploaded_at=NOW - timedelta(hours=hours_ago),
        label=f"0537 Flier{job_id}",
        alerted=alerted,
    )


def test_a_plate_file_gone_from_its_folder_is_taken_one_still_there_waits() -> None:
    # Given a plate file and a remake of it (_R1) at the bureau, both with their tickets
    first, remake = sent(1, "0537_Flier.pdf", 1), sent(2, "0537_Flier_R1.pdf", 1)
    # When the folder holds the remake and the first file's ticket, but not the first file
    listed = {FOLDER: {"0537_Flier_R1.pdf", "0537_Flier.jdf", "0537_Flier_R1.jdf"}}
    found = decide([first, remake], listed, NOW, 4)
    # Then the first plate file was taken (its ticket left behind does not matter), the
    # remake, by its exact name, was not
    assert found.taken == [first]
    assert found.waiting == [remake] and found.late == [] and found.unknown == []


def test_names_match_exactly() -> None:
    # A file of another case or with a suffix the RIP added is not the one we sent
    item = sent(1, "0537_Flier.pdf", 1)
    listed = {FOLDER: {"0537_flier.pdf", "0537_Flier.pdf.done", ".0537_Flier.pdf.ab12.part"}}
    assert decide([item], listed, NOW, 4).taken == [item]


def test_a_folder_that_is_gone_took_its_files_and_one_not_listed_decides_nothing() -> None:
    gone, elsewhere = sent(1, "a.pdf", 1), Sent(2, "/korol/b.pdf", NOW, "b")
    found = decide([gone, elsewhere], {FOLDER: None}, NOW, 4)
    assert found.taken == [gone] and found.unknown == [elsewhere]


def test_a_plate_file_untaken_past_the_alert_hours_is_late_once() -> None:
    # Given plate files 5 h, 3 h and 6 h old, the last one told about already
    old, young, told = sent(1, "a.pdf", 5), sent(2, "b.pdf", 3), sent(3, "c.pdf", 6, True)
    listed = {FOLDER: {"a.pdf", "b.pdf", "c.pdf"}}
    # When a round with a 4 h alert finds all three still there
    found = decide([old, young, told], listed, NOW, 4)
    # Then only the old one not told before is late
    assert found.late == [old] and found.waiting == [young, told]
    # and exactly at the limit counts as late; 0 hours never alerts
    assert decide([sent(4, "a.pdf", 4)], listed, NOW, 4).late != []
    assert decide([old], listed, NOW, 0).late == []


def test_late_but_taken_is_no_alert() -> None:
    old = sent(1, "a.pdf", 30)
    found = decide([old], {FOLDER: set()}, NOW, 4)
    assert found.taken == [old] and found.late == []


def test_folders_are_listed_once_each_and_the_login_folder_is_slash() -> None:
    items = [sent(1, "a.pdf", 1), sent(2, "b.pdf", 1), Sent(3, "/c.pdf", NOW)]
    assert folders(items) == [FOLDER, "/"]
    assert items[2].folder == "/" and items[2].name == "c.pdf"


def test_the_alert_names_every_job_and_where_its_file_lies() -> None:
    late = [sent(7, "0537_Flier.pdf", 5), sent(9, "0601_Box_R1.pdf", 6)]
    text = alert("Leonov", late, 4).text(None)
    assert text.startswith("prepress: 2 plate file(s) not taken by Leonov within 4 h:")
    assert "- 0537 Flier7 (job 7)" in text and f"job 9: {FOLDER}/0601_Box_R1.pdf" in text
    assert reference("Leonov", late) == "untaken:Leonov:7,9"


def with_leonov(**leonov: object) -> dict:
    outputters = dict(BASE_CONFIG["outputters"])
    outputters["Leonov"] = {"url": "ftp://leonov:pw@ctp.example/in", **leonov}
    return dict(BASE_CONFIG, outputters=outputters)


def test_polling_is_off_by_default_and_alerts_after_4_hours_once_on() -> None:
    config = config_from_dict(BASE_CONFIG)
    assert config.outputters["Leonov"].taken_poll_minutes == 0
    assert config.outputters["Leonov"].taken_alert_hours == 4
    on = config_from_dict(with_leonov(taken_poll_minutes=5, taken_alert_hours=2.5))
    assert (
        on.outputters["Leonov"].taken_poll_minutes,
        on.outputters["Leonov"].taken_alert_hours,
    ) == (5, 2.5)
    assert "untaken" in ALERT_KINDS


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("taken_poll_minutes", -1, "must be a number >= 0"),
        ("taken_poll_minutes", 0.5, "0 (off) or 1 to 1440 minutes"),
        ("taken_poll_minutes", 5000, "0 (off) or 1 to 1440 minutes"),
        ("taken_alert_hours", 200, "at most 168 hours"),
        ("taken_alert_hours", "4", "must be a number >= 0"),
    ],
)
def test_wrong_settings_are_refused_naming_the_key(key: str, value: object, says: str) -> None:
    with pytest.raises(ConfigError, match=f"outputters.Leonov.{key}") as refused:
        config_from_dict(with_leonov(**{key: value}))
    assert says in str(refused.value)


def test_beat_runs_a_round_per_bureau_that_polls() -> None:
    # Given Leonov polling every 5 minutes, Korol with a URL but no polling
    raw = with_leonov(taken_poll_minutes=5)
    raw["outputters"]["Korol"] = {"url": "sftp://shop@korol.example/in"}
    schedule = beat_schedule(config_from_dict(raw))
    # Then beat has one round for Leonov, by name only (no URL, no password in the arguments)
    rounds = {k: v for k, v in schedule.items() if k.startswith(TAKEN_ENTRY)}
    assert list(rounds) == ["taken-Leonov"]
    entry = rounds["taken-Leonov"]
    assert entry["task"] == "tasks.poll_taken" and entry["schedule"] == 300
    assert entry["args"] == ("Leonov",) and "pw" not in repr(entry)
    # and no round without polling
    assert not any(k.startswith(TAKEN_ENTRY) for k in beat_schedule(config_from_dict(BASE_CONFIG)))
