# prepress: one image for the workers, the watcher, beat and Flower (see docker-compose.yml).
FROM python:3.11-slim

# pg_dump/pg_restore for the backup, tzdata for the 02:30 local-time schedule,
# tini to reap Celery's child processes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client tzdata tini \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /srv/prepress --uid 1000 prepress

WORKDIR /opt/prepress
COPY setup.cfg pyproject.toml README.md celeryconfig.py ./
COPY pipeline ./pipeline
COPY tasks ./tasks
COPY models ./models
COPY watcher ./watcher
RUN pip install --no-cache-dir .
# celeryconfig.py is a top-level module beside the packages, not part of the wheel.
ENV PYTHONPATH=/opt/prepress PYTHONUNBUFFERED=1

WORKDIR /srv/prepress
RUN mkdir -p work/hotfolder work/var && chown -R prepress:prepress work
USER prepress

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["prepress", "--help"]
