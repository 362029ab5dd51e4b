"""The per-file chain as Celery signatures, built from pipeline/chain.py's definition.

Every signature is immutable and carries only the job id. Intake (watcher/intake.py) records the
job and calls :func:`start`; `operator actions (tasks/actions.py) call
:func:`retry` for a failed job.
"""

from __future__ import annotations

from celery import chain, group
from celery.canvas import Signature

from pipeline.chain import stages_from
from tasks.app import app


def build(job_id: int, start_at: str = "validate") -> Signature:
    """The chain for one job from ``start_at`` on (pipeline/chain.py says the stages)."""
    parts = []
    for stage in stages_from(start_at):
        signatures = [app.signature(f"tasks.{s}", args=(job_id,), immutable=True) for s in stage]
        parts.append(group(signatures) if len(stage) > 1 else signatures[0])
    return chain(*parts)


def start(job_id: int, start_at: str = "validate") -> str:
    """Queue the job's chain; return the Celery id of its last task."""
    result = build(job_id, start_at).apply_async()
    _stop_following(result)
    return str(result.id)


def _stop_following(result) -> None:  # a celery AsyncResult
    """Drop this process's subscriptions to the chain's results.

    Celery's Redis backend keeps the members of a group as pending results in the sender;
    left alone they unsubscribe in ``__del__`` at interpreter exit and print a traceback.
    """
    node = result
    while node is not None:
        for member in getattr(node, "results", None) or [node]:
            member.backend.remove_pending_result(member)
        node = node.parent
