"""Bar charts as geometry for server-drawn SVG: no chart library, nothing to download.

The templates draw ``<rect>`` and ``<text>`` from these numbers, so a chart is plain markup
that prints, scales and needs no JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Chart size in SVG user units (the page scales it to its width).
WIDTH, HEIGHT = 720, 220
#: Room for the axis labels.
LEFT, BOTTOM, TOP = 48, 24, 12


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (y, label) of the horizontal grid lines
    width: int = WIDTH
    height: int = HEIGHT


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above ``value`` (an axis that reads well)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def bar_chart(points: Sequence[tuple[str, float]]) -> Chart:
    """Vertical bars, one per (label, value), on an axis from 0 to a round maximum."""
    top = nice_ceiling(max((value for _, value in points), default=0))
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(1, len(points))
    bars = []
    for index, (label, value) in enumerate(points):
        height = plot_h * value / top
        bars.append(
            Bar(
                label,
                value,
                LEFT + index * slot + slot * 0.15,
                TOP + plot_h - height,
                slot * 0.7,
                height,
            )
        )
    ticks = [(TOP + plot_h * (1 - i / 4), _short(top * i / 4)) for i in range(5)]
    return Chart(bars, ticks)


def _short(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:g}"
