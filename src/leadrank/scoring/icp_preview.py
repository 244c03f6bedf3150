"""What an edited ideal customer profile would do before it is saved: the fit of the
workspace's leads under the profile scoring uses now and under the edited one, side by side,
and the leads whose fit would move most. Nothing is stored.

Fit comes from `icp.score_fit` over the same lead frame workspace scoring starts from
(`features.frames`). A large workspace is previewed on a fixed random sample of its leads:
fit is per lead, so a sample shows the shape of the distribution at a fraction of the cost.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from leadrank.features.frames import (
    COMPANY_FIELDS,
    LEAD_FIELDS,
    event_frame,
    lead_frame,
    with_anchor,
)
from leadrank.kit.bulk import select_frame
from leadrank.orm import Company, Lead
from leadrank.scoring import repository
from leadrank.scoring.icp import Profile, score_fit

SAMPLE_SIZE = 20_000  # leads scored for a preview; more are sampled down to this
SHOWN = 10  # leads listed one by one
BINS = tuple(range(0, 100, 10))  # fit bands 0-10, ..., 90-100 (100 in the last)
DISQUALIFIED = "disqualified"


@dataclass(frozen=True)
class LeadFit:
    """One lead's fit under the profile in use and under the edited one."""

    lead_id: int
    before: float
    after: float
    disqualified_before: bool
    disqualified_after: bool
    reasons: list[str]  # the edited profile's, strongest first

    @property
    def change(self) -> float:
        """How far the fit moves (negative: down)."""
        return round(self.after - self.before, 1)


@dataclass(frozen=True)
class FitPreview:
    """The fit of the previewed leads under both profiles, and the leads that move most."""

    total: int  # leads in the workspace
    scored: int  # leads the preview scored (all of them, or a sample)
    before: list[float]
    after: list[float]
    disqualified_before: int
    disqualified_after: int
    changed: int  # leads whose fit or disqualification differs
    leads: list[LeadFit]

    @property
    def sampled(self) -> bool:
        """Whether the preview scored a sample rather than every lead."""
        return self.scored < self.total

    @property
    def mean_before(self) -> float | None:
        """The mean fit under the profile in use."""
        return float(np.mean(self.before)) if self.before else None

    @property
    def mean_after(self) -> float | None:
        """The mean fit under the edited profile."""
        return float(np.mean(self.after)) if self.after else None

    def histogram(self) -> list[tuple[str, int, int]]:
        """(band, leads before, leads after) per fit band of ten points, the disqualified
        (fit 0 whatever their points) in a band of their own first."""
        rows = [(DISQUALIFIED, self.disqualified_before, self.disqualified_after)]
        before = _band_counts(self.before, self.disqualified_before)
        after = _band_counts(self.after, self.disqualified_after)
        for index, low in enumerate(BINS):
            rows.append((f"{low}–{low + 10}", before[index], after[index]))
        return rows


def _band_counts(fits: Sequence[float], disqualified: int) -> list[int]:
    """How many fits fall in each band; the disqualified (counted apart) leave band 0."""
    bands = np.minimum(np.asarray(fits, dtype=np.float64) // 10, len(BINS) - 1).astype(int)
    counts = np.bincount(bands, minlength=len(BINS)).tolist() if len(fits) else [0] * len(BINS)
    counts[0] -= disqualified
    return [int(c) for c in counts]


def preview_fit(
    session: Session,
    *,
    current: Profile,
    edited: Profile,
    sample_size: int = SAMPLE_SIZE,
    shown: int = SHOWN,
) -> FitPreview:
    """The fit of the workspace's leads (a fixed sample of `sample_size` when there are more)
    under `current` and `edited`, and the `shown` leads whose fit moves most. Stores nothing."""
    ids = repository.lead_ids(session)
    anchored = "created_at" in {*current.fields, *edited.fields}
    if len(ids) <= sample_size:
        frame = lead_frame(session)
        if anchored:
            frame = with_anchor(frame, event_frame(session))
    else:
        picked = sorted(random.Random(0).sample(ids, sample_size))
        frame = sampled_lead_frame(session, picked, anchored=anchored)
    before = score_fit(frame, current, reasons=False)
    after = score_fit(frame, edited, reasons=True)
    both = pl.DataFrame(
        {
            "lead_id": frame.get_column("lead_id"),
            "before": before.get_column("fit_score"),
            "after": after.get_column("fit_score"),
            "out_before": before.get_column("disqualified"),
            "out_after": after.get_column("disqualified"),
            "reasons": after.get_column("fit_reasons"),
        }
    )
    moved = (pl.col("after") - pl.col("before")).abs()
    differs = (moved > 0) | (pl.col("out_before") != pl.col("out_after"))
    listed = both.with_columns(moved.alias("_moved")).sort(
        ["_moved", "after", "lead_id"], descending=[True, True, False]
    )
    return FitPreview(
        total=len(ids),
        scored=frame.height,
        before=both.get_column("before").to_list(),
        after=both.get_column("after").to_list(),
        disqualified_before=int(both.get_column("out_before").sum()),
        disqualified_after=int(both.get_column("out_after").sum()),
        changed=int(both.select(differs.sum()).item()),
        leads=[
            LeadFit(
                lead_id=row["lead_id"],
                before=row["before"],
                after=row["after"],
                disqualified_before=row["out_before"],
                disqualified_after=row["out_after"],
                reasons=list(row["reasons"]),
            )
            for row in listed.head(shown).iter_rows(named=True)
        ],
    )


def sampled_lead_frame(session: Session, ids: Sequence[int], *, anchored: bool) -> pl.DataFrame:
    """The leads of `ids` as `features.frames.lead_frame` gives every lead; with `anchored`,
    `created_at` anchored at the first event as `with_anchor` does."""
    leads = select_frame(session, Lead, ids, LEAD_FIELDS).rename({"id": "lead_id"})
    company_ids = leads.get_column("company_id").drop_nulls().unique().to_list()
    companies = select_frame(session, Company, company_ids, COMPANY_FIELDS)
    frame = (
        leads.join(companies.rename({"id": "company_id"}), on="company_id", how="left")
        .drop("company_id")
        .sort("lead_id")
    )
    if not anchored:
        return frame
    return with_anchor(frame, repository.first_events(session, ids))
