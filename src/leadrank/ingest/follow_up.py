"""What new data sets going in the background: new leads are enriched and then the workspace
is rescored; new events rescore it. The jobs are deferred in the transaction that stores the
data, so data never waits for a job that was lost. A burst of arrivals (webhook after webhook)
queues one job of each kind: while one waits, deferring another returns it (its queueing lock),
and scoring runs one at a time (its lock)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.ingest.schemas import IngestReport
from leadrank.jobs.defer import defer
from leadrank.orm import Job

ENRICH_NEW = "enrich:new-leads"
SCORE_WORKSPACE = "score:workspace"


def after_ingest(
    session: Session, settings: Settings, report: IngestReport, *, requested_by: str | None = None
) -> Job | None:
    """The follow-up job an ingestion calls for under `settings`, deferred; None if none."""
    leads = report.leads_created + report.leads_updated + report.leads_merged
    return after_arrivals(
        session, settings, leads=leads, events=report.events_created, requested_by=requested_by
    )


def after_arrivals(
    session: Session, settings: Settings, *, leads: int, events: int, requested_by: str | None
) -> Job | None:
    """The follow-up job of `leads` new or changed leads and `events` new events; None if none."""
    if leads and settings.auto_enrich:
        return enrich_new_leads(session, requested_by=requested_by)
    if (leads or events) and settings.auto_score:
        return rescore(session, requested_by=requested_by)
    return None


def enrich_new_leads(session: Session, *, requested_by: str | None = None) -> Job:
    """Enrich every lead never enriched (or left unfinished), then rescore."""
    return defer(
        session,
        task="enrich_leads",
        arguments={"then_score": True},
        requested_by=requested_by,
        lock=ENRICH_NEW,
        queueing_lock=ENRICH_NEW,
    )


def rescore(session: Session, *, requested_by: str | None = None) -> Job:
    """Score the whole workspace again."""
    return defer(
        session,
        task="score_leads",
        arguments={},
        requested_by=requested_by,
        lock=SCORE_WORKSPACE,
        queueing_lock=SCORE_WORKSPACE,
    )
