"""The background task that rescores the workspace, as `leadrank score` does."""

from __future__ import annotations

from typing import Any

from leadrank.jobs.tasks import Retry, Task, TaskContext
from leadrank.scoring.icp_store import scoring_profile


def _score_leads(context: TaskContext) -> dict[str, Any]:
    from leadrank.scoring.score_run import score_workspace

    settings = context.settings
    context.progress("score", 0, 1)
    runs = score_workspace(
        context.session,
        profile=scoring_profile(context.session),
        blend=settings.score_blend,
        grades=settings.grade_thresholds,
        lake_dir=settings.data_dir / "lake",
    )
    context.progress("score", 1, 1)
    return {
        "runs": [
            {
                "model_version": run.model_version,
                "stage": run.stage,
                "leads": run.leads,
                "grades": dict(run.grades),
                "seconds": round(run.seconds, 3),
            }
            for run in runs
        ]
    }


SCORE_LEADS = Task(run=_score_leads, retry=Retry(retries=2))
