"""Total area coverage (``ink_limit``) from the rendering the preview already does.

The preview's ink pass (``pipeline.preview.inkcov``) renders each page in CMYK with
Ghostscript at 72 dpi (one pixel is 0.35 mm) and keeps, per page, each ink's average and a
total-ink profile (``pipeline.inkmap``): how much of the page is over each level from 200 %,
and where. Preflight adds no rendering of its own:

- :func:`ink_findings` flags a page where more than ``tac_min_area_mm2`` carry more than
  ``max_tac`` (judged at the profile's next 5 % level), naming the peak and the box around
  those areas; a page without a profile (Ghostscript without the ``pamcmyk32`` device, a job
  measured by an older version) is judged on its average, which only flags a whole sheet that
  heavy;
- :func:`ink_from_raster` does the same for any CMYK raster of a page (tests, tools).
"""

from __future__ import annotations

from PIL import Image

from pipeline.config.preflight import PreflightSettings
from pipeline.inkmap import InkMeasure, Profile, heavy_area, measure
from pipeline.preflight.findings import Finding, where


def ink_findings(ink: InkMeasure | None, settings: PreflightSettings) -> list[Finding]:
    """``ink_limit`` per page: from its profile where there is one, else from its average."""
    if ink is None or not settings.enabled("ink_limit"):
        return []
    profiles = ink.profiles or {}
    found = []
    for page in sorted(set(ink.coverage) | set(profiles)):
        if page in profiles:
            found += _from_profile(profiles[page], page, settings)
        else:
            found += ink_from_coverage({page: ink.coverage[page]}, settings)
    return found


def ink_from_coverage(
    coverage: dict[int, dict[str, float]] | None, settings: PreflightSettings
) -> list[Finding]:
    """``ink_limit`` for pages whose average C+M+Y+K (percent) is over ``max_tac``."""
    if not coverage or not settings.enabled("ink_limit"):
        return []
    found = []
    for page, inks in sorted(coverage.items()):
        total = round(sum(inks.get(ink, 0.0) for ink in ("C", "M", "Y", "K")), 1)
        if total > settings.max_tac:
            found.append(
                Finding(
                    "ink_limit",
                    settings.severity_of("ink_limit"),
                    page,
                    None,
                    None,
                    f"page {page}: the whole sheet averages {total:g} % ink (C+M+Y+K), over "
                    f"the {settings.max_tac:g} % limit: it will not dry. Reduce the total ink "
                    f"(GCR/UCR) in the placed pages.",
                    total,
                )
            )
    return found


def ink_from_raster(
    raster: Image.Image, dpi: float, page: int, settings: PreflightSettings
) -> list[Finding]:
    """``ink_limit`` from a CMYK raster of one page rendered at ``dpi`` (row 0 at the top)."""
    if not settings.enabled("ink_limit"):
        return []
    return _from_profile(measure(raster, dpi).profile(), page, settings)


def _from_profile(profile: Profile, page: int, settings: PreflightSettings) -> list[Finding]:
    heavy = heavy_area(profile, settings.max_tac)
    if heavy is None or heavy[0] <= settings.tac_min_area_mm2:
        return []
    area_mm2, peak, box = heavy
    position = (box[0], box[1], box[2], box[3])
    return [
        Finding(
            "ink_limit",
            settings.severity_of("ink_limit"),
            page,
            None,
            position,
            f"page {page}: {area_mm2:.0f} mm² carry more than {settings.max_tac:g} % ink "
            f"(up to {peak:g} %){where(position)}: it will not dry. Reduce the total ink "
            f"(GCR/UCR) there.",
            peak,
        )
    ]
