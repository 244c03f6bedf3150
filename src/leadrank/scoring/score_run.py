"""`leadrank score`: score every stored lead and store the result.

Each lead gets fit (ICP rules), engagement (decayed events), and, when a workspace model is
active, its calibrated probability; then a combined score, a grade, a confidence and the top
reasons. Shadow versions of the active model are scored in their own runs on the same leads,
so they can be compared before promotion. With no model, the rules alone decide.

A run may store the scores of some leads only (those that changed, `rescore`): every lead is
still scored, since a score is a lead's standing among all the workspace's leads, and the
chosen leads (and their companies) get exactly what a run over every lead would give them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from leadrank.features.frames import workspace_frames
from leadrank.features.lead_features import workspace_features
from leadrank.grades import Blend, GradeScale
from leadrank.kit.json_text import json_compact_object
from leadrank.orm.scoring import SERVED_STAGES, ModelVersion
from leadrank.scoring.accounts import roll_up
from leadrank.scoring.engagement import EngagementConfig, score_engagement
from leadrank.scoring.icp import Profile, load_profile, score_fit
from leadrank.scoring.model_scores import score_frame
from leadrank.scoring.pending import take_marked
from leadrank.scoring.reasons import column_label
from leadrank.scoring.repository import (
    company_of_leads,
    latest_accounts,
    lock_scoring,
    retire_accounts,
    save_account_scores,
    save_scores,
    start_run,
)
from leadrank.scoring.unknown import NOT_KNOWN
from leadrank.training import registry

TOP = 3
NOTHING_KNOWN = "nothing known yet that the profile rewards, and no activity"


@dataclass
class RunSummary:
    """One stored scoring run."""

    run_id: int
    model_version: str
    stage: str
    leads: int
    grades: dict[str, int]
    seconds: float  # since scoring began: reading, features, model and storing
    accounts: int = 0  # companies given an account score


@dataclass
class _Pass:
    """What every run of one scoring pass shares."""

    session: Session
    rules: pl.DataFrame
    companies: pl.DataFrame  # lead_id, company_id
    blend: Blend
    grades: GradeScale
    now: datetime
    started: float
    basis: str
    kept: pl.Series | None = None  # the leads whose scores are stored; None: every lead


def score_workspace(
    session: Session,
    *,
    as_of: datetime | None = None,
    profile: Profile | None = None,
    engagement: EngagementConfig | None = None,
    blend: Blend | None = None,
    grades: GradeScale | None = None,
    lake_dir: Path | None = None,
    lead_ids: Collection[int] | None = None,
) -> list[RunSummary]:
    """Score all leads with the active model and its shadows (or the rules) and store it.
    Each lead's score keeps the values its reasons cite; with `lake_dir`, every feature the
    model saw is also written there as Parquet (lead_id, run_id, model_version, features).
    With `lead_ids`, only those leads' scores and their companies' account scores are stored
    (a run of scope "changed"), each as a run over every lead would store it."""
    started = time.monotonic()
    lock_scoring(session)
    if lead_ids is None:
        take_marked(session)  # every lead is scored: none waits any longer
    now = as_of or datetime.now(UTC)
    leads, events = workspace_frames(session)
    active = registry.active_model(session, kind="workspace")
    profile = profile or load_profile(None)
    engagement = engagement or profile.engagement
    blend, grades = blend or Blend(), grades or GradeScale()
    rules = rule_scores(leads, events, profile, engagement, now)
    shared = _Pass(
        session=session,
        rules=rules,
        companies=company_of_leads(session),
        blend=blend,
        grades=grades,
        now=now,
        started=started,
        basis=scoring_basis(active, profile, engagement, blend, grades),
        kept=None if lead_ids is None else pl.Series("lead_id", list(lead_ids), dtype=pl.Int64),
    )
    if active is None:
        return [_store(shared, None, "rules", None)]
    runs = [(active, "active")] + [
        (shadow, "shadow") for shadow in registry.shadow_models(session, name=active.name)
    ]
    summaries: list[RunSummary] = []
    for model, stage in runs:
        bundle = registry.load(model)
        behaviour = bundle.metadata.get("behaviour", {})
        frame = workspace_features(
            leads,
            events,
            as_of=now,
            event_types=list(behaviour.get("event_types", [])),
            windows=tuple(behaviour.get("windows", (7, 30, 90))),
            attributes=list(behaviour.get("attributes", [])),
            contact=behaviour.get("contact_attributes", ()),
            max_age_days=behaviour.get("max_age_days"),
        )
        scores = score_frame(bundle, frame)
        used = [c.name for c in bundle.plan.used if c.name in frame.columns]
        model_part = pl.DataFrame(
            {
                "probability": scores.probability,
                "model_score": workspace_percentile(scores.probability),
                "confidence": scores.confidence,
                "positive": scores.positive,
                "negative": scores.negative,
                "not_known": scores.not_known,
            }
        ).with_columns(features=scores.cited)
        summary = _store(shared, model, stage, model_part)
        if lake_dir is not None:
            seen = frame.select("lead_id", *used)
            if shared.kept is not None:
                seen = seen.filter(pl.col("lead_id").is_in(shared.kept))
            write_snapshot(lake_dir, summary, seen, now)
        summaries.append(summary)
    return summaries


def scoring_basis(
    model: ModelVersion | None,
    profile: Profile,
    engagement: EngagementConfig,
    blend: Blend,
    grades: GradeScale,
) -> str:
    """What a run's scores mean, as a short hash: the served model (or the rules), the
    profile, engagement, blend and grade scale. Scores of two runs of the same basis can
    stand side by side in one list; a change of any of them calls for a run over every lead."""
    parts = {
        "model": model.id if model is not None else None,
        "profile": profile.model_dump(mode="json"),
        "engagement": engagement.model_dump(mode="json"),
        "blend": blend.model_dump(mode="json"),
        "grades": grades.model_dump(mode="json"),
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def rule_scores(
    leads: pl.DataFrame,
    events: pl.DataFrame,
    profile: Profile,
    engagement: EngagementConfig | None,
    now: datetime,
) -> pl.DataFrame:
    """Per lead (in `leads` order): fit and engagement with their reasons (the score's own
    when no model serves, kept beside the model's when one does)."""
    fit = score_fit(leads, profile, reasons=True)
    engaged = score_engagement(events, config=engagement or EngagementConfig(), as_of=now)
    fields = [f for f in profile.fields if f in leads.columns]
    return (
        pl.concat([leads.select("lead_id", *fields), fit], how="horizontal")
        .join(engaged, on="lead_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("engagement_score").fill_null(0.0),
            pl.col("engagement_reasons").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
    )


def _store(
    shared: _Pass, model: ModelVersion | None, stage: str, model_part: pl.DataFrame | None
) -> RunSummary:
    """Combine, grade and store one run's lead scores, then its account scores."""
    rules, mix = shared.rules, shared.blend
    run = start_run(
        shared.session,
        model=model,
        stage=stage,
        as_of=shared.now,
        scope="all" if shared.kept is None else "changed",
        basis=shared.basis,
    )
    fit, engaged = pl.col("fit_score"), pl.col("engagement_score")
    if model_part is None:
        rule_reasons = pl.concat_list("fit_reasons", "engagement_reasons")
        frame = rules.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("probability"),
            _filled_share(rules, profile_fields(rules)).alias("confidence"),
            rule_reasons.list.eval(pl.element().filter(pl.element().str.contains(r"\(\+")))
            .list.head(TOP)
            .alias("positive"),
            rule_reasons.list.eval(pl.element().filter(pl.element().str.contains(r"\(-")))
            .list.head(TOP)
            .alias("negative"),
            json_compact_object(rules, profile_fields(rules)).alias("features"),
            _unknown_fields(rules, profile_fields(rules)).alias("not_known"),
        )
        combined = pl.col("rules_standing")
        frame = frame.with_columns(rules_standing(frame, mix))
    else:
        frame = pl.concat([rules, model_part], how="horizontal")
        combined = mix.combined(fit, engaged, pl.col("model_score"))
    # A lead the ICP's hard filters rule out scores 0 whatever the model says.
    combined = pl.when(pl.col("disqualified")).then(0.0).otherwise(combined)
    # Every score says why: a lead nothing speaks for or against is told so.
    silent = (pl.col("positive").list.len() + pl.col("negative").list.len()) == 0
    frame = frame.with_columns(
        pl.when(silent)
        .then(pl.concat_list(pl.lit(NOTHING_KNOWN)))
        .otherwise(pl.col("negative"))
        .alias("negative"),
        # Fit and engagement keep their own reasons beside the model's.
        pl.col("fit_reasons").list.head(TOP).alias("fit"),
        pl.col("engagement_reasons").list.head(TOP).alias("engagement"),
    )
    stored = frame.select(
        "lead_id",
        fit.alias("fit"),
        engaged.alias("engagement"),
        pl.col("probability").round(4),
        combined.alias("score"),
        shared.grades.grade(combined).alias("grade"),
        pl.col("confidence").round(2),
        pl.struct("positive", "negative", "fit", "engagement")
        .struct.json_encode()
        .alias("reasons"),
        "features",
    )
    # Accounts are ranked among all of them, as leads are: rolled up from every lead's score.
    accounts = roll_up(
        stored.select("lead_id", "probability", "score", "grade").with_columns(
            frame.get_column("disqualified")
        ),
        shared.companies,
        shared.grades,
    )
    if shared.kept is not None:
        stored = stored.filter(pl.col("lead_id").is_in(shared.kept))
        accounts = _accounts_that_moved(
            shared, accounts, shared.kept, served=stage in SERVED_STAGES
        )
    save_scores(shared.session, run, stored)
    save_account_scores(shared.session, run, accounts)
    counts = stored.get_column("grade").value_counts()
    return RunSummary(
        run.id,
        run.model_version,
        stage,
        stored.height,
        {str(g): int(n) for g, n in counts.iter_rows()},
        time.monotonic() - shared.started,
        accounts.height,
    )


def _accounts_that_moved(
    shared: _Pass, accounts: pl.DataFrame, kept: pl.Series, *, served: bool
) -> pl.DataFrame:
    """Of a run over the `kept` leads, the accounts to store: the companies of those leads,
    and every company a lead left (moved to another company, or merged away), whose latest
    account would go on counting it: its lead count changed, its best lead is no longer its
    own, or no lead is left to it."""
    touched = shared.companies.filter(pl.col("lead_id").is_in(kept)).get_column("company_id")
    before = latest_accounts(shared.session)
    gone = before.filter(~pl.col("company_id").is_in(accounts.get_column("company_id")))
    if served and gone.height:
        retire_accounts(shared.session, gone.get_column("company_id").to_list())
    owner = shared.companies.select(
        pl.col("lead_id").alias("best_lead_id_before"), pl.col("company_id").alias("owner")
    )
    compared = accounts.join(before, on="company_id", how="left", suffix="_before").join(
        owner, on="best_lead_id_before", how="left"
    )
    moved = (
        pl.col("company_id").is_in(touched)
        | pl.col("leads_before").is_null()
        | (pl.col("leads") != pl.col("leads_before"))
        | (pl.col("owner") != pl.col("company_id")).fill_null(True)
    )
    return compared.filter(moved).select(accounts.columns)


def rules_standing(rules: pl.DataFrame, blend: Blend) -> pl.Series:
    """With no model, each lead's standing among the workspace's leads on the fit/engagement
    blend (0-100), as a model's score is its standing on probability: the grades spread over
    A-E whatever the profile's points add up to. Leads the hard filters rule out are not
    ranked (they score 0)."""
    blended = rules.select(
        blend.combined(pl.col("fit_score"), pl.col("engagement_score"), None)
    ).to_series()
    qualified = ~rules.get_column("disqualified").fill_null(False)
    standing = np.zeros(rules.height)
    ranked = blended.filter(qualified).to_numpy()
    standing[qualified.to_numpy()] = workspace_percentile(ranked)
    return pl.Series("rules_standing", standing, dtype=pl.Float64)


def workspace_percentile(probability: np.ndarray) -> np.ndarray:
    """Each lead's probability as the share of the workspace's leads it beats (0-100).
    Training sees leads a few weeks old; scoring sees every lead with all its history, so the
    training split's percentiles would drift. Ranking the leads scored together keeps an A a
    top-10% lead of the workspace, which is what a team works from."""
    if probability.size == 0:
        return probability
    ranks = pl.Series(probability).rank("average").to_numpy()
    return np.asarray(np.round((ranks - 0.5) / probability.size * 100, 1), dtype=np.float64)


def write_snapshot(lake_dir: Path, run: RunSummary, features: pl.DataFrame, now: datetime) -> Path:
    """The features of one run as Parquet under lake_dir/scores/YYYY/MM/DD/, queryable with
    DuckDB or Polars."""
    folder = lake_dir / "scores" / f"{now:%Y}" / f"{now:%m}" / f"{now:%d}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{run.run_id}.parquet"
    features.with_columns(
        pl.lit(run.run_id, dtype=pl.Int64).alias("run_id"),
        pl.lit(run.model_version).alias("model_version"),
        pl.lit(now).alias("scored_at"),
    ).write_parquet(path)
    return path


def profile_fields(rules: pl.DataFrame) -> list[str]:
    """The lead fields the rules read (the columns between lead_id and the fit score)."""
    columns = rules.columns
    return columns[1 : columns.index("fit_score")]


def _unknown_fields(rules: pl.DataFrame, fields: list[str]) -> pl.Expr:
    """The profile's fields the lead has no value for, as readable labels."""
    if not fields:
        return pl.lit([], dtype=pl.List(pl.String))
    named = [pl.when(pl.col(f).is_null()).then(pl.lit(column_label(f))) for f in fields]
    return pl.concat_list(named).list.drop_nulls().list.head(NOT_KNOWN)


def _filled_share(rules: pl.DataFrame, fields: list[str]) -> pl.Expr:
    if not fields:
        return pl.lit(1.0)
    filled = [pl.col(f).is_not_null().cast(pl.Float64) for f in fields]
    return pl.sum_horizontal(filled) / len(fields)
