"""Flower with its ``/metrics`` and ``/healthcheck`` behind the same login as its pages.

Flower 2 serves both without authentication (they are meant for Prometheus and load
balancers: see ``flower/views/monitor.py``, which has no ``@web.authenticated``, and Flower's
options, which have no setting for it). Here they need the basic-auth pair or the OAuth login
like every other page, because the metrics name the shop's workers, queues and task counts.
A Prometheus scraper sends the ``[flower]`` user and password (``basic_auth`` in its
scrape configuration). Started as ``python -m tasks.flower_guard -A tasks.app flower ...``
with the arguments ``celery`` would get.
"""

from __future__ import annotations

import sys


def guard_monitor_views() -> None:
    """Make Flower's two open views ask for the login its other views ask for."""
    from flower.views import monitor
    from tornado.web import authenticated

    for handler in (monitor.Metrics, monitor.Healthcheck):
        handler.get = authenticated(handler.get)  # type: ignore[method-assign]


def main() -> None:
    from celery.bin.celery import main as celery_main

    guard_monitor_views()
    sys.argv[0] = "celery"
    sys.exit(celery_main())


if __name__ == "__main__":
    main()
