"""A preflight finding: what is wrong, how bad, where on the sheet, and what to do."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

#: PostScript points per millimetre.
PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class Finding:
    """One problem on a sheet.

    ``code`` is stable (``pipeline.errors.PREFLIGHT_CODES``), ``severity`` is ``error`` (the
    job is held) or ``warning``; ``page`` is 1-based (None for the whole file); ``object``
    names the image, font or colour; ``position_mm`` is ``(x, y, w, h)`` from the sheet's
    lower-left corner (its MediaBox, unrotated), where the problem has a place; ``value`` is
    the measured figure (ppi, ink percent) where there is one.
    """

    code: str
    severity: str
    page: int | None
    object: str | None
    position_mm: tuple[float, float, float, float] | None
    message: str
    value: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["position_mm"] = list(self.position_mm) if self.position_mm else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        position = data.get("position_mm")
        return cls(**{**data, "position_mm": tuple(position) if position else None})


def has_errors(findings: list[Finding]) -> bool:
    """True when any finding holds the job."""
    return any(f.severity == "error" for f in findings)


def where(position: tuple[float, float, float, float] | None) -> str:
    """``at 12 x 30 mm (40 x 20 mm)`` for a message, or ``""``."""
    if position is None:
        return ""
    x, y, w, h = position
    return f" at x {x:g} mm, y {y:g} mm ({w:g} x {h:g} mm)"


def to_mm(
    box: tuple[float, float, float, float] | None, origin: tuple[float, float]
) -> tuple[float, float, float, float] | None:
    """A page-space box in points as ``(x, y, w, h)`` in mm from ``origin`` (MediaBox corner)."""
    if box is None or not all(math.isfinite(v) for v in (*box, *origin)):
        return None
    x0, y0, x1, y1 = box
    return (
        round((x0 - origin[0]) / PT_PER_MM, 1),
        round((y0 - origin[1]) / PT_PER_MM, 1),
        round((x1 - x0) / PT_PER_MM, 1),
        round((y1 - y0) / PT_PER_MM, 1),
    )
