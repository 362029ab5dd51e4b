"""Child processes that die with the process that started them (Linux).

A step held to a budget starts children: the budget's fresh interpreter (pipeline/budget.py),
and Ghostscript inside it (pipeline/preview/inkcov.py). When the process that started one is
killed from outside (SIGKILL of a worker, of ``prepress preflight``), nothing would stop the
child: a Ghostscript on a hostile file ran on for half an hour as an orphan. Each such child
asks the kernel for a signal when its parent dies: ``prctl(PR_SET_PDEATHSIG, signal)``.

What the kernel promises, and what callers must therefore do:

- The signal comes when the parent *thread* that started the child ends, not the whole
  process. A child started from a short-lived thread is killed when that thread returns, so
  the thread that starts a child must be the one that waits for it (every caller here starts
  the child and waits for it in the same call).
- The setting survives ``exec`` (except of a set-user-ID program) but is not inherited by the
  child's own children: each level sets it for itself (the budget child for itself, the ink
  pass for its Ghostscript), so a chain of children falls like dominoes.
- A parent that died before the call is missed; :func:`die_with_parent` with the parent's pid
  checks for that after the call and ends the child at once.

Elsewhere than Linux these are no-ops: the budget's session kill is what remains.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable

#: prctl option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, looked up once here: a ``preexec_fn`` runs between fork and exec,
    where loading a library or importing a module could deadlock on a lock another thread of
    the parent held at the fork."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()


def die_with_parent(signum: int = signal.SIGKILL, parent: int | None = None) -> None:
    """In a child: get ``signum`` when the parent thread that started this process ends.

    ``parent`` is the pid of the process that started this one: if it is already gone (it
    died between the fork and this call, and the child was handed to init), ``signum`` is
    sent now.
    """
    if _PRCTL is None:
        return
    _PRCTL(PR_SET_PDEATHSIG, int(signum))
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), signum)


def dies_with_parent(signum: int = signal.SIGKILL) -> Callable[[], None]:
    """A ``preexec_fn`` for :class:`subprocess.Popen`, made in the parent just before the
    start: the child gets ``signum`` (SIGKILL by default, which no program can ignore) when
    the calling thread ends. Wait for the child in the thread that starts it."""
    return functools.partial(die_with_parent, signum, os.getpid())


def stop_with_parent() -> None:
    """A ``preexec_fn``: SIGTERM when the parent dies, so the child can stop politely (the
    supervisor's workers, watcher and beat: a killed ``prepress up`` leaves none behind
    holding the folder's locks)."""
    die_with_parent(signal.SIGTERM)
