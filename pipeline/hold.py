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

Pure functions and plain data; imports nothing outside pipeline/.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

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
class Finding:
    """One thing found on a sheet or about a file: the shape preflight reports findings in.

    ``page`` (1-based) and ``position_mm`` (x, y from the sheet's lower left corner) say where,
    when there is a where; ``object`` names the image, font or colour.
    """

    code: str
    severity: str
    message: str
    page: int | None = None
    object: str = ""
    position_mm: tuple[float, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["position_mm"] = list(self.position_mm) if self.position_mm else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        position = data.get("position_mm")
        return cls(
            code=str(data.get("code", "")),
            severity=str(data.get("severity", WARNING)),
            message=str(data.get("message", "")),
            page=data.get("page"),
            object=str(data.get("object") or ""),
            position_mm=(float(position[0]), float(position[1])) if position else None,
        )


@dataclass(frozen=True)
class Earlier:
    """An earlier job the duplicate check compares with."""

    id: int
    name: str
    received_at: datetime
    sha256: str


def duplicate_findings(
    sha256: str, name: str, same_bytes: Earlier | None, same_order_and_job: Earlier | None
) -> list[Finding]:
    """The ``duplicate`` error when an earlier job had the same bytes, else a ``new_version``
    warning when one had the same order and job name (a corrected file)."""
    if same_bytes is not None and sha256:
        return [
            Finding(
                DUPLICATE,
                ERROR,
                f"{name}: the same file (same bytes) as job {same_bytes.id} "
                f"({same_bytes.name}) received {_day(same_bytes.received_at)}; approve it "
                f"only as a remake (plates bought again), else reject it",
                object=same_bytes.name,
            )
        ]
    if same_order_and_job is not None:
        return [
            Finding(
                NEW_VERSION,
                WARNING,
                f"{name}: a new version of job {same_order_and_job.id} "
                f"({same_order_and_job.name}, received {_day(same_order_and_job.received_at)})",
                object=same_order_and_job.name,
            )
        ]
    return []


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
        where.append(f"at {finding.position_mm[0]:.0f} x {finding.position_mm[1]:.0f} mm")
    place = f" ({', '.join(where)})" if where else ""
    return f"{finding.severity} {finding.code}{place}: {finding.message}"


def marker(
    position_mm: tuple[float, float] | None, crop_pt: tuple[float, float, float, float] | None
) -> tuple[float, float] | None:
    """Where a finding at ``position_mm`` (from the sheet's lower left corner) is on the proof,
    as (left, top) percentages of the proof image, which shows ``crop_pt`` (x0, y0, x1, y1 in
    points, PDF coordinates); None when unknown or off the proof."""
    if position_mm is None or crop_pt is None:
        return None
    x0, y0, x1, y1 = crop_pt
    if x1 <= x0 or y1 <= y0:
        return None
    x, y = (value * 72 / 25.4 for value in position_mm)
    left, top = (x - x0) / (x1 - x0) * 100, (y1 - y) / (y1 - y0) * 100
    if not (0 <= left <= 100 and 0 <= top <= 100):
        return None
    return round(left, 2), round(top, 2)


def _day(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
