"""Total area coverage (``ink_limit``) from the rendering the preview already does.

The preview's ink pass (``pipeline.preview.inkcov``) renders each page in CMYK with
Ghostscript at 72 dpi (one pixel is 0.35 mm) and keeps, per page, each ink's average and a
total-ink profile (``pipeline.inkmap``): how much of the page is over each level from 200 %,
and where, with total ink averaged over 15 mm squares as GWG 2022 (R0026) judges it. Preflight
adds no rendering of its own:

- :func:`ink_findings` flags a page where squares of the profile's ``window_mm`` average more
  than ``max_tac`` (judged at the profile's next 5 % level), and the positions of those
  squares (one per pixel, the square's centre) cover more than ``tac_min_area_mm2``, naming
  the highest average and the box around those squares. Signa's marks (400 % in ``All``, but
  thin lines, small text and a colour bar a few mm high) average far under the limit. A
  profile measured by an older version (no ``window_mm``) is judged per pixel, as it was
  then; a page without a profile (Ghostscript without the ``pamcmyk32`` device, a job measured
  before profiles were kept) is judged on its average, which only flags a whole sheet that
  heavy;
- :func:`ink_from_raster` does the same for any CMYK raster of a page (tests, tools), with
  the settings' ``tac_window_mm``.

The ink pass runs before the job's settings are known, so a stored profile is averaged over
the default 15 mm (``pipeline.inkmap.TAC_WINDOW_MM``) and judged with the window it was
measured with, which the message names.
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
    profile = measure(raster, dpi, settings.tac_window_mm).profile()
    return _from_profile(profile, page, settings)


def _from_profile(profile: Profile, page: int, settings: PreflightSettings) -> list[Finding]:
    heavy = heavy_area(profile, settings.max_tac)
    if heavy is None or heavy[0] <= settings.tac_min_area_mm2:
        return []
    area_mm2, peak, box = heavy
    position = (box[0], box[1], box[2], box[3])
    window = profile.get("window_mm")
    if window:
        excess = (
            f"total ink averaged over {float(window):g} mm squares is more than "
            f"{settings.max_tac:g} % (up to {peak:g} %)"
        )
    else:  # measured per pixel by an older version
        excess = f"{area_mm2:.0f} mm² carry more than {settings.max_tac:g} % ink (up to {peak:g} %)"
    return [
        Finding(
            "ink_limit",
            settings.severity_of("ink_limit"),
            page,
            None,
            position,
            f"page {page}: {excess}{where(position)}: it will not dry. Reduce the total "
            f"ink (GCR/UCR) there.",
            peak,
        )
    ]
