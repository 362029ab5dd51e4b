"""A worker that stops on an unrecoverable error exits non-zero, so its supervisor restarts it.

systemd's Restart=on-failure, compose's restart policy and ``prepress up`` see a worker exit
0 as a clean stop. A worker whose consumer died (Redis restarted at the wrong moment: kombu
raises from a closed channel and Celery logs "Unrecoverable error") must exit non-zero, or it
stays down while jobs wait in its queue. Celery's ``app.start`` drops that status under click 8;
``tasks.app.run_celery`` keeps it (with ``app.start`` this test fails: exit status 0). A
real Celery worker runs in a child process here, with a bootstep that fails as the dead
consumer does.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WORKER = textwrap.dedent(
    """
    import sys
    from celery import Celery, bootsteps

    from tasks.app import run_celery

    app = Celery("exit-status", broker="memory://", backend="cache+memory://")

    class DeadConsumer(bootsteps.StartStopStep):
        requires = {"celery.worker.components:Pool"}

        def start(self, worker):
            raise AttributeError("'NoneType' object has no attribute 'hostname'")

    app.steps["worker"].add(DeadConsumer)
    argv = ["worker", "--pool", "solo", "--without-mingle", "--without-gossip",
            "--without-heartbeat", "--loglevel", "INFO"]
    sys.exit(run_celery(app, argv))
    """
)


def run_worker(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_worker_stopped_by_an_unrecoverable_error_exits_non_zero(tmp_path: Path) -> None:
    done = run_worker(tmp_path)
    assert "Unrecoverable error" in done.stderr, done.stderr[-3000:]
    assert done.returncode == 1, (done.stdout, done.stderr[-3000:])
