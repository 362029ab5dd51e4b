"""Login state kept by the dashboard: failed attempts (throttling) and open sessions.

Both live in the memory of the ``prepress web`` process. That is enough because the dashboard
is one process: waitress serves every request from threads of it, and ``prepress up`` starts
exactly one; a second dashboard (another host) is another site whose cookies and counters are
its own. Restarting the dashboard ends every session (users log in again) and forgets failed
attempts. Both are guarded by one lock each, so the threads see one state.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

from pipeline.backoff import compute_backoff

#: Failed logins of one user or from one address before further attempts get 429.
FAILURE_LIMIT = 5
#: Seconds a user or an address stays refused after its last counted failure.
LOCKOUT_SECONDS = 300.0
#: Delay of the answer to the first failed login; it doubles with every further failure.
FIRST_DELAY = 0.2
#: Longest delay of one answer (it holds one of the server's threads).
MAX_DELAY = 2.0
#: Entries kept before expired ones are swept out.
SWEEP_AT = 10_000


@dataclass
class _Attempts:
    failures: int = 0
    pending: int = 0
    last: float = 0.0


class LoginThrottle:
    """Counts failed logins per key (``user:NAME``, ``addr:IP``) within the lockout window.

    :meth:`admit` reserves an attempt before the password is checked, so a burst of parallel
    requests cannot get past the limit while the first ones are still being checked.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, _Attempts] = {}

    def admit(self, keys: Iterable[str]) -> float:
        """Reserve an attempt for ``keys``; return 0, or the seconds to wait when refused."""
        now = self._clock()
        with self._lock:
            entries = [self._entry(key, now) for key in keys]
            waits = [
                LOCKOUT_SECONDS - (now - e.last)
                for e in entries
                if e.failures + e.pending >= FAILURE_LIMIT
            ]
            if waits:
                return max(1.0, max(waits))
            for entry in entries:
                entry.pending += 1
            return 0.0

    def failed(self, keys: Iterable[str]) -> tuple[int, float]:
        """Count a failure; return the highest failure count and how long to delay the answer."""
        now = self._clock()
        with self._lock:
            entries = [self._entry(key, now) for key in keys]
            for entry in entries:
                entry.pending = max(0, entry.pending - 1)
                entry.failures += 1
                entry.last = now
            worst = max((e.failures for e in entries), default=0)
        return worst, compute_backoff(worst - 1, factor=FIRST_DELAY, max_backoff=MAX_DELAY)

    def succeeded(self, keys: Iterable[str], forget: Iterable[str]) -> None:
        """Release the attempt of ``keys`` and forget the failures of ``forget`` (the user).

        The address's failures stay: a valid login must not reset the count of an address
        that is trying passwords of other users.
        """
        now = self._clock()
        with self._lock:
            for key in keys:
                entry = self._entry(key, now)
                entry.pending = max(0, entry.pending - 1)
            for key in forget:
                self._keys.pop(key, None)

    def _entry(self, key: str, now: float) -> _Attempts:
        if len(self._keys) > SWEEP_AT:
            self._sweep(now)
        entry = self._keys.setdefault(key, _Attempts(last=now))
        if entry.failures and now - entry.last > LOCKOUT_SECONDS:
            entry.failures = 0
        return entry

    def _sweep(self, now: float) -> None:
        for key in [k for k, e in self._keys.items() if now - e.last > LOCKOUT_SECONDS]:
            if not self._keys[key].pending:
                del self._keys[key]


@dataclass
class _Session:
    user: str
    opened: float
    seen: float


class SessionRegistry:
    """The open logins: an id in the signed cookie is only good while it is listed here.

    Logout removes the id, so a saved copy of the cookie stops working; a session ends after
    ``hours`` in all and after ``idle_minutes`` without a request.
    """

    def __init__(
        self, hours: float, idle_minutes: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.lifetime = hours * 3600
        self.idle = idle_minutes * 60
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[str, _Session] = {}

    def open(self, user: str) -> str:
        """A new session of ``user``; return its id for the cookie."""
        now = self._clock()
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._sweep(now)
            self._open[sid] = _Session(user=user, opened=now, seen=now)
        return sid

    def check(self, sid: str, user: str) -> bool:
        """True while ``sid`` is an open session of ``user``; a request counts as activity."""
        now = self._clock()
        with self._lock:
            found = self._open.get(sid)
            if found is None or found.user != user:
                return False
            if now - found.opened > self.lifetime or now - found.seen > self.idle:
                del self._open[sid]
                return False
            found.seen = now
            return True

    def close(self, sid: str) -> None:
        with self._lock:
            self._open.pop(sid, None)

    def _sweep(self, now: float) -> None:
        for sid, found in list(self._open.items()):
            if now - found.opened > self.lifetime or now - found.seen > self.idle:
                del self._open[sid]


class PasswordCheck:
    """Checks a password in the same time whether the user exists and however it is stored.

    Every wrong password costs one hash check with the same method: a user whose password
    comes from an environment variable is checked against a hash made of it at start, and an
    unknown user against a dummy hash. A password that already passed is remembered (as an
    HMAC under a random key of this process) so API scripts do not pay the hash every call.
    """

    def __init__(self) -> None:
        self._dummy = generate_password_hash(secrets.token_urlsafe(16))
        self._key = secrets.token_bytes(32)
        self._hashes: dict[tuple[str, str], str] = {}
        self._passed: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def prepare(self, stored_hash: str | None, plain: str | None) -> None:
        """Hash a plain password now, so its first check costs what every other one does."""
        if plain is not None and not stored_hash:
            self._hash_of(None, plain)

    def verify(self, stored_hash: str | None, plain: str | None, password: str) -> bool:
        """``stored_hash`` or ``plain`` is the user's; both None for an unknown user."""
        if stored_hash is None and plain is None:
            check_password_hash(self._dummy, password)
            return False
        digest = self._hash_of(stored_hash, plain)
        mark = hmac.new(self._key, f"{digest}\0{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            known = self._passed.get(digest)
        if known is not None and hmac.compare_digest(known, mark):
            return True
        if not check_password_hash(digest, password):
            return False
        with self._lock:
            self._passed[digest] = mark
        return True

    def _hash_of(self, stored_hash: str | None, plain: str | None) -> str:
        if stored_hash:
            return stored_hash
        key = ("plain", plain or "")
        with self._lock:
            if key not in self._hashes:
                self._hashes[key] = generate_password_hash(plain or "")
            return self._hashes[key]
