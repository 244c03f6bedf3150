"""The training report: one self-contained HTML page a person can open offline or attach to a ticket.

No external CSS, scripts or fonts, so the page renders the same from a laptop, a CI artefact or an
air-gapped server. Every caller-supplied string is escaped: facts and segment values come from
customer data.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from leadrank.training.charts import Dot, Line, unit_chart
from leadrank.training.evaluation import Evaluation

TOP_IMPORTANCES = 20

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
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.bar { background: #2563eb; height: 12px; border-radius: 2px; }
.bar.negative { background: #dc2626; }
td.bar-cell { width: 320px; }
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
    one_class = "undefined: only one class in the split"
    roc = unit_chart(
        title="ROC curve",
        x_label="false positive rate",
        y_label="true positive rate",
        lines=[Line(evaluation.roc_curve, f"model (AUC {_num(evaluation.roc_auc)})")],
        note=None if evaluation.roc_curve else one_class,
    )
    calibration = unit_chart(
        title="Calibration",
        x_label="mean predicted probability",
        y_label="observed rate",
        lines=[
            Line([(b.mean_predicted, b.observed_rate) for b in evaluation.calibration], "model")
        ],
        dots=[
            Dot(
                b.mean_predicted,
                b.observed_rate,
                b.rows,
                f"{b.lower:.1f}-{b.upper:.1f}: {b.rows:,} rows, predicted "
                f"{b.mean_predicted:.3f}, observed {b.observed_rate:.3f}",
            )
            for b in evaluation.calibration
        ],
        reference_label="perfect",
    )
    gains = unit_chart(
        title="Cumulative gains",
        x_label="share of leads contacted",
        y_label="share of positives captured",
        lines=[Line(evaluation.gains_curve, "model")],
        note=None if evaluation.gains_curve else "undefined: no positives in the split",
    )
    figures = [
        ("ROC", roc),
        ("Calibration (dot area = rows in the bin)", calibration),
        ("Gains: positives captured by contacting the top leads", gains),
    ]
    return (
        '<div class="charts">'
        + "".join(
            f"<figure><figcaption>{caption}</figcaption>{svg}</figure>" for caption, svg in figures
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
    top = sorted(importances, key=lambda item: -abs(item[1]))[:TOP_IMPORTANCES]
    largest = max(abs(value) for _, value in top) or 1.0
    rows = [
        [
            escape(name),
            f"{value:,.4g}",
            f'<div class="bar{" negative" if value < 0 else ""}" '
            f'style="width: {100 * abs(value) / largest:.1f}%"></div>',
        ]
        for name, value in top
    ]
    return _table(["feature", "importance", ""], rows, numeric=frozenset({1}), bar_column=2)


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: frozenset[int] = frozenset(),
    header_column: bool = False,
    bar_column: int | None = None,
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
            elif i == bar_column:
                cells.append(f'<td class="bar-cell">{cell}</td>')
            elif i in numeric:
                cells.append(f'<td class="num">{cell}</td>')
            else:
                cells.append(f"<td>{cell}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>{head}<tbody>{''.join(lines)}</tbody></table>"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
