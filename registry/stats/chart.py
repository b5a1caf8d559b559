"""Geometry of the server-rendered SVG bar chart (no script, no CDN: the CSP allows neither)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    left: int
    top: int
    bottom: float
    right: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    target_value: int | None
    target_y: float | None


def _nice_step(span: int) -> int:
    """1, 2, 5 × 10^k so that the axis has about five ticks."""
    raw = max(1, span) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return max(1, int(factor * magnitude))
    return int(10 * magnitude)


#: room right of the plot for the target line's label, so it never sits on a bar
TARGET_LABEL_ROOM = 150


def bar_chart(points: list[tuple[str, int]], *, target: int | None = None, width: int = 960, height: int = 300,
              left: int = 44, right: int = 16, top: int = 16, bottom_margin: int = 32) -> BarChart:
    """Bars for (label, value) points on an axis that also shows the target line.

    With a target, the plot stops TARGET_LABEL_ROOM short of the right edge and the label is set
    there, beside the end of the line; the page scales the SVG to its card's width.
    """
    if target is not None:
        right = max(right, TARGET_LABEL_ROOM)
    top_value = max([v for _l, v in points] + [target or 0, 1])
    step = _nice_step(top_value)
    axis_max = step * math.ceil(top_value * 1.1 / step) if top_value else step
    plot_h = height - top - bottom_margin
    plot_w = width - left - right
    slot = plot_w / max(1, len(points))
    bar_w = slot * 0.6

    def y_of(value: float) -> float:
        return round(top + plot_h * (1 - value / axis_max), 2)

    bars = tuple(Bar(label=lab, value=val, x=round(left + i * slot + (slot - bar_w) / 2, 2), y=y_of(val),
                     width=round(bar_w, 2), height=round(plot_h * val / axis_max, 2))
                 for i, (lab, val) in enumerate(points))
    ticks = tuple(Tick(v, y_of(v)) for v in range(0, axis_max + 1, step))
    return BarChart(width=width, height=height, left=left, top=top, bottom=top + plot_h, right=width - right,
                    bars=bars, ticks=ticks, target_value=target, target_y=y_of(target) if target is not None else None)
