"""Celery settings prepress relies on; prepress.toml and the environment override the URLs.

Reliability: a task is acknowledged only after it finished (``task_acks_late``) and put back
when its worker dies (``task_reject_on_worker_lost``); each worker takes one task at a time.
The visibility timeout is one number for broker and result backend and is longer than the
longest step, so a slow upload is not delivered twice.
"""

from pipeline.chain import CPU, IO, queues_by_task
from pipeline.config import DEFAULT_BROKER_URL, DEFAULT_VISIBILITY_TIMEOUT

broker_url = DEFAULT_BROKER_URL
result_backend = DEFAULT_BROKER_URL
broker_transport_options = {"visibility_timeout": DEFAULT_VISIBILITY_TIMEOUT}
result_backend_transport_options = {"visibility_timeout": DEFAULT_VISIBILITY_TIMEOUT}
broker_connection_retry_on_startup = True

task_serializer = "json"
result_serializer = "json"
accept_content = ["json"]
result_expires = 7 * 86400
#: Without Redis (the embedded broker) a chord is joined by polling: poll often.
result_chord_retry_interval = 0.1
result_extended = True  # Flower shows task names and arguments (job ids only)

task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
task_track_started = True

worker_send_task_events = True
task_send_sent_event = True

#: Every step and operator task on the queue pipeline/chain.py gives it: CPU steps on cpu
#: (prefork pool), network and database steps on io (threads), operator tasks that need what
#: only the main host has (pg_dump, the backup key) on ops, served by the worker of
#: ``prepress up`` or ``prepress worker --queues io,ops`` there.
task_routes = {name: {"queue": queue} for name, queue in queues_by_task().items()}
#: The CPU steps, whose time is bounded below.
CPU_TASKS = tuple(name for name, queue in queues_by_task().items() if queue == CPU)
#: A CPU step that runs this long is stopped and the job failed at that step (seconds); the
#: analysis bounds its own work and the preview has its ``[limits]`` budget (at most 500 s,
#: 90 s by default), so this is only the backstop for a file that still ties a worker up.
CPU_SOFT_LIMIT = 600
task_annotations = {
    name: {"soft_time_limit": CPU_SOFT_LIMIT, "time_limit": CPU_SOFT_LIMIT + 60}
    for name in CPU_TASKS
}
task_default_queue = IO

enable_utc = True  # the beat schedule runs in the host's local zone (tasks/app.py)
