"""What new data sets going in the background: new leads are enriched and then rescored; new
events and changed leads are rescored. Only the leads the data touched are rescored: they are
marked in the transaction that stores the data (`scoring.pending`), and the jobs are deferred
in it too, so data never waits for a job that was lost. A burst of arrivals (webhook after
webhook) queues one job of each kind: while one waits, deferring another returns it (its
queueing lock), and its run takes every lead marked by then; scoring runs one at a time (its
lock)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.ingest.schemas import IngestReport
from leadrank.jobs.defer import QUEUEING_TRIES, defer, queued_with
from leadrank.orm import Job
from leadrank.scoring.pending import mark_imported, mark_leads

ENRICH_NEW = "enrich:new-leads"
SCORE_WORKSPACE = "score:workspace"  # every scoring job's lock; a whole rescore's queueing lock
SCORE_CHANGED = "score:changed"


def after_ingest(
    session: Session, settings: Settings, report: IngestReport, *, requested_by: str | None = None
) -> Job | None:
    """The follow-up job an ingestion calls for under `settings`, deferred; None if none."""
    leads = report.leads_created + report.leads_updated + report.leads_merged
    return after_arrivals(
        session,
        settings,
        leads=leads,
        events=report.events_created,
        import_ids=[report.import_id] if report.import_id is not None else [],
        requested_by=requested_by,
    )


def after_arrivals(
    session: Session,
    settings: Settings,
    *,
    leads: int,
    events: int,
    import_ids: Sequence[int],
    requested_by: str | None,
) -> Job | None:
    """The follow-up job of `leads` new or changed leads and `events` new events, brought by
    these imports (whose leads are marked for rescoring); None if none."""
    if not (leads or events):
        return None
    if settings.auto_score:
        mark_imported(session, import_ids)
    if leads and settings.auto_enrich:
        return enrich_new_leads(session, requested_by=requested_by)
    if settings.auto_score:
        return rescore_changed(session, requested_by=requested_by)
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


def rescore_changed(
    session: Session, *, lead_ids: Collection[int] = (), requested_by: str | None = None
) -> Job:
    """Mark these leads, and rescore the marked ones (the whole workspace when the model or
    profile changed since it was last scored whole). A whole rescore still waiting covers
    them: it is returned."""
    if lead_ids:
        mark_leads(session, lead_ids)
    for _ in range(QUEUEING_TRIES):
        job = queued_with(session, SCORE_WORKSPACE) or defer(
            session,
            task="score_leads",
            arguments={"changed": True},
            requested_by=requested_by,
            lock=SCORE_WORKSPACE,
            queueing_lock=SCORE_CHANGED,
        )
        if _still_waits(session, job):
            return job
    return job


def _still_waits(session: Session, job: Job) -> bool:
    """Whether `job` is still queued; on PostgreSQL it then stays so until this transaction
    ends (a runner's claim waits for it), so its run sees the marks made here."""
    waiting = select(Job.id).where(Job.id == job.id, Job.status == "queued")
    return session.scalar(waiting.with_for_update(read=True)) is not None


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
