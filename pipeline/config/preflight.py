"""``[preflight]``: severities and limits of the checks on an imposed sheet.

The shop's ``[preflight]`` table sets them; ``[presses.NAME.preflight]`` and
``[outputters.NAME.preflight]`` override single keys for one press or one bureau (the bureau's
override wins over the press's). Every key is checked here like any other; a wrong one names
the file and the key. :func:`preflight_settings` gives the settings that apply to one job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.errors import PREFLIGHT_CODES, PREFLIGHT_SEVERITIES

#: ``pipeline.config.checking.Reader`` (not imported: checking.py imports settings.py, which
#: imports this module).
Reader = Any

#: Effective resolution (ppi) under which an image is an error.
DEFAULT_MIN_PPI_ERROR = 150.0
#: Effective resolution (ppi) under which an image is a warning.
DEFAULT_MIN_PPI_WARNING = 225.0
#: Effective resolution (ppi) under which a 1-bit (line art) image is flagged.
DEFAULT_MIN_PPI_BITMAP = 550.0
#: Effective resolution (ppi) under which a 1-bit image is a warning (GWG 2022 R0032).
DEFAULT_MIN_PPI_BITMAP_WARNING = 800.0
#: Separations one sheet side may list before the sheet is held (``plates_over_limit``).
DEFAULT_MAX_PLATES = 12
#: Size in pt under which white or multi-ink text is ``small_text`` (GWG 2022 R0016-R0017).
DEFAULT_MIN_TEXT_PT = 8.0
#: Width in pt under which white or multi-ink lines are ``thin_line`` (GWG 2022 R0018-R0019).
DEFAULT_MIN_LINE_PT = 0.25
#: Size in pt under which black text should overprint (GWG 2022 R0009/R0011).
DEFAULT_BLACK_TEXT_OVERPRINT_PT = 12.0
#: Side in mm of the square total ink is averaged over (GWG 2022 R0026).
DEFAULT_TAC_WINDOW_MM = 15.0
#: Highest total area coverage, in percent (C + M + Y + K), before ``ink_limit``.
DEFAULT_MAX_TAC = 320.0
#: Area in mm² of 15 mm square positions (their centres) averaging over max_tac that counts
#: as a finding: 1 mm² (a 15 mm square just over the limit has about 4 mm² of such centres).
DEFAULT_TAC_MIN_AREA_MM2 = 1.0
#: Days back a job with the same bytes makes a new file a ``duplicate``.
DEFAULT_DUPLICATE_DAYS = 60
#: Seconds the checks may take on one file before they stop with a warning.
DEFAULT_BUDGET_SECONDS = 60.0
#: Keys of a ``preflight`` table (the shop's, a press's or a bureau's).
KEYS = frozenset(
    {
        "enabled",
        "severity",
        "min_ppi_error",
        "min_ppi_warning",
        "min_ppi_bitmap",
        "min_ppi_bitmap_warning",
        "max_tac",
        "tac_window_mm",
        "max_plates",
        "min_text_pt",
        "min_line_pt",
        "black_text_overprint_pt",
        "tac_min_area_mm2",
        "duplicate_days",
        "budget_seconds",
        "max_paper_mm",
    }
)


@dataclass(frozen=True)
class PreflightSettings:
    """The severities and limits that apply to one job."""

    #: ``enabled``: False, the hold step runs no check and holds nothing (tasks/hold.py).
    active: bool = True
    severity: Mapping[str, str] = field(default_factory=lambda: dict(PREFLIGHT_CODES))
    min_ppi_error: float = DEFAULT_MIN_PPI_ERROR
    min_ppi_warning: float = DEFAULT_MIN_PPI_WARNING
    min_ppi_bitmap: float = DEFAULT_MIN_PPI_BITMAP
    min_ppi_bitmap_warning: float = DEFAULT_MIN_PPI_BITMAP_WARNING
    max_tac: float = DEFAULT_MAX_TAC
    tac_window_mm: float = DEFAULT_TAC_WINDOW_MM
    max_plates: int = DEFAULT_MAX_PLATES
    min_text_pt: float = DEFAULT_MIN_TEXT_PT
    min_line_pt: float = DEFAULT_MIN_LINE_PT
    black_text_overprint_pt: float = DEFAULT_BLACK_TEXT_OVERPRINT_PT
    tac_min_area_mm2: float = DEFAULT_TAC_MIN_AREA_MM2
    duplicate_days: int = DEFAULT_DUPLICATE_DAYS
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    max_paper_mm: tuple[float, float] | None = None  # the largest sheet the press takes

    def severity_of(self, code: str) -> str:
        """``error``, ``warning`` or ``off`` for a finding code."""
        return self.severity.get(code, PREFLIGHT_CODES.get(code, "warning"))

    def enabled(self, code: str) -> bool:
        return self.severity_of(code) != "off"


def read_preflight(reader: Reader, raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The checked keys of one ``preflight`` table, as overrides (only the keys it sets)."""
    reader.only(raw, key, set(KEYS))
    found: dict[str, Any] = {}
    if "enabled" in raw:
        found["active"] = reader.boolean(raw, f"{key}.enabled", True)
    if "severity" in raw:
        found["severity"] = _severities(reader, reader.table(raw, f"{key}.severity"), key)
    for name in (
        "min_ppi_error",
        "min_ppi_warning",
        "min_ppi_bitmap",
        "min_ppi_bitmap_warning",
        "max_tac",
        "tac_window_mm",
        "min_text_pt",
        "min_line_pt",
        "black_text_overprint_pt",
    ):
        if name in raw:
            found[name] = reader.number(raw, f"{key}.{name}", 0)
    for name in ("tac_min_area_mm2", "budget_seconds"):
        if name in raw:
            found[name] = reader.number(raw, f"{key}.{name}", 0)
    if "max_plates" in raw:
        found["max_plates"] = int(reader.number(raw, f"{key}.max_plates", 1))
    if "duplicate_days" in raw:
        found["duplicate_days"] = int(reader.number(raw, f"{key}.duplicate_days", 0))
    if "max_paper_mm" in raw:
        found["max_paper_mm"] = _size(reader, raw["max_paper_mm"], f"{key}.max_paper_mm")
    return found


def settings_from(overrides: Mapping[str, Any]) -> PreflightSettings:
    """The shop's settings: the defaults with the ``[preflight]`` table's keys."""
    return merge(PreflightSettings(), overrides)


def merge(base: PreflightSettings, overrides: Mapping[str, Any]) -> PreflightSettings:
    """``base`` with ``overrides``; severities are merged code by code."""
    changes = dict(overrides)
    if "severity" in changes:
        changes["severity"] = {**base.severity, **changes["severity"]}
    return replace(base, **changes)


def _severities(reader: Reader, raw: Mapping[str, Any], key: str) -> dict[str, str]:
    reader.only(raw, f"{key}.severity", set(PREFLIGHT_CODES))
    found = {}
    for code in raw:
        value = reader.text(raw, f"{key}.severity.{code}")
        if value not in PREFLIGHT_SEVERITIES:
            raise reader.fail(
                f"{key}.severity.{code}",
                f"must be one of {', '.join(PREFLIGHT_SEVERITIES)}, got {value!r}",
            )
        found[code] = value
    return found


def _size(reader: Reader, value: Any, key: str) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise reader.fail(key, f"must be [width, height] in mm, got {value!r}")
    return float(value[0]), float(value[1])
