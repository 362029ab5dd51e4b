"""Which jobs have a message somewhere: waiting in a broker queue, or held by a live worker.

The reconciler (tasks/reconcile.py) asks two questions of the broker and the workers:

* :func:`queued_jobs`: job ids of step messages waiting in a queue. With Redis these are the
  lists named after the queues (``cpu``, ``io``, and kombu's priority lists ``io\\x06\\x163``
  ...); with the embedded broker the ``*.msg`` files in var/broker/out.
* :func:`held_jobs`: job ids of step messages a live worker holds: running, reserved
  (prefetched) or scheduled (a retry waiting for its countdown). Asked with Celery's
  ``inspect`` broadcast; workers answer from their consumer, also while their pool is busy.

Messages in Redis's ``unacked`` hash are deliberately not trusted: a worker that lost its
connection (Redis restarted) or was killed leaves its messages there until the visibility
timeout (hours) runs out; a message that is only there has nobody working on it.
"""

from __future__ import annotations

import ast
import base64
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from celery import Celery

from pipeline.chain import STEPS
from pipeline.config import Config

log = logging.getLogger(__name__)

#: Task names of the pipeline's steps: only their messages say a job is alive.
STEP_TASKS = frozenset(f"tasks.{name}" for name in STEPS)
#: kombu's Redis transport: separator and steps of the per-priority lists of a queue.
PRIORITY_SEP, PRIORITY_STEPS = "\x06\x16", (0, 3, 6, 9)
#: Seconds the workers get to answer an inspect broadcast.
INSPECT_TIMEOUT = 1.0


def queued_jobs(config: Config, queues: Iterable[str]) -> set[int]:
    """Job ids with a step message waiting in one of ``queues`` of the configured broker."""
    if config.broker_url == "embedded":
        return _queued_in_folder(config.paths.var / "broker" / "out")
    return _queued_in_redis(config.broker_url, queues)


def _queued_in_redis(url: str, queues: Iterable[str]) -> set[int]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = [q if p == 0 else f"{q}{PRIORITY_SEP}{p}" for q in queues for p in PRIORITY_STEPS]
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.lrange(key, 0, -1)
        found: set[int] = set()
        for messages in pipe.execute():
            found.update(filter(None, (_job_of_message(m) for m in messages)))
        return found
    finally:
        client.close()


def _queued_in_folder(folder: Path) -> set[int]:
    found = set()
    for path in folder.glob("*.msg"):
        try:
            job = _job_of_message(path.read_bytes())
        except OSError:  # taken by a worker while we looked
            continue
        if job is not None:
            found.add(job)
    return found


def _job_of_message(raw: bytes | str) -> int | None:
    """The job id of a step message as kombu stores it (JSON envelope), else None."""
    try:
        envelope = json.loads(raw)
        headers = envelope.get("headers") or {}
        if headers.get("task") not in STEP_TASKS:
            return None
        if envelope.get("properties", {}).get("body_encoding") == "base64":
            args = json.loads(base64.b64decode(envelope["body"]))[0]
        else:
            args = _literal(headers.get("argsrepr"))
        return int(args[0])
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def held_jobs(app: Celery, timeout: float = INSPECT_TIMEOUT) -> set[int]:
    """Job ids of step messages held by live workers (running, reserved or scheduled)."""
    found: set[int] = set()
    # A connection of its own: a pooled one remembers the reply queue as declared even after
    # Redis lost its data, and the replies would go nowhere.
    with app.connection_for_write() as connection:
        inspect = app.control.inspect(timeout=timeout, connection=connection)
        for ask in (inspect.active, inspect.reserved, inspect.scheduled):
            for requests in (ask() or {}).values():
                for entry in requests or []:
                    job = _job_of_request(entry.get("request", entry))
                    if job is not None:
                        found.add(job)
    return found


def _job_of_request(request: dict[str, Any]) -> int | None:
    if request.get("name") not in STEP_TASKS:
        return None
    args = request.get("args")
    if isinstance(args, str):
        args = _literal(args)
    try:
        return int(args[0])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return None


def _literal(text: Any) -> Any:
    try:
        return ast.literal_eval(text) if isinstance(text, str) else text
    except (ValueError, SyntaxError):
        return None
