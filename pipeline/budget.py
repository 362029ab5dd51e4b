"""One file's expensive step held to a budget of wall time, CPU time and memory.

A hostile file (150,000 path operators in 8 KB, 2,000 pages, a 30000 x 30000 image) must not
hold a worker for minutes or take its memory. :func:`run_within_budget` runs the step in a
fresh child interpreter that limits itself (``RLIMIT_AS``, ``RLIMIT_CPU``) before it reads its
arguments, in a session of its own, and kills that whole session (Ghostscript included) when
the wall time is up. Whatever the child does, the caller's process is as it was.

Why a fresh interpreter and not ``fork``: callers have threads (the heartbeat of a step, the
watcher), and a fork copies their locks held; a fresh interpreter costs about 0.3 s per file.
The function and its arguments travel pickled, so ``fn`` must be a module-level function.

The child dies with its caller: the first thing it does is ``PR_SET_PDEATHSIG`` (SIGKILL,
pipeline/children.py), so a worker or ``prepress preflight`` killed from outside leaves no
child running on a hostile file (and the child's Ghostscript dies with the child the same way).
The kernel sends that signal when the *thread* that started the child ends: the thread that
calls :func:`run_within_budget` starts the child and waits for it, so that thread lives as
long as the child is wanted.

The child gets only the environment it needs to start and import the project (the path, the
language, the temporary folder, the import path), never the caller's secrets (FTP passwords,
the dashboard's key, tokens in ``PREPRESS_*`` variables): it reads no configuration, because
everything it works on arrives pickled.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pipeline.children import die_with_parent
from pipeline.config import Limits
from pipeline.errors import OverBudget
from pipeline.text import outside_text

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds of CPU past the soft limit (SIGXCPU) before the kernel kills the child (SIGKILL).
CPU_GRACE_SECONDS = 2
#: Characters of the child's error output relayed to the log.
CHILD_LOG_CHARS = 2000
#: Variables the child gets from the caller's environment (with every ``LC_*``): enough to
#: start this interpreter, find programs (Ghostscript) and write temporary files.
CHILD_ENV_KEEP = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LD_LIBRARY_PATH",
    "VIRTUAL_ENV",
    "PYTHONHOME",
    "PYTHONUTF8",
    "PYTHONIOENCODING",
    "PYTHONDONTWRITEBYTECODE",
)
#: The child's entry point, run by ``python -c``.
_CHILD = "from pipeline.budget import _child_main; _child_main()"


@dataclass
class BudgetRun:
    """What the last run in this process cost: for benchmarks and logs."""

    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    largest_peak_mb: float = 0.0  # of every child this process ran


#: The cost of the most recent :func:`run_within_budget` in this process.
last_run = BudgetRun()


def run_within_budget(
    fn: Callable[..., T], *args: Any, limits: Limits, what: str = "", **kwargs: Any
) -> T:
    """``fn(*args, **kwargs)`` in a child process held to ``limits``; its return value.

    ``what`` names the work in messages (e.g. ``"the preview of x.pdf"``). An exception ``fn``
    raises is raised here (a RejectedFile stays one). Over budget raises :class:`OverBudget`
    with ``resource`` ``wall``, ``cpu``, ``memory`` or ``crash`` (the child died by a signal).
    """
    what = what or getattr(fn, "__name__", "the step")
    with tempfile.TemporaryDirectory(prefix="prepress-budget-") as folder:
        outcome = Path(folder) / "outcome.pickle"
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *_limit_args(limits), str(outcome), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a wall-clock kill ends the child's own children too
            env=_child_env(),
        )
        stderr = _wait(process, pickle.dumps((fn, args, kwargs)), limits, what)
        last_run.seconds = time.monotonic() - started
        _relay(stderr, what)
        return _result(process.returncode, outcome, limits, what)


def _limit_args(limits: Limits) -> list[str]:
    return [str(int(limits.memory_mb) * 1024 * 1024), str(max(1, int(limits.cpu_seconds)))]


def _child_env() -> dict[str, str]:
    """What the child needs of the caller's environment (:data:`CHILD_ENV_KEEP`, ``LC_*``)
    and the caller's import path, so the child finds ``fn``; no secret."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in CHILD_ENV_KEEP or key.startswith("LC_")
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    return env


def _wait(process: subprocess.Popen[bytes], payload: bytes, limits: Limits, what: str) -> bytes:
    """The child's error output once it ended; the whole session killed at the wall time."""
    try:
        _, stderr = process.communicate(payload, timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        _kill_session(process)
        _, stderr = process.communicate()
        raise OverBudget(
            f"{what} took longer than limits.wall_seconds = {limits.wall_seconds:g} s and "
            f"was stopped",
            None,
            "wall",
        ) from None
    finally:
        _kill_session(process)  # anything the child left running (a Ghostscript)
    return stderr


def _kill_session(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _relay(stderr: bytes, what: str) -> None:
    if stderr.strip():
        log.info("%s: the child said: %s", what, outside_text(stderr, limit=CHILD_LOG_CHARS))


def _result(returncode: int, outcome: Path, limits: Limits, what: str) -> Any:
    """The child's return value, or its exception raised here, or OverBudget."""
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL) or not outcome.exists():
        if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise OverBudget(
                f"{what} used more than limits.cpu_seconds = {limits.cpu_seconds:g} s of "
                f"CPU and was stopped",
                None,
                "cpu",
            )
        raise OverBudget(
            f"{what} stopped without a result (exit status {returncode}): the file "
            f"crashed the renderer or took more than limits.memory_mb = {limits.memory_mb} MB",
            None,
            "crash",
        )
    with open(outcome, "rb") as handle:
        kind, value, peak = pickle.load(handle)
    last_run.peak_rss_mb = peak
    last_run.largest_peak_mb = max(last_run.largest_peak_mb, peak)
    if kind == "ok":
        return value
    if isinstance(value, MemoryError):
        raise OverBudget(
            f"{what} needed more than limits.memory_mb = {limits.memory_mb} MB and was stopped",
            None,
            "memory",
        )
    raise value


# --- the child -------------------------------------------------------------------------------


def _child_main() -> None:
    """In the child: die with the caller, limit this process, then run the pickled call and
    write its outcome."""
    die_with_parent(signal.SIGKILL, parent=int(sys.argv[4]))
    memory, cpu, outcome = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + CPU_GRACE_SECONDS))
    try:
        fn, args, kwargs = pickle.loads(sys.stdin.buffer.read())
        result: tuple[str, Any] = ("ok", fn(*args, **kwargs))
    except MemoryError:
        result = ("error", MemoryError())
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
        result = ("error", exc)
    _write_outcome(outcome, result)


def _write_outcome(outcome: str, result: tuple[str, Any]) -> None:
    peak = _peak_rss_mb()
    try:
        data = pickle.dumps((*result, peak))
    except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
        error = result[1]
        text = f"{type(error).__name__}: {error}" if result[0] == "error" else str(exc)
        data = pickle.dumps(("error", RuntimeError(text), peak))
    with open(outcome, "wb") as handle:
        handle.write(data)


def _peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
