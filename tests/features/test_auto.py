"""Automatic typing: ids and constants left out, types found, and a plan that turns later
frames into the same features."""

from __future__ import annotations

import polars as pl

from leadrank.features.auto import infer_plan
from leadrank.kit.readers import read_table
from tests.conftest import FIXTURES


def kinds(frame: pl.DataFrame, target: str | None = None) -> dict[str, str]:
    return {c.name: c.kind for c in infer_plan(frame, target=target).columns}


def test_x_education_columns_get_sensible_types() -> None:
    frame = read_table(FIXTURES / "x_education_200.csv").frame
    found = kinds(frame, target="Converted")
    assert "Converted" not in found
    assert found["Prospect ID"] == "id" and found["Lead Number"] == "id"
    assert found["Do Not Email"] == "boolean"
    assert found["TotalVisits"] == "numeric" and found["Total Time Spent on Website"] == "numeric"
    assert found["Lead Source"] == "categorical"
    assert found["Magazine"] == "constant"  # "No" on every row


def test_each_kind_and_what_it_becomes() -> None:
    rows = 400
    frame = pl.DataFrame(
        {
            "lead_id": [f"L-{i:05d}" for i in range(rows)],
            "employees": [str(i * 10) for i in range(rows)],
            "opted_in": ["Yes", "No"] * (rows // 2),
            "plan": ["free"] * 300 + ["pro"] * 98 + ["weird", "Select"],
            "signed_up": [f"2026-0{1 + i % 9}-1{i % 9} 0{i % 10}:30:00" for i in range(rows)],
            "notes": [
                f"asked about pricing and the {w} integration, call {i}"
                for i, w in zip(range(rows), ["salesforce", "hubspot"] * (rows // 2), strict=True)
            ],
            "region": ["EU"] * rows,
        }
    )
    plan = infer_plan(frame)
    found = {c.name: c for c in plan.columns}
    assert {n: c.kind for n, c in found.items()} == {
        "lead_id": "id",
        "employees": "numeric",
        "opted_in": "boolean",
        "plan": "categorical",
        "signed_up": "datetime",
        "notes": "text",
        "region": "constant",
    }
    assert found["plan"].levels == ["free", "pro"]  # "weird" is rare; "Select" is empty
    # Words on every row say nothing; the two integrations each on half the rows do.
    assert set(found["notes"].tokens) == {"salesforce", "hubspot"}

    later = pl.DataFrame(
        {
            "employees": ["1,200", None],
            "opted_in": ["no", "maybe"],
            "plan": ["enterprise", None],
            "signed_up": ["2026-03-04 10:00:00", "not a date"],
            "notes": ["wants HubSpot sync", None],
        }
    )
    features = plan.transform(later)
    assert features.columns == plan.feature_names
    row = features.row(0, named=True)
    assert row["employees"] == 1200.0 and row["opted_in"] == 0.0
    assert row["plan"] == 1.0  # an unseen level counts as rare
    assert row["signed_up__month"] == 3.0 and row["notes__has_hubspot"] == 1.0
    other = features.row(1, named=True)
    assert other["opted_in"] is None and other["plan"] == 0.0 and other["signed_up__month"] is None


def test_typed_columns_give_the_same_features_as_their_text() -> None:
    from datetime import UTC, datetime

    frame = pl.DataFrame(
        {
            "visits": [1.5, None, 3.0, 4.0] * 30,
            "opted_in": [True, False, None, True] * 30,
            "created": [
                datetime(2026, 1, 5, 13, tzinfo=UTC),
                None,
                datetime(2026, 3, 1, tzinfo=UTC),
                datetime(2026, 4, 1, 8, tzinfo=UTC),
            ]
            * 30,
        }
    )
    plan = infer_plan(frame)
    assert [c.kind for c in plan.columns] == ["numeric", "boolean", "datetime"]
    typed = plan.transform(frame)
    as_text = plan.transform(frame.select(pl.all().cast(pl.String)))
    assert typed.equals(as_text)
    assert typed["created__hour"].to_list()[:4] == [13.0, None, 0.0, 8.0]
