"""Celery: the app (``app``), the chain built in one place (``canvas``), the step tasks
(``stages``, thin: load the job, call one domain function, record), what every step shares and
the retry policy (``base``), the operator and housekeeping tasks and the embedded broker.

May import pipeline/ and models/; never commands/ or web/.
"""
