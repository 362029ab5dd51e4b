"""The job's SMS to the staff: each recipient gets it at most once and, unless the provider
refuses it, at least once.

Every (job, recipient) has an :class:`~models.job.SmsSend` row, claimed before the request
goes out, and its own message id (:func:`pipeline.sms.message_id`) given to the provider. The
row's state says what is known:

- ``sending``: a request may be on its way (or the worker died while it was);
- ``unknown``: the request went out but its answer was lost (timeout, dropped connection);
- ``sent``: the provider accepted it.

A row found ``sending`` or ``unknown`` on a later attempt is resolved with the provider first
(status.php by id and phone): a message it knows is recorded as sent and never sent again;
only one it has no record of (status -3) is sent again, under the same id. A refusal or a
fault before the request reached the provider releases the claim, so a retry sends.
"""

from __future__ import annotations

import logging

from models import store
from models.job import Job, aware
from pipeline import targets
from pipeline.config import Config
from pipeline.errors import SmsOutcomeUnknown
from pipeline.sms import SmsClient, message_id
from tasks.targets import outcome as target_outcome

log = logging.getLogger(__name__)

#: SmsSend states.
SENDING, UNKNOWN, SENT = "sending", "unknown", "sent"


def send_job_sms(job: Job, config: Config, recipients: list[str], text: str) -> str:
    """Send ``text`` about ``job`` to every recipient that has not had it; return a note."""
    assert job.id is not None
    sent = resolved = 0
    with target_outcome(config, targets.sms(config)), SmsClient(config.sms) as client:
        for recipient in recipients:
            outcome = _send_once(client, job, config, recipient, text)
            sent += outcome == "sent"
            resolved += outcome == "resolved"
    note = f"{sent} SMS sent to {len(recipients)} recipient(s)"
    return note + (f"; {resolved} found already sent by the provider" if resolved else "")


def job_message_id(job: Job, recipient: str) -> str:
    """The provider-side id of the SMS about ``job`` to ``recipient``."""
    assert job.id is not None
    return message_id(job.id, aware(job.received_at), recipient)


def _send_once(client: SmsClient, job: Job, config: Config, recipient: str, text: str) -> str:
    """``sent``, ``resolved`` (the provider had it), or ``before`` (recorded as sent)."""
    assert job.id is not None
    url, ident = config.database_url, job_message_id(job, recipient)
    if not store.claim_sms(url, job.id, recipient, text):
        row = store.get_sms(url, job.id, recipient)
        if row is None or row.state == SENT:
            return "before"
        status = client.messages.status(to=recipient, id=ident)
        if status.known:
            log.info(
                "job %s: SMS %s to %s was accepted before (%s)",
                job.id,
                ident,
                recipient,
                status.meaning,
            )
            store.complete_sms(url, job.id, recipient, ident, 0, "")
            return "resolved"
        log.info("job %s: the provider has no SMS %s to %s; sending it", job.id, ident, recipient)
        store.reclaim_sms(url, job.id, recipient)
    _send(client, job, url, recipient, text, ident)
    return "sent"


def _send(client: SmsClient, job: Job, url: str, recipient: str, text: str, ident: str) -> None:
    assert job.id is not None
    try:
        message = client.messages.create(to=recipient, body=text, id=ident)
    except SmsOutcomeUnknown:
        store.mark_sms_unknown(url, job.id, recipient)
        raise
    except Exception:
        store.release_sms(url, job.id, recipient)
        raise
    cost = "" if message.cost is None else str(message.cost)
    store.complete_sms(url, job.id, recipient, str(message.id), int(message.count), cost)
