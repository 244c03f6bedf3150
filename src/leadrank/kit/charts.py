"""Charts as SVG, drawn by Vega-Lite (specified with Altair, rendered on the server by
vl-convert): pages and offline reports show them with no JavaScript and no internet.

Vega's SVG renderer escapes every text it draws, so labels taken from lead data are safe to
put into a page as they come, once the characters it cannot take are out of them (see
`_plain`). The first chart of a process starts the renderer (about half a second); later ones
take tens of milliseconds, and the same chart is drawn once.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import structlog

log = structlog.get_logger("leadrank.charts")

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


# What the renderer cannot take in a text, each made a space: control characters (C0, DEL,
# C1; a NUL or an ESC aborts the whole process, uncatchably), the line and paragraph
# separators (Vega's expression parser refuses them: "Unexpected token ILLEGAL"), lone
# surrogates (not JSON the renderer reads) and U+FFFE/U+FFFF (not XML: an abort too).
_UNRENDERABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
UNAVAILABLE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="40" role="img" '
    'aria-label="chart unavailable"><text x="8" y="24" fill="#6b7280" font-size="13" '
    f'font-family="{FONT}">chart unavailable</text></svg>'
)


def svg(chart: Any) -> str:
    """The chart (an Altair chart or a Vega-Lite spec as a dict) as an SVG document, in the
    app's colours and font; a small "chart unavailable" picture (and an error in the log)
    when the renderer fails, so the page around it still shows."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    spec = _plain({**spec, "config": {**_THEME, **spec.get("config", {})}})
    text = json.dumps(spec, sort_keys=True, default=str)
    try:
        return _render(text)
    except Exception as error:  # the renderer's errors are all ValueError today; any will do
        log.error("chart not rendered", error=type(error).__name__, reason=_reason(error))
        return UNAVAILABLE


def _plain(value: Any) -> Any:
    """`value` with every text in it (keys too: they name fields that expressions quote)
    rid of the characters the renderer cannot take."""
    if isinstance(value, str):
        return _UNRENDERABLE.sub(" ", value)
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _reason(error: Exception) -> str:
    """The renderer's words for an error, without its stack and without what it quotes: the
    spec holds lead data, which the log must not."""
    lines = [line.strip() for line in str(error).splitlines()]
    words = " / ".join(line for line in lines if line and not line.startswith("at "))
    return re.sub(r"\"[^\"]*\"|'[^']*'|`[^`]*`", "…", words)[:200]


@lru_cache(maxsize=256)
def _render(spec: str) -> str:
    import vl_convert  # loaded at the first chart: it starts a JavaScript engine

    text: str = vl_convert.vegalite_to_svg(spec)
    return text
