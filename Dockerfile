# prepress: one image for the workers, the watcher, beat and Flower (see docker-compose.yml).
# Stage 1 builds the wheel; stage 2 installs it: the image runs the installed package, not the
# source tree (nothing points Python at it).
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY setup.cfg pyproject.toml README.md celeryconfig.py ./
COPY pipeline ./pipeline
COPY commands ./commands
COPY tasks ./tasks
COPY models ./models
COPY watcher ./watcher
COPY web ./web
COPY testkit ./testkit
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim

# pg_dump/pg_restore for the backup, tzdata for the 02:30 local-time schedule,
# tini to reap Celery's child processes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client tzdata tini \
    && rm -rf /var/lib/apt/lists/*

# UID/GID 2150 on every host (as the Ansible roles): files on the NFS-shared work folder.
RUN groupadd --system --gid 2150 prepress \
    && useradd --system --create-home --home-dir /srv/prepress --uid 2150 --gid 2150 prepress

COPY --from=wheel /dist /tmp/dist
RUN pip install --no-cache-dir /tmp/dist/prepress-*.whl && rm -rf /tmp/dist
ENV PYTHONUNBUFFERED=1

WORKDIR /srv/prepress
RUN mkdir -p work/hotfolder work/var && chown -R prepress:prepress work
USER prepress

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["prepress", "--help"]
