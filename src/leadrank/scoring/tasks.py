"""The background task that scores the workspace: whole, as `leadrank score` does, or, with
`{"changed": true}`, the leads new data touched (`rescore`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.jobs.defer import defer
from leadrank.jobs.tasks import Retry, Task, TaskContext
from leadrank.orm.routing import RoutingRuleset
from leadrank.orm.scoring import SERVED_STAGES
from leadrank.scoring.icp_store import scoring_profile

# What new served scores set going, by task name: routing (when rules are active), which
# then has the CRMs pushed; else the push to each configured CRM at once.
ROUTE_LEADS, CRM_SYNC, CRM_LOCK = "route_leads", "crm_sync", "schedule:crm_sync"


def after_served_scores(session: Session, settings: Settings) -> None:
    """Queue, in the scoring transaction, what new scores call for."""
    if session.scalar(select(RoutingRuleset.id).where(RoutingRuleset.active)) is not None:
        defer(
            session,
            task=ROUTE_LEADS,
            arguments={"then_push": True},
            requested_by="after scoring",
            queueing_lock=ROUTE_LEADS,
        )
        return
    queue_crm_push(session, settings, requested_by="after scoring")


def queue_crm_push(session: Session, settings: Settings, *, requested_by: str) -> None:
    """Queue the push of what changed to each configured CRM (one waits at a time)."""
    if settings.configured_crms:
        defer(
            session,
            task=CRM_SYNC,
            arguments={"vendor": "all", "direction": "push"},
            requested_by=requested_by,
            lock=CRM_LOCK,
            queueing_lock="crm:push",
        )


def _score_leads(context: TaskContext) -> dict[str, Any]:
    from leadrank.scoring.rescore import rescore_changed, settle
    from leadrank.scoring.score_run import score_workspace

    settings = context.settings
    engine = context.session.get_bind()
    assert isinstance(engine, Engine)  # sessions are bound to the workspace engine
    changed = bool(context.arguments.get("changed"))
    context.progress("score", 0, 1)
    if changed:
        # No transaction is open while a burst of arrivals settles: they write meanwhile.
        settle(engine, quiet=settings.score_quiet_seconds)
    with session_scope(engine, writes=True) as session:
        common: dict[str, Any] = {
            "profile": scoring_profile(session),
            "blend": settings.score_blend,
            "grades": settings.grade_thresholds,
            "lake_dir": settings.data_dir / "lake",
        }
        if changed:
            rescore = rescore_changed(session, **common)
            scope, reason, runs = rescore.scope, rescore.reason, rescore.runs
        else:
            scope, reason, runs = "all", None, score_workspace(session, **common)
        if any(run.stage in SERVED_STAGES for run in runs):
            after_served_scores(session, settings)
    context.progress("score", 1, 1)
    return {
        "scope": scope,
        **({"whole_because": reason} if reason else {}),
        "runs": [
            {
                "model_version": run.model_version,
                "stage": run.stage,
                "leads": run.leads,
                "grades": dict(run.grades),
                "seconds": round(run.seconds, 3),
            }
            for run in runs
        ],
    }


# Its own transactions: the wait for a burst to settle holds no lock, and the run commits as
# one transaction after it; run again after a crash, it scores again.
SCORE_LEADS = Task(run=_score_leads, own_transactions=True, retry=Retry(retries=2))
