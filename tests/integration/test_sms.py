"""The smsc client against a local HTTP server speaking send.php."""

from __future__ import annotations

import time

import pytest
import requests

from pipeline.config import SmsSettings
from pipeline.errors import ConfigError, SmsOutcomeUnknown, SmsRefused, SmsUnavailable
from pipeline.sms import SmsClient
from testkit.sinks import SmsSink
from tests.services import free_port

PHONE = "+380501112233"


def settings_for(sink: SmsSink, **overrides) -> SmsSettings:
    values = dict(
        api_url=sink.url, login=sink.login, password=sink.password, sender="Typography", timeout=2.0
    )
    return SmsSettings(**(values | overrides))


@pytest.fixture
def client(sms_server: SmsSink):
    with SmsClient(settings_for(sms_server)) as sms:
        yield sms


def test_message_is_sent_once_with_the_protocol_fields(client: SmsClient, sms_server):
    # Given the provider is up
    # When one message is created
    sent = client.messages.create(to=PHONE, body="0537 Флаер 8->Speedmaster Leonov")
    # Then the server received exactly one request with the smsc fields, text intact
    assert len(sms_server.messages) == 1 and sms_server.requests == 1
    record = sms_server.messages[0]
    assert record.phones == PHONE and record.mes == "0537 Флаер 8->Speedmaster Leonov"
    assert record.sender == "Typography"
    assert record.params["charset"] == "utf-8" and record.params["fmt"] == "3"
    assert record.params["cost"] == "3"
    # And the provider's id, count and cost are returned
    assert sent.id == "1" and sent.count == 1 and sent.cost == 0.5


def test_each_call_is_one_message(client: SmsClient, sms_server):
    ids = {client.messages.create(to=p, body="x").id for p in ("+380670000000", PHONE)}
    assert len(ids) == 2 and [m.phones for m in sms_server.messages] == ["+380670000000", PHONE]


@pytest.mark.parametrize("code", [1, 2, 3, 5, 6, 7, 8])
def test_permanent_error_codes(client: SmsClient, sms_server, code):
    # Given the provider answers an error an operator must fix
    sms_server.fail_with(code)
    # When sending, Then SmsRefused names the code and never the password
    with pytest.raises(SmsRefused, match=f"provider error {code}") as caught:
        client.messages.create(to=PHONE, body="x")
    assert sms_server.password not in str(caught.value)
    assert "will not help" in str(caught.value)
    assert sms_server.messages == []


@pytest.mark.parametrize("code", [4, 9])
def test_transient_error_codes(client: SmsClient, sms_server, code):
    sms_server.fail_with(code)
    with pytest.raises(SmsUnavailable, match=f"provider error {code}.*retry later"):
        client.messages.create(to=PHONE, body="x")


def test_wrong_password_is_refused_and_masked(sms_server: SmsSink):
    with SmsClient(settings_for(sms_server, password="not-the-password")) as sms:
        with pytest.raises(SmsRefused, match="provider error 2") as caught:
            sms.messages.create(to=PHONE, body="x")
    assert "not-the-password" not in str(caught.value)


def test_http_500_is_transient(client: SmsClient, sms_server):
    sms_server.fail_status(500)
    with pytest.raises(SmsUnavailable, match="HTTP 500"):
        client.messages.create(to=PHONE, body="x")
    assert sms_server.messages == []


def test_http_404_is_refused(client: SmsClient, sms_server):
    sms_server.fail_status(404)
    with pytest.raises(SmsRefused, match="api_url"):
        client.messages.create(to=PHONE, body="x")


def test_slow_answer_times_out(sms_server: SmsSink):
    # Given a provider that answers after 5 s and a client that waits 0.5 s
    sms_server.delay(5)
    with SmsClient(settings_for(sms_server, timeout=0.5)) as sms:
        started = time.monotonic()
        # When sending, Then the client gives up in time with a transient error
        with pytest.raises(SmsUnavailable, match="did not answer within 0.5 s"):
            sms.messages.create(to=PHONE, body="x")
    assert time.monotonic() - started < 3


def test_unreachable_provider_is_transient_and_masked():
    settings = SmsSettings(
        api_url=f"http://127.0.0.1:{free_port()}/sys/send.php",
        login="shop",
        password="hunter2",
        timeout=1,
    )
    with SmsClient(settings) as sms:
        with pytest.raises(SmsUnavailable, match="cannot be reached") as caught:
            sms.messages.create(to=PHONE, body="x")
    assert "hunter2" not in str(caught.value)


def test_session_seam_is_used(sms_server: SmsSink):
    # Given a caller-supplied session (connection reuse, proxies, or a test transport)
    session = requests.Session()
    session.headers["X-Test"] = "seam"
    with SmsClient(settings_for(sms_server), session=session) as sms:
        sms.messages.create(to=PHONE, body="x")
    assert len(sms_server.messages) == 1


def test_settings_without_login_are_a_config_error():
    with pytest.raises(ConfigError, match="login"):
        SmsClient(SmsSettings(login=""))


# --- at most once, at least once: client ids, status.php, lost answers -------------------------


def test_client_id_is_sent_and_status_finds_the_message(client: SmsClient, sms_server):
    # Given a message sent under the client's own id
    sent = client.messages.create(to=PHONE, body="x", id="pp17-m5x2k1-3f9a0c")
    # When its status is asked by id and phone
    status = client.messages.status(to=PHONE, id="pp17-m5x2k1-3f9a0c")
    # Then the provider took the id and knows the message; another id or phone it does not know
    assert sent.id == "pp17-m5x2k1-3f9a0c" and sms_server.messages[0].params["id"] == sent.id
    assert status.known and status.code == 1
    assert client.messages.status(to=PHONE, id="pp17-other").code == -3
    assert not client.messages.status(to="+380670000000", id="pp17-m5x2k1-3f9a0c").known


@pytest.mark.parametrize("drop", [False, True], ids=["answer-late", "connection-dropped"])
def test_lost_answer_is_unknown_not_failed(sms_server: SmsSink, drop: bool):
    # Given a provider that accepts the next message but whose answer never arrives
    sms_server.lose_answers(1, drop=drop)
    with SmsClient(settings_for(sms_server, timeout=0.5)) as sms:
        # When sending, Then the outcome is unknown (a transient error, not "not sent")
        with pytest.raises(SmsOutcomeUnknown, match="asked before any new attempt"):
            sms.messages.create(to=PHONE, body="x", id="pp1-a-b")
        # And the provider, asked, knows the message: it must not be sent again
        assert sms.messages.status(to=PHONE, id="pp1-a-b").known
    assert len(sms_server.messages) == 1


def test_unreachable_provider_means_not_sent():
    settings = SmsSettings(api_url=f"http://127.0.0.1:{free_port()}/sys/send.php", login="a")
    with SmsClient(settings) as sms:
        with pytest.raises(SmsUnavailable) as caught:
            sms.messages.create(to=PHONE, body="x", id="pp1-a-b")
    assert not isinstance(caught.value, SmsOutcomeUnknown)


def test_status_when_provider_is_down_is_transient(client: SmsClient, sms_server):
    sms_server.fail_status(500)
    with pytest.raises(SmsUnavailable, match="HTTP 500"):
        client.messages.status(to=PHONE, id="pp1-a-b")


def test_message_ids_are_deterministic_unique_and_fit_the_provider_rules():
    import re
    from datetime import UTC, datetime

    from pipeline.sms import message_id

    received = datetime(2026, 12, 1, 22, 50, tzinfo=UTC)
    ids = {message_id(job, received, phone) for job in range(1, 200) for phone in (PHONE, "+1")}
    assert len(ids) == 398
    assert message_id(7, received, PHONE) == message_id(7, received, PHONE)
    assert message_id(7, received, PHONE) != message_id(7, received.replace(year=2027), PHONE)
    big = message_id(2**40, received, PHONE)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,40}", i) for i in ids | {big})
