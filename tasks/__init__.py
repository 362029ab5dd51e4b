"""Celery: the app (``app``), the chain built in one place (``canvas``), the step tasks
(``stages``, thin: load the job, call one domain function, record), what every step shares and
the retry policy (``base``), the job's SMS sent once (``notify``), the operator and
housekeeping tasks, the embedded broker, and the alerting watchdog (``watchdog``: run as its
own process by ``prepress watchdog``, not as a task).

May import pipeline/ and models/; never commands/ or web/.
"""
