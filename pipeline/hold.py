"""The hold: whether a job waits for a person before its plates are bought, and why.

After the preview is made and before the plate file goes to the bureau, the ``hold`` step
(tasks/hold.py) gathers *findings*: those of preflight and those of the duplicate check made
here. A job with an ``error`` finding is held: its chain ends, nothing is uploaded or sent,
and it waits in the database until a person approves it (the chain continues from the plate
upload) or rejects it (the file goes to failed/ with the findings and the reason).

Duplicates: a file whose bytes (sha256) equal those of a job received within ``[preflight]
duplicate_days`` is an ``error`` finding ``duplicate`` naming that job and its date; an approved
duplicate is a *remake* (plates bought again on purpose, counted and shown apart). A different
file with the same order and job name is a ``new_version`` warning: corrected files are normal.

Modes (DOMAIN.md): import records the findings but never holds; dry-run holds like normal.

Findings are preflight's (``pipeline.preflight.Finding``). Pure functions and plain data;
imports nothing outside pipeline/.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.preflight.findings import Finding

#: Severity of a finding that holds the job.
ERROR = "error"
#: Severity of a finding that is only shown.
WARNING = "warning"
#: Code of the finding "same bytes as an earlier job".
DUPLICATE = "duplicate"
#: Code of the finding "same order and job name as an earlier job, other bytes".
NEW_VERSION = "new_version"
#: The mode whose jobs are never held (history being loaded).
NEVER_HOLDS = "import"


@dataclass(frozen=True)
class Earlier:
    """An earlier job the duplicate check compares with."""

    id: int
    name: str
    received_at: datetime
    sha256: str


def duplicate_findings(
    name: str,
    same_bytes: Earlier | None,
    same_order_and_job: Earlier | None,
    severity: dict[str, str] | None = None,
) -> list[Finding]:
    """The ``duplicate`` finding when an earlier job had the same bytes, else ``new_version``
    when one had the same order and job name (a corrected file). ``severity`` maps the two
    codes to ``error``, ``warning`` or ``off`` (``[preflight.severity]``; default error and
    warning)."""
    levels = {DUPLICATE: ERROR, NEW_VERSION: WARNING, **(severity or {})}
    found = []
    if same_bytes is not None:
        message = (
            f"{name}: the same file (same bytes) as job {same_bytes.id} ({same_bytes.name}) "
            f"received {_day(same_bytes.received_at)}; approve it only as a remake (plates "
            f"bought again), else reject it"
        )
        found.append(Finding(DUPLICATE, levels[DUPLICATE], None, same_bytes.name, None, message))
    elif same_order_and_job is not None:
        earlier = same_order_and_job
        message = (
            f"{name}: a new version of job {earlier.id} ({earlier.name}, received "
            f"{_day(earlier.received_at)})"
        )
        found.append(Finding(NEW_VERSION, levels[NEW_VERSION], None, earlier.name, None, message))
    return [f for f in found if f.severity != "off"]


def finding_from(data: dict[str, Any]) -> Finding:
    """A stored finding (``Finding.as_dict``) back, tolerating keys it lacks."""
    position = data.get("position_mm")
    return Finding(
        code=str(data.get("code", "")),
        severity=str(data.get("severity", WARNING)),
        page=data.get("page"),
        object=data.get("object"),
        position_mm=tuple(position) if position else None,  # type: ignore[arg-type]
        message=str(data.get("message", "")),
        value=data.get("value"),
    )


def must_hold(findings: Iterable[Finding], mode: str) -> bool:
    """True when the job waits for a person: an error finding, in any mode but import."""
    return mode != NEVER_HOLDS and any(f.severity == ERROR for f in findings)


def reasons(findings: Iterable[Finding]) -> list[str]:
    """Why a job is held: the messages of its error findings."""
    return [f.message for f in findings if f.severity == ERROR]


def is_duplicate(findings: Iterable[Finding]) -> bool:
    return any(f.code == DUPLICATE for f in findings)


def reason_required(findings: Sequence[Finding]) -> bool:
    """Approving needs a reason: a duplicate (a remake) or errors being overridden."""
    return any(f.severity == ERROR for f in findings)


def error_text(name: str, findings: Sequence[Finding], reason: str, who: str) -> str:
    """The ``<job>_<name>.error.txt`` of a job rejected at the hold."""
    lines = [f"{name}: rejected at the hold by {who}: {reason}", "", "Findings:"]
    lines += [f"- {describe(f)}" for f in findings] or ["- none"]
    return "\n".join(lines) + "\n"


def describe(finding: Finding) -> str:
    """``error plate_missing (page 2, PANTONE 123 C, at 512 x 300 mm): message``."""
    where = []
    if finding.page is not None:
        where.append(f"page {finding.page}")
    if finding.object:
        where.append(finding.object)
    if finding.position_mm:
        x, y = finding.position_mm[:2]
        where.append(f"at x {x:.0f} mm, y {y:.0f} mm")
    place = f" ({', '.join(where)})" if where else ""
    return f"{finding.severity} {finding.code}{place}: {finding.message}"


def marker(
    position_mm: Sequence[float] | None, crop_pt: tuple[float, float, float, float] | None
) -> tuple[float, float] | None:
    """Where a finding at ``position_mm`` (x, y[, w, h] from the sheet's lower left corner) is
    on the proof: the centre of its box as (left, top) percentages of the proof image, which
    shows ``crop_pt`` (x0, y0, x1, y1 in points, PDF coordinates); None when unknown or off
    the proof."""
    if not position_mm or crop_pt is None:
        return None
    x0, y0, x1, y1 = crop_pt
    if x1 <= x0 or y1 <= y0:
        return None
    width, height = (position_mm[2], position_mm[3]) if len(position_mm) >= 4 else (0.0, 0.0)
    x, y = ((position_mm[0] + width / 2) * 72 / 25.4, (position_mm[1] + height / 2) * 72 / 25.4)
    left, top = (x - x0) / (x1 - x0) * 100, (y1 - y) / (y1 - y0) * 100
    if not (0 <= left <= 100 and 0 <= top <= 100):
        return None
    return round(left, 2), round(top, 2)


def _day(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
