"""The training report: one self-contained HTML page a person can open offline or attach to a ticket.

No external CSS, scripts or fonts, so the page renders the same from a laptop, a CI artefact or an
air-gapped server: the charts (`chart_specs`, the same ones the web app's model page shows) are
inline SVG drawn on this machine. Every caller-supplied string is escaped: facts and segment values
come from customer data (the chart renderer escapes the text it draws).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from leadrank.kit.charts import svg
from leadrank.training.chart_specs import (
    TOP_IMPORTANCES,
    calibration_chart,
    gains_chart,
    importance_chart,
    lift_chart,
    roc_chart,
)
from leadrank.training.evaluation import Evaluation

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827;
       background: #f9fafb; margin: 0; line-height: 1.45; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6rem; margin: 0 0 16px; }
h2 { font-size: 1.15rem; margin: 28px 0 10px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
section.warnings { background: #fef2f2; border: 2px solid #dc2626; border-radius: 6px;
                   padding: 8px 16px; margin-bottom: 16px; }
section.warnings h2 { color: #b91c1c; border: none; margin-top: 8px; }
section.warnings li { color: #7f1d1d; font-weight: 600; }
.summary p { margin: 2px 0; white-space: pre-wrap; font-family: ui-monospace, Menlo, Consolas, monospace; }
table { border-collapse: collapse; background: #fff; font-size: 0.9rem; }
th, td { border: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f3f4f6; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 0; background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px;
         width: min-content; max-width: 100%; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #6b7280; font-size: 0.85rem; margin-top: 4px; }
p.empty { color: #6b7280; }
"""


def render_report(
    *,
    title: str,
    evaluation: Evaluation,
    facts: list[tuple[str, str]],
    warnings: list[str],
    importances: list[tuple[str, float]],
) -> str:
    """One self-contained HTML page: facts, warnings, metrics, charts, tables and importances."""
    body = [
        f"<h1>{escape(title)}</h1>",
        _warnings(warnings),
        '<section class="summary"><h2>Summary</h2>',
        *(f"<p>{escape(line)}</p>" for line in evaluation.summary_lines()),
        "</section>",
        "<h2>Facts</h2>",
        _table([], [[escape(key), escape(value)] for key, value in facts], header_column=True),
        "<h2>Charts</h2>",
        _charts(evaluation),
        "<h2>Calibration</h2>",
        _calibration_table(evaluation),
        "<h2>Lift</h2>",
        _lift_table(evaluation),
        "<h2>Segments</h2>",
        _segment_table(evaluation),
        "<h2>Feature importance</h2>",
        _importances(importances),
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body><main>",
            *(part for part in body if part),
            "</main></body>",
            "</html>",
            "",
        ]
    )


def write_report(path: Path, html: str) -> Path:
    """Write the page as UTF-8, creating the parent folder; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{escape(warning)}</li>" for warning in warnings)
    return f'<section class="warnings"><h2>Warnings</h2><ul>{items}</ul></section>'


def _charts(evaluation: Evaluation) -> str:
    figures = [
        (
            roc_chart(evaluation),
            "The nearer the top left corner, the better the ranking; the diagonal is a coin toss.",
        ),
        (
            calibration_chart(evaluation),
            "Dot area and the bars below: rows in each band of predicted probability.",
        ),
        (gains_chart(evaluation), "Positives captured by contacting the top leads first."),
        (lift_chart(evaluation), "How many times the base rate the top leads convert at."),
    ]
    return _figures(figures)


def _figures(figures: Sequence[tuple[object, str]]) -> str:
    """Charts as inline SVG, each with its caption."""
    return (
        '<div class="charts">'
        + "".join(
            f"<figure>{svg(chart)}<figcaption>{escape(caption)}</figcaption></figure>"
            for chart, caption in figures
        )
        + "</div>"
    )


def _calibration_table(evaluation: Evaluation) -> str:
    rows = [
        [
            f"{b.lower:.2f}–{b.upper:.2f}",
            f"{b.rows:,}",
            f"{b.mean_predicted:.3f}",
            f"{b.observed_rate:.3f}",
            f"{b.observed_rate - b.mean_predicted:+.3f}",
        ]
        for b in evaluation.calibration
    ]
    return _table(
        ["predicted", "rows", "mean predicted", "observed", "observed − predicted"],
        rows,
        numeric=frozenset({1, 2, 3, 4}),
    )


def _lift_table(evaluation: Evaluation) -> str:
    rows = [
        [
            f"top {p.share:.0%}",
            f"{p.rows:,}",
            f"{p.precision:.3f}",
            _num(p.recall),
            "n/a" if p.lift is None else f"{p.lift:.2f}x",
        ]
        for p in evaluation.lift
    ]
    return _table(
        ["leads", "rows", "precision", "recall", "lift"], rows, numeric=frozenset({1, 2, 3, 4})
    )


def _segment_table(evaluation: Evaluation) -> str:
    if not evaluation.segments:
        return '<p class="empty">No segment value had enough rows to report.</p>'
    rows = [
        [
            escape(s.column),
            escape(s.value),
            f"{s.rows:,}",
            f"{s.positives:,}",
            _num(s.roc_auc),
            f"{s.brier:.3f}",
            f"{s.mean_predicted:.3f}",
            f"{s.observed_rate:.3f}",
        ]
        for s in evaluation.segments
    ]
    headers = ["column", "value", "rows", "positives", "ROC-AUC", "Brier", "predicted", "observed"]
    return _table(headers, rows, numeric=frozenset(range(2, 8)))


def _importances(importances: list[tuple[str, float]]) -> str:
    if not importances:
        return '<p class="empty">No feature importances were recorded.</p>'
    caption = f"The columns that weigh most in the model's scores (at most {TOP_IMPORTANCES})."
    return _figures([(importance_chart(importances), caption)])


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: frozenset[int] = frozenset(),
    header_column: bool = False,
) -> str:
    """Cells are already-escaped HTML; `numeric` columns are right-aligned."""
    head = ""
    if headers:
        head = "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr></thead>"
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if header_column and i == 0:
                cells.append(f'<th scope="row">{cell}</th>')
            elif i in numeric:
                cells.append(f'<td class="num">{cell}</td>')
            else:
                cells.append(f"<td>{cell}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>{head}<tbody>{''.join(lines)}</tbody></table>"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
