"""Account scores rolled up from lead scores."""

from __future__ import annotations

import json

import polars as pl
import pytest

from leadrank.grades import GradeScale
from leadrank.scoring.accounts import roll_up

COMPANIES = pl.DataFrame({"lead_id": [1, 2, 3, 4, 6], "company_id": [10, 10, 10, 20, 30]})


def _scores(probability: list[float | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "lead_id": [1, 2, 3, 4, 5, 6],
            "probability": probability,
            "score": [80.0, 70.0, 10.0, 99.0, 50.0, 0.0],
            "grade": ["B", "C", "E", "A", "C", "E"],
            "disqualified": [False, False, False, False, False, True],
        },
        schema_overrides={"probability": pl.Float64},
    )


def test_with_a_model_an_account_is_as_likely_as_one_of_its_leads() -> None:
    accounts = roll_up(_scores([0.5, 0.5, 0.2, 0.7, 0.9, 0.95]), COMPANIES, GradeScale())
    by_company = {row["company_id"]: row for row in accounts.iter_rows(named=True)}
    assert set(by_company) == {10, 20, 30}  # lead 5 has no company
    three = by_company[10]
    assert three["probability"] == pytest.approx(1 - 0.5 * 0.5 * 0.8)
    assert (three["leads"], three["best_lead_id"]) == (3, 1)
    # A lead the ICP rules out adds nothing, whatever the model thought of it, and an account
    # of such leads alone scores 0.
    assert by_company[30]["probability"] == 0
    assert (by_company[30]["score"], by_company[30]["grade"]) == (0.0, "E")
    # Ranked against the other accounts: the best of three is 100 - 100/6.
    assert [r["company_id"] for r in accounts.iter_rows(named=True)] == [10, 20, 30]
    assert three["score"] == pytest.approx(83.3) and three["grade"] == "B"
    reasons = json.loads(three["reasons"])
    assert reasons["summary"] == [
        "3 leads: B 1, C 1, E 1",
        "best lead 1 (B 80.0)",
        "chance at least one converts 80%",
    ]
    assert reasons["grades"] == {"A": 0, "B": 1, "C": 1, "D": 0, "E": 1}


def test_with_the_rules_an_account_is_its_best_three_leads() -> None:
    accounts = roll_up(_scores([None] * 6), COMPANIES, GradeScale())
    by_company = {row["company_id"]: row for row in accounts.iter_rows(named=True)}
    assert by_company[10]["score"] == pytest.approx((80 + 70 + 10) / 3, abs=0.05)
    assert by_company[20]["score"] == 99.0 and by_company[20]["grade"] == "A"
    assert by_company[10]["probability"] is None
    assert json.loads(by_company[20]["reasons"])["summary"][0] == "1 lead: A 1"
