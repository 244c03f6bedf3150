"""Charts take any text lead data holds: line and paragraph separators (which Vega's
expression parser refuses) and control characters (some of which abort the renderer's whole
process) are drawn as spaces; a chart the renderer still cannot draw is a small "chart
unavailable" picture and an error in the log that quotes no data."""

from __future__ import annotations

import subprocess
import sys

from structlog.testing import capture_logs

from leadrank.kit.charts import UNAVAILABLE, svg


def _bars(label: str, field: str = "label") -> dict[str, object]:
    return {
        "data": {"values": [{field: label, "points": 12}, {field: "Seniority is vp", "points": 8}]},
        "mark": "bar",
        "encoding": {
            "y": {"field": field, "type": "nominal", "sort": [label, "Seniority is vp"]},
            "x": {"field": "points", "type": "quantitative"},
        },
    }


def test_a_label_with_line_and_paragraph_separators_is_drawn() -> None:
    drawn = svg(_bars("Industry is Soft\u2028ware\u2029Services"))
    assert drawn.startswith("<svg") and drawn != UNAVAILABLE
    assert "Industry is Soft ware Services" in drawn


def test_a_field_named_with_a_separator_is_drawn() -> None:
    drawn = svg(_bars("Channel is web", field="Lead\u2028Channel"))
    assert drawn != UNAVAILABLE and "Channel is web" in drawn
    assert "Lead Channel" in drawn  # the axis title: the field's name


def test_control_characters_do_not_stop_the_process() -> None:
    # A NUL, an ESC or U+FFFF reaching the renderer aborts the process it runs in, which no
    # `except` catches: drawn in a process of its own, so a failure here fails one test.
    program = (
        "from leadrank.kit.charts import svg, UNAVAILABLE\n"
        "for bad in ('\\x00', '\\x1b', '\\x7f', '\\x85', '\\ufffe', '\\uffff', '\\ud800'):\n"
        "    drawn = svg({'data': {'values': [{'a': 'x' + bad + 'y'}]}, 'mark': 'bar',\n"
        "                 'encoding': {'y': {'field': 'a', 'type': 'nominal'}}})\n"
        "    assert drawn != UNAVAILABLE and 'x y' in drawn, repr(bad)\n"
        "print('drawn')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "drawn"


def test_a_chart_the_renderer_refuses_is_unavailable_and_logged_without_data() -> None:
    spec = _bars("Acme secret plans")
    spec["transform"] = [{"filter": "datum.label === 'Acme secret plans' +"}]  # not an expression
    with capture_logs() as logs:
        drawn = svg(spec)
    assert drawn == UNAVAILABLE and "chart unavailable" in drawn
    assert [entry["event"] for entry in logs] == ["chart not rendered"]
    assert logs[0]["log_level"] == "error" and logs[0]["error"] == "ValueError"
    assert "secret" not in str(logs)
