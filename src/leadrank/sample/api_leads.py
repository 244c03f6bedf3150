"""Generated leads in the API's shape, with outcomes, and the demo model learnt from them.

The outcome follows what B2B teams see: seniority, a mid-sized company and a buying
department help, engagement (visits, form fills, downloads, a recent campaign touch) helps
most, and existing customers buy again. Fields go missing as they do in real exports: any field
now and then, and all the activity of a lead nobody has tracked yet, which happens more to
leads that engage little, so an empty lead is never a good one.

`python -m leadrank.sample.api_leads DIR` trains the demo model on them and writes it to DIR;
the model in `leadrank/scoring/online/demo_model` was made so, and a test keeps it honest.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt
import polars as pl

from leadrank.scoring.online.lead_table import ACTIVITY_FIELDS, api_frame
from leadrank.scoring.online.schemas import ApiLead

REFERENCE = datetime(2026, 6, 1, tzinfo=UTC)  # "now" of the generated leads
SENIORITY = {
    "c_level": 1.0,
    "vp": 0.9,
    "director": 0.6,
    "manager": 0.2,
    "individual_contributor": -0.4,
}
DEPARTMENTS = {"Sales": 0.3, "Marketing": 0.3, "Revenue Operations": 0.4, "Engineering": -0.2}
TITLES = {
    "c_level": ("Chief {d} Officer", "CEO", "COO"),
    "vp": ("VP of {d}", "Vice President, {d}"),
    "director": ("Director of {d}", "{d} Director"),
    "manager": ("{d} Manager", "Senior {d} Manager"),
    "individual_contributor": ("{d} Specialist", "{d} Analyst", "{d} Associate"),
}
SIZES = {
    "1-10": (-0.8, 1, 10),
    "11-50": (-0.3, 11, 50),
    "51-200": (0.3, 51, 200),
    "201-500": (0.5, 201, 500),
    "501-1000": (0.4, 501, 1000),
    "1001-5000": (0.2, 1001, 5000),
    "5001+": (0.0, 5001, 50000),
}
INDUSTRIES = {
    "Software": 0.4,
    "Financial Services": 0.3,
    "Healthcare": 0.0,
    "Manufacturing": -0.1,
    "Retail": -0.3,
    "Education": -0.5,
    "Logistics": 0.0,
    "Media": -0.2,
    "Telecommunications": 0.1,
    "Energy": 0.0,
    "Consulting": 0.2,
    "Government": -0.6,
}
REGIONS = {
    "North America": 0.2,
    "Europe": 0.1,
    "APAC": -0.1,
    "LATAM": -0.2,
    "Middle East & Africa": -0.2,
}
MISSING = 0.08  # share of each field left empty


def sample_api_leads(
    rows: int = 20_000, seed: int = 7
) -> tuple[list[ApiLead], npt.NDArray[np.int8]]:
    """`rows` generated leads and whether each converted."""
    rng = np.random.default_rng(seed)
    seniority = rng.choice(list(SENIORITY), size=rows, p=[0.05, 0.1, 0.2, 0.3, 0.35])
    department = rng.choice(list(DEPARTMENTS), size=rows)
    size = rng.choice(list(SIZES), size=rows, p=[0.15, 0.2, 0.2, 0.15, 0.1, 0.1, 0.1])
    industry = rng.choice(list(INDUSTRIES), size=rows)
    region = rng.choice(list(REGIONS), size=rows, p=[0.45, 0.3, 0.12, 0.08, 0.05])
    engaged = rng.normal(size=rows)
    sessions = rng.poisson(np.exp(0.5 + 0.6 * engaged))
    pages = sessions * rng.poisson(3, size=rows)
    forms = rng.poisson(np.exp(-2 + 0.8 * engaged))
    downloads = rng.poisson(np.exp(-1.5 + 0.7 * engaged))
    touches = rng.poisson(4, size=rows)
    days = rng.exponential(30 / (1 + np.exp(engaged)), size=rows)
    customer = rng.random(rows) < 0.08
    employees = np.array([rng.integers(SIZES[s][1], SIZES[s][2] + 1) for s in size])
    logit = (
        -2.6
        + np.vectorize(SENIORITY.get)(seniority)
        + np.vectorize(DEPARTMENTS.get)(department)
        + np.array([SIZES[s][0] for s in size])
        + np.vectorize(INDUSTRIES.get)(industry)
        + np.vectorize(REGIONS.get)(region)
        + 0.5 * engaged
        + 0.35 * np.minimum(forms, 4)
        + 0.2 * np.minimum(downloads, 5)
        - 0.015 * days
        + 0.6 * customer
        + rng.normal(scale=0.5, size=rows)
    )
    converted = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)

    untracked = rng.random(rows) < 0.35 / (1 + np.exp(1.5 * engaged))

    def kept(values: npt.NDArray[np.generic], activity: bool = False) -> list[object]:
        gone = (rng.random(rows) < MISSING) | (untracked if activity else False)
        return [None if g else v.item() for v, g in zip(values, gone, strict=True)]

    titles = [
        str(rng.choice(TITLES[s])).format(d=d) for s, d in zip(seniority, department, strict=True)
    ]
    columns = {
        "company_size": kept(size),
        "industry": kept(industry),
        "job_title": kept(np.array(titles)),
        "seniority_level": kept(seniority),
        "geography": kept(region),
        "email_engagement_score": kept(
            np.clip(50 + 20 * engaged + rng.normal(0, 8, rows), 0, 100).round(1)
        ),
        "website_sessions": kept(sessions),
        "pages_viewed": kept(pages),
        "time_on_site": kept((pages * rng.gamma(2.0, 15.0, rows)).round(0)),
        "form_fills": kept(forms),
        "content_downloads": kept(downloads),
        "campaign_touchpoints": kept(touches),
        "account_revenue": kept((employees * 150_000 * rng.lognormal(0, 0.5, rows)).round(-3)),
        "account_employees": kept(employees),
        "existing_customer": kept(customer),
    }
    for name in ACTIVITY_FIELDS:  # an untracked lead reports none of its activity
        columns[name] = [
            None if gone else value for value, gone in zip(columns[name], untracked, strict=True)
        ]
    interactions = kept(days, activity=True)
    columns["last_campaign_interaction"] = [
        None if d is None else REFERENCE - timedelta(days=float(d))  # type: ignore[arg-type]
        for d in interactions
    ]
    # Through the API's own validation, so the generated leads are ones it accepts.
    rows_as_dicts = [{name: values[row] for name, values in columns.items()} for row in range(rows)]
    leads = msgspec.convert(rows_as_dicts, list[ApiLead])
    return leads, converted


def api_training_table(
    rows: int = 20_000, seed: int = 7
) -> tuple[pl.DataFrame, npt.NDArray[np.int8]]:
    """The generated leads as the table a model of the API trains on, and their outcomes."""
    leads, converted = sample_api_leads(rows, seed)
    return api_frame(leads, now=REFERENCE), converted


def build_demo_model(directory: Path) -> None:
    """Train the demo model on generated leads and write its files to `directory`."""
    from leadrank.training.fit import TrainOptions, fit_table

    frame, converted = api_training_table()
    result = fit_table(
        frame, converted, target="converted", options=TrainOptions(seed=0, time_budget=60.0)
    )
    result.bundle.metadata.update({"name": "demo", "version": 1, "kind": "table"})
    result.bundle.save(directory)
    metrics = result.evaluation
    print(
        f"demo model: {result.bundle.metadata['learner']}, held-out ROC-AUC "
        f"{metrics.roc_auc:.3f}, Brier {metrics.brier:.4f} -> {directory}"
    )


if __name__ == "__main__":
    build_demo_model(Path(sys.argv[1]))
