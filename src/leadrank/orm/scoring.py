"""The model registry and stored scores: model versions with their stage and artifact, scoring
runs, each lead's scores with the reasons and the features they came from, and the leads
waiting to be scored again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, EncodedJson, JsonType, UtcDateTime

# The stages of the runs whose scores lists, worklists and lead pages show; a shadow model's
# scores are kept for comparison, never served.
SERVED_STAGES = ("active", "rules")


class ModelVersion(Base):
    """One trained model: shadow (scored alongside, not served), active (served) or archived."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        Index("ix_model_versions_stage", "stage"),
        # One active version per name, whatever two processes promote at the same moment.
        Index(
            "uq_model_versions_one_active",
            "name",
            unique=True,
            sqlite_where=text("stage = 'active'"),
            postgresql_where=text("stage = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))  # shadow | active | archived
    kind: Mapped[str] = mapped_column(String(16))  # table | workspace
    algorithm: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)  # what it predicts, in words
    label: Mapped[dict[str, Any] | None] = mapped_column(JsonType)  # workspace label definition
    metrics: Mapped[dict[str, Any]] = mapped_column(JsonType)  # headline held-out metrics
    data_hash: Mapped[str] = mapped_column(String(64))
    artifact: Mapped[bytes] = mapped_column(LargeBinary)  # zip of the model's files
    path: Mapped[str | None] = mapped_column(Text)  # where its files and report were written
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stage_changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    previous_active_id: Mapped[int | None] = mapped_column(BigId)  # what rollback returns to


class ScoreRun(Base):
    """One scoring pass by one model (or the rules alone): over every lead, or over the leads
    that changed since they were scored."""

    __tablename__ = "score_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    model_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("model_versions.id"))
    model_version: Mapped[str] = mapped_column(String(120))  # "converted:v3" or "rules"
    stage: Mapped[str] = mapped_column(String(16))  # active | shadow | rules
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    leads: Mapped[int] = mapped_column(Integer, default=0)
    # all: every lead; changed: the leads marked for rescoring since they were scored.
    scope: Mapped[str] = mapped_column(String(16), default="all", server_default="all")
    # What the scores mean (model, profile, blend, grades) as a hash: a run of the changed
    # leads alone is only made while it equals the last whole run's.
    basis: Mapped[str | None] = mapped_column(String(64))


class LeadScore(Base):
    """A lead's scores from one run, stored with reasons and features, never recomputed."""

    __tablename__ = "lead_scores"
    __table_args__ = (
        Index("ix_lead_scores_lead_run", "lead_id", "run_id"),
        # Each lead's served score (lists, worklists, exports read it): at most one per lead.
        # SQLite uses a partial index only for the very condition its queries write.
        Index(
            "uq_lead_scores_latest",
            "lead_id",
            unique=True,
            sqlite_where=text("latest = 1"),
            postgresql_where=text("latest"),
        ),
        # The worklist's pages in score and probability order: walked from the top.
        Index(
            "ix_lead_scores_latest_score",
            "score",
            "lead_id",
            sqlite_where=text("latest = 1"),
            postgresql_where=text("latest"),
        ),
        Index(
            "ix_lead_scores_latest_probability",
            "probability",
            "lead_id",
            sqlite_where=text("latest = 1"),
            postgresql_where=text("latest"),
        ),
        Index(
            "ix_lead_scores_latest_reason",
            "reason_key",
            "lead_id",
            sqlite_where=text("latest = 1"),
            postgresql_where=text("latest"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("score_runs.id"), index=True)
    lead_id: Mapped[int] = mapped_column(BigId)  # no foreign key: merges remove leads
    fit: Mapped[float | None] = mapped_column(Float)
    engagement: Mapped[float | None] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(1))
    confidence: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[dict[str, Any]] = mapped_column(
        EncodedJson
    )  # {"positive": [...], "negative": [...]}
    features: Mapped[dict[str, Any]] = mapped_column(EncodedJson)  # the snapshot the model saw
    # The lead's newest served (active or rules) score: never purged, whatever its age.
    latest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The worklist's order by top reason: "0" + the reason in lower case, or "1" for none,
    # written with the score so a sort reads no JSON (see scoring.repository.save_scores).
    reason_key: Mapped[str | None] = mapped_column(Text)


class GradeOverride(Base):
    """A person's grade for a lead, served instead of the computed one until cleared; the
    computed score keeps updating beside it."""

    __tablename__ = "grade_overrides"
    __table_args__ = (
        # At most one override in force per lead, whoever sets one at the same moment.
        Index(
            "uq_grade_overrides_in_force",
            "lead_id",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(BigId)  # no foreign key, like the scores it overrides
    grade: Mapped[str] = mapped_column(String(1))
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(200))
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AccountScore(Base):
    """A company's score in one run, rolled up from its leads' scores in that run."""

    __tablename__ = "account_scores"
    __table_args__ = (
        Index("ix_account_scores_run_score", "run_id", "score"),
        Index(
            "uq_account_scores_latest",
            "company_id",
            unique=True,
            sqlite_where=text("latest = 1"),
            postgresql_where=text("latest"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("score_runs.id"))
    company_id: Mapped[int] = mapped_column(BigId, index=True)
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(1))
    probability: Mapped[float | None] = mapped_column(Float)  # that at least one lead converts
    leads: Mapped[int] = mapped_column(Integer)
    best_lead_id: Mapped[int] = mapped_column(BigId)
    reasons: Mapped[dict[str, Any]] = mapped_column(
        EncodedJson
    )  # {"summary": [...], "grades": {...}}
    # The company's served account score, kept like a lead's latest score.
    latest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PendingRescore(Base):
    """A lead whose data changed (it arrived, was updated, merged into, got events or was
    enriched) since it was scored: the next rescore of what changed scores it and removes
    this row. A lead may be marked many times; no key, so writers never wait on each other."""

    __tablename__ = "pending_rescores"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(BigId)  # no foreign key: merges remove leads
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime)
