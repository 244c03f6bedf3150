"""Small inline SVG charts on the unit square, for reports that must open offline.

ROC, calibration and gains charts all plot a share against a share, so one chart shape with a
dashed diagonal (the random or perfectly calibrated reference) serves all three. Output is an SVG
string; every caller-supplied text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 380
HEIGHT = 320
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 14, 46
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
MIN_RADIUS, MAX_RADIUS = 3.0, 11.0


@dataclass(frozen=True)
class Line:
    """A polyline through (x, y) points in [0, 1]²."""

    points: Sequence[tuple[float, float]]
    label: str
    color: str = "#2563eb"


@dataclass(frozen=True)
class Dot:
    """A marker whose area grows with `weight` (e.g. rows in a bin); `label` is its tooltip."""

    x: float
    y: float
    weight: float
    label: str


def unit_chart(
    *,
    title: str,
    x_label: str,
    y_label: str,
    lines: Sequence[Line] = (),
    dots: Sequence[Dot] = (),
    reference_label: str = "random",
    note: str | None = None,
) -> str:
    """An SVG chart of lines and sized dots on [0, 1]² with a dashed diagonal reference."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
        'font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        *_axes(x_label, y_label),
        _polyline([(0.0, 0.0), (1.0, 1.0)], "#9ca3af", dashed=True),
        *(_polyline(line.points, line.color) for line in lines),
        *_dots(dots),
        *_legend(
            [(reference_label, "#9ca3af", True), *((ln.label, ln.color, False) for ln in lines)]
        ),
    ]
    if note:
        parts.append(
            f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{TOP + PLOT_H / 2:.1f}" text-anchor="middle" '
            f'fill="#b91c1c">{escape(note)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _x(value: float) -> float:
    return LEFT + _clamp(value) * PLOT_W


def _y(value: float) -> float:
    # SVG's y axis points down
    return TOP + (1 - _clamp(value)) * PLOT_H


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0


def _axes(x_label: str, y_label: str) -> list[str]:
    parts = [
        f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="#fff" stroke="#d1d5db"/>'
    ]
    for tick in TICKS:
        x, y = _x(tick), _y(tick)
        parts += [
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + PLOT_H}" stroke="#f3f4f6"/>',
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" stroke="#f3f4f6"/>',
            f'<text x="{x:.1f}" y="{TOP + PLOT_H + 15}" text-anchor="middle" fill="#4b5563">'
            f"{tick:g}</text>",
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4b5563">{tick:g}</text>',
        ]
    mid_y = TOP + PLOT_H / 2
    parts += [
        f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" fill="#111827">'
        f"{escape(x_label)}</text>",
        f'<text x="14" y="{mid_y:.1f}" text-anchor="middle" fill="#111827" '
        f'transform="rotate(-90 14 {mid_y:.1f})">{escape(y_label)}</text>',
    ]
    return parts


def _polyline(points: Sequence[tuple[float, float]], color: str, *, dashed: bool = False) -> str:
    coords = " ".join(f"{_x(x):.1f},{_y(y):.1f}" for x, y in points)
    dash = ' stroke-dasharray="4 4"' if dashed else ""
    return (
        f'<polyline points="{coords}" fill="none" stroke="{escape(color)}" '
        f'stroke-width="{1 if dashed else 2}"{dash}/>'
    )


def _dots(dots: Sequence[Dot]) -> list[str]:
    heaviest = max((dot.weight for dot in dots), default=0.0)
    parts = []
    for dot in dots:
        # area, not radius, proportional to weight, so a bin with 4x the rows does not look 16x
        share = math.sqrt(dot.weight / heaviest) if heaviest > 0 else 0.0
        radius = MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * share
        parts.append(
            f'<circle cx="{_x(dot.x):.1f}" cy="{_y(dot.y):.1f}" r="{radius:.1f}" '
            f'fill="#2563eb" fill-opacity="0.55" stroke="#1e40af">'
            f"<title>{escape(dot.label)}</title></circle>"
        )
    return parts


def _legend(entries: Sequence[tuple[str, str, bool]]) -> list[str]:
    # bottom right: the empty corner of ROC, gains and (well-calibrated) calibration charts
    row_height = 15
    top = TOP + PLOT_H - 8 - row_height * len(entries)
    left = LEFT + PLOT_W - 132
    parts = []
    for i, (label, color, dashed) in enumerate(entries):
        y = top + row_height * (i + 1)
        dash = ' stroke-dasharray="4 4"' if dashed else ""
        parts += [
            f'<line x1="{left}" y1="{y - 4}" x2="{left + 18}" y2="{y - 4}" '
            f'stroke="{escape(color)}" stroke-width="2"{dash}/>',
            f'<text x="{left + 24}" y="{y}" fill="#374151">{escape(label)}</text>',
        ]
    return parts
