"""`prepress watchdog` as the supervisor runs it: a real process beside real workers, telling
a rejected file to staff over a local Bot API server, with the bot token kept out of its logs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models import incidents
from testkit.polling import wait_until
from testkit.telegram_sink import TelegramSink

#: The bot token of this test.
TOKEN = "135790:process-test-token"
#: The staff member's Telegram chat.
CHAT = "777"


def test_watchdog_process_tells_a_rejected_file_once_without_leaking_the_token(
    start_pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREPRESS_TELEGRAM_TOKEN", TOKEN)  # this process reads the file too
    with TelegramSink(TOKEN, chats={CHAT}) as telegram:
        # Given a pipeline with a staff member on Telegram and a watchdog checking every 0.5 s,
        # logging everything at debug level
        pipeline = start_pipeline(workers=False, env={"PREPRESS_TELEGRAM_TOKEN": TOKEN})
        with pipeline.config_path.open("a", encoding="utf-8") as toml:
            toml.write(
                f'\n[staff.olga]\ntelegram = "{CHAT}"\nnotify = ["rejected", "failed"]\n'
                "\n[alerts]\ncheck_seconds = 0.5\ndisk_free_gb = 0\n"
                f'\n[alerts.telegram]\ntoken_env = "PREPRESS_TELEGRAM_TOKEN"\n'
                f'api_url = "{telegram.url}"\n'
            )
        pipeline.start_worker("cpu")
        pipeline.start_worker("io")
        pipeline.wait_ready(["cpu", "io"])
        pipeline._spawn("watchdog", "-v", "watchdog")
        url = pipeline.url
        assert wait_until(lambda: incidents.get_setting(url, "alerts.jobs_after"), 30)

        # When a file that is not a PDF (its name full of shell characters) is taken
        bad = tmp_path / "samples" / "0601 Листівка $(id) `ls`; & 'x'.pdf"
        bad.parent.mkdir()
        bad.write_text("this is not a PDF", encoding="utf-8")
        job_id = pipeline.submit(bad)
        assert pipeline.wait_for(job_id).status == "rejected"

        # Then the staff member is told once, with the file's name and the reason
        assert wait_until(lambda: telegram.to(CHAT), 20), pipeline.logs()
        wait_until(lambda: len(telegram.messages) > 1, 2)
        (text,) = telegram.to(CHAT)
        assert bad.name in text and "not_pdf" in text and "1 file(s) rejected" in text
        # And the token is nowhere in the logs of any process
        logs = pipeline.logs()
        assert "alert (rejected) to 1 of 1" in logs
        assert TOKEN not in logs and TOKEN.split(":")[1] not in logs
