"""Score history under a burst of small writes: how many score rows and runs a burst stores,
and how much the database grows, as the API's batches would cause them.

A sample workspace of N people is ingested and scored once (as `leadrank score` does); then W
writes, each of a few lead updates and a few events, arrive as the API's batch routes take
them (ingest, then the follow-up jobs queued in the same transaction), a little apart, while a
job runner runs the follow-ups in the background as `leadrank serve` does. Enrichment is off,
so only scoring follows the writes.

Usage: python benchmarks/score_history.py [--leads 20000] [--writes 50] [--gap 0.1]
           [--workdir DIR] [--database-url postgresql://...]
With --workdir, the scored SQLite workspace is built once there and copied for each run.
Prints rows, runs and database size before and after the burst, and how long it took.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from leadrank.config import Settings, get_settings
from leadrank.db.engine import build_engine, session_scope
from leadrank.db.migrate import upgrade
from leadrank.ingest.follow_up import after_ingest
from leadrank.ingest.service import ingest_file, ingest_records
from leadrank.jobs.runner import JobRunner
from leadrank.orm import Job, Lead
from leadrank.orm.scoring import AccountScore, LeadScore, ScoreRun
from leadrank.sample.generator import generate_workspace
from leadrank.scoring.icp_store import scoring_profile
from leadrank.scoring.score_run import score_workspace

LEADS_PER_WRITE = 3
EVENTS_PER_WRITE = 2


def build(engine: Engine, folder: Path, leads: int) -> None:
    """Sample, ingest (lead files first) and score the workspace whole."""
    upgrade(engine)
    manifest = generate_workspace(folder, leads=leads, seed=7)
    for item in sorted(manifest.files, key=lambda f: f.kind != "leads"):
        with session_scope(engine, writes=True) as session:
            ingest_file(session, path=folder / item.name, source=item.vendor, kind=item.kind)
    with session_scope(engine, writes=True) as session:
        score_workspace(session, profile=scoring_profile(session))


def measure(engine: Engine) -> dict[str, float]:
    """Rows of score history and the database's size in MB."""
    with session_scope(engine) as session:
        counts = {
            "lead score rows": session.scalar(select(func.count()).select_from(LeadScore)) or 0,
            "account score rows": session.scalar(select(func.count()).select_from(AccountScore))
            or 0,
            "score runs": session.scalar(select(func.count()).select_from(ScoreRun)) or 0,
        }
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(str(engine.url.database))
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    else:
        with engine.connect() as connection:
            size = connection.scalar(text("SELECT pg_database_size(current_database())")) or 0
    return {**counts, "database MB": round(size / 1e6, 1)}


def burst(engine: Engine, settings: Settings, *, writes: int, gap: float) -> float:
    """`writes` small writes, `gap` seconds apart, with the follow-ups run as they come;
    the seconds until every follow-up job had run."""
    with session_scope(engine) as session:
        emails = list(
            session.scalars(
                select(Lead.email).where(Lead.email.is_not(None)).order_by(Lead.id).limit(2000)
            )
        )
    runner = JobRunner(engine, settings, poll_seconds=0.2)
    runner.start()
    started = time.monotonic()
    try:
        for i in range(writes):
            touched = emails[i * 37 % len(emails) :][:LEADS_PER_WRITE]
            leads = [{"email": e, "job_title": f"VP Sales {i}"} for e in touched]
            moment = datetime.now(UTC).isoformat()
            events = [
                {"email": e, "event_type": "email_opened", "occurred_at": moment, "n": i}
                for e in touched[:EVENTS_PER_WRITE]
            ]
            for kind, records in (("leads", leads), ("events", events)):
                with session_scope(engine, writes=True) as session:
                    report = ingest_records(
                        session, records=records, source="api", kind=kind, name=f"burst {i}"
                    )
                    after_ingest(session, settings, report, requested_by="api")
            time.sleep(gap)
        while _open_jobs(engine):
            time.sleep(0.2)
    finally:
        runner.stop(timeout=None)
    return time.monotonic() - started


def _open_jobs(engine: Engine) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).select_from(Job).where(Job.status.in_(("queued", "running")))
        return session.scalar(query) or 0


def main() -> None:
    """Build (or copy) the scored workspace, measure, run the burst, measure again."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=20_000, help="people in the sample")
    parser.add_argument("--writes", type=int, default=50, help="small writes in the burst")
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between two writes")
    parser.add_argument("--workdir", type=Path, default=None, help="kept and reused when given")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="leadrank-bench-history-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.database_url:
        url = args.database_url
    else:
        template = workdir / f"scored-{args.leads}.db"
        if not template.exists():
            built = build_engine(f"sqlite:///{template}")
            build(built, workdir / "sample", args.leads)
            built.dispose()
        run = Path(tempfile.mkdtemp(prefix="run-", dir=workdir)) / "workspace.db"
        shutil.copy(template, run)
        url = f"sqlite:///{run}"
    os.environ.update(
        LEADRANK_DATABASE_URL=url,
        LEADRANK_DATA_DIR=str(workdir / "data"),
        LEADRANK_AUTO_ENRICH="false",
    )
    get_settings.cache_clear()
    settings = get_settings()
    engine = build_engine(settings.database_url)
    if args.database_url:
        build(engine, workdir / "sample", args.leads)
    else:
        upgrade(engine)  # a copied workspace of an older schema is brought to this code's
        with session_scope(engine, writes=True) as session:  # and scored by it, whole
            score_workspace(session, profile=scoring_profile(session))
    before = measure(engine)
    seconds = burst(engine, settings, writes=args.writes, gap=args.gap)
    after = measure(engine)
    print(f"{args.leads:,} leads, {args.writes} writes of {LEADS_PER_WRITE} leads and "
          f"{EVENTS_PER_WRITE} events, {args.gap} s apart, on {engine.dialect.name}")  # fmt: skip
    for name, value in before.items():
        print(f"  {name:>20}: {value:>12,} before  {after[name]:>12,} after")
    print(f"  burst and its follow-ups took {seconds:.1f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
