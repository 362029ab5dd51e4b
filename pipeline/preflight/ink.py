"""Total area coverage (``ink_limit``) from renderings that already exist.

The preview renders with PDFium in RGB (no ink amounts) and measures ink with Ghostscript's
``ink_cov`` device at 72 dpi (``pipeline.preview.inkcov``), which gives each page's *average*
C, M, Y and K. Preflight adds no render of its own:

- :func:`ink_from_coverage` flags a page whose average total coverage is over ``max_tac``
  (the whole sheet is that heavy: it always holds) from the preview's ``ink_coverage``;
- :func:`ink_from_raster` finds the areas over ``max_tac`` in a CMYK raster of the sheet
  (a ``tiff32nc`` or ``tiffsep`` page, or any Pillow CMYK image) at the resolution it was
  rendered at, and flags them when they cover more than ``tac_min_area_mm2``. The pipeline
  has no CMYK raster today; a caller that renders one for its own reasons passes it here.
"""

from __future__ import annotations

from PIL import Image, ImageMath

from pipeline.config.preflight import PreflightSettings
from pipeline.preflight.findings import Finding, where

#: Millimetres per inch.
MM_PER_INCH = 25.4


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
    cmyk = raster if raster.mode == "CMYK" else raster.convert("CMYK")
    c, m, y, k = (band.convert("I") for band in cmyk.split())
    # 255 per channel is 100 %: the limit in channel units, compared on the sum
    limit = settings.max_tac * 255 / 100
    total = ImageMath.lambda_eval(lambda a: a["c"] + a["m"] + a["y"] + a["k"], c=c, m=m, y=y, k=k)
    over = ImageMath.lambda_eval(lambda a: (a["t"] > limit) * 255, t=total).convert("L")
    pixels = over.histogram()[255]
    area_mm2 = pixels * (MM_PER_INCH / dpi) ** 2
    if area_mm2 <= settings.tac_min_area_mm2:
        return []
    peak = round(total.getextrema()[1] * 100 / 255, 1)  # type: ignore[index]
    position = _position(over.getbbox(), raster.height, dpi)
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


def _position(
    box: tuple[int, int, int, int] | None, height: int, dpi: float
) -> tuple[float, float, float, float] | None:
    """A raster box (top-left origin) as ``(x, y, w, h)`` mm from the lower-left corner."""
    if box is None:
        return None
    scale = MM_PER_INCH / dpi
    left, top, right, bottom = box
    return (
        round(left * scale, 1),
        round((height - bottom) * scale, 1),
        round((right - left) * scale, 1),
        round((bottom - top) * scale, 1),
    )
