"""Taken by the bureau: which plate files the bureau's RIP has taken, and which have lain in
its upload folder too long.

The RIP takes a plate file by moving or deleting it from the folder prepress uploaded it to.
Every ``[outputters.NAME] taken_poll_minutes`` the folders of the bureau's recent plate
uploads are listed (tasks/taken.py, one connection per bureau and round); a plate file whose
exact remote name (a remake's ``_R1`` included) is no longer there was taken at that round.
The ``.jdf`` ticket beside it is not looked for: the bureau may keep or drop it. A plate file
still there ``taken_alert_hours`` after its upload is told to the staff once (kind
``untaken``). These are the rules, without I/O: the listing and the records are elsewhere.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pipeline.alerts import Alert

#: Days after its upload a plate file is looked for; older ones are left as they are
#: (more than ``taken_alert_hours`` may be: a week).
POLL_DAYS = 8
#: Plate files looked for per bureau and round, the oldest first; the rest wait for the
#: next round.
POLL_JOBS = 500
#: The alert kind (``[staff.NAME] notify``) of plate files left untaken.
ALERT_KIND = "untaken"


@dataclass(frozen=True)
class Sent:
    """A plate file at the bureau not known to be taken: its job, where it went and when."""

    job_id: int
    remote_path: str
    uploaded_at: datetime
    #: Order and job name (the file's name without them), for the alert.
    label: str = ""
    #: The staff were told already that it lies untaken.
    alerted: bool = False

    @property
    def folder(self) -> str:
        """The remote folder as the upload's ``remote_path`` has it (``/``: the login folder)."""
        return posixpath.dirname(self.remote_path) or "/"

    @property
    def name(self) -> str:
        return posixpath.basename(self.remote_path)


@dataclass
class Round:
    """What one round found: plate files ``taken``, those ``late`` to tell the staff about
    (still there past the alert hours, not told before), and those whose folder was not listed
    (``unknown``: nothing is decided about them)."""

    taken: list[Sent] = field(default_factory=list)
    late: list[Sent] = field(default_factory=list)
    waiting: list[Sent] = field(default_factory=list)
    unknown: list[Sent] = field(default_factory=list)


def folders(sent: Iterable[Sent]) -> list[str]:
    """The folders to list, once each, in the order of the plate files."""
    return list(dict.fromkeys(s.folder for s in sent))


def decide(
    sent: Iterable[Sent],
    listed: Mapping[str, set[str] | None],
    now: datetime,
    alert_hours: float,
) -> Round:
    """Sort ``sent`` by what the listing of their folders (``listed``: folder -> names, None
    for a folder that is gone) says at ``now``. A file not in its folder's names, or whose
    folder is gone, is taken; one still there past ``alert_hours`` (0: never) and not told
    before is late."""
    found = Round()
    late_after = timedelta(hours=alert_hours)
    for item in sent:
        if item.folder not in listed:
            found.unknown.append(item)
            continue
        names = listed[item.folder]
        if names is None or item.name not in names:
            found.taken.append(item)
        elif alert_hours > 0 and not item.alerted and now - item.uploaded_at >= late_after:
            found.late.append(item)
        else:
            found.waiting.append(item)
    return found


def alert(bureau: str, late: list[Sent], alert_hours: float) -> Alert:
    """``prepress: 2 plate file(s) not taken by Leonov within 4 h:``, each job, then where
    each lies."""
    return Alert(
        f"prepress: {len(late)} plate file(s) not taken by {bureau} within {alert_hours:g} h:",
        tuple(f"{s.label} (job {s.job_id})".strip() for s in late),
        tuple(f"job {s.job_id}: {s.remote_path}" for s in late),
    )


def reference(bureau: str, late: Iterable[Sent]) -> str:
    """The alert's SMS reference: the same jobs are never texted twice."""
    return f"untaken:{bureau}:" + ",".join(str(s.job_id) for s in late)
