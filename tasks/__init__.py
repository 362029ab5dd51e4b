"""Celery: the app (``app``), the chain's signatures (``canvas``, from pipeline/chain.py), the
step tasks (``stages``, thin: load the job, call one domain function, record), what every step
shares and the retry policy (``base``), the job's SMS sent once (``notify``), the operator
actions every interface calls (``actions``: retry, retry all, reprocess, mode), the probes of
broker, workers and database (``probes``), the status (``health``), the operator and
housekeeping tasks, the embedded broker, the alerting watchdog (``watchdog``: run as its
own process by ``prepress watchdog``, not as a task), and Flower started with its metrics
behind its login (``flower_guard``: run by ``prepress flower``).

The rules tests/unit/test_layers.py reads from this text and checks:
May import: pipeline/, models/, watcher/ (a reprocess takes the original in as intake does).
Never imports: flask, click, commands/, web/.
"""
