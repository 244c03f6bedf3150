"""Leak checks: answers in disguise are caught, honest predictors are not."""

from __future__ import annotations

import numpy as np
import polars as pl

from leadrank.features.auto import infer_plan
from leadrank.scoring.reasons import column_label
from leadrank.training.leakage import find_leaks


def test_each_kind_of_leak_is_named_with_its_evidence() -> None:
    rng = np.random.default_rng(5)
    rows = 2_000
    y = (rng.random(rows) < 0.4).astype(np.int8)
    visits = rng.poisson(2 + 2 * y)  # a real, imperfect signal
    frame = pl.DataFrame(
        {
            "Visits": visits.astype(str),
            # 0 for every lost deal, an amount for every won one.
            "Amount": np.where(y == 1, rng.integers(500, 90_000, rows), 0).astype(str),
            # Filled in by sales once the deal is decided.
            "Notes": np.where(
                rng.random(rows) < np.where(y == 0, 0.75, 0.1),
                rng.choice(["price", "timing"], rows),
                None,
            ),
            "Lead Status": rng.choice(["open", "working", "nurture"], rows),
            "Partner Score": rng.integers(0, 100, rows).astype(str),
            "Industry": rng.choice(["software", "retail", "health"], rows),
        }
    )
    found = {s.column: s for s in find_leaks(frame, y, infer_plan(frame))}
    assert "almost perfectly" in found["Amount"].evidence and found["Amount"].exclude
    assert "filled for" in found["Notes"].evidence and found["Notes"].exclude
    assert "sales process" in found["Lead Status"].evidence and found["Lead Status"].exclude
    assert not found["Partner Score"].exclude  # warned about, kept
    assert "Visits" not in found and "Industry" not in found
    message = found["Amount"].message("won")
    assert "--keep 'Amount'" in message
    trusted = find_leaks(frame, y, infer_plan(frame), trusted_names=["Lead Status"])
    assert "Lead Status" not in {s.column for s in trusted}


def test_behaviour_columns_read_as_words() -> None:
    assert column_label("ev_email_replied_count_30d") == "email replied in the last 30 days (count)"
    assert column_label("ev_all_days_since_last") == "last activity"
    assert column_label("ev_page_view_days_since_last") == "last page view"
    assert column_label("seniority") == "Seniority"
    assert column_label("Lead Source") == "Lead Source"
    assert column_label("age_days") == "Age (days)"


def test_a_moderate_gap_between_filled_and_empty_is_reported_and_kept() -> None:
    rng = np.random.default_rng(5)
    rows = 2_000
    y = (rng.random(rows) < 0.4).astype(np.int8)
    filled = rng.random(rows) < np.where(y == 1, 0.9, 0.6)  # a 30-point gap
    frame = pl.DataFrame(
        {"occupation": np.where(filled, rng.choice(["student", "working"], size=rows), None)}
    )
    found = find_leaks(frame, y, infer_plan(frame))
    assert [(s.column, s.exclude) for s in found] == [("occupation", False)]
    assert "filled for 9" in found[0].evidence and "after contact" in found[0].evidence
