"""Charts as SVG, drawn by Vega-Lite (specified with Altair, rendered on the server by
vl-convert): pages and offline reports show them with no JavaScript and no internet.

Vega's SVG renderer escapes every text it draws, so labels taken from lead data are safe to
put into a page as they come. The first chart of a process starts the renderer (about half a
second); later ones take tens of milliseconds, and the same chart is drawn once.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

# Colours of the app: grades and series read alike on every chart.
INK = "#111827"
MUTED = "#6b7280"
GRID = "#e5e7eb"
ACCENT = "#2563eb"
POSITIVE = "#15803d"
NEGATIVE = "#b91c1c"
GRADE_COLOURS = {"A": "#16a34a", "B": "#2563eb", "C": "#ca8a04", "D": "#ea580c", "E": "#9ca3af"}
FONT = "-apple-system, BlinkMacSystemFont, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"

_THEME = {
    "background": "white",
    "font": FONT,
    "view": {"stroke": None},
    "axis": {
        "labelColor": MUTED,
        "titleColor": INK,
        "gridColor": GRID,
        "domainColor": GRID,
        "tickColor": GRID,
        "labelFontSize": 11,
        "titleFontSize": 12,
        "titleFontWeight": 600,
    },
    "legend": {"labelColor": INK, "titleColor": INK, "labelFontSize": 11, "titleFontSize": 12},
    "title": {"color": INK, "fontSize": 13, "fontWeight": 600, "anchor": "start"},
    "range": {"category": [ACCENT, "#f59e0b", POSITIVE, "#7c3aed", NEGATIVE, MUTED]},
}


def svg(chart: Any) -> str:
    """The chart (an Altair chart or a Vega-Lite spec as a dict) as an SVG document, in the
    app's colours and font."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    spec = {**spec, "config": {**_THEME, **spec.get("config", {})}}
    return _render(json.dumps(spec, sort_keys=True, default=str))


@lru_cache(maxsize=256)
def _render(spec: str) -> str:
    import vl_convert  # loaded at the first chart: it starts a JavaScript engine

    text: str = vl_convert.vegalite_to_svg(spec)
    return text
