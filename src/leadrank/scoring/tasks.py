"""The background task that scores the workspace: whole, as `leadrank score` does, or, with
`{"changed": true}`, the leads new data touched (`rescore`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from leadrank.db.engine import session_scope
from leadrank.jobs.tasks import Retry, Task, TaskContext
from leadrank.scoring.icp_store import scoring_profile


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
